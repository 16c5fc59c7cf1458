"""Security-header scoring following the MDN HTTP Observatory (app-tls-evidence.md §3).

Ten tests (CSP, cookies, CORS, redirection, Referrer-Policy, HSTS, SRI, X-Content-Type-Options,
X-Frame-Options, CORP) each give a modifier; the score starts at 100, bonuses count only when the
penalties alone leave at least 90, and the grade is a lookup of the score rounded down to 5.
HSTS preload-list lookups are not made (no network beyond the inventory), so "preloaded" never applies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

ALGORITHM = "mdn-observatory-2024"
SIX_MONTHS = 15552000
GRADES = ((100, "A+"), (90, "A"), (85, "A-"), (80, "B+"), (70, "B"), (65, "B-"), (60, "C+"), (50, "C"),
          (45, "C-"), (40, "D+"), (30, "D"), (25, "D-"))
_BROAD = {"ftp:", "http:", "https:", "*", "http://*", "http://*.*", "https://*", "https://*.*"}
_INLINE = {"'unsafe-inline'", "data:"}
_NONCE = ("'sha256-", "'sha384-", "'sha512-", "'nonce-")
_REF_GOOD = ("no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin")
_REF_BAD = ("origin", "origin-when-cross-origin", "unsafe-url", "no-referrer-when-downgrade")


@dataclass
class Page:
    """What the Observatory looks at for one entry point."""

    url: str
    headers: list[tuple[str, str]]
    body: str = ""
    cookies: list[dict[str, Any]] = field(default_factory=list)
    cors_origin_sent: str = ""
    cors_headers: list[tuple[str, str]] = field(default_factory=list)
    redirect: str = "no-http"  # to-https | no-http | missing | not-to-https | initial-not-https | off-host
    certificate_valid: bool = True

    def get(self, name: str) -> list[str]:
        low = name.lower()
        return [v for k, v in self.headers if k.lower() == low]


def grade_for(score: int) -> str:
    score = max(score, 0)
    bucket = min(score - score % 5, 100)
    return next((g for limit, g in GRADES if bucket >= limit), "F")


def parse_csp(values: list[str]) -> dict[str, set[str]]:
    """Directives of the policies in the header(s); raises ValueError on an unparsable policy."""
    out: dict[str, set[str]] = {}
    for value in values:
        for policy in value.split(","):
            for part in policy.split(";"):
                tokens = part.strip().split()
                if not tokens:
                    continue
                name = tokens[0].lower()
                if not re.fullmatch(r"[a-z-]+", name):
                    raise ValueError(f"invalid CSP directive {tokens[0]!r}")
                sources = {t if t.lower().startswith(_NONCE) else t.lower() for t in tokens[1:]}
                out.setdefault(name, set()).update(sources)
    return out


def csp_test(page: Page) -> tuple[str, int]:
    values = page.get("Content-Security-Policy")
    if not values:
        if page.get("Content-Security-Policy-Report-Only"):
            return "csp-not-implemented-but-reporting-enabled", -25
        return "csp-not-implemented", -25
    try:
        csp = parse_csp(values)
    except ValueError:
        return "csp-header-invalid", -25
    if not csp:
        return "csp-not-implemented", -25
    default = csp.get("default-src")
    script = set(csp.get("script-src") or default or {"*"})
    style = set(csp.get("style-src") or default or {"*"})
    objects = csp.get("object-src") or default or {"*"}
    for src in (script, style):
        if any(s.startswith(_NONCE) for s in src):
            src.discard("'unsafe-inline'")
    if any(s.startswith(_NONCE) for s in script) and "'strict-dynamic'" in script:
        script = {s for s in script if not any(s.startswith(b) for b in _BROAD) and s not in
                  ("'self'", "'unsafe-inline'")}
    https = urlsplit(page.url).scheme == "https"
    active = [s for d, v in csp.items() if d not in ("img-src", "media-src", "script-src") for s in v] + list(script)
    passive = [s for d in ("img-src", "media-src") for s in (csp.get(d) or default or set())]
    if script & (_BROAD | _INLINE) or objects & _BROAD:
        return "csp-implemented-with-unsafe-inline", -20
    if https and any(s.startswith(("http:", "ftp:")) for s in active):
        return "csp-implemented-with-insecure-scheme", -20
    if "'unsafe-eval'" in script | style:
        return "csp-implemented-with-unsafe-eval", -10
    if https and any(s.startswith(("http:", "ftp:")) for s in passive):
        return "csp-implemented-with-insecure-scheme-in-passive-content-only", -10
    if style & (_BROAD | _INLINE):
        return "csp-implemented-with-unsafe-inline-in-style-src-only", 0
    form = csp.get("form-action", set())
    if default == {"'none'"} and form and form <= {"'none'", "'self'"}:
        return "csp-implemented-with-no-unsafe-default-src-none", 10
    return "csp-implemented-with-no-unsafe", 5


def hsts_max_age(values: list[str]) -> int | None | str:
    """max-age of the first header; 'invalid' when unparsable; None when absent."""
    if not values:
        return None
    value = values[0][:1024]
    if "," in value:
        return "invalid"
    for part in value.split(";"):
        part = part.strip().lower()
        if part.startswith("max-age="):
            try:
                return int(part[8:].strip().strip('"'))
            except ValueError:
                return "invalid"
    return "invalid"


def hsts_test(page: Page) -> tuple[str, int]:
    if urlsplit(page.url).scheme != "https":
        return "hsts-not-implemented-no-https", -20
    if not page.certificate_valid:
        return "hsts-invalid-cert", -20
    age = hsts_max_age(page.get("Strict-Transport-Security"))
    if age is None:
        return "hsts-not-implemented", -20
    if age == "invalid":
        return "hsts-header-invalid", -20
    if isinstance(age, int) and age < SIX_MONTHS:
        return "hsts-implemented-max-age-less-than-six-months", -10
    return "hsts-implemented-max-age-at-least-six-months", 0


def cookies_test(page: Page, hsts_ok: bool) -> tuple[str, int]:
    order = ["cookies-without-secure-flag-but-protected-by-hsts", "cookies-without-secure-flag",
             "cookies-session-without-secure-flag-but-protected-by-hsts", "cookies-samesite-flag-invalid",
             "cookies-anticsrf-without-samesite-flag", "cookies-session-without-httponly-flag",
             "cookies-session-without-secure-flag"]
    mods = {order[0]: -5, order[1]: -20, order[2]: -10, order[3]: -20, order[4]: -20, order[5]: -30, order[6]: -40}
    if not page.cookies:
        return "cookies-not-found", 0
    result = None

    def worse(r: str) -> None:
        nonlocal result
        if result is None or order.index(r) > order.index(result):
            result = r

    missing_samesite = False
    for c in page.cookies:
        name = c["name"].lower()
        session = "login" in name or "sess" in name
        samesite = c.get("samesite")
        if samesite is not None and samesite.lower() not in ("lax", "strict", "none"):
            worse(order[3])
        if samesite and samesite.lower() == "none" and not c["secure"]:
            worse(order[3])
        if not c["secure"]:
            worse(order[0] if hsts_ok else order[1])
        if "csrf" in name and not samesite:
            worse(order[4])
        if session and not c["secure"]:
            worse(order[2] if hsts_ok else order[6])
        if session and not c["httponly"]:
            worse(order[5])
        missing_samesite = missing_samesite or not samesite
    if result:
        return result, mods[result]
    if missing_samesite:
        return "cookies-secure-with-httponly-sessions", 0
    return "cookies-secure-with-httponly-sessions-and-samesite", 5


def cors_test(page: Page) -> tuple[str, int]:
    acao = [v for k, v in page.cors_headers if k.lower() == "access-control-allow-origin"]
    if not acao:
        return "cross-origin-resource-sharing-not-implemented", 0
    value = acao[0][:256].strip().lower()
    creds = [v for k, v in page.cors_headers if k.lower() == "access-control-allow-credentials"]
    if value == "*":
        return "cross-origin-resource-sharing-implemented-with-public-access", 0
    if page.cors_origin_sent and acao[0].strip() == page.cors_origin_sent and creds and \
            creds[0].strip().lower() == "true":
        return "cross-origin-resource-sharing-implemented-with-universal-access", -50
    return "cross-origin-resource-sharing-implemented-with-restricted-access", 0


def redirection_test(page: Page) -> tuple[str, int]:
    return {"to-https": ("redirection-to-https", 0), "no-http": ("redirection-not-needed-no-http", 0),
            "off-host": ("redirection-off-host-from-http", -5),
            "initial-not-https": ("redirection-not-to-https-on-initial-redirection", -10),
            "not-to-https": ("redirection-not-to-https", -20), "missing": ("redirection-missing", -20),
            "invalid-cert": ("redirection-invalid-cert", -20)}[page.redirect]


def referrer_test(page: Page) -> tuple[str, int]:
    values = page.get("Referrer-Policy") + _meta(page.body, "referrer")
    if not values:
        return "referrer-policy-not-implemented", 0
    valid = [v.strip().lower() for v in ",".join(values).split(",") if v.strip().lower() in _REF_GOOD + _REF_BAD]
    policy = valid[-1] if valid else ""
    if policy in _REF_GOOD:
        return "referrer-policy-private", 5
    if policy in _REF_BAD:
        return "referrer-policy-unsafe", -5
    return "referrer-policy-header-invalid", -5


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.metas: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts.append(dict(attrs))
        elif tag == "meta":
            self.metas.append(dict(attrs))


def _parse_html(body: str) -> _Scripts:
    parser = _Scripts()
    parser.feed(body[:512 * 1024])
    parser.close()
    return parser


def _meta(body: str, name: str) -> list[str]:
    if not body or "<meta" not in body.lower():
        return []
    return [m.get("content") or "" for m in _parse_html(body).metas if (m.get("name") or "").lower() == name]


def _is_html(page: Page) -> bool:
    ctype = (page.get("Content-Type") or [""])[0].split(";")[0].strip().lower()
    return ctype in ("text/html", "application/xhtml+xml", "")


def sri_test(page: Page) -> tuple[str, int]:
    if not _is_html(page):
        return "sri-not-implemented-response-not-html", 0
    scripts = _parse_html(page.body).scripts
    if not scripts:
        return "sri-not-implemented-but-no-scripts-loaded", 0
    host = urlsplit(page.url).hostname or ""
    https = urlsplit(page.url).scheme == "https"
    order = ["sri-implemented-and-all-scripts-loaded-securely", "sri-implemented-and-external-scripts-loaded-securely",
             "sri-implemented-but-external-scripts-not-loaded-securely",
             "sri-not-implemented-but-external-scripts-loaded-securely",
             "sri-not-implemented-and-external-scripts-not-loaded-securely"]
    mods = {order[0]: 5, order[1]: 5, order[2]: -20, order[3]: -5, order[4]: -50}
    result = None
    foreign = False
    for s in scripts:
        src = s.get("src")
        if not src:
            continue
        integrity = s.get("integrity")
        relative_proto = src.startswith("//")
        absolute = bool(re.match(r"^https?://", src))
        relative = not relative_proto and not absolute
        same = relative or (absolute and _site(urlsplit(src).hostname or "") == _site(host))
        secure_scheme = (absolute and src.startswith("https://")) or (relative and https)
        if relative or (same and not relative_proto):
            if integrity and secure_scheme and result is None:
                result = order[0]
            continue
        foreign = True
        new = (order[2] if integrity and not secure_scheme else order[3] if not integrity and secure_scheme
               else order[4] if not integrity else None)
        if new and (result is None or order.index(new) > order.index(result)):
            result = new
    if result is None:
        return (order[1], 5) if foreign else ("sri-not-implemented-but-all-scripts-loaded-from-secure-origin", 0)
    return result, mods[result]


def _site(host: str) -> str:
    parts = host.split(".")
    return ".".join(parts[-2:]) if len(parts) >= 2 else host


def xcto_test(page: Page) -> tuple[str, int]:
    values = page.get("X-Content-Type-Options")
    if not values:
        return "x-content-type-options-not-implemented", -5
    if values[0].strip().lower() == "nosniff":
        return "x-content-type-options-nosniff", 0
    return "x-content-type-options-header-invalid", -5


def xfo_test(page: Page) -> tuple[str, int]:
    try:
        csp = parse_csp(page.get("Content-Security-Policy"))
    except ValueError:
        csp = {}
    if "frame-ancestors" in csp:
        return "x-frame-options-implemented-via-csp", 5
    values = page.get("X-Frame-Options")
    if not values:
        return "x-frame-options-not-implemented", -20
    xfo = values[0][:1024].strip().lower()
    if xfo in ("deny", "sameorigin"):
        return "x-frame-options-sameorigin-or-deny", 0
    if xfo.startswith("allow-from"):
        return "x-frame-options-allow-from-origin", 0
    return "x-frame-options-header-invalid", -20


def corp_test(page: Page) -> tuple[str, int]:
    values = page.get("Cross-Origin-Resource-Policy")
    if not values:
        return "cross-origin-resource-policy-not-implemented", 0
    value = values[0].strip().lower()
    if value == "same-origin":
        return "cross-origin-resource-policy-implemented-with-same-origin", 10
    if value == "same-site":
        return "cross-origin-resource-policy-implemented-with-same-site", 10
    if value == "cross-origin":
        return "cross-origin-resource-policy-implemented-with-cross-origin", 0
    return "cross-origin-resource-policy-header-invalid", -5


def score(page: Page) -> dict[str, Any]:
    """Score one entry point: {score, grade, tests: {name: {result, modifier}}, algorithm}."""
    hsts = hsts_test(page)
    tests = {
        "content-security-policy": csp_test(page),
        "cookies": cookies_test(page, hsts[1] == 0 and hsts[0].startswith("hsts-implemented")),
        "cross-origin-resource-sharing": cors_test(page),
        "redirection": redirection_test(page),
        "referrer-policy": referrer_test(page),
        "strict-transport-security": hsts,
        "subresource-integrity": sri_test(page),
        "x-content-type-options": xcto_test(page),
        "x-frame-options": xfo_test(page),
        "cross-origin-resource-policy": corp_test(page),
    }
    with_bonus = 100 + sum(m for _r, m in tests.values())
    penalties_only = 100 + sum(m for _r, m in tests.values() if m < 0)
    final = max(0, with_bonus if penalties_only >= 90 else penalties_only)
    return {"url": page.url, "score": final, "grade": grade_for(final), "algorithm": ALGORITHM,
            "tests": {name: {"result": r, "modifier": m} for name, (r, m) in tests.items()},
            "failed": [name for name, (_r, m) in tests.items() if m < 0]}
