"""Personal information in response bodies (8.1.4.11): unmasked mainland mobile numbers, resident
identity numbers (GB 11643 check digit and a plausible birth date), bank card numbers (Luhn, known
issuer prefixes) and e-mail addresses.

A value counts only as a whole token: bounded by characters that are not ASCII letters, digits or `_`,
not one hyphen-joined group of a hex id or UUID (`…-8a3f-c13912345678`), not a piece of a base64 run.
JSON bodies are read as JSON: every key and string value is scanned (escapes decoded), a number counts
only under a field whose name says what it holds (`"mobile": 13812345678`), and card-shaped strings under
fields that name opaque identifiers (`requestId`, `traceId`, `orderNo`) are not cards.

Only counts and masked samples leave this module; the raw matches never reach the evidence.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass, field

KINDS = ("phone", "id_number", "bank_card", "email")

# Candidates bounded by digits only; whole-token rules (_embedded) are applied after matching.
_PHONE = re.compile(r"(?<![0-9])(?:\+?86[- ]?)?(1[3-9][0-9]{9})(?![0-9])")
_ID = re.compile(r"(?<![0-9])([1-8][0-9]{16}[0-9Xx])(?![0-9])")
_CARD = re.compile(r"(?<![0-9])([0-9]{16,19})(?![0-9])")
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24})"
                    r"(?![A-Za-z0-9-])")
_WORD = frozenset(string.ascii_letters + string.digits + "_")
_HEX_RUN = frozenset(string.hexdigits + "-")
_BASE64 = frozenset(string.ascii_letters + string.digits + "+/=")
_FILE_TLDS = frozenset({"png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "bmp", "css", "js", "map", "woff",
                        "woff2", "ttf", "html", "json"})
# GB/T 2260 province-level codes (the first two digits of a resident identity number).
_PROVINCES = frozenset({11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50,
                        51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83})
_KEY_KIND = (("phone", re.compile(r"phone|mobile|tel|手机|电话|联系方式", re.I)),
             ("id_number", re.compile(r"id_?card|id_?no|id_?num|identity|cert_?no|身份证|证件", re.I)),
             ("bank_card", re.compile(r"card|bank|acct|account|卡号", re.I)),
             ("email", re.compile(r"mail|邮箱", re.I)))
_OPAQUE_KEY = re.compile(r"trace|request|span|order|trade|txn|transaction|serial|seq|nonce|uuid|guid|hash|sign|"
                         r"checksum|timestamp|time|version|^id$|_id$|Id$|ID$", re.I)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# UnionPay 62, Visa 4, Mastercard 51-55 / 2221-2720, Amex 34/37, JCB 35, Discover 6011/65.
_CARD_PREFIX = re.compile(r"^(?:62|4|5[1-5]|2[2-7]|3[47]|35|6011|65)")
MAX_SAMPLES = 3


def id_check_digit(first17: str) -> str:
    """The GB 11643-1999 check character for the first 17 digits of a resident identity number."""
    total = sum(int(d) * w for d, w in zip(first17[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def is_id_number(text: str) -> bool:
    """18 characters, a province code, a valid check character and a real birth date between 1900 and today."""
    if len(text) != 18 or not text[:17].isdigit() or int(text[:2]) not in _PROVINCES:
        return False
    if id_check_digit(text[:17]) != text[17].upper():
        return False
    try:
        born = _dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return False
    return _dt.date(1900, 1, 1) <= born <= _dt.date.today()


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def is_bank_card(digits: str) -> bool:
    return (16 <= len(digits) <= 19 and bool(_CARD_PREFIX.match(digits)) and len(set(digits)) > 2
            and luhn_ok(digits))


def mask(kind: str, value: str) -> str:
    """The display form GB/T 35273 §7.2 expects: 138****1234, 110101********1234, 6222****1234, a***@x.cn."""
    if kind == "phone":
        return value[:3] + "****" + value[-4:]
    if kind == "id_number":
        return value[:6] + "*" * 8 + value[-4:]
    if kind == "bank_card":
        return value[:4] + "*" * (len(value) - 8) + value[-4:]
    if kind == "email":
        local, _, domain = value.partition("@")
        return local[:1] + "***@" + domain
    return "*" * len(value)


@dataclass
class Findings:
    """Unmasked PI found in one or more bodies: counts per kind and a few masked samples."""

    counts: dict[str, int] = field(default_factory=lambda: {k: 0 for k in KINDS})
    samples: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in KINDS})

    def add(self, kind: str, value: str) -> None:
        self.counts[kind] += 1
        shown = mask(kind, value)
        if len(self.samples[kind]) < MAX_SAMPLES and shown not in self.samples[kind]:
            self.samples[kind].append(shown)

    def merge(self, other: Findings) -> None:
        for kind in KINDS:
            self.counts[kind] += other.counts[kind]
            for s in other.samples[kind]:
                if len(self.samples[kind]) < MAX_SAMPLES and s not in self.samples[kind]:
                    self.samples[kind].append(s)

    @property
    def kinds(self) -> list[str]:
        return [k for k in KINDS if self.counts[k]]


def _embedded(text: str, a: int, b: int) -> bool:
    """Whether text[a:b] is part of a longer token: a letter, digit or `_` next to it, a hyphen joining
    it to a hex group (UUIDs, hex ids), or `+`/`/`/`=` joining it to a base64 run."""
    before, after = text[a - 1:a], text[b:b + 1]
    if before in _WORD or after in _WORD:
        return True
    lo, hi = a, b
    while lo > 0 and text[lo - 1] in _HEX_RUN:
        lo -= 1
    while hi < len(text) and text[hi] in _HEX_RUN:
        hi += 1
    if (lo, hi) != (a, b) and any(c in "abcdefABCDEF" for c in text[lo:a] + text[b:hi]):
        return True
    if before and before in "+/=" or after and after in "+/=":
        lo, hi = a, b
        while lo > 0 and text[lo - 1] in _BASE64:
            lo -= 1
        while hi < len(text) and text[hi] in _BASE64:
            hi += 1
        pieces = re.split(r"[+/=]+", text[lo:a] + " " + text[b:hi])
        return any(len(p) >= 12 and not p.isdigit() and not p.isalpha() and p != p.lower() for p in pieces)
    return False


def _spans(text: str, strict: bool = True, key: str = "") -> tuple[list[tuple[str, str, int, int]], Findings]:
    """PI values in `text`: whole tokens only when `strict`; digit-bounded candidates otherwise (redaction
    masks at least what the scan can count). `key` is the JSON field the text is the value of."""
    found = Findings()
    spans: list[tuple[str, str, int, int]] = []
    taken: list[tuple[int, int]] = []
    opaque = bool(key) and bool(_OPAQUE_KEY.search(key)) and not _KEY_KIND[2][1].search(key)

    def free(a: int, b: int) -> bool:
        return all(b <= x or a >= y for x, y in taken)

    def whole(m: re.Match[str]) -> bool:
        return not strict or not _embedded(text, m.start(), m.end())

    for m in _ID.finditer(text):
        if is_id_number(m.group(1)) and whole(m):
            spans.append(("id_number", m.group(1), m.start(1), m.end(1)))
            taken.append((m.start(1), m.end(1)))
    for m in _CARD.finditer(text):
        if free(m.start(1), m.end(1)) and is_bank_card(m.group(1)) and whole(m) and not (strict and opaque):
            spans.append(("bank_card", m.group(1), m.start(1), m.end(1)))
            taken.append((m.start(1), m.end(1)))
    for m in _PHONE.finditer(text):
        if free(m.start(1), m.end(1)) and whole(m):
            spans.append(("phone", m.group(1), m.start(1), m.end(1)))
            taken.append((m.start(1), m.end(1)))
    for m in _EMAIL.finditer(text):
        if free(m.start(1), m.end(1)) and not (strict and m.group(1).rsplit(".", 1)[1].lower() in _FILE_TLDS):
            spans.append(("email", m.group(1), m.start(1), m.end(1)))
            taken.append((m.start(1), m.end(1)))
    for kind, value, _a, _b in sorted(spans, key=lambda s: s[2]):
        found.add(kind, value)
    return spans, found


def _json_strings(node: object, key: str = "") -> Iterator[tuple[str, str, bool]]:
    """(field name, text, is a number) for every key, string and integer of a parsed JSON document."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield "", str(k), False
            yield from _json_strings(v, str(k))
    elif isinstance(node, list):
        for v in node:
            yield from _json_strings(v, key)
    elif isinstance(node, str):
        yield key, node, False
    elif isinstance(node, int) and not isinstance(node, bool):
        yield key, str(node), True


