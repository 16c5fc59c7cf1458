"""Host key verification against OpenSSH known_hosts files, and trust-on-first-use records.

paramiko's own `HostKeys.load` compares every new line with every line already read (quadratic, and an
HMAC per hashed entry each time: seconds per host on large files, pyinfra#721, ansible#9540). Here a
file is read once per run into a dict of plain host names plus a list of hashed and wildcard entries,
and key material is compared as raw blobs, so no key object is built for lines that never match.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from assess.limits import MAX_KNOWN_HOSTS, read_capped
from assess.probes.transport import CollectionError

#: Host key algorithms a client offers for a key type found in known_hosts (RSA keys sign with SHA-2).
_ALGORITHMS = {"ssh-rsa": ("rsa-sha2-512", "rsa-sha2-256")}


class HostKeyError(CollectionError):
    """The server's host key is unknown, changed or revoked: the host is refused."""


class UnknownHostKey(HostKeyError):
    """No key at all is known for the host (the only case trust-on-first-use may accept)."""


@dataclass(frozen=True)
class KnownKey:
    """One key line of a known_hosts file."""

    keytype: str
    blob: bytes
    source: str
    line: int
    marker: str = ""  # "" | "@revoked" | "@cert-authority"

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}"


def host_id(host: str, port: int) -> str:
    """How OpenSSH names a host in known_hosts: `host`, or `[host]:port` when the port is not 22."""
    return host if port == 22 else f"[{host}]:{port}"


def fingerprint(blob: bytes) -> str:
    """OpenSSH's SHA256 fingerprint of a public key blob (`SHA256:...`, unpadded base64)."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def algorithms_for(keytypes: list[str]) -> list[str]:
    """Host key algorithms to prefer when known_hosts holds keys of these types (OpenSSH does the same)."""
    out: list[str] = []
    for t in keytypes:
        out += [a for a in _ALGORITHMS.get(t, (t,)) if a not in out]
    return out


def match_pattern(name: str, pattern: str) -> bool:
    """OpenSSH's match_pattern: `*` any run, `?` one character, everything else literal (`[`, `]` too)."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, name, re.DOTALL) is not None


def _pattern_matches(patterns: list[str], name: str) -> bool:
    """OpenSSH's match_hostname over a lower-cased name: a positive match and no negated (`!pat`) one."""
    hit = False
    for p in patterns:
        p = p.lower()
        if p.startswith("!"):
            if match_pattern(name, p[1:]):
                return False
        elif match_pattern(name, p):
            hit = True
    return hit


class KnownHosts:
    """Keys of one or more known_hosts files, indexed for fast lookup."""

    def __init__(self) -> None:
        self._plain: dict[str, list[KnownKey]] = {}
        self._hashed: list[tuple[bytes, bytes, KnownKey]] = []
        self._patterns: list[tuple[list[str], KnownKey]] = []
        self._lock = threading.Lock()
        self._found: dict[str, list[KnownKey]] = {}  # lookups so far (hashed entries cost an HMAC each)
        self._generation = 0
        self.sources: list[str] = []

    @classmethod
    def load(cls, paths: list[Path]) -> KnownHosts:
        known = cls()
        for path in paths:
            known.read(path)
        return known

    def read(self, path: Path) -> None:
        """Add the keys of one file; a missing file adds nothing, unparseable lines are skipped."""
        try:
            text = read_capped(path, MAX_KNOWN_HOSTS).decode("utf-8", errors="replace")
        except FileNotFoundError:
            return
        except OSError as exc:
            raise CollectionError(f"cannot read known_hosts file {path}: {exc.strerror or exc}") from None
        self.sources.append(str(path))
        for n, raw in enumerate(text.splitlines(), 1):
            self._add_line(raw.strip(), str(path), n)

    def _add_line(self, line: str, source: str, n: int) -> None:
        if not line or line.startswith("#"):
            return
        fields = line.split()
        marker = ""
        if fields[0].startswith("@"):
            marker, fields = fields[0], fields[1:]
        if len(fields) < 3:
            return
        names, keytype, data = fields[0], fields[1], fields[2]
        try:
            blob = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            return
        key = KnownKey(keytype, blob, source, n, marker)
        self.add(names, key)

    def add(self, names: str, key: KnownKey) -> None:
        with self._lock:
            self._found.clear()
            self._generation += 1
            if names.startswith("|1|"):
                try:
                    salt, digest = (base64.b64decode(x) for x in names[3:].split("|", 1))
                except (binascii.Error, ValueError):
                    return
                self._hashed.append((salt, digest, key))
                return
            patterns = names.split(",")
            if any(c in names for c in "*?!"):
                self._patterns.append((patterns, key))
            else:
                for name in patterns:
                    self._plain.setdefault(name.lower(), []).append(key)

    def lookup(self, name: str) -> list[KnownKey]:
        """Every key line that names this host (`host` or `[host]:port`); names compare case-insensitively."""
        name = name.lower()
        with self._lock:
            if name in self._found:
                return list(self._found[name])
            found = list(self._plain.get(name, ()))
            hashed = list(self._hashed)
            patterns = list(self._patterns)
            generation = self._generation
        encoded = name.encode()
        for salt, digest, key in hashed:
            if hmac.compare_digest(hmac.new(salt, encoded, hashlib.sha1).digest(), digest):
                found.append(key)
        found += [key for pats, key in patterns if _pattern_matches(pats, name)]
        with self._lock:
            if generation == self._generation:  # no key was added meanwhile
                self._found[name] = list(found)
        return found

    def keytypes(self, name: str) -> list[str]:
        return list(dict.fromkeys(k.keytype for k in self.lookup(name) if not k.marker))


def check(known: KnownHosts, name: str, keytype: str, blob: bytes) -> KnownKey:
    """Return the known_hosts line that vouches for this key, or raise HostKeyError saying why not."""
    entries = known.lookup(name)
    shown = f"{keytype} {fingerprint(blob)}"
    for e in entries:
        if e.marker == "@revoked" and e.blob == blob:
            raise HostKeyError(f"host key of {name} ({shown}) is marked @revoked in {e.where}; refusing")
    for e in entries:
        if not e.marker and e.blob == blob:
            return e
    others = [e for e in entries if not e.marker]
    if others:
        listed = "; ".join(f"{e.keytype} {fingerprint(e.blob)} at {e.where}" for e in others)
        raise HostKeyError(f"HOST KEY CHANGED for {name}: the server offers {shown}, but known_hosts has "
                           f"{listed}. This may be a man-in-the-middle attack; if the host was really "
                           f"reinstalled, remove the old line (ssh-keygen -R '{name}') and verify the new key")
    where = ", ".join(known.sources) or "no known_hosts file"
    raise UnknownHostKey(f"host key of {name} is unknown ({shown}; not in {where}). Verify the fingerprint "
                       f"and add it to known_hosts, or scan with --trust-on-first-use")


class TofuRecord:
    """Trust-on-first-use: unknown keys are accepted and appended to a file of the run."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            self._lines = len(path.read_text(encoding="utf-8", errors="replace").splitlines())
        except FileNotFoundError:
            self._lines = 0

    def record(self, known: KnownHosts, name: str, keytype: str, blob: bytes) -> KnownKey:
        """Append the key (OpenSSH format) and make it known for the rest of the run."""
        name = name.lower()
        line = f"{name} {keytype} {base64.b64encode(blob).decode()}\n"
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line.encode())
            finally:
                os.close(fd)
            self._lines += 1
            key = KnownKey(keytype, blob, str(self.path), self._lines)
        known.add(name, key)
        return key
