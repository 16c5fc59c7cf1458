"""TLS grading: the SSL Labs rating guide as testssl.sh implements it, and Mozilla "intermediate"
conformance (app-tls-evidence.md §2.2, §2.3). Pure functions over the facts the TLS probe gathered.

Differences from testssl.sh, on purpose or by necessity:
- SSL Labs withholds A+ without HSTS >= 180 days; testssl.sh does not. We follow SSL Labs (warning).
- Vulnerability caps we cannot see without attacking (Heartbleed, ROBOT, CCS, DROWN) are not applied.
- Cipher strength is graded on the suites enumerated for the best protocol <= TLS 1.2 plus TLS 1.3.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assess.probes.http.ciphers import MOZILLA_INTERMEDIATE_TLS12, MOZILLA_INTERMEDIATE_TLS13, Suite

PROTOCOL_SCORE = {"TLSv1.3": 100, "TLSv1.2": 100, "TLSv1.1": 95, "TLSv1.0": 90, "SSLv3": 80, "SSLv2": 0}
BANDS = ((80, "A"), (65, "B"), (50, "C"), (35, "D"), (20, "E"))
GRADE_ORDER = ("A+", "A", "A-", "B", "C", "D", "E", "F", "M", "T")
HSTS_MIN = 15552000  # 180 days, testssl.sh HSTS_MIN and SSL Labs' A+ condition
MOZILLA_PROFILE = "mozilla-intermediate-5.7"
MOZILLA_CURVES = {"X25519", "secp256r1", "secp384r1"}


@dataclass
class KeyInfo:
    """A public key the handshake used: the certificate's or an ephemeral one."""

    kind: str  # RSA | DSA | DH | EC | EdDSA | ECDH
    bits: int


@dataclass
class Rating:
    grade: str
    score: int
    protocol_score: int
    key_score: int
    cipher_score: int
    caps: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"grade": self.grade, "score": self.score, "protocol_score": self.protocol_score,
                "key_exchange_score": self.key_score, "cipher_strength_score": self.cipher_score,
                "caps": self.caps, "warnings": self.warnings}


def key_score(key: KeyInfo) -> int:
    """testssl.sh set_key_str_score: RSA/DSA/DH sizes against 512/1024/2048/4096, EC against 110/123/163/225."""
    if key.kind in ("EC", "ECDH", "EdDSA"):
        limits = ((110, 20), (123, 40), (163, 80), (225, 90))
    else:
        limits = ((512, 20), (1024, 40), (2048, 80), (4096, 90))
    for limit, score in limits:
        if key.bits < limit:
            return score
    return 100


def _cipher_score(bits: list[int]) -> int:
    best, worst = max(bits), min(bits)
    best_score = 100 if best >= 256 else 80 if best >= 128 else 20
    worst_score = 20 if worst < 128 else 80 if worst < 256 else 100
    return (best_score + worst_score) // 2


def worse(a: str, b: str) -> str:
    """The worse of two letter grades (T and M are worse than F: trust problems dominate)."""
    return a if GRADE_ORDER.index(a) >= GRADE_ORDER.index(b) else b


def grade_ok(grade: str, minimum: str) -> bool:
    """True when `grade` is `minimum` or better (A+ > A > A- > B … ; F, M, T never pass B)."""
    order = ("A+", "A", "A-", "B", "C", "D", "E", "F")
    if grade not in order:
        return False
    return order.index(grade) <= order.index(minimum if minimum in order else "F")


