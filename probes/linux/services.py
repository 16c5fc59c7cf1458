"""Running processes, listening sockets, enabled services, inetd/xinetd, NFS/Samba shares, SNMP.

Domain notes §3.1 L11, L30, L36 (high-risk ports and services, default shares, cleartext remote
administration). Process names are the kernel's `comm` (at most 15 characters: `systemd-journald`
shows as `systemd-journal`); parameters that list process names use that form.
"""

from __future__ import annotations

import re

from assess.probes.facts import FactUnavailable, Section, fact
from assess.probes.linux import netparse

#: A syslog daemon receiving on TCP 514 is a log server, not rsh (which shares the port number).
_SYSLOG_DAEMONS = {"rsyslogd", "syslog-ng", "syslogd"}
#: inetd/xinetd spell the r-services after their /etc/services names.
_INETD_ALIASES = {"shell": "rsh", "login": "rlogin", "exec": "rexec"}


@fact("processes", r"""
sed -n 's/^[[:space:]]*UID_MIN[[:space:]][[:space:]]*\([0-9][0-9]*\).*/uid_min \1/p' "$R/etc/login.defs" 2>/dev/null
_cmd ps -e -o pid=,uid=,ppid=,comm=
""")
def processes(section: Section) -> dict:
    """Names of running processes (kernel threads left out). `names` are those with an instance owned by
    root or a system account (uid below UID_MIN of login.defs, default 1000; nobody is not one), the only
    ones that count as a host control: any user can start a process called `clamd`. `user_names` are
    the processes of ordinary users, shown but never evidence. Example: {"names": ["auditd", "chronyd",
    "sshd"], "root": ["auditd", "sshd"], "user_names": ["bash"], "uid_min": 1000, "count": 87}"""
    run = section.command("ps")
    if not run.found or run.rc not in (0, None):
        raise FactUnavailable("ps is not available: running processes cannot be listed")
    uid_min = next((int(line.split()[1]) for line in section.plain().split("\n") if line.startswith("uid_min ")),
                   1000)
    names: set[str] = set()
    root: set[str] = set()
    users: set[str] = set()
    count = 0
    for line in run.output.split("\n"):
        parts = line.split(None, 3)
        if len(parts) < 4 or not parts[0].isdigit() or not parts[1].isdigit():
            continue
        pid, uid, ppid, comm = parts
        if pid == "2" or ppid == "2":  # kthreadd and its kernel threads
            continue
        count += 1
        system = int(uid) < uid_min and int(uid) != 65534
        (names if system else users).add(comm.strip())
        if uid == "0":
            root.add(comm.strip())
    if not count:
        raise FactUnavailable("ps printed no processes")
    return {"names": sorted(names), "root": sorted(root), "user_names": sorted(users), "uid_min": uid_min,
            "count": count}


@fact("listening", """
_cmd ss -tulnp
if [ -n "$R" ] || ! command -v ss >/dev/null 2>&1; then _cmd netstat -tulnp; fi
""")
def listening(section: Section) -> dict:
    """Listening TCP and UDP sockets (`ss -tulnp`, else `netstat -tulnp`). `public` means bound to
    something other than loopback, i.e. reachable from the network; TCP 514 held by a syslog daemon (a
    log server, seen only when the collector may read process names) is not counted as rsh. Example: {"source": "ss",
    "listeners": [{"proto": "tcp", "address": "0.0.0.0", "port": 22, "process": "sshd", "public": true}],
    "public_tcp_ports": [22], "public_udp_ports": [], "rpcbind_public": false}"""
    ss, netstat = section.command("ss"), section.command("netstat")
    if ss.found and ss.rc == 0:
        source, rows = "ss", netparse.parse_ss(ss.output)
    elif netstat.found and netstat.rc == 0:
        source, rows = "netstat", netparse.parse_netstat(netstat.output)
    else:
        why = ss.output.strip().split("\n")[0] if ss.found else "neither ss nor netstat is installed"
        raise FactUnavailable(f"listening sockets cannot be listed: {why}")
    seen, listeners = set(), []
    for row in rows:
        key = (row["proto"], row["address"], row["port"])
        if key not in seen:
            seen.add(key)
            listeners.append(row)
    tcp = sorted({r["port"] for r in listeners if r["public"] and r["proto"] == "tcp"
                  and not (r["port"] == 514 and r["process"] in _SYSLOG_DAEMONS)})
    udp = sorted({r["port"] for r in listeners if r["public"] and r["proto"] == "udp"})
    return {"source": source, "listeners": listeners, "public_tcp_ports": tcp, "public_udp_ports": udp,
            "rpcbind_public": 111 in tcp or 111 in udp}


