"""The SSH lab: real OpenSSH sshd hosts on loopback, each in its own namespaces.

Every lab host is a `tests/lab/node.py` process running as PID 1 of new mount, UTS and PID namespaces,
and of a new network namespace unless it shares another host's (the host behind the bastion). Its /etc
is a copy of this machine's /etc with the host's fixture tree (`tests/lab/hosts/<tree>/etc`) laid over it:
a directory in the tree replaces the whole directory, a file replaces the file, and `lab.yaml` of the tree
lists paths to remove, file modes and extra listening services. That copy is bind-mounted over /etc inside
the namespace, so `sshd`, `sudo` and the collector's `cat /etc/...` all see the fixture.

Host keys and a client key are generated per lab; `known_hosts` lists every host. A host reachable from
the test's network gets a listening socket on 127.0.0.1 (an ephemeral port) whose connections are
served by `sshd -i`; inside its own network the host's sshd also listens on port 22 like a real server.

The running sshd gets a few lab-only overrides on its command line (no PAM, authorized keys from the
lab directory, root may log in with a key), so a fixture's sshd_config can say `PermitRootLogin no`
and still be what the collector's `sshd -T` reports.
"""

from __future__ import annotations

import ctypes
import json
import os
import secrets
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
HOSTS = HERE / "hosts"
SSHD = "/usr/sbin/sshd"
TOOLS = ("unshare", "nsenter", "mount", "ssh-keygen", "openssl", "ip", "sudo")

#: What a lab host keeps of this machine's /etc: what its programs need, and nothing a check reads. Every
#: other path comes from the host's fixture trees or does not exist, so verdicts do not depend on the
#: machine the lab runs on (a CI machine's cron jobs, sudoers.d or systemd units stay out).
KEEP_ETC = ("alternatives", "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "nsswitch.conf", "hosts", "host.conf",
            "gai.conf", "resolv.conf", "services", "protocols", "shells", "localtime", "timezone", "mtab",
            "sudo.conf", "ssl", "ca-certificates", "terminfo", "dpkg", "apt", "default", "perl", "machine-id",
            "inputrc", "locale.alias", "netconfig", "networks", "ethertypes", "magic", "mime.types", "iproute2")
#: Directories outside /etc that facts read and that differ between machines: a lab host sees its trees'
#: copy (`var/...` next to `etc/` in the tree) or an empty directory.
MASKED = ("var/log", "var/spool/cron", "var/lib/dpkg", "var/lib/apt/lists", "var/lib/aide", "var/lib/clamav")
#: The kernel command line a lab host reports (the machine's may name IMA or a TPM).
CMDLINE = "BOOT_IMAGE=/boot/vmlinuz root=/dev/vda1 ro quiet\n"

#: Lab-only sshd overrides (command line -o wins over sshd_config for the running daemon only).
LAB_OPTIONS = ("UsePAM=no", "StrictModes=no", "PermitRootLogin=prohibit-password", "MaxStartups=200",
               "PasswordAuthentication=yes", "PubkeyAuthentication=yes", "LogLevel=INFO")


@dataclass(frozen=True)
class User:
    """A login user added to a lab host (home-less, like a service account)."""

    name: str
    uid: int
    sudo: bool = False
    nopasswd: bool = False  # sudo without a password (NOPASSWD)


@dataclass(frozen=True)
class NodeSpec:
    """One lab host: its name (host name and inventory id), fixture tree and network placement."""

    name: str
    tree: str
    network: str | None = None  # None: its own network; else the name of the host whose network it shares
    exposed: bool = True  # reachable from the test's network on 127.0.0.1:<ephemeral port>
    listen: str = "127.0.0.1"  # address of its sshd inside its network (port 22)
    users: tuple[User, ...] = ()


NODES = (
    NodeSpec("deb-hardened", "debian-hardened"),
    NodeSpec("deb-weak", "debian-weak", users=(User("robot", 1003, sudo=True, nopasswd=True),)),
    NodeSpec("rhel8", "rhel8-hardened"),
    NodeSpec("centos7", "centos7-weak"),
    NodeSpec("bastion", "bastion"),
    NodeSpec("internal", "rhel8-hardened", network="bastion", exposed=False, listen="127.0.0.2"),
    NodeSpec("deb-sudo", "debian-hardened", users=(User("auditor", 1001, sudo=True), User("guest", 1002))),
)


@dataclass
class Host:
    """A running lab host."""

    spec: NodeSpec
    etc: Path
    port: int | None  # outside port on 127.0.0.1, None when only reachable through the bastion
    proc: subprocess.Popen | None = None
    binds: list[str] = field(default_factory=list)  # directories of the real /etc mounted into the host's
    keys: dict[str, str] = field(default_factory=dict)  # key type -> "type base64" public key
    fingerprints: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def address(self) -> str:
        return "127.0.0.1" if self.port else self.spec.listen

    @property
    def ssh_port(self) -> int:
        return self.port or 22

    @property
    def known_name(self) -> str:
        return self.address if self.ssh_port == 22 else f"[{self.address}]:{self.ssh_port}"


