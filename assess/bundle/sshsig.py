"""OpenSSH SSHSIG signatures (the format of `ssh-keygen -Y sign`) made and checked without ssh-keygen.

Signing takes the operator's key from a file (OpenSSH or PEM private key; ed25519, ECDSA P-256/384/521,
RSA signed as rsa-sha2-512) or from ssh-agent. The armored output is what
`ssh-keygen -Y verify -f allowed_signers -I SIGNER -n assess-bundle -s SIG < MESSAGE` accepts.

Verification checks the signature itself and, against an allowed_signers file (ssh-keygen(1) "ALLOWED
SIGNERS"), the principals, the key, the `namespaces=` option and the `valid-after=` / `valid-before=`
window. Certificate-authority lines and security-key (sk-) keys are not supported and never match.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from assess.errors import InputError

MAGIC = b"SSHSIG"
VERSION = 1
NAMESPACE = "assess-bundle"
BEGIN = "-----BEGIN SSH SIGNATURE-----"
END = "-----END SSH SIGNATURE-----"
PASSPHRASE_ENV = "ASSESS_SIGN_PASSPHRASE"
_CURVES = {"secp256r1": ("nistp256", hashes.SHA256), "secp384r1": ("nistp384", hashes.SHA384),
           "secp521r1": ("nistp521", hashes.SHA512)}
_EC_HASH = {f"ecdsa-sha2-{name}": h for name, h in _CURVES.values()}
_RSA_HASH = {"rsa-sha2-512": hashes.SHA512, "rsa-sha2-256": hashes.SHA256}
KEY_TYPES = ("ssh-ed25519", "ssh-rsa", *_EC_HASH)


class SignatureError(Exception):
    """A signature that does not verify, or is not one we accept; the message says why."""


# --- SSH wire format ---------------------------------------------------------------------------

def ssh_string(data: bytes | str) -> bytes:
    raw = data.encode() if isinstance(data, str) else data
    return struct.pack(">I", len(raw)) + raw


def ssh_mpint(value: int) -> bytes:
    raw = value.to_bytes((value.bit_length() + 8) // 8, "big") if value else b""
    return ssh_string(raw)


class _Reader:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise SignatureError("truncated signature data")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def uint32(self) -> int:
        return struct.unpack(">I", self.take(4))[0]

    def string(self) -> bytes:
        return self.take(self.uint32())

    def text(self) -> str:
        try:
            return self.string().decode()
        except UnicodeDecodeError:
            raise SignatureError("non-UTF-8 name in signature") from None

    def done(self) -> bool:
        return self.pos == len(self.data)


def fingerprint(public_blob: bytes) -> str:
    """`SHA256:...` as ssh-keygen -l prints it."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(public_blob).digest()).decode().rstrip("=")


def key_type(public_blob: bytes) -> str:
    return _Reader(public_blob).text()


def public_line(public_blob: bytes) -> str:
    """`<type> <base64>` as in a .pub file or an allowed_signers line."""
    return f"{key_type(public_blob)} {base64.b64encode(public_blob).decode()}"


# --- signing -----------------------------------------------------------------------------------

@dataclass
class Signer:
    """A key able to sign: its public blob and a function that returns an SSH signature blob."""

    public_blob: bytes
    sign_raw: Callable[[bytes], bytes]
    source: str

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_blob)

    @property
    def key_type(self) -> str:
        return key_type(self.public_blob)


def _public_blob(key) -> bytes:
    line = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return base64.b64decode(line.split()[1])


def signer_from_private_key(key, source: str) -> Signer:
    """Wrap a `cryptography` private key (ed25519, ECDSA, RSA) as a Signer."""
    blob = _public_blob(key)
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return Signer(blob, lambda data: ssh_string("ssh-ed25519") + ssh_string(key.sign(data)), source)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        if key.curve.name not in _CURVES:
            raise InputError(f"unsupported ECDSA curve {key.curve.name} (use P-256, P-384 or P-521)", source)
        name, hash_cls = _CURVES[key.curve.name]

        def sign_ec(data: bytes) -> bytes:
            r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hash_cls())))
            return ssh_string(f"ecdsa-sha2-{name}") + ssh_string(ssh_mpint(r) + ssh_mpint(s))

        return Signer(blob, sign_ec, source)
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < 2048:
            raise InputError(f"RSA key of {key.key_size} bits is too weak to sign evidence (use ≥ 2048)", source)
        return Signer(blob, lambda data: ssh_string("rsa-sha2-512") +
                      ssh_string(key.sign(data, padding.PKCS1v15(), hashes.SHA512())), source)
    raise InputError(f"unsupported key type {type(key).__name__} (use ed25519, ECDSA or RSA)", source)