@fact("services", """
[ -d "$R/run/systemd/system" ] && echo "systemd running"
for _f in "$R"/etc/rc2.d/S* "$R"/etc/rc3.d/S* "$R"/etc/rc5.d/S* "$R"/etc/rc.d/rc3.d/S* "$R"/etc/rc.d/rc5.d/S*; do
  [ -e "$_f" ] && echo "rc ${_f##*/}"
done
for _f in "$R"/etc/systemd/system/*.wants/* "$R"/etc/systemd/system/*.requires/*; do
  { [ -e "$_f" ] || [ -L "$_f" ]; } && echo "wants ${_f##*/}"
done
for _f in "$R"/etc/systemd/system/*.service "$R"/etc/systemd/system/*.socket; do
  [ -L "$_f" ] && [ "$(readlink "$_f")" = /dev/null ] && echo "masked ${_f##*/}"
done
[ -e "$R/usr/sbin/smbd" ] && echo "installed smbd"
[ -r "$R/proc/mounts" ] && awk '$3 ~ /^nfs/ {print "nfsmount " $2}' "$R/proc/mounts"
_cmd systemctl list-units --type=service,socket --state=running,listening --no-legend --no-pager --plain
_glob /etc/xinetd.conf '/etc/xinetd.d/*'
_file /etc/inetd.conf /etc/exports
_glob '/etc/exports.d/*.exports'
_file /etc/samba/smb.conf
""")
def services(section: Section) -> dict:
    """Services that start or run: enabled systemd units (links in /etc/systemd/system/*.wants, masked
    ones left out), running units (when systemd is PID 1),
    SysV start links, and what inetd/xinetd offer when the super-server itself is enabled; NFS
    exports and Samba shares. Names are unit names without suffix (`telnet.socket` → `telnet`);
    inetd's `shell`/`login`/`exec` read as `rsh`/`rlogin`/`rexec`. Example: {"active": ["cron",
    "ssh"], "inetd": [], "nfs_world_exports": [], "samba_default_shares": []}"""
    plain = section.plain().split("\n")
    masked = {line[7:] for line in plain if line.startswith("masked ")}
    enabled = {netparse.unit_name(line[6:]) for line in plain
               if line.startswith("wants ") and line[6:] not in masked and line.endswith((".service", ".socket"))}
    running: set[str] = set()
    units = section.command("systemctl list-units --type=service,socket --state=running,listening --no-legend "
                            "--no-pager --plain")
    if units.found and units.rc == 0:
        for line in units.output.split("\n"):
            parts = line.split()
            if parts and "." in parts[0]:
                running.add(netparse.unit_name(parts[0]))
    rc_links = {n for n in (netparse.rc_link_name(line[3:]) for line in plain if line.startswith("rc ")) if n}
    started = enabled | running | rc_links
    files = section.files()
    inetd: set[str] = set()
    if "xinetd" in started:
        xfiles = {p: f.content for p, f in files.items() if f.ok and (p == "/etc/xinetd.conf"
                                                                     or p.startswith("/etc/xinetd.d/"))}
        inetd |= set(netparse.xinetd_services(xfiles))
    if started & {"inetd", "openbsd-inetd", "inetutils-inetd"}:
        inetd |= set(netparse.inetd_services(section.file("/etc/inetd.conf").content))
    inetd = {_canonical(n) for n in inetd}
    exports = []
    for path, read in files.items():
        if read.ok and (path == "/etc/exports" or path.startswith("/etc/exports.d/")):
            exports += netparse.nfs_exports(read.content)
    nfs_mounts = [line.split(" ", 1)[1] for line in plain if line.startswith("nfsmount ")]
    nfs_server = bool(started & {"nfs-server", "nfs-kernel-server", "nfs"})
    samba_active = "installed smbd" in plain and bool(started & {"smbd", "smb", "samba"})
    shares = netparse.samba_shares(section.file("/etc/samba/smb.conf").content) if samba_active else []
    return {
        "systemd_running": "systemd running" in plain,
        "enabled_units": sorted(enabled), "running_units": sorted(running), "rc_links": sorted(rc_links),
        "inetd": sorted(inetd), "active": sorted(started | inetd),
        "nfs_exports": exports if nfs_server else [],
        "nfs_world_exports": [e["path"] for e in exports if e["world"]] if nfs_server else [],
        "nfs_in_use": bool((exports and nfs_server) or nfs_mounts), "nfs_mounts": nfs_mounts,
        "samba_shares": [s["name"] for s in shares],
        "samba_default_shares": [s["name"] for s in shares if s["name"].lower() in ("homes", "printers", "print$")],
    }


