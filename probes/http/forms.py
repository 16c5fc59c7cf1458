"""Login forms in HTML: the forms that hold a password field, their action, method and fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

_CAPTCHA = ("captcha", "verifycode", "verify_code", "validatecode", "yzm", "geetest", "recaptcha", "hcaptcha")


@dataclass
class Form:
    action: str
    method: str
    fields: list[str] = field(default_factory=list)
    password_fields: list[str] = field(default_factory=list)
    hidden: dict[str, str] = field(default_factory=dict)
    captcha: bool = False


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.current: Form | None = None
        self.loose_password = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "form":
            self.current = Form(a.get("action", ""), (a.get("method") or "GET").upper())
            self.forms.append(self.current)
        elif tag == "input":
            name = a.get("name") or a.get("id") or ""
            kind = a.get("type", "text").lower()
            blob = " ".join(a.values()).lower()
            if self.current is None:
                self.loose_password = self.loose_password or kind == "password"
                return
            self.current.fields.append(name)
            if kind == "password":
                self.current.password_fields.append(name)
            elif kind == "hidden" and name:
                self.current.hidden[name] = a.get("value", "")
            if any(c in blob for c in _CAPTCHA):
                self.current.captcha = True
        elif tag in ("img", "div", "iframe", "script") and self.current is not None:
            blob = " ".join(a.values()).lower()
            if any(c in blob for c in _CAPTCHA):
                self.current.captcha = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.current = None


def login_forms(html: str, page_url: str) -> list[Form]:
    """Forms with a password field, actions made absolute against the page URL."""
    parser = _Forms()
    try:
        parser.feed(html[:512 * 1024])
        parser.close()
    except AssertionError:  # HTMLParser on badly broken markup
        return []
    out = []
    for form in parser.forms:
        if form.password_fields:
            form.action = urljoin(page_url, form.action) if form.action else page_url
            out.append(form)
    return out


def has_password_field(html: str) -> bool:
    parser = _Forms()
    try:
        parser.feed(html[:512 * 1024])
    except AssertionError:
        return False
    return parser.loose_password or any(f.password_fields for f in parser.forms)