def unavailable() -> str | None:
    """Why the lab cannot run here, or None."""
    if not sys.platform.startswith("linux"):
        return "the SSH lab needs Linux"
    if os.geteuid() != 0:
        return "the SSH lab needs root (mount namespaces and bind mounts)"
    if not os.access(SSHD, os.X_OK):
        return f"{SSHD} not found (apt-get install openssh-server)"
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        return f"missing tools for the SSH lab: {', '.join(missing)}"
    probe = subprocess.run(["unshare", "--mount", "--net", "--uts", "--pid", "--fork", "true"],
                           capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        return f"cannot create namespaces here: {probe.stderr.strip()}"
    return None


def tree_meta(tree: str) -> dict:
    """A tree's lab.yaml, with `base:` trees applied first (their removals and modes inherited)."""
    meta = yaml.safe_load((HOSTS / tree / "lab.yaml").read_text()) or {}
    base = tree_meta(meta["base"]) if meta.get("base") else {"trees": [], "remove": [], "modes": {}}
    return {"trees": [*base["trees"], tree], "remove": [*base.get("remove", []), *meta.get("remove", [])],
            "modes": {**base.get("modes", {}), **(meta.get("modes") or {})},
            "listeners": meta.get("listeners", []),
            "processes": meta.get("processes", base.get("processes", []))}


def _fresh(line: str, today: str) -> str:
    """Fixture shadow files write the last password change as 19800, meaning "today" in the lab."""
    fields = line.split(":")
    if len(fields) > 2 and fields[2] == "19800":
        fields[2] = today
    return ":".join(fields)


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _die_with_parent() -> None:
    """Child side of Popen: get SIGTERM when the test process dies, so no lab host outlives it."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _run(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw)


class Lab:
    """Start with `Lab.start()`, stop with `stop()`; see the module docstring."""

    def __init__(self, root: Path, nodes: tuple[NodeSpec, ...]) -> None:
        self.root = root
        self.nodes = nodes
        self.hosts: dict[str, Host] = {}
        self.client_key = root / "client" / "id_ed25519"
        self.known_hosts = root / "client" / "known_hosts"
        self.sudo_password = secrets.token_urlsafe(12)
        self.user_password = secrets.token_urlsafe(12)

    @classmethod
    def start(cls, nodes: tuple[NodeSpec, ...] = NODES) -> Lab:
        lab = cls(Path(tempfile.mkdtemp(prefix="assess-lab-")), nodes)
        try:
            lab._start()
        except BaseException:
            lab.stop()
            raise
        return lab

    # -- building ----------------------------------------------------------------------------------------
    def _start(self) -> None:
        for d in ("client", "keys", "logs", "nodes"):
            (self.root / d).mkdir(mode=0o755)
        os.chmod(self.root, 0o755)
        _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "assess-lab-client", "-f", str(self.client_key))
        client_pub = self.client_key.with_suffix(".pub").read_text()
        for spec in self.nodes:
            for user in ("root", *(u.name for u in spec.users)):
                (self.root / "keys" / user).write_text(client_pub)
            self.hosts[spec.name] = self._build(spec)
        for host in self.hosts.values():
            self._launch(host)
        lines = [f"{h.known_name} {key}\n" for h in self.hosts.values() for key in h.keys.values()]
        owners = {s.network for s in self.nodes if s.network}  # a bastion is also known by its inside address
        lines += [f"{h.spec.listen} {key}\n" for h in self.hosts.values() if h.name in owners
                  for key in h.keys.values()]
        self.known_hosts.write_text("".join(lines))

    def _build(self, spec: NodeSpec) -> Host:
        meta = tree_meta(spec.tree)
        etc = self.root / "nodes" / spec.name / "etc"
        binds = self._base_etc(etc, meta)
        for tree in meta["trees"]:
            for entry in sorted((HOSTS / tree / "etc").iterdir()):
                dest = etc / entry.name
                if dest.is_dir() and not dest.is_symlink():
                    shutil.rmtree(dest)
                elif dest.exists() or dest.is_symlink():
                    dest.unlink()
                if entry.is_dir():
                    shutil.copytree(entry, dest, symlinks=True)
                else:
                    shutil.copy2(entry, dest)
        for rel in meta.get("remove", []):
            target = etc / rel
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            elif target.exists() or target.is_symlink():
                target.unlink()
        for old in (etc / "ssh").glob("ssh_host_*"):
            old.unlink()
        host = Host(spec, etc, None, binds=binds)
        for keytype in ("ed25519", "ecdsa"):
            path = etc / "ssh" / f"ssh_host_{keytype}_key"
            _run("ssh-keygen", "-q", "-t", keytype, "-N", "", "-C", f"root@{spec.name}", "-f", str(path))
            pub = path.with_suffix(".pub").read_text().split()
            host.keys[pub[0]] = f"{pub[0]} {pub[1]}"
            fp = _run("ssh-keygen", "-l", "-E", "sha256", "-f", str(path.with_suffix(".pub"))).stdout.split()[1]
            host.fingerprints[pub[0]] = fp
        today = str(int(time.time() // 86400))
        shadow = etc / "shadow"
        shadow.write_text("".join(_fresh(line, today) for line in shadow.read_text().splitlines(keepends=True)))
        if any(u.sudo for u in spec.users) and "sudoers.d" in binds:  # written below: a copy, not a mount
            binds.remove("sudoers.d")
            (etc / "sudoers.d").rmdir()
            shutil.copytree("/etc/sudoers.d", etc / "sudoers.d", symlinks=True)
        self._add_users(etc, spec.users, today)
        with open(etc / "hosts", "a", encoding="utf-8") as fh:
            fh.write(f"127.0.1.1\t{spec.name}\n")
        (etc / "hostname").write_text(spec.name + "\n")
        node = etc.parent
        for rel in MASKED:
            (node / "mask" / rel).mkdir(parents=True)
            for tree in meta["trees"]:
                if (HOSTS / tree / rel).is_dir():
                    shutil.copytree(HOSTS / tree / rel, node / "mask" / rel, symlinks=True, dirs_exist_ok=True)
        stamp = time.strftime("%a, %d %b %Y %H:%M:%S UTC", time.gmtime())
        for release in (node / "mask" / "var/lib/apt/lists").glob("*Release"):  # a fresh index, as of now
            release.write_text(release.read_text().replace("@@LAB_DATE@@", stamp))
        (node / "cmdline").write_text(CMDLINE)
        for rel, mode in (meta.get("modes") or {}).items():
            self._chmod(node / "mask" / rel[1:] if rel.startswith("/") else etc / rel, str(mode))
        return host

    def _add_users(self, etc: Path, users: tuple[User, ...], today: str) -> None:
        for user in users:
            password = self.sudo_password if user.sudo else self.user_password
            hashed = _run("openssl", "passwd", "-6", "-stdin", input=password).stdout.strip()
            with open(etc / "passwd", "a", encoding="utf-8") as fh:
                fh.write(f"{user.name}:x:{user.uid}:{user.uid}:lab user:/home/{user.name}:/bin/sh\n")
            with open(etc / "shadow", "a", encoding="utf-8") as fh:
                fh.write(f"{user.name}:{hashed}:{today}:0:90:7:::\n")
            with open(etc / "group", "a", encoding="utf-8") as fh:
                fh.write(f"{user.name}:x:{user.uid}:\n")
            if user.sudo:
                (etc / "sudoers.d").mkdir(exist_ok=True)
                rule = etc / "sudoers.d" / f"lab-{user.name}"
                rule.write_text(f"{user.name} ALL=(ALL:ALL) {'NOPASSWD: ' if user.nopasswd else ''}ALL\n")
                rule.chmod(0o440)

    @staticmethod
    def _base_etc(etc: Path, meta: dict) -> list[str]:
        """The KEEP_ETC part of this machine's /etc as the base of a host's /etc, cheaply: files are
        copied, directories are bind-mounted from the real /etc inside the namespace (returned), unless a
        removal reaches into one (then it is copied)."""
        etc.mkdir(parents=True)
        replaced = {e.name for tree in meta["trees"] for e in (HOSTS / tree / "etc").iterdir()}
        removals = [Path(r).parts for r in meta.get("remove", [])]
        binds = []
        for entry in os.scandir("/etc"):
            keep = entry.name in KEEP_ETC or entry.name.startswith("python3")
            if not keep or entry.name in replaced or (entry.name,) in removals:
                continue
            dest = etc / entry.name
            if entry.is_symlink():
                os.symlink(os.readlink(entry.path), dest)
            elif entry.is_dir():
                if any(r[0] == entry.name and Path("/etc", *r).exists() for r in removals):
                    shutil.copytree(entry.path, dest, symlinks=True)
                else:
                    dest.mkdir()
                    binds.append(entry.name)
            elif entry.is_file():
                shutil.copy2(entry.path, dest)
        return binds

    @staticmethod
    def _chmod(path: Path, spec: str) -> None:
        """`0640` or `0640 root shadow` (lab.yaml paths are relative to /etc, or absolute for var/...)."""
        parts = spec.split()
        path.chmod(int(parts[0], 8))
        if len(parts) == 3:
            shutil.chown(path, parts[1], parts[2])

    # -- running -------------------------------------------------------------------------------------------
    def _launch(self, host: Host) -> None:
        spec = host.spec
        outside = None
        if spec.exposed:
            outside = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            outside.bind(("127.0.0.1", 0))
            outside.listen(128)
            host.port = outside.getsockname()[1]
        meta = tree_meta(spec.tree)
        log = self.root / "logs" / f"{spec.name}.log"
        cfg = {"hostname": spec.name, "etc": str(host.etc), "log": str(log), "sshd": SSHD,
               "listen": spec.listen, "port": 22, "own_network": spec.network is None,
               "outside_fd": outside.fileno() if outside else None,
               "listeners": meta.get("listeners", []), "processes": meta.get("processes", []),
               "homes": [[u.name, u.uid] for u in spec.users], "binds": host.binds,
               "masks": [[f"/{rel}", str(host.etc.parent / "mask" / rel)] for rel in MASKED],
               "cmdline": str(host.etc.parent / "cmdline"),
               "sshd_options": [*LAB_OPTIONS, f"AuthorizedKeysFile={self.root}/keys/%u",
                                f"PidFile=/run/sshd-{spec.name}.pid"]}
        cfg_path = self.root / "nodes" / spec.name / "node.json"
        cfg_path.write_text(json.dumps(cfg))
        ns = ["unshare", "--mount", "--uts", "--pid", "--fork", "--kill-child", "--mount-proc",
              "--propagation", "private"]
        if spec.network is None:
            cmd = [*ns, "--net"]
        else:
            owner = self.hosts[spec.network].proc
            assert owner is not None, f"{spec.network} must start before {spec.name}"
            cmd = ["nsenter", f"--net=/proc/{owner.pid}/ns/net", *ns]
        cmd += [sys.executable, str(HERE / "node.py"), str(cfg_path)]
        with open(log, "ab") as err:
            host.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL,
                                         pass_fds=(outside.fileno(),) if outside else (),
                                         preexec_fn=_die_with_parent)
        if outside:
            outside.close()
        self._await_ready(host, log)

    @staticmethod
    def _await_ready(host: Host, log: Path, seconds: float = 20.0) -> None:
        assert host.proc is not None and host.proc.stdout is not None
        ready, _, _ = select.select([host.proc.stdout], [], [], seconds)
        line = host.proc.stdout.readline().decode().strip() if ready else ""
        if line != "READY":
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"lab host {host.name} did not start: {line or 'timeout'}\n{tail}")

    def stop(self) -> None:
        """Stop every host (the PID namespaces take their processes, the mount namespaces their mounts)."""
        for host in reversed(list(self.hosts.values())):
            if host.proc and host.proc.poll() is None:  # unshare ignores SIGTERM: stop its child, PID 1 inside
                for pid in _children(host.proc.pid):
                    try:
                        os.kill(pid, signal.SIGTERM)
                    except ProcessLookupError:
                        pass
        deadline = time.monotonic() + 5
        for host in self.hosts.values():
            if host.proc:
                try:
                    host.proc.wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    host.proc.kill()
                    host.proc.wait()
                if host.proc.stdout:
                    host.proc.stdout.close()
        shutil.rmtree(self.root, ignore_errors=True)

    # -- helpers for tests -----------------------------------------------------------------------------------
    def host(self, name: str) -> Host:
        return self.hosts[name]

    def connection(self, name: str, **overrides) -> dict:
        """Target.connection fields to reach a lab host as root with the lab key (jump for hidden hosts)."""
        host = self.hosts[name]
        conn = {"transport": "ssh", "host": host.address, "port": host.ssh_port, "user": "root",
                "key": str(self.client_key), "known_hosts": [str(self.known_hosts)], "label": name}
        if not host.spec.exposed:
            conn["jump"] = [self.connection(host.spec.network or "")]
        conn.update(overrides)
        return conn

    def inventory(self, path: Path, objects: list[dict] | None = None, **top) -> Path:
        """Write an assess inventory reaching the lab hosts (default: every host as root; the internal
        host through the bastion, by object id) with the lab key and known_hosts."""
        if objects is None:
            objects = []
            for host in self.hosts.values():
                obj = {"id": host.name, "address": host.address, "port": host.ssh_port}
                if not host.spec.exposed:
                    obj["jump"] = host.spec.network
                objects.append(obj)
        doc = {"defaults": {"type": "linux", "user": "root", "key": str(self.client_key),
                            "known_hosts": str(self.known_hosts)},
               "objects": objects, "ssh_config": False, "interview_objects": False, **top}
        path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        return path

    def log(self, name: str) -> str:
        return (self.root / "logs" / f"{name}.log").read_text(errors="replace")
