"""Run the collector over SSH with paramiko: one connection and one exec per host.

Safety: host keys are verified against known_hosts (unknown or changed keys refuse the host unless the
scan trusts on first use, which records the key in the run); secrets come from environment variables
and are only ever written to the SSH channel; sudo reads its password from stdin (`sudo -S`, no tty).

A `SSHSession` is shared by every SSH object of one scan: it loads each known_hosts file once, keeps one
connection per bastion (targets behind it are reached over `direct-tcpip` channels of that connection),
and can close everything at once when the scan is interrupted.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paramiko

from assess.probes.transport import CollectionError, ScriptOutput, hostkeys
from assess.probes.transport import credentials as creds

MAX_OUTPUT = 64 * 1024 * 1024
MAX_STDERR = 64 * 1024
CONNECT_TIMEOUT = 10.0
AUTH_TIMEOUT = 20.0
DEFAULT_KEYS = ("id_ed25519", "id_ecdsa", "id_rsa")
_ENV = "env LC_ALL=C LANG=C"
#: sudo's prompt and the line the root shell prints once it runs. Constants, not secrets: before that shell
#: starts only sudo writes to the channel, and nothing random ever goes on a command line (argv is public
#: in /proc/<pid>/cmdline); the collector's section token travels on stdin inside the script.
_PROMPT, _READY = "@@ASSESS-PROMPT@@", "@@ASSESS-READY"
# paramiko logs a traceback when a connection it is reading is closed under it (Ctrl-C closes them all);
# the reason reaches the user through CollectionError, so its records are not printed on their own.
logging.getLogger("paramiko").addHandler(logging.NullHandler())


def default_known_hosts() -> tuple[str, ...]:
    """The files OpenSSH reads when no known_hosts is given: the user's, then the system-wide one."""
    return (str(Path("~/.ssh/known_hosts").expanduser()), "/etc/ssh/ssh_known_hosts")


@dataclass(frozen=True)
class Hop:
    """One SSH server on the way: a bastion or the target itself."""

    host: str
    port: int = 22
    user: str = "root"
    key: str | None = None
    key_passphrase_env: str | None = None
    agent: bool = False
    password_env: str | None = None
    known_hosts: tuple[str, ...] | None = None
    label: str = ""

    @property
    def name(self) -> str:
        """The host as known_hosts names it."""
        return hostkeys.host_id(self.host, self.port)

    @property
    def shown(self) -> str:
        return f"{self.user}@{self.name}" + (f" ({self.label})" if self.label else "")

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Hop:
        kh = d.get("known_hosts")
        return cls(host=d["host"], port=int(d.get("port") or 22), user=d.get("user") or "root",
                   key=d.get("key"), key_passphrase_env=d.get("key_passphrase_env"), agent=bool(d.get("agent")),
                   password_env=d.get("password_env"),
                   known_hosts=tuple(kh) if isinstance(kh, (list, tuple)) else (kh,) if kh else None,
                   label=d.get("label", ""))