def _canonical(name: str) -> str:
    name = re.sub(r"-(dgram|stream|udp|tcp)$", "", name)
    return _INETD_ALIASES.get(name, name)


_SNMP_AWK = r"""
{ sub(/#.*/, "") }
$1 ~ /^(ro|rw)community6?$/ { d = ($2 == "public" || $2 == "private") ? "default" : "custom";
  print "community " $1 " " d " " ($3 == "" ? "any" : $3) }
$1 ~ /^com2sec6?$/ { i = 2; if ($i == "-Cn") i += 2;
  d = ($(i+2) == "public" || $(i+2) == "private") ? "default" : "custom"; print "community " $1 " " d " " $(i+1) }
tolower($1) == "agentaddress" { print "agentaddress " $2 }
"""


@fact("snmp", f"""
[ -e "$R/usr/sbin/snmpd" ] && echo "installed snmpd"
for _f in "$R/etc/snmp/snmpd.conf" "$R"/etc/snmp/snmpd.conf.d/*.conf; do
  [ -f "$_f" ] || continue
  if [ -r "$_f" ]; then echo "file ${{_f#"$R"}}"; awk '{_SNMP_AWK}' "$_f"; else echo "denied ${{_f#"$R"}}"; fi
done
""")
def snmp(section: Section) -> dict:
    """snmpd and its v1/v2c communities, judged on the host so that no community string enters the
    evidence: each is reported as `default` (public/private) or `custom`, with its source restriction.
    Example: {"installed": true, "communities": [{"directive": "rocommunity", "kind": "default",
    "source": "localhost"}], "default_community": true, "agent_addresses": ["127.0.0.1,[::1]"]}"""
    lines = section.plain().split("\n")
    installed = "installed snmpd" in lines
    denied = [line[7:] for line in lines if line.startswith("denied ")]
    if installed and denied:
        raise FactUnavailable(f"permission denied reading {', '.join(denied)} (run as root or with sudo)")
    communities = []
    for line in lines:
        parts = line.split()
        if len(parts) >= 4 and parts[0] == "community":
            communities.append({"directive": parts[1], "kind": parts[2], "source": parts[3]})
    return {"installed": installed, "communities": communities,
            "default_community": any(c["kind"] == "default" for c in communities),
            "agent_addresses": [line.split(" ", 1)[1] for line in lines if line.startswith("agentaddress ")],
            "files": [line[5:] for line in lines if line.startswith("file ")]}

