"""A minimal raw TLS ClientHello / ServerHello exchange (what testssl.sh calls "sockets").

The stdlib cannot offer SSLv3, restrict TLS 1.3 suites, or offer suites the local OpenSSL no longer
builds (RC4, export, NULL). This module builds a ClientHello for any protocol version and list of
suite ids, and reads the server's answer: the ServerHello (version, suite, secure renegotiation),
and for TLS <= 1.2 the certificate chain and the ephemeral key size from ServerKeyExchange.
Nothing here completes a handshake or sends application data.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import struct
import time
from dataclasses import dataclass, field

SSL3, TLS10, TLS11, TLS12, TLS13 = 0x0300, 0x0301, 0x0302, 0x0303, 0x0304
VERSION_NAMES = {SSL3: "SSLv3", TLS10: "TLSv1.0", TLS11: "TLSv1.1", TLS12: "TLSv1.2", TLS13: "TLSv1.3"}
_HRR_RANDOM = bytes.fromhex("CF21AD74E59A6111BE1D8C021E65B891C2A211167ABB8C5E079E09E2C8A8339C")
#: Named groups: x25519, secp256r1, secp384r1, secp521r1, x448, ffdhe2048, ffdhe3072.
GROUPS = (29, 23, 24, 25, 30, 256, 257)
GROUP_BITS = {29: 253, 30: 448, 23: 256, 24: 384, 25: 521, 256: 2048, 257: 3072, 258: 4096}
GROUP_NAMES = {29: "X25519", 30: "X448", 23: "secp256r1", 24: "secp384r1", 25: "secp521r1",
               256: "ffdhe2048", 257: "ffdhe3072", 258: "ffdhe4096"}
_SIGALGS = (0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601,
            0x0201, 0x0203, 0x0202)
ALERTS = {10: "unexpected_message", 40: "handshake_failure", 47: "illegal_parameter", 50: "decode_error",
          70: "protocol_version", 71: "insufficient_security", 80: "internal_error", 86: "inappropriate_fallback",
          112: "unrecognized_name"}
MAX_READ = 256 * 1024


class HandshakeError(Exception):
    """The server could not be reached or spoke something that is not TLS."""


@dataclass
class ServerHello:
    """The server's answer to one ClientHello."""

    accepted: bool
    version: int | None = None
    suite: int | None = None
    alert: str = ""
    secure_renegotiation: bool | None = None
    retry_request: bool = False
    chain: list[bytes] = field(default_factory=list)
    ephemeral: tuple[str, int] | None = None  # ("ECDH", 256) / ("DH", 2048)
    group: str = ""

    def describe(self) -> str:
        if not self.accepted:
            return f"rejected ({self.alert or 'no ServerHello'})"
        return f"{VERSION_NAMES.get(self.version or 0, hex(self.version or 0))} suite 0x{self.suite:04X}"


def _ext(kind: int, body: bytes) -> bytes:
    return struct.pack("!HH", kind, len(body)) + body


def _u16list(values: list[int] | tuple[int, ...]) -> bytes:
    data = b"".join(struct.pack("!H", v) for v in values)
    return struct.pack("!H", len(data)) + data


def client_hello(version: int, suites: list[int], server_name: str = "") -> bytes:
    """One TLS record holding a ClientHello for `version` offering `suites` (ids)."""
    legacy = min(version, TLS12)
    ciphers = list(suites) + ([0x00FF] if version < TLS13 else [])
    exts = b""
    if version > SSL3:
        if server_name and not _is_ip(server_name):
            name = server_name.encode("idna")
            entry = b"\x00" + struct.pack("!H", len(name)) + name
            exts += _ext(0x0000, struct.pack("!H", len(entry)) + entry)
        exts += _ext(0x000A, _u16list(GROUPS))
        exts += _ext(0x000B, b"\x01\x00")
        exts += _ext(0x000D, _u16list(_SIGALGS))
        exts += _ext(0x0017, b"")
        if version >= TLS13:
            exts += _ext(0x002B, b"\x02" + struct.pack("!H", TLS13))
            key = os.urandom(32)
            share = struct.pack("!HH", 29, len(key)) + key
            exts += _ext(0x0033, struct.pack("!H", len(share)) + share)
            exts += _ext(0x002D, b"\x01\x01")
    session = os.urandom(32) if version >= TLS13 else b""
    body = (struct.pack("!H", legacy) + os.urandom(32) + bytes([len(session)]) + session
            + _u16list(ciphers) + b"\x01\x00")
    if exts:
        body += struct.pack("!H", len(exts)) + exts
    handshake = b"\x01" + struct.pack("!I", len(body))[1:] + body
    record_version = SSL3 if version == SSL3 else TLS10
    return b"\x16" + struct.pack("!HH", record_version, len(handshake)) + handshake


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