def _parse_private(data: bytes, password: bytes | None):
    if b"BEGIN OPENSSH PRIVATE KEY" in data:
        return serialization.load_ssh_private_key(data, password)
    return serialization.load_pem_private_key(data, password)


def load_key_file(path: Path, passphrase: Callable[[], str | None] | None = None) -> Signer:
    """A signer from a private key file. An encrypted key takes its passphrase from $ASSESS_SIGN_PASSPHRASE,
    else from `passphrase()` (a prompt)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read signing key: {exc.strerror or exc}", str(path)) from None
    if data.lstrip().startswith((b"ssh-", b"ecdsa-")):
        raise InputError("this is a public key; give the private key, or use --sign-agent with the key loaded "
                         "in ssh-agent", str(path))
    env = os.environ.get(PASSPHRASE_ENV)
    try:
        try:
            key = _parse_private(data, None)
        except TypeError:  # encrypted: a passphrase is needed
            secret = env or (passphrase() if passphrase else None)
            if not secret:
                raise InputError(f"the key is encrypted: set {PASSPHRASE_ENV} or run in a terminal to be asked",
                                 str(path)) from None
            try:
                key = _parse_private(data, secret.encode())
            except ValueError:
                raise InputError("wrong passphrase for the key", str(path)) from None
    except ValueError as exc:
        raise InputError(f"not a usable private key ({exc})", str(path)) from None
    except UnsupportedAlgorithm as exc:
        raise InputError(f"unsupported key: {exc}", str(path)) from None
    return signer_from_private_key(key, str(path))


def agent_signer(select: Path | None = None) -> Signer:
    """A signer backed by ssh-agent ($SSH_AUTH_SOCK): its only key, or the one matching the .pub `select`."""
    import paramiko

    if not os.environ.get("SSH_AUTH_SOCK"):
        raise InputError("no ssh-agent: SSH_AUTH_SOCK is not set")
    try:
        agent = paramiko.Agent()
        keys = [k for k in agent.get_keys() if k.get_name() in KEY_TYPES]
    except (paramiko.SSHException, OSError) as exc:
        raise InputError(f"cannot talk to ssh-agent: {exc}") from None
    if select is not None:
        wanted = _read_public_key(select)
        keys = [k for k in keys if k.asbytes() == wanted]
        if not keys:
            raise InputError(f"ssh-agent holds no key matching {select} ({fingerprint(wanted)})")
    if not keys:
        raise InputError("ssh-agent holds no ed25519, ECDSA or RSA key (ssh-add one)")
    if len(keys) > 1:
        listed = ", ".join(f"{fingerprint(k.asbytes())} {k.comment}".strip() for k in keys)
        raise InputError(f"ssh-agent holds {len(keys)} keys ({listed}); name one with --sign KEY.pub")
    key = keys[0]
    algorithm = "rsa-sha2-512" if key.get_name() == "ssh-rsa" else None

    def sign_agent(data: bytes) -> bytes:
        try:
            return bytes(key.sign_ssh_data(data, algorithm))
        except (paramiko.SSHException, OSError) as exc:
            raise InputError(f"ssh-agent refused to sign: {exc}") from None

    return Signer(key.asbytes(), sign_agent, f"ssh-agent:{key.comment or fingerprint(key.asbytes())}")


def _read_public_key(path: Path) -> bytes:
    try:
        fields = Path(path).read_text(encoding="utf-8").split()
        return base64.b64decode(fields[1], validate=True)
    except (OSError, UnicodeDecodeError, IndexError, ValueError):
        raise InputError("not an OpenSSH public key file (type base64 [comment])", str(path)) from None


def signed_data(message: bytes, namespace: str, hash_alg: str = "sha512") -> bytes:
    digest = hashlib.new(hash_alg, message).digest()
    return MAGIC + ssh_string(namespace) + ssh_string(b"") + ssh_string(hash_alg) + ssh_string(digest)


def sign(message: bytes, signer: Signer, namespace: str = NAMESPACE) -> str:
    """The armored SSHSIG signature of `message` (hash sha512, as ssh-keygen makes by default)."""
    sig = signer.sign_raw(signed_data(message, namespace))
    blob = (MAGIC + struct.pack(">I", VERSION) + ssh_string(signer.public_blob) + ssh_string(namespace) +
            ssh_string(b"") + ssh_string("sha512") + ssh_string(sig))
    text = base64.b64encode(blob).decode()
    return "\n".join([BEGIN, *(text[i:i + 70] for i in range(0, len(text), 70)), END]) + "\n"


# --- verification ------------------------------------------------------------------------------

@dataclass(frozen=True)
class SshSig:
    public_blob: bytes
    namespace: str
    hash_alg: str
    signature: bytes

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_blob)


def parse(armored: str) -> SshSig:
    """Decode an armored SSHSIG; SignatureError when it is not one."""
    text = armored.strip()
    if not text.startswith(BEGIN) or not text.endswith(END):
        raise SignatureError("not an armored SSH signature")
    try:
        blob = base64.b64decode("".join(text[len(BEGIN):-len(END)].split()), validate=True)
    except ValueError:
        raise SignatureError("signature is not valid base64") from None
    r = _Reader(blob)
    if r.take(6) != MAGIC:
        raise SignatureError("bad SSHSIG magic")
    version = r.uint32()
    if version != VERSION:
        raise SignatureError(f"unsupported SSHSIG version {version}")
    public_blob, namespace = r.string(), r.text()
    r.string()  # reserved
    hash_alg, signature = r.text(), r.string()
    if not r.done():
        raise SignatureError("trailing data after the signature")
    return SshSig(public_blob, namespace, hash_alg, signature)


def verify(message: bytes, armored: str, namespace: str = NAMESPACE) -> SshSig:
    """Check the signature over `message` in `namespace`; return it (for the key) or raise SignatureError."""
    sig = parse(armored)
    if sig.namespace != namespace:
        raise SignatureError(f"signature namespace is '{sig.namespace}', expected '{namespace}'")
    if sig.hash_alg not in ("sha256", "sha512"):
        raise SignatureError(f"unsupported hash algorithm '{sig.hash_alg}'")
    ktype = key_type(sig.public_blob)
    if ktype not in KEY_TYPES:
        raise SignatureError(f"unsupported key type '{ktype}'")
    try:
        public = serialization.load_ssh_public_key(public_line(sig.public_blob).encode())
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise SignatureError(f"unreadable public key in signature: {exc}") from None
    r = _Reader(sig.signature)
    sig_type, raw = r.text(), r.string()
    data = signed_data(message, namespace, sig.hash_alg)
    try:
        if isinstance(public, ed25519.Ed25519PublicKey) and sig_type == "ssh-ed25519":
            public.verify(raw, data)
        elif isinstance(public, ec.EllipticCurvePublicKey) and sig_type == ktype:
            rr = _Reader(raw)
            r_int, s_int = int.from_bytes(rr.string(), "big"), int.from_bytes(rr.string(), "big")
            public.verify(encode_dss_signature(r_int, s_int), data, ec.ECDSA(_EC_HASH[sig_type]()))
        elif isinstance(public, rsa.RSAPublicKey) and sig_type in _RSA_HASH:
            public.verify(raw, data, padding.PKCS1v15(), _RSA_HASH[sig_type]())
        else:
            raise SignatureError(f"signature algorithm '{sig_type}' is not accepted for a {ktype} key")
    except InvalidSignature:
        raise SignatureError("signature does not match the signed file") from None
    return sig


# --- allowed_signers ---------------------------------------------------------------------------

@dataclass(frozen=True)
class AllowedSigner:
    principals: str
    public_blob: bytes
    namespaces: str | None
    valid_after: dt.datetime | None
    valid_before: dt.datetime | None
    cert_authority: bool
    line: int


def _tokens(line: str) -> list[str]:
    """Whitespace-separated fields; double quotes protect spaces (as in authorized_keys options)."""
    out, current, quoted = [], "", False
    for ch in line:
        if ch == '"':
            quoted = not quoted
            current += ch
        elif ch in " \t" and not quoted:
            if current:
                out.append(current)
                current = ""
        else:
            current += ch
    if current:
        out.append(current)
    return out


def _split_options(text: str) -> dict[str, str | None]:
    options: dict[str, str | None] = {}
    for part in re.findall(r'(?:[^,"]|"[^"]*")+', text):
        name, sep, value = part.partition("=")
        options[name.strip().lower()] = value.strip().strip('"') if sep else None
    return options


def _timestamp(value: str, path: str, number: int) -> dt.datetime:
    utc = value.endswith(("Z", "z"))
    digits = value.rstrip("Zz")
    formats = {8: "%Y%m%d", 12: "%Y%m%d%H%M", 14: "%Y%m%d%H%M%S"}
    try:
        stamp = dt.datetime.strptime(digits, formats[len(digits)])
    except (KeyError, ValueError):
        raise InputError(f"bad time '{value}' (YYYYMMDD[HHMM[SS]][Z])", path, number) from None
    return stamp.replace(tzinfo=dt.timezone.utc) if utc else stamp.astimezone()


def load_allowed_signers(path: Path) -> list[AllowedSigner]:
    """Parse an allowed_signers file; a malformed line is an InputError with file:line."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read allowed signers: {getattr(exc, 'strerror', None) or exc}", str(path)) \
            from None
    out = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = _tokens(line)
        if len(fields) < 3:
            raise InputError("expected: principals [options] keytype base64-key [comment]", str(path), number)
        principals, rest = fields[0].strip('"'), fields[1:]
        options: dict[str, str | None] = {}
        if not (rest[0] in KEY_TYPES or rest[0].startswith(("sk-", "ssh-", "ecdsa-"))):
            options = _split_options(rest[0])
            rest = rest[1:]
        if len(rest) < 2:
            raise InputError("missing key type or key", str(path), number)
        try:
            blob = base64.b64decode(rest[1], validate=True)
        except ValueError:
            raise InputError("key is not valid base64", str(path), number) from None
        if _Reader(blob).text() != rest[0]:
            raise InputError(f"key type {rest[0]} does not match the key", str(path), number)
        out.append(AllowedSigner(
            principals, blob, options.get("namespaces"),
            _timestamp(options["valid-after"] or "", str(path), number) if "valid-after" in options else None,
            _timestamp(options["valid-before"] or "", str(path), number) if "valid-before" in options else None,
            "cert-authority" in options, number))
    return out


