"""A bounded HTTP client for probing: inventory scope enforced on every request, per-object rate
limit, no automatic redirects, capped bodies, deadlines, and a redacted transcript of every exchange.

Deadlines are absolute, not socket timeouts: a server that sends one byte every two seconds never trips
a 10 s socket timeout, so a watchdog shuts the exchange's socket down when the request's deadline
(REQUEST_DEADLINE × timeout after it started), the object's deadline or the scan's cancellation comes,
whatever phase the exchange is in (connect, TLS handshake, headers, body).

Built on http.client rather than httpx: the probe needs exact control (raw repeated headers such as
several Set-Cookie, a hard byte cap while reading, no hidden redirects or retries) and no dependency.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from assess.probes.http import redact
from assess.probes.http.target import in_scope

USER_AGENT = "assess-http-probe/1 (MLPS self-assessment; read-only)"
MAX_BODY = 1024 * 1024
STORED_BODY = 2048
MAX_REDIRECTS = 5
#: one exchange (connect, TLS, headers, body) must end within this many times the socket timeout
REQUEST_DEADLINE = 3


class FetchError(Exception):
    """A request could not be made or answered (refused, timeout, TLS failure, out of scope)."""


class Watchdog:
    """Shuts down the socket `sock_of()` returns once `deadline` (monotonic) passes or `cancel` is set.

    Used as a context manager around one exchange; `fired` tells afterwards why a read ended early.
    It keeps watching after firing, so a socket that a running connect creates later is shut too.
    """

    def __init__(self, sock_of: Callable[[], socket.socket | None], deadline: float,
                 cancel: threading.Event | None = None) -> None:
        self.sock_of, self.deadline, self.cancel = sock_of, deadline, cancel
        self.fired = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> Watchdog:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._done.wait(max(0.0, min(0.2, self.deadline - time.monotonic()))):
            if time.monotonic() >= self.deadline or (self.cancel is not None and self.cancel.is_set()):
                self.fired = True
                sock = self.sock_of()
                if sock is not None:
                    try:  # the plain socket's shutdown: an SSLSocket's own would unwrap it under its reader
                        socket.socket.shutdown(sock, socket.SHUT_RDWR)
                    except OSError:
                        pass


class OutOfScope(FetchError):
    """The URL is not under any base URL of the inventory object; nothing was sent."""


def evidence_id(record: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of a transcript record (without its own id)."""
    data = {k: v for k, v in record.items() if k != "id"}
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class RateLimiter:
    """At most `rate` requests per second with a burst of max(1, rate/2); thread-safe."""

    def __init__(self, rate: float):
        self.rate = rate
        self.capacity = max(1.0, rate / 2)
        self.tokens = self.capacity
        self.stamp = time.monotonic()
        self.lock = threading.Lock()

    def wait(self) -> None:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens < 1:
                delay = (1 - self.tokens) / self.rate
                time.sleep(delay)
                self.stamp = time.monotonic()
                self.tokens = 0.0
            else:
                self.tokens -= 1


@dataclass
class Response:
    url: str
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes
    truncated: bool
    tls: str = ""
    transcript: str = ""

    def header(self, name: str) -> str | None:
        low = name.lower()
        return next((v for k, v in self.headers if k.lower() == low), None)

    def all(self, name: str) -> list[str]:
        low = name.lower()
        return [v for k, v in self.headers if k.lower() == low]

    @property
    def text(self) -> str:
        ctype = self.header("Content-Type") or ""
        charset = "utf-8"
        if "charset=" in ctype:
            charset = ctype.split("charset=", 1)[1].split(";")[0].strip().strip('"') or "utf-8"
        try:
            return self.body.decode(charset, "replace")
        except LookupError:
            return self.body.decode("utf-8", "replace")

    @property
    def location(self) -> str | None:
        loc = self.header("Location")
        return urljoin(self.url, loc) if loc else None