class _Reader:
    """Reads TLS records from a socket and yields handshake messages (which may span records)."""

    def __init__(self, sock: socket.socket, deadline: float):
        self.sock, self.deadline = sock, deadline
        self.buf = b""
        self.hs = b""
        self.total = 0
        self.alert = ""
        self.closed = False

    def _fill(self, n: int) -> bool:
        while len(self.buf) < n:
            left = self.deadline - time.monotonic()
            if left <= 0:
                return False
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                return False
            except OSError:
                self.closed = True
                return False
            if not chunk:
                self.closed = True
                return False
            self.total += len(chunk)
            if self.total > MAX_READ:
                raise HandshakeError("server sent more than 256 KiB during the handshake")
            self.buf += chunk
        return True

    def message(self) -> tuple[int, bytes] | None:
        """The next handshake message (type, body), or None on alert, close, timeout or non-handshake data."""
        while True:
            if len(self.hs) >= 4:
                length = int.from_bytes(self.hs[1:4], "big")
                if len(self.hs) >= 4 + length:
                    kind, body = self.hs[0], self.hs[4:4 + length]
                    self.hs = self.hs[4 + length:]
                    return kind, body
            if not self._fill(5):
                return None
            ctype, _ver, length = struct.unpack("!BHH", self.buf[:5])
            if ctype not in (20, 21, 22, 23) or length > 18432:
                raise HandshakeError(f"not a TLS server (record type {ctype}, length {length})")
            if not self._fill(5 + length):
                return None
            payload, self.buf = self.buf[5:5 + length], self.buf[5 + length:]
            if ctype == 21:
                if len(payload) >= 2:
                    self.alert = ALERTS.get(payload[1], f"alert {payload[1]}")
                return None
            if ctype == 22:
                self.hs += payload
            else:
                return None


def _parse_server_hello(body: bytes, hello: ServerHello) -> None:
    version = struct.unpack("!H", body[:2])[0]
    random = body[2:34]
    sid_len = body[34]
    pos = 35 + sid_len
    hello.suite = struct.unpack("!H", body[pos:pos + 2])[0]
    pos += 3
    hello.version = version
    hello.retry_request = random == _HRR_RANDOM
    hello.secure_renegotiation = False
    if pos + 2 <= len(body):
        ext_len = struct.unpack("!H", body[pos:pos + 2])[0]
        pos += 2
        end = min(len(body), pos + ext_len)
        while pos + 4 <= end:
            kind, length = struct.unpack("!HH", body[pos:pos + 4])
            data = body[pos + 4:pos + 4 + length]
            if kind == 0x002B and len(data) == 2:
                hello.version = struct.unpack("!H", data)[0]
            elif kind == 0xFF01:
                hello.secure_renegotiation = True
            elif kind == 0x0033 and len(data) >= 2:
                group = struct.unpack("!H", data[:2])[0]
                hello.group = GROUP_NAMES.get(group, str(group))
                hello.ephemeral = ("DH" if group >= 256 else "ECDH", GROUP_BITS.get(group, 0))
            pos += 4 + length
    if hello.version == TLS13:
        hello.secure_renegotiation = None


def _parse_certificates(body: bytes) -> list[bytes]:
    total = int.from_bytes(body[:3], "big")
    pos, end, out = 3, min(len(body), 3 + total), []
    while pos + 3 <= end and len(out) < 10:
        n = int.from_bytes(body[pos:pos + 3], "big")
        out.append(body[pos + 3:pos + 3 + n])
        pos += 3 + n
    return out


def _parse_key_exchange(body: bytes, kx: str, hello: ServerHello) -> None:
    if kx.startswith("ECDH") and len(body) >= 3 and body[0] == 3:
        group = struct.unpack("!H", body[1:3])[0]
        hello.group = GROUP_NAMES.get(group, str(group))
        hello.ephemeral = ("ECDH", GROUP_BITS.get(group, 0))
    elif kx.startswith("DH") and len(body) >= 2:
        plen = struct.unpack("!H", body[:2])[0]
        prime = body[2:2 + plen].lstrip(b"\x00")
        hello.ephemeral = ("DH", len(prime) * 8 - (8 - prime[0].bit_length()) if prime else 0)


def probe(host: str, port: int, version: int, suites: list[int], *, server_name: str = "",
          timeout: float = 5.0, want_chain: bool = False, kx_of: dict[int, str] | None = None) -> ServerHello:
    """Send one ClientHello and read the answer; network failures raise HandshakeError."""
    deadline = time.monotonic() + timeout
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        raise HandshakeError(f"cannot connect to {host}:{port}: {exc.strerror or exc}") from None
    try:
        sock.sendall(client_hello(version, suites, server_name or host))
        reader = _Reader(sock, deadline)
        first = reader.message()
        if first is None or first[0] != 2:
            return ServerHello(False, alert=reader.alert or ("connection closed" if reader.closed else "timeout"))
        hello = ServerHello(True)
        try:
            _parse_server_hello(first[1], hello)
        except (struct.error, IndexError):
            raise HandshakeError("malformed ServerHello") from None
        if not want_chain or hello.version == TLS13 or hello.version is None or hello.version > TLS12:
            return hello
        kx = (kx_of or {}).get(hello.suite or 0, "")
        while True:
            msg = reader.message()
            if msg is None:
                break
            kind, body = msg
            if kind == 11:
                hello.chain = _parse_certificates(body)
            elif kind == 12:
                _parse_key_exchange(body, kx, hello)
            elif kind == 14:
                break
        return hello
    finally:
        try:
            sock.close()
        except OSError:
            pass