def match_list(value: str, patterns: str) -> bool:
    """OpenSSH pattern lists: comma-separated, `*` and `?` wildcards, `!` negates and wins."""
    matched = False
    for pattern in patterns.split(","):
        negate = pattern.startswith("!")
        body = pattern[1:] if negate else pattern
        rx = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in body)
        if re.fullmatch(rx, value, flags=re.DOTALL):
            if negate:
                return False
            matched = True
    return matched


def signer_principals(signers: list[AllowedSigner], sig: SshSig, namespace: str = NAMESPACE,
                      when: dt.datetime | None = None) -> tuple[list[str], list[str]]:
    """(principal patterns whose line accepts this key here and now, reasons other lines with the key fail)."""
    when = when or dt.datetime.now(dt.timezone.utc)
    accepted, refused = [], []
    for s in signers:
        if s.cert_authority or s.public_blob != sig.public_blob:
            continue
        if s.namespaces is not None and not match_list(namespace, s.namespaces):
            refused.append(f"line {s.line}: namespace '{namespace}' not in namespaces=\"{s.namespaces}\"")
        elif s.valid_after and when < s.valid_after:
            refused.append(f"line {s.line}: key not valid before {s.valid_after.isoformat()}")
        elif s.valid_before and when > s.valid_before:
            refused.append(f"line {s.line}: key expired {s.valid_before.isoformat()}")
        else:
            accepted.append(s.principals)
    return accepted, refused
