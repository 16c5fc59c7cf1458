"""Personal information in response bodies (8.1.4.11): unmasked mainland mobile numbers, resident
identity numbers (GB 11643 check digit and a plausible birth date), bank card numbers (Luhn, known
issuer prefixes) and e-mail addresses.

Only counts and masked samples leave this module; the raw matches never reach the evidence.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field

KINDS = ("phone", "id_number", "bank_card", "email")

_PHONE = re.compile(r"(?<![0-9])(?:\+?86[- ]?)?(1[3-9][0-9]{9})(?![0-9])")
_ID = re.compile(r"(?<![0-9A-Za-z])([1-8][0-9]{16}[0-9Xx])(?![0-9A-Za-z])")
_CARD = re.compile(r"(?<![0-9])([0-9]{16,19})(?![0-9])")
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24})")
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
    """18 characters, a valid check character and a real birth date between 1900 and today."""
    if len(text) != 18 or not text[:17].isdigit():
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


def _spans(text: str) -> tuple[list[tuple[str, str, int, int]], Findings]:
    found = Findings()
    spans: list[tuple[str, str, int, int]] = []
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= x or a >= y for x, y in taken)

    for m in _ID.finditer(text):
        if is_id_number(m.group(1)):
            spans.append(("id_number", m.group(1), m.start(1), m.end(1)))
            taken.append((m.start(1), m.end(1)))
    for m in _CARD.finditer(text):
        if free(m.start(1), m.end(1)) and is_bank_card(m.group(1)):
            spans.append(("bank_card", m.group(1), m.start(1), m.end(1)))
            taken.append((m.start(1), m.end(1)))
    for m in _PHONE.finditer(text):
        if free(m.start(1), m.end(1)):
            spans.append(("phone", m.group(1), m.start(1), m.end(1)))
            taken.append((m.start(1), m.end(1)))
    for m in _EMAIL.finditer(text):
        if free(m.start(1), m.end(1)):
            spans.append(("email", m.group(1), m.start(1), m.end(1)))
            taken.append((m.start(1), m.end(1)))
    for kind, value, _a, _b in sorted(spans, key=lambda s: s[2]):
        found.add(kind, value)
    return spans, found


def scan(text: str) -> Findings:
    """Unmasked personal information in `text` (already masked values such as 138****1234 do not match)."""
    return _spans(text)[1]


def mask_text(text: str) -> str:
    """`text` with every unmasked PI value replaced by its masked form (for stored transcripts)."""
    spans, _found = _spans(text)
    out, pos = [], 0
    for kind, value, a, b in sorted(spans, key=lambda s: s[2]):
        out.append(text[pos:a])
        out.append(mask(kind, value))
        pos = b
    out.append(text[pos:])
    return "".join(out)