def _number_kinds(key: str) -> set[str]:
    return {kind for kind, rx in _KEY_KIND if rx.search(key)}


def scan(text: str) -> Findings:
    """Unmasked personal information in `text` (already masked values such as 138****1234 do not match);
    a JSON document is scanned value by value."""
    if text.lstrip()[:1] in ("{", "["):
        try:
            return _scan_json(json.loads(text))
        except (ValueError, RecursionError):  # not JSON, or nested too deep to walk: scan it as text
            pass
    return _spans(text)[1]


def _scan_json(doc: object) -> Findings:
    total = Findings()
    for key, value, number in _json_strings(doc):
        found = _spans(value, key=key)[1]
        if number:
            allowed = _number_kinds(key)
            for kind in KINDS:
                if kind not in allowed:
                    found.counts[kind], found.samples[kind] = 0, []
        total.merge(found)
    return total


def mask_text(text: str) -> str:
    """`text` with every PI-shaped value replaced by its masked form (for stored transcripts); masks
    digit-bounded candidates too, so nothing the scan counts can reach the evidence unmasked."""
    spans, _found = _spans(text, strict=False)
    out, pos = [], 0
    for kind, value, a, b in sorted(spans, key=lambda s: s[2]):
        out.append(text[pos:a])
        out.append(mask(kind, value))
        pos = b
    out.append(text[pos:])
    return "".join(out)
