"""TLS facts of one https origin: protocols accepted, cipher suites, certificate, trust.

Protocol support and suite enumeration use raw ClientHellos (hello.py), so the result does not
depend on what the local OpenSSL is willing to speak; the certificate chain comes from the TLS <= 1.2
Certificate message or, for a TLS 1.3-only server, from an ssl-module handshake; trust is decided
by a verifying ssl-module handshake against the system store (plus the object's ca_file).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import ExtensionOID, NameOID

from assess.probes.http import ciphers, hello
from assess.probes.http.client import REQUEST_DEADLINE, Watchdog
from assess.probes.http.grade import KeyInfo

VERSIONS = (hello.TLS13, hello.TLS12, hello.TLS11, hello.TLS10, hello.SSL3)
MAX_ENUM = 64


@dataclass
class OriginTLS:
    """Everything the TLS probe learnt about one host:port."""

    origin: str
    host: str
    port: int
    protocols: dict[str, bool] = field(default_factory=dict)
    suites: list[ciphers.Suite] = field(default_factory=list)
    enumerated_on: str = ""
    secure_renegotiation: bool | None = None
    ephemeral: list[KeyInfo] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    chain: list[bytes] = field(default_factory=list)
    trust_error: str = ""
    transcripts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def offered(self) -> list[str]:
        return [name for name, ok in self.protocols.items() if ok]


def _record(out: OriginTLS, version: int, offered: list[int], answer: hello.ServerHello) -> None:
    suite = ciphers.SUITES.get(answer.suite or -1)
    out.transcripts.append({
        "kind": "tls-client-hello", "target": f"{out.host}:{out.port}",
        "offered_version": hello.VERSION_NAMES[version], "offered_suites": len(offered),
        "answer": answer.describe() + (f" {suite.name}" if suite and answer.accepted else "")
                  + (" (HelloRetryRequest)" if answer.retry_request else ""),
    })


def probe_origin(host: str, port: int, origin: str, *, pace: Callable[[], None], timeout: float,
                 ca_file: str | None = None) -> OriginTLS:
    """Protocols, suites, chain and trust of host:port. Raises hello.HandshakeError when unreachable."""
    out = OriginTLS(origin, host, port)
    kx = {s.id: s.kx for s in ciphers.SUITES.values()}
    for version in VERSIONS:
        offer = [s.id for s in (ciphers.TLS13 if version == hello.TLS13 else
                                ciphers.SSL3 if version == hello.SSL3 else ciphers.LEGACY)]
        pace()
        answer = hello.probe(host, port, version, offer, timeout=timeout, want_chain=version != hello.TLS13,
                             kx_of=kx)
        _record(out, version, offer, answer)
        ok = answer.accepted and answer.version == version
        out.protocols[hello.VERSION_NAMES[version]] = ok
        if ok and version != hello.TLS13 and not out.chain:
            out.chain = answer.chain
        if ok and version == hello.TLS12:
            out.secure_renegotiation = answer.secure_renegotiation
    legacy = next((v for v in (hello.TLS12, hello.TLS11, hello.TLS10, hello.SSL3)
                   if out.protocols.get(hello.VERSION_NAMES[v])), None)
    if legacy is not None:
        out.enumerated_on = hello.VERSION_NAMES[legacy]
        if out.secure_renegotiation is None and legacy != hello.SSL3:
            out.secure_renegotiation = False
        _enumerate(out, legacy, ciphers.SSL3 if legacy == hello.SSL3 else ciphers.LEGACY, kx, pace, timeout)
    if out.protocols.get("TLSv1.3"):
        _enumerate(out, hello.TLS13, ciphers.TLS13, kx, pace, timeout)
    if not out.chain and out.offered:
        pace()
        out.chain = _stdlib_chain(host, port, timeout)
    if out.offered:
        pace()
        out.trust_error = _verify(host, port, timeout, ca_file)
    return out


def _enumerate(out: OriginTLS, version: int, pool: list[ciphers.Suite], kx: dict[int, str],
               pace: Callable[[], None], timeout: float) -> None:
    """testssl.sh's method: offer all, note the pick, remove it, repeat until the server refuses."""
    remaining = [s.id for s in pool]
    for _ in range(MAX_ENUM):
        if not remaining:
            break
        pace()
        answer = hello.probe(out.host, out.port, version, remaining, timeout=timeout,
                             want_chain=version != hello.TLS13, kx_of=kx)
        _record(out, version, remaining, answer)
        if not answer.accepted or answer.suite not in remaining:
            break
        remaining.remove(answer.suite)
        suite = ciphers.SUITES[answer.suite]
        if suite not in out.suites:
            out.suites.append(suite)
        if answer.ephemeral:
            key = KeyInfo(answer.ephemeral[0], answer.ephemeral[1])
            if key not in out.ephemeral:
                out.ephemeral.append(key)
        if answer.group and answer.group not in out.groups:
            out.groups.append(answer.group)


def _stdlib_chain(host: str, port: int, timeout: float) -> list[bytes]:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw, _deadline(raw, timeout), \
                ctx.wrap_socket(raw, server_hostname=None if _is_ip(host) else host) as tls:
            getter = getattr(tls, "get_unverified_chain", None) or getattr(tls._sslobj, "get_unverified_chain", None)
            if getter is not None:
                chain = getter() or []
                return [c if isinstance(c, bytes) else c.public_bytes(ssl._ssl.ENCODING_DER) for c in chain]
            leaf = tls.getpeercert(binary_form=True)
            return [leaf] if leaf else []
    except (OSError, ssl.SSLError, AttributeError):
        return []