def tls_context(ca_file: str | None = None) -> ssl.SSLContext:
    """A permissive client context: the probe must talk to weak servers to report them."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    try:
        ctx.set_ciphers("ALL:@SECLEVEL=0")
    except ssl.SSLError:
        ctx.set_ciphers("DEFAULT")
    if ca_file:
        ctx.load_verify_locations(ca_file)
    return ctx


@dataclass
class Client:
    """HTTP(S) requests inside `bases` only, paced by `limiter`, every exchange kept in `transcripts`.

    `deadline` (monotonic) ends the whole object's probing; `cancel` (the scan's) ends it at once.
    """

    bases: list[str]
    limiter: RateLimiter
    timeout: float = 10.0
    max_body: int = MAX_BODY
    secret_fields: set[str] = field(default_factory=set)
    transcripts: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: int = 0
    deadline: float = float("inf")
    cancel: threading.Event = field(default_factory=threading.Event)
    _ctx: ssl.SSLContext = field(default_factory=tls_context)
    _conns: dict[tuple[str, str, int], http.client.HTTPConnection] = field(default_factory=dict)

    def pace(self) -> None:
        """Wait for the rate limit; FetchError once the scan is cancelled or the object's deadline passed."""
        if self.cancel.is_set():
            raise FetchError("interrupted")
        if time.monotonic() >= self.deadline:
            raise FetchError("the object's time budget for HTTP probing is spent; not requested further")
        self.limiter.wait()

    def allowed(self, url: str) -> bool:
        return any(in_scope(url, b) for b in self.bases)

    def close(self) -> None:
        for conn in self._conns.values():
            conn.close()
        self._conns.clear()

    def _connection(self, scheme: str, host: str, port: int) -> http.client.HTTPConnection:
        key = (scheme, host, port)
        conn = self._conns.get(key)
        if conn is None:
            if scheme == "https":
                conn = http.client.HTTPSConnection(host, port, timeout=self.timeout, context=self._ctx)
            else:
                conn = http.client.HTTPConnection(host, port, timeout=self.timeout)
            self._conns[key] = conn
        return conn

    def request(self, method: str, url: str, headers: dict[str, str] | None = None, body: bytes | None = None,
                *, note: str = "") -> Response:
        """One exchange; never follows redirects. Raises OutOfScope or FetchError (recorded either way)."""
        if not self.allowed(url):
            raise OutOfScope(f"{url} is outside the inventory URLs; not requested")
        parts = urlsplit(url)
        scheme, host = parts.scheme, parts.hostname or ""
        port = parts.port or (443 if scheme == "https" else 80)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        sent = {"User-Agent": USER_AGENT, "Accept": "*/*", "Accept-Encoding": "identity", **(headers or {})}
        self.pace()
        self.requests += 1
        started = time.monotonic()
        record: dict[str, Any] = {
            "kind": "http", "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "method": method,
            "url": redact.url(url), "request_headers": [[k, redact.header(k, v)] for k, v in sent.items()]}
        if note:
            record["note"] = note
        if body is not None:
            record["request_body"] = redact.request_body(body.decode("utf-8", "replace"),
                                                         sent.get("Content-Type", ""), self.secret_fields)
        try:
            resp = self._exchange(scheme, host, port, method, target, sent, body, started)
        except FetchError as exc:
            record.update(error=str(exc), elapsed_ms=round((time.monotonic() - started) * 1000))
            self.keep(record)
            raise
        resp.url = url
        text = resp.text if resp.body else ""
        record.update(status=resp.status, reason=resp.reason,
                      response_headers=[[k, redact.header(k, v)] for k, v in resp.headers],
                      body_bytes=len(resp.body), body_truncated=resp.truncated,
                      body_sha256=hashlib.sha256(resp.body).hexdigest(),
                      body=redact.text(text[:STORED_BODY]) + ("…" if len(text) > STORED_BODY else ""),
                      elapsed_ms=round((time.monotonic() - started) * 1000))
        if resp.tls:
            record["tls"] = resp.tls
        resp.transcript = self.keep(record)
        return resp

    def keep(self, record: dict[str, Any]) -> str:
        """Store a transcript record under its evidence id (TLS handshakes use this too)."""
        eid = evidence_id(record)
        record["id"] = eid
        self.transcripts[eid] = record
        return eid

    def _exchange(self, scheme: str, host: str, port: int, method: str, target: str, headers: dict[str, str],
                  body: bytes | None, started: float) -> Response:
        limit = self.timeout * REQUEST_DEADLINE
        deadline = min(started + limit, self.deadline)
        for attempt in (1, 2):
            self._check(deadline, started, limit)
            conn = self._connection(scheme, host, port)
            dog = Watchdog(lambda conn=conn: conn.sock, deadline, self.cancel)  # type: ignore[misc]
            try:
                with dog:
                    conn.request(method, target, body=body, headers=headers)
                    raw = conn.getresponse()
                    resp = self._read(conn, raw, method, (scheme, host, port))
                self._check(deadline, started, limit, dog.fired)
                return resp
            except FetchError:
                self._drop(scheme, host, port)
                raise
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                conn.close()
                self._conns.pop((scheme, host, port), None)
                self._check(deadline, started, limit, dog.fired)
                if attempt == 2 or method not in ("GET", "HEAD"):
                    raise FetchError(f"{scheme}://{host}:{port}: connection closed by the server ({exc})") from None
            except (ssl.SSLError, TimeoutError, http.client.HTTPException, OSError) as exc:
                self._drop(scheme, host, port)
                self._check(deadline, started, limit, dog.fired)
                raise self._failure(exc, scheme, host, port) from None
        raise FetchError("unreachable")

    def _check(self, deadline: float, started: float, limit: float, fired: bool = False) -> None:
        """FetchError when the scan was cancelled or a deadline passed (or the watchdog cut the exchange)."""
        if self.cancel.is_set():
            raise FetchError("interrupted")
        if fired or time.monotonic() >= deadline:
            if deadline < started + limit:
                raise FetchError("the object's time budget for HTTP probing is spent; not requested further")
            raise FetchError(f"no complete answer within {limit:g} s (the server is too slow)")

    def _failure(self, exc: Exception, scheme: str, host: str, port: int) -> FetchError:
        if isinstance(exc, ssl.SSLError):
            return FetchError(f"TLS handshake with {host}:{port} failed: {exc.reason or exc}")
        if isinstance(exc, TimeoutError):
            return FetchError(f"{scheme}://{host}:{port}: no answer within {self.timeout:g} s")
        if isinstance(exc, http.client.HTTPException):
            return FetchError(f"{scheme}://{host}:{port}: invalid HTTP response ({type(exc).__name__})")
        return FetchError(f"cannot reach {scheme}://{host}:{port}: {getattr(exc, 'strerror', None) or exc}")

    def _drop(self, scheme: str, host: str, port: int) -> None:
        conn = self._conns.pop((scheme, host, port), None)
        if conn is not None:
            conn.close()

    def _read(self, conn: http.client.HTTPConnection, raw: http.client.HTTPResponse, method: str,
              key: tuple[str, str, int]) -> Response:
        headers = [(k, v) for k, v in raw.getheaders()]
        tls = ""
        sock = conn.sock
        if isinstance(sock, ssl.SSLSocket):
            cipher = sock.cipher()
            tls = f"{sock.version()} {cipher[0] if cipher else ''}".strip()
        chunks, size, truncated = [], 0, False
        if method != "HEAD":
            while True:  # read1: what has arrived, not a blocking wait for the whole 64 KiB
                chunk = raw.read1(min(65536, self.max_body + 1 - size))
                if not chunk:
                    if not raw.isclosed():
                        raw.read()  # length reached: read1 leaves the response open, read() finishes it
                    break
                chunks.append(chunk)
                size += len(chunk)
                if size > self.max_body:
                    truncated = True
                    break
        body = b"".join(chunks)[: self.max_body]
        if truncated or raw.will_close:
            self._drop(*key)
        return Response("", raw.status, raw.reason, headers, body, truncated, tls)

    def get(self, url: str, headers: dict[str, str] | None = None, *, note: str = "") -> Response:
        return self.request("GET", url, headers, note=note)

    def follow(self, url: str, headers: dict[str, str] | None = None, *, max_hops: int = MAX_REDIRECTS
               ) -> tuple[list[Response], str]:
        """GET and follow redirects inside the scope. Returns (chain, stop reason: '' when it ended normally).

        A loop, too many hops, or a redirect outside the inventory URLs stops the walk; the caller decides
        whether that is an error for what it wanted to know.
        """
        chain: list[Response] = []
        seen: set[str] = set()
        current = url
        while True:
            resp = self.get(current, headers)
            chain.append(resp)
            seen.add(current)
            if resp.status not in (301, 302, 303, 307, 308) or not resp.location:
                return chain, ""
            nxt = resp.location
            if nxt in seen:
                return chain, f"redirect loop at {redact.url(nxt)}"
            if len(chain) > max_hops:
                return chain, f"more than {max_hops} redirects"
            if not self.allowed(nxt):
                return chain, f"redirect to {redact.url(nxt)} leaves the inventory URLs (not followed)"
            current = nxt


def joined(base: str, paths: Iterable[str]) -> list[str]:
    return [urljoin(base, p) for p in paths]
