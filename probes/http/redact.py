"""Redaction of request/response transcripts before they become evidence.

Secrets never enter evidence (design.md, Safety): cookie values, Authorization and token headers,
credentials in request bodies, tokens in URLs and JSON bodies are replaced by a marker; personal
information in bodies is masked (pii.mask_text).
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from assess.probes.http import pii

MARK = "[redacted]"
SECRET_HEADERS = {"authorization", "proxy-authorization", "cookie", "x-api-key", "x-auth-token", "x-csrf-token",
                  "x-xsrf-token", "api-key", "token", "access-token", "x-access-token"}
_SECRET_NAME = re.compile(r"(pass(word|wd)?|pwd|secret|token|session|sess|sid|jwt|auth|credential|api[_-]?key|"
                          r"ticket|csrf|xsrf|otp|captcha|signature|sign)", re.I)
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}")
_JSON_SECRET = re.compile(r'("(?:[^"\\]*?)(?:pass(?:word|wd)?|pwd|secret|token|session|jwt|api[_-]?key|ticket|'
                          r'credential)(?:[^"\\]*?)"\s*:\s*)("(?:[^"\\]|\\.)*"|[0-9]+)', re.I)


def secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))


def set_cookie(value: str) -> str:
    """`SESSION=abc; Path=/; Secure` → `SESSION=[redacted]; Path=/; Secure` (attributes kept)."""
    name, sep, rest = value.partition("=")
    if not sep:
        return value
    _val, semi, attrs = rest.partition(";")
    return f"{name}={MARK}{semi}{attrs}"


def header(name: str, value: str) -> str:
    low = name.lower()
    if low in SECRET_HEADERS or (low.startswith("x-") and secret_name(low) and "policy" not in low
                                 and "options" not in low):
        return MARK
    if low == "set-cookie":
        return set_cookie(value)
    if low in ("location", "content-location"):
        return url(value)
    if low in ("refresh", "link"):
        return text(value)
    return value


def url(value: str) -> str:
    """Query parameters whose name looks secret lose their value; tokens in the path are masked."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return text(value)
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if pairs:
            query = urlencode([(k, MARK if secret_name(k) else pii.mask_text(v)) for k, v in pairs], safe="[]")
    return urlunsplit((parts.scheme, parts.netloc, _JWT.sub(MARK, parts.path), query, ""))


def text(body: str) -> str:
    """Tokens (JWT, bearer), secret-named JSON values and personal information in free text."""
    body = _JWT.sub(MARK, body)
    body = _BEARER.sub(lambda m: f"{m.group(1)} {MARK}", body)
    body = _JSON_SECRET.sub(lambda m: f'{m.group(1)}"{MARK}"', body)
    return pii.mask_text(body)


def request_body(body: str, content_type: str, secret_fields: set[str]) -> str:
    """A login request body with the password (and any secret-named field) replaced."""
    def hide(k: str) -> bool:
        return k in secret_fields or secret_name(k)

    if "json" in content_type:
        try:
            data = json.loads(body)
        except ValueError:
            return text(body)
        if isinstance(data, dict):
            return json.dumps({k: MARK if hide(k) else v for k, v in data.items()}, ensure_ascii=False)
        return text(body)
    pairs = parse_qsl(body, keep_blank_values=True)
    if pairs:
        return urlencode([(k, MARK if hide(k) else v) for k, v in pairs], safe="[]")
    return text(body)