def _verify(host: str, port: int, timeout: float, ca_file: str | None) -> str:
    """'' when the chain verifies against the trust store; else OpenSSL's reason."""
    ctx = ssl.create_default_context(cafile=ca_file)
    ctx.check_hostname = False
    ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    try:
        ctx.set_ciphers("ALL:@SECLEVEL=0")
    except ssl.SSLError:
        pass
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw, _deadline(raw, timeout), \
                ctx.wrap_socket(raw, server_hostname=None if _is_ip(host) else host):
            return ""
    except ssl.SSLCertVerificationError as exc:
        return exc.verify_message or str(exc)
    except (OSError, ssl.SSLError) as exc:
        return f"verification handshake failed: {getattr(exc, 'reason', None) or exc}"


def _deadline(raw: socket.socket, timeout: float) -> Watchdog:
    """A handshake that trickles in byte by byte is cut after REQUEST_DEADLINE × timeout."""
    return Watchdog(lambda: raw, time.monotonic() + timeout * REQUEST_DEADLINE)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _key(cert: x509.Certificate) -> tuple[str, int]:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.curve.key_size
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "EdDSA", 253
    if isinstance(key, ed448.Ed448PublicKey):
        return "EdDSA", 456
    return type(key).__name__, 0


def _names(cert: x509.Certificate) -> tuple[list[str], list[str]]:
    try:
        san = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
    except x509.ExtensionNotFound:
        cns = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
        return [str(c) for c in cns], []
    return san.get_values_for_type(x509.DNSName), [str(i) for i in san.get_values_for_type(x509.IPAddress)]


def hostname_matches(host: str, dns: list[str], ips: list[str]) -> bool:
    if _is_ip(host):
        return ipaddress.ip_address(host) in {ipaddress.ip_address(i) for i in ips}
    host = host.lower().rstrip(".")
    for name in dns:
        name = name.lower().rstrip(".")
        if name == host:
            return True
        if name.startswith("*.") and "." in host and host.split(".", 1)[1] == name[2:]:
            return True
    return False


def _signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except Exception:  # any failure (wrong key type, bad signature) means "not signed by"
        return False
    return True


def certificate_facts(chain: list[bytes], host: str, trust_error: str, now: dt.datetime | None = None
                      ) -> dict[str, Any]:
    """The leaf certificate and its chain as plain data (no private material exists here)."""
    if not chain:
        return {"present": False}
    now = now or dt.datetime.now(dt.timezone.utc)
    certs = []
    for der in chain:
        try:
            certs.append(x509.load_der_x509_certificate(der))
        except ValueError:
            break
    if not certs:
        return {"present": False, "error": "the server's certificate cannot be parsed"}
    leaf = certs[0]
    key_type, key_bits = _key(leaf)
    dns, ips = _names(leaf)
    before, after = leaf.not_valid_before_utc, leaf.not_valid_after_utc
    self_signed = leaf.issuer == leaf.subject and _signed_by(leaf, leaf)
    sig_hash = leaf.signature_hash_algorithm.name if leaf.signature_hash_algorithm else ""
    try:
        sig_name = leaf.signature_algorithm_oid._name  # e.g. sha256WithRSAEncryption
    except AttributeError:
        sig_name = leaf.signature_algorithm_oid.dotted_string
    chain_info = [{"subject": c.subject.rfc4514_string(), "issuer": c.issuer.rfc4514_string(),
                   "not_after": c.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
                   "sha256": c.fingerprint(hashes.SHA256()).hex()} for c in certs]
    ordered = all(_signed_by(certs[i], certs[i + 1]) for i in range(len(certs) - 1))
    problems = []
    if now > after:
        problems.append("certificate expired")
    if now < before:
        problems.append("certificate not yet valid")
    if self_signed:
        problems.append("self-signed certificate")
    elif trust_error:
        problems.append(f"chain not trusted: {trust_error}")
    spki = leaf.public_key().public_bytes(serialization.Encoding.DER,
                                          serialization.PublicFormat.SubjectPublicKeyInfo)
    return {
        "present": True, "subject": leaf.subject.rfc4514_string(), "issuer": leaf.issuer.rfc4514_string(),
        "serial": format(leaf.serial_number, "x"), "dns_names": dns, "ip_addresses": ips,
        "not_before": before.strftime("%Y-%m-%dT%H:%M:%SZ"), "not_after": after.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "days_to_expiry": (after - now).days, "lifespan_days": (after - before).days,
        "expired": now > after, "key_type": key_type, "key_bits": key_bits,
        "signature_algorithm": sig_name, "signature_hash": sig_hash, "self_signed": self_signed,
        "trusted": not trust_error and not self_signed, "trust_error": trust_error,
        "hostname_match": hostname_matches(host, dns, ips), "chain_length": len(certs), "chain_ordered": ordered,
        "chain": chain_info, "sha256": leaf.fingerprint(hashes.SHA256()).hex(),
        "spki_sha256": hashlib.sha256(spki).hexdigest(), "problems": problems,
    }