@dataclass
class _Bastion:
    lock: threading.Lock = field(default_factory=threading.Lock)
    transport: paramiko.Transport | None = None
    info: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class SSHSession:
    """What all SSH objects of one scan share: known_hosts, the TOFU record, bastion connections."""

    def __init__(self, tofu_file: Path | None = None, trust_on_first_use: bool = False,
                 notice: Callable[[str], None] = _stderr, connect_timeout: float = CONNECT_TIMEOUT,
                 auth_timeout: float = AUTH_TIMEOUT) -> None:
        self.trust_on_first_use = trust_on_first_use
        self.tofu = hostkeys.TofuRecord(tofu_file) if tofu_file and trust_on_first_use else None
        self.notice = notice
        self.connect_timeout = connect_timeout
        self.auth_timeout = auth_timeout
        self._lock = threading.Lock()
        self._known: dict[tuple[str, ...], hostkeys.KnownHosts] = {}
        self._tofu_known = hostkeys.KnownHosts.load([tofu_file] if tofu_file else [])
        self._bastions: dict[tuple[Hop, ...], _Bastion] = {}
        self._live: set[paramiko.Transport] = set()
        self.cancelled = threading.Event()

    # -- host keys -------------------------------------------------------------------------------------
    def known_hosts(self, files: tuple[str, ...] | None) -> hostkeys.KnownHosts:
        files = files or default_known_hosts()
        with self._lock:
            known = self._known.get(files)
            if known is None:
                known = hostkeys.KnownHosts.load([Path(f).expanduser() for f in files])
                self._known[files] = known
        return known

    def _keytypes(self, hop: Hop) -> list[str]:
        return list(dict.fromkeys(self.known_hosts(hop.known_hosts).keytypes(hop.name)
                                  + self._tofu_known.keytypes(hop.name)))

    def verify(self, hop: Hop, key: paramiko.PKey) -> dict[str, Any]:
        """Check the server's key; return what the evidence records about it, or raise HostKeyError."""
        keytype, blob = key.get_name(), key.asbytes()
        found = {"type": keytype, "sha256": hostkeys.fingerprint(blob)}
        try:
            entry = hostkeys.check(self.known_hosts(hop.known_hosts), hop.name, keytype, blob)
        except hostkeys.UnknownHostKey as unknown:
            try:
                entry = hostkeys.check(self._tofu_known, hop.name, keytype, blob)
            except hostkeys.UnknownHostKey:
                if self.tofu is None:
                    raise unknown from None
                with self._lock:  # two objects on one address must not both record it
                    try:
                        entry = hostkeys.check(self._tofu_known, hop.name, keytype, blob)
                    except hostkeys.UnknownHostKey:
                        self.tofu.record(self._tofu_known, hop.name, keytype, blob)
                        self.notice(f"assess: trust-on-first-use: accepted {hop.name} {keytype} "
                                    f"{found['sha256']}; recorded in {self.tofu.path}")
                        return {**found, "verified": "trust-on-first-use", "recorded": str(self.tofu.path)}
        return {**found, "verified": entry.where}

    # -- connections -----------------------------------------------------------------------------------
    def _track(self, t: paramiko.Transport | None, live: bool) -> None:
        if t is None:
            return
        with self._lock:
            if live:
                self._live.add(t)
            else:
                self._live.discard(t)
        if self.cancelled.is_set():
            t.close()

    def _tcp(self, hop: Hop, timeout: float) -> socket.socket:
        if self.cancelled.is_set():
            raise CollectionError("interrupted")
        try:
            sock = socket.create_connection((hop.host, hop.port), timeout=timeout)
        except TimeoutError:
            raise CollectionError(f"cannot connect to {hop.name}: no answer within {timeout:g} s "
                                  "(host down or port filtered)") from None
        except ConnectionRefusedError:
            raise CollectionError(f"connection refused by {hop.name} (no SSH server on that port)") from None
        except socket.gaierror as exc:
            raise CollectionError(f"cannot resolve host name {hop.host!r}: {exc.strerror}") from None
        except OSError as exc:
            raise CollectionError(f"cannot connect to {hop.name}: {exc.strerror or exc}") from None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def _tunnel(self, via: paramiko.Transport, via_hop: Hop, dest: Hop, timeout: float) -> paramiko.Channel:
        """A direct-tcpip channel from a bastion to the next hop (what ssh -J does)."""
        try:
            return via.open_channel("direct-tcpip", (dest.host, dest.port), ("127.0.0.1", 0), timeout=timeout)
        except paramiko.ChannelException as exc:
            raise CollectionError(f"jump host {via_hop.label or via_hop.name} could not connect to {dest.name}: "
                                  f"{exc.text or 'refused'}") from None
        except (paramiko.SSHException, EOFError, OSError) as exc:
            raise CollectionError(f"jump host {via_hop.label or via_hop.name} failed while opening a channel "
                                  f"to {dest.name}: {exc or type(exc).__name__}") from None

    def _handshake(self, hop: Hop, sock: socket.socket | paramiko.Channel, timeout: float
                   ) -> tuple[paramiko.Transport, dict]:
        """Key exchange, host key verification, authentication."""
        t = paramiko.Transport(sock)
        self._track(t, True)
        try:
            t.banner_timeout = t.handshake_timeout = timeout
            t.auth_timeout = self.auth_timeout
            preferred = [a for a in hostkeys.algorithms_for(self._keytypes(hop)) if a in t._key_info]
            if preferred:
                options = t.get_security_options()
                options.key_types = preferred + [a for a in options.key_types if a not in preferred]
            try:
                t.start_client(timeout=timeout)
            except (paramiko.SSHException, EOFError, OSError) as exc:
                raise CollectionError(f"SSH handshake with {hop.name} failed: {exc or type(exc).__name__}") from None
            if not t.is_active() or not t.initial_kex_done:  # start_client returns quietly on its timeout
                why = t.get_exception() or f"no SSH banner and key exchange within {timeout:g} s"
                raise CollectionError(f"SSH handshake with {hop.name} failed: {why}")
            host_key = self.verify(hop, t.get_remote_server_key())
            self._authenticate(t, hop)
        except BaseException:
            t.close()
            self._track(t, False)
            raise
        return t, host_key

    def _authenticate(self, t: paramiko.Transport, hop: Hop) -> None:
        tried: list[str] = []
        allowed = ""
        for label, attempt in self._auth_methods(hop):
            if self.cancelled.is_set():
                raise CollectionError("interrupted")
            try:
                attempt(t)
            except paramiko.BadAuthenticationType as exc:
                allowed = ",".join(exc.allowed_types)
                tried.append(f"{label} (not accepted by the server)")
            except paramiko.AuthenticationException:
                tried.append(label)
            except creds.CredentialError as exc:
                tried.append(f"{label} ({exc})")
            except (paramiko.SSHException, EOFError, OSError) as exc:
                raise CollectionError(f"authentication with {hop.shown} failed: {exc or type(exc).__name__}") \
                    from None
            if t.is_authenticated():
                return
        what = ", ".join(tried) or "no key, agent or password configured"
        if not allowed:
            try:
                t.auth_none(hop.user)  # only to learn which methods the server offers
            except paramiko.BadAuthenticationType as exc:
                allowed = ",".join(exc.allowed_types)
            except (paramiko.SSHException, EOFError, OSError):
                pass
        accepts = f"; the server accepts: {allowed}" if allowed else ""
        raise CollectionError(f"authentication failed for {hop.shown} (tried: {what}{accepts})")

    def _auth_methods(self, hop: Hop) -> list[tuple[str, Callable[[paramiko.Transport], Any]]]:
        methods: list[tuple[str, Callable[[paramiko.Transport], Any]]] = []
        if hop.key:
            def by_key(t: paramiko.Transport, path: str = hop.key) -> None:
                t.auth_publickey(hop.user, creds.private_key(path, hop.key_passphrase_env))
            methods.append((f"key {hop.key}", by_key))
        if hop.agent or not (hop.key or hop.password_env):
            methods.append(("ssh-agent", lambda t: self._auth_agent(t, hop)))
        if not (hop.key or hop.agent or hop.password_env):
            for name in DEFAULT_KEYS:
                path = Path("~/.ssh").expanduser() / name
                if path.is_file():
                    methods.append((f"key {path}", lambda t, p=str(path): t.auth_publickey(
                        hop.user, creds.private_key(p))))
        if hop.password_env:
            def by_password(t: paramiko.Transport, env: str = hop.password_env) -> None:
                t.auth_password(hop.user, creds.env_secret(env, f"password of {hop.shown}"))
            methods.append((f"password from ${hop.password_env}", by_password))
        return methods

    def _auth_agent(self, t: paramiko.Transport, hop: Hop) -> None:
        if not os.environ.get("SSH_AUTH_SOCK"):
            raise creds.CredentialError("SSH_AUTH_SOCK is not set")
        agent = paramiko.Agent()
        try:
            keys = agent.get_keys()
            if not keys:
                raise creds.CredentialError("the agent holds no keys")
            for key in keys:
                try:
                    t.auth_publickey(hop.user, key)
                    return
                except paramiko.AuthenticationException:
                    continue
            raise paramiko.AuthenticationException("no agent key accepted")
        finally:
            agent.close()

    def bastion(self, hops: tuple[Hop, ...]) -> tuple[paramiko.Transport, list[dict[str, Any]]]:
        """The shared, authenticated connection to the last of `hops` (reached through the ones before)."""
        with self._lock:
            entry = self._bastions.setdefault(hops, _Bastion())
        with entry.lock:
            if entry.error:
                raise CollectionError(entry.error)
            if entry.transport is not None and entry.transport.is_active():
                return entry.transport, entry.info["chain"]
            hop = hops[-1]
            try:
                if len(hops) == 1:
                    sock: socket.socket | paramiko.Channel = self._tcp(hop, self.connect_timeout)
                    before: list[dict[str, Any]] = []
                else:
                    via, before = self.bastion(hops[:-1])
                    sock = self._tunnel(via, hops[-2], hop, self.connect_timeout)
                t, host_key = self._handshake(hop, sock, self.connect_timeout)
            except CollectionError as exc:
                message = str(exc)
                if not message.startswith("jump host"):
                    message = f"jump host {hop.label or hop.name}: {message}"
                if not self.cancelled.is_set():
                    entry.error = message
                raise CollectionError(message) from None
            entry.transport = t
            entry.info = {"chain": before + [{"host": hop.host, "port": hop.port, "user": hop.user,
                                               "label": hop.label, "host_key": host_key}]}
            return t, entry.info["chain"]

    def connect(self, target: Hop, jumps: tuple[Hop, ...] = (), timeout: float | None = None
                ) -> tuple[paramiko.Transport, dict[str, Any]]:
        """An authenticated connection to the target, directly or through its chain of bastions."""
        timeout = timeout or self.connect_timeout
        if jumps:
            via, chain = self.bastion(jumps)
            sock: socket.socket | paramiko.Channel = self._tunnel(via, jumps[-1], target, timeout)
        else:
            chain = []
            sock = self._tcp(target, timeout)
        t, host_key = self._handshake(target, sock, timeout)
        info: dict[str, Any] = {"host_key": host_key}
        if chain:
            info["jump"] = chain
        return t, info

    def release(self, t: paramiko.Transport) -> None:
        t.close()
        self._track(t, False)

    def cancel(self) -> None:
        """Close every connection now (Ctrl-C); running collections end with 'interrupted'."""
        self.cancelled.set()
        self.close()

    def close(self) -> None:
        with self._lock:
            live, self._live = list(self._live), set()
            for entry in self._bastions.values():
                entry.transport = None
        for t in live:
            t.close()

    def transport(self, connection: dict[str, Any], label: str = "") -> SSHTransport:
        return SSHTransport(self, connection, label)


