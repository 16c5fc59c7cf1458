"""One lab host, run as PID 1 of its own mount, UTS, PID (and usually network) namespaces.

Started by tests/lab/sshd.py as
    unshare --mount --uts --pid --fork --kill-child --mount-proc [--net] python3 node.py CONFIG.json
(or under `nsenter --net=…` to share a bastion's network). It bind-mounts the host's prepared /etc over
/etc, mounts a private tmpfs on /run, sets the host name, starts the real OpenSSH sshd listening inside
the namespace, optional extra listeners (the telnet service of the weak host), and, when the lab hands it
a listening socket from the outside network, serves each connection with `sshd -i` (inetd mode).
When this process exits, the kernel kills everything in the PID namespace and drops the mounts.

Standard library only: it runs before (and apart from) the assess package.
"""

from __future__ import annotations

import ctypes
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time

MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 32, 4096, 16384, 1 << 18
_libc = ctypes.CDLL(None, use_errno=True)
#: Kernel interfaces that tell about the machine, not the lab host (EFI, TPM, IMA, AppArmor, SELinux).
SYS_MASKS = ("/sys/firmware", "/sys/class/tpm", "/sys/kernel/security", "/sys/module/apparmor", "/sys/fs/selinux")


def mount(source: str, target: str, fstype: str | None = None, flags: int = 0, data: str | None = None) -> None:
    """mount(2), without a process per mount."""
    if _libc.mount(source.encode(), target.encode(), fstype.encode() if fstype else None, flags,
                   data.encode() if data else None) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {source} on {target}: {os.strerror(err)}")


def sh(*args: str) -> None:
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)


def _named(bindir: str, name: str, program: str) -> str:
    """A link called `name` to `program`: the process it starts shows as `name` (its comm) in ps and ss."""
    link = os.path.join(bindir, name)
    if not os.path.lexists(link):
        os.symlink(program, link)
    return link


def wait_listening(host: str, port: int, proc: subprocess.Popen, seconds: float = 10.0) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise SystemExit(f"sshd exited with status {proc.returncode} (see its log)")
        try:
            socket.create_connection((host, port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.02)
    raise SystemExit(f"sshd did not listen on {host}:{port} within {seconds:g} s")


def main() -> None:
    cfg = json.loads(open(sys.argv[1], encoding="utf-8").read())
    log = open(cfg["log"], "ab", buffering=0)
    mount("none", "/", None, MS_REC | MS_PRIVATE)
    for name in cfg.get("binds", []):  # directories of the real /etc that no fixture replaces, read-only
        target = os.path.join(cfg["etc"], name)
        mount(os.path.join("/etc", name), target, None, MS_BIND | MS_REC)
        mount("none", target, None, MS_REMOUNT | MS_BIND | MS_RDONLY)
    mount(cfg["etc"], "/etc", None, MS_BIND | MS_REC)
    mount("tmpfs", "/run", "tmpfs", 0, "mode=0755,size=16m")
    os.mkdir("/run/sshd", 0o755)
    mount("tmpfs", "/home", "tmpfs", 0, "mode=0755,size=4m")
    for target, source in cfg.get("masks", []):  # machine-specific state: the host's own copy instead
        if os.path.isdir(target):
            mount(source, target, None, MS_BIND)
    for target in SYS_MASKS:
        if os.path.isdir(target):
            mount("tmpfs", target, "tmpfs", MS_RDONLY, "mode=0755,size=4k")
    if cfg.get("cmdline"):
        mount(cfg["cmdline"], "/proc/cmdline", None, MS_BIND)
    for name, uid in cfg.get("homes", []):
        os.mkdir(f"/home/{name}", 0o700)
        os.chown(f"/home/{name}", uid, uid)
    sh("hostname", cfg["hostname"])
    if cfg.get("own_network"):
        sh("ip", "link", "set", "lo", "up")
    children: list[subprocess.Popen] = []

    def stop(*_: object) -> None:
        for c in children:
            if c.poll() is None:
                c.kill()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    bindir = os.path.join(os.path.dirname(cfg["etc"]), "bin")
    os.makedirs(bindir, exist_ok=True)
    for name in cfg.get("processes", []):  # stand-ins: a process table where the host's daemons run
        children.append(subprocess.Popen([_named(bindir, name, "/bin/sleep"), "infinity"]))
    for spec in cfg.get("listeners", []):  # extra services, e.g. telnet on 23 held by "xinetd"
        code = (f"import socket\ns = socket.socket()\ns.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
                f"s.bind(({spec['address']!r}, {spec['port']}))\ns.listen(16)\n"
                "while True:\n    s.accept()[0].close()\n")
        children.append(subprocess.Popen([_named(bindir, spec.get("process", "listener"), sys.executable), "-c", code]))
    sshd = [cfg["sshd"], "-e", *[a for o in cfg["sshd_options"] for a in ("-o", o)]]
    daemon = subprocess.Popen([*sshd, "-D", "-o", f"ListenAddress={cfg['listen']}:{cfg['port']}"],
                              stdout=log, stderr=log)
    children.append(daemon)
    wait_listening(cfg["listen"], cfg["port"], daemon)
    outside = socket.socket(fileno=cfg["outside_fd"]) if cfg.get("outside_fd") is not None else None
    print("READY", flush=True)
    sessions: list[subprocess.Popen] = []
    watch = [outside] if outside is not None else []
    while True:
        ready, _, _ = select.select(watch, [], [], 1.0)
        for s in ready:  # one `sshd -i` per connection from the outside network
            conn, _addr = s.accept()
            sessions.append(subprocess.Popen([*sshd, "-i"], stdin=conn, stdout=conn, stderr=log))
            conn.close()
        sessions = [p for p in sessions if p.poll() is None]
        if daemon.poll() is not None:
            print(f"node {cfg['hostname']}: sshd exited with {daemon.returncode}", file=sys.stderr)
            stop()


if __name__ == "__main__":
    main()