def rate(protocols: list[str], suites: list[Suite], keys: list[KeyInfo], *, trust_problems: list[str],
         hostname_ok: bool, cert_signature_hash: str, secure_renegotiation: bool | None,
         hsts_max_age: int | None) -> Rating:
    """The letter grade of one TLS endpoint."""
    caps: list[tuple[str, str]] = []
    warnings: list[str] = []
    if not protocols or not suites:
        return Rating("F", 0, 0, 0, 0, ["no usable protocol or cipher suite"])
    if "SSLv2" in protocols:
        caps.append(("F", "SSLv2 offered"))
    if max(protocols, key=lambda p: PROTOCOL_SCORE[p]) == "SSLv3":
        caps.append(("F", "SSLv3 is the best protocol"))
    if any("export" in s.problems for s in suites):
        caps.append(("F", "export cipher suites offered"))
    if any(s.bits < 112 for s in suites):
        caps.append(("F", "cipher suite weaker than 112 bits offered"))
    if cert_signature_hash in ("md5", "md2"):
        caps.append(("F", f"certificate signed with {cert_signature_hash.upper()}"))
    for problem in trust_problems:
        caps.append(("T", problem))
    if cert_signature_hash == "sha1":
        caps.append(("T", "certificate signed with SHA-1"))
    if not hostname_ok:
        caps.append(("M", "certificate does not match the host name"))
    if "TLSv1.2" not in protocols:
        caps.append(("C", "TLS 1.2 not offered"))
    if "TLSv1.1" in protocols and any(s.cipher == "RC4" for s in suites):
        caps.append(("C", "RC4 with TLS 1.1"))
    if "TLSv1.1" in protocols and any(s.cipher == "3DES" for s in suites):
        caps.append(("C", "64-bit block cipher (SWEET32) with TLS 1.1"))
    for proto in ("SSLv3", "TLSv1.0", "TLSv1.1"):
        if proto in protocols:
            caps.append(("B", f"{proto} offered"))
    if not any(s.aead for s in suites):
        caps.append(("B", "no AEAD cipher suite"))
    if not any(s.forward_secret for s in suites):
        caps.append(("B", "no forward secrecy"))
    if any(s.cipher == "RC4" for s in suites):
        caps.append(("B", "RC4 offered"))
    kscore = min((key_score(k) for k in keys), default=100)
    if kscore <= 40:
        caps.append(("F", "key exchange weaker than 1024-bit RSA / 123-bit EC"))
    elif kscore <= 80:
        caps.append(("B", "key exchange weaker than 2048-bit RSA / 163-bit EC"))
    if "TLSv1.3" not in protocols:
        warnings.append("TLS 1.3 not offered")
    if secure_renegotiation is False:
        warnings.append("secure renegotiation not supported")
    if hsts_max_age is None:
        warnings.append("no HSTS header")
    elif hsts_max_age < HSTS_MIN:
        warnings.append(f"HSTS max-age {hsts_max_age} < {HSTS_MIN}")

    scores = [PROTOCOL_SCORE[p] for p in protocols]
    pscore = (max(scores) + min(scores)) // 2
    cscore = _cipher_score([s.bits for s in suites])
    final = 0 if 0 in (pscore, kscore, cscore) else round(0.3 * pscore + 0.3 * kscore + 0.4 * cscore)
    letter = next((g for limit, g in BANDS if final >= limit), "F")
    for cap_grade in ("F", "T", "M"):
        hit = [r for g, r in caps if g == cap_grade]
        if hit:
            return Rating(cap_grade, final, pscore, kscore, cscore, [f"{g}: {r}" for g, r in caps], warnings)
    for g, _reason in caps:
        letter = worse(letter, g)
    if letter == "A" and not caps:
        letter = "A-" if warnings else "A+"
    return Rating(letter, final, pscore, kscore, cscore, [f"{g}: {r}" for g, r in caps], warnings)


def mozilla_intermediate(protocols: list[str], suites: list[Suite], cert: dict[str, Any],
                         ephemeral: list[KeyInfo], groups: list[str]) -> list[str]:
    """Deviations from Mozilla's intermediate profile (guidelines 5.7); empty means conformant."""
    out = []
    for proto in protocols:
        if proto not in ("TLSv1.2", "TLSv1.3"):
            out.append(f"protocol {proto} not in the profile")
    for s in suites:
        allowed = MOZILLA_INTERMEDIATE_TLS13 if s.tls13 else MOZILLA_INTERMEDIATE_TLS12
        if s.name not in allowed:
            out.append(f"cipher suite {s.name} not in the profile")
    key_type, key_bits = cert.get("key_type"), cert.get("key_bits") or 0
    if key_type == "RSA" and key_bits < 2048:
        out.append(f"RSA key {key_bits} bits < 2048")
    if key_type == "EC" and key_bits < 256:
        out.append(f"EC key {key_bits} bits < 256")
    sig = cert.get("signature_algorithm", "")
    if sig and sig not in ("sha256WithRSAEncryption", "ecdsa-with-SHA256", "ecdsa-with-SHA384",
                           "ecdsa-with-SHA512", "rsassaPss"):
        out.append(f"certificate signature {sig} not in the profile")
    lifespan = cert.get("lifespan_days")
    if isinstance(lifespan, int) and lifespan > 366:
        out.append(f"certificate lifespan {lifespan} days > 366")
    for k in ephemeral:
        if k.kind == "DH" and k.bits < 2048:
            out.append(f"DH parameters {k.bits} bits < 2048")
        if k.kind == "ECDH" and k.bits < 253:
            out.append(f"ECDH key {k.bits} bits < 256")
    for g in groups:
        if g not in MOZILLA_CURVES and not g.startswith("ffdhe"):
            out.append(f"key exchange group {g} not in the profile")
    return list(dict.fromkeys(out))