class SSHTransport:
    """The `Transport` of one SSH object (see assess.probes.transport)."""

    def __init__(self, session: SSHSession, connection: dict[str, Any], label: str = "") -> None:
        self.session = session
        self.target = Hop.from_dict({**connection, "label": label or connection.get("label", "")})
        self.jumps = tuple(Hop.from_dict(h) for h in connection.get("jump") or ())
        self.become = connection.get("become")
        self.become_password_env = connection.get("become_password_env")
        self.command_timeout = connection.get("command_timeout")
        self.connect_timeout = connection.get("connect_timeout") or session.connect_timeout
        self._limit = 0.0

    @property
    def sudo(self) -> bool:
        return self.become == "sudo" and self.target.user != "root"

    def command(self) -> str:
        """The one remote command: the collector reads its script on stdin."""
        if not self.sudo:
            return f"{_ENV} /bin/sh -s"
        return f"{_ENV} sudo -S -p '{_PROMPT}' /bin/sh -c 'echo {_READY}; exec /bin/sh -s'"

    def run_script(self, script: str, timeout: float) -> ScriptOutput:
        limit = self._limit = float(self.command_timeout or timeout)
        t0 = time.monotonic()
        t, info = self.session.connect(self.target, self.jumps, self.connect_timeout)
        connected = time.monotonic()
        try:
            chan = t.open_session(timeout=self.connect_timeout)
            chan.exec_command(self.command())
            deadline = time.monotonic() + limit
            head = self._sudo(chan, deadline) if self.sudo else b""
            writer = threading.Thread(target=self._send, args=(chan, script.encode()), daemon=True)
            writer.start()
            out, err, truncated = self._read(chan, deadline, head)
            rc = chan.exit_status if chan.status_event.wait(max(0.0, min(5.0, deadline - time.monotonic()))) else -1
        except (paramiko.SSHException, EOFError, OSError) as exc:
            if self.session.cancelled.is_set():
                raise CollectionError("interrupted") from None
            raise CollectionError(f"SSH session with {self.target.name} failed: {exc or type(exc).__name__}") \
                from None
        finally:
            self.session.release(t)
        info.update(transport="ssh", host=self.target.host, port=self.target.port, user=self.target.user,
                    become="sudo" if self.sudo else None,
                    seconds={"connect": round(connected - t0, 3), "exec": round(time.monotonic() - connected, 3)})
        stderr = err.decode("utf-8", "replace")
        if truncated:
            info["truncated"] = True
            stderr += f"\nassess: output exceeded {MAX_OUTPUT // (1024 * 1024)} MiB; the rest was not read"
        return ScriptOutput(out.decode("utf-8", "replace"), stderr, rc, info)

    @staticmethod
    def _send(chan: paramiko.Channel, data: bytes) -> None:
        try:
            chan.sendall(data)
            chan.shutdown_write()
        except (paramiko.SSHException, EOFError, OSError):
            pass  # the reader sees the closed channel and reports it

    def _check(self, deadline: float) -> None:
        if self.session.cancelled.is_set():
            raise CollectionError("interrupted")
        if time.monotonic() > deadline:
            raise CollectionError(f"command timeout: the collector did not finish on {self.target.name} "
                                  f"within {self._limit:g} s; the connection was closed")

    def _drain_stderr(self, chan: paramiko.Channel, err: bytearray, deadline: float) -> None:
        """Append what stderr has ready, keeping only its last MAX_STDERR bytes; a host that floods stderr
        neither grows memory nor holds the reader past its deadline."""
        while chan.recv_stderr_ready():
            self._check(deadline)
            err += chan.recv_stderr(1 << 16)
            del err[:-MAX_STDERR]

    def _read(self, chan: paramiko.Channel, deadline: float, head: bytes) -> tuple[bytes, bytes, bool]:
        out, err = bytearray(head), bytearray()
        chan.settimeout(0.5)
        while True:
            self._check(deadline)
            try:
                data = chan.recv(1 << 18)
            except TimeoutError:
                data = None
            self._drain_stderr(chan, err, deadline)
            if data == b"":
                break
            if data:
                out += data
                if len(out) > MAX_OUTPUT:
                    chan.close()
                    return bytes(out[:MAX_OUTPUT]), bytes(err), True
        while True:
            self._check(deadline)
            try:
                chunk = chan.recv_stderr(1 << 16)
            except TimeoutError:
                break
            if not chunk:
                break
            err += chunk
            del err[:-MAX_STDERR]
        return bytes(out), bytes(err), False

    def _sudo(self, chan: paramiko.Channel, deadline: float) -> bytes:
        """Answer sudo's password prompt from stdin; return stdout received after the shell is ready.

        Both streams are capped like the collector's output: stdout before the ready line may not exceed
        MAX_OUTPUT, stderr keeps its last MAX_STDERR bytes (prompts are counted as they arrive).
        """
        prompt, ready = _PROMPT.encode(), f"{_READY}\n".encode()
        out, err = bytearray(), bytearray()
        prompts = 0
        answered = False
        chan.settimeout(0.05)
        while True:
            self._check(deadline)
            try:
                data = chan.recv(1 << 16)
            except TimeoutError:
                data = None
            if data:
                out += data
                if ready in out:
                    return bytes(out[out.index(ready) + len(ready):])
                if len(out) > MAX_OUTPUT:
                    raise CollectionError(f"sudo on {self.target.name}: more than "
                                          f"{MAX_OUTPUT // (1024 * 1024)} MiB of output before the shell started")
            self._drain_stderr(chan, err, deadline)
            if prompt in err:
                prompts += err.count(prompt)
                del err[:err.rindex(prompt) + len(prompt)]
            if prompts > (1 if answered else 0):
                if answered:
                    raise CollectionError(f"sudo on {self.target.name} rejected the password from "
                                          f"${self.become_password_env} for {self.target.user}")
                if not self.become_password_env:
                    raise CollectionError(f"sudo on {self.target.name} asks {self.target.user} for a password; "
                                          "give it with become_password_env")
                password = creds.env_secret(self.become_password_env, f"sudo password of {self.target.shown}")
                chan.sendall(password.encode() + b"\n")
                answered = True
            if data == b"" or (chan.exit_status_ready() and not chan.recv_ready()):
                message = err.replace(prompt, b"").decode("utf-8", "replace").strip().splitlines()
                reason = message[-1] if message else f"exit status {chan.recv_exit_status()}"
                raise CollectionError(f"sudo failed on {self.target.name} for {self.target.user}: {reason}")
