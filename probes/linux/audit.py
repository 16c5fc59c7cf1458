"""The Linux audit system: auditd installed and enabled, its configuration, the loaded rules.

Domain notes §3.1 L21, L22, L25, L26, L28. Three facts because they fail differently: whether auditd
is installed and enabled can be seen by anyone; auditd.conf, the audit log directory and the rules
loaded in the kernel (`auditctl -l`) need root. Loaded rules are what counts: without root they
cannot be read, and the fact is unavailable (the checks then say "cannot decide", never "pass").
"""

from __future__ import annotations

import re
import shlex

from assess.probes.facts import FactUnavailable, Section, fact
from assess.probes.linux import filelist
from assess.probes.linux.parsers import key_values, to_int

#: Paths a required watch may name; a directory watch covers those below it (`-w /etc/audit/`).
KNOWN_PATHS = (
    "/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow", "/etc/security/opasswd", "/etc/sudoers",
    "/etc/sudoers.d", "/etc/ssh/sshd_config", "/etc/rsyslog.conf", "/etc/rsyslog.d",
    "/etc/syslog-ng/syslog-ng.conf", "/etc/audit/audit.rules", "/etc/audit/auditd.conf", "/etc/audit/rules.d",
    "/etc/login.defs", "/etc/pam.d", "/etc/hosts", "/etc/hosts.allow", "/etc/hosts.deny", "/etc/crontab",
    "/etc/cron.d", "/var/spool/cron", "/etc/selinux/config", "/etc/sysctl.conf", "/etc/profile", "/etc/bashrc",
    "/etc/bash.bashrc", "/etc/issue", "/etc/localtime", "/etc/systemd/journald.conf", "/etc/logrotate.conf",
    "/etc/security/faillock.conf", "/etc/security/pwquality.conf", "/etc/nsswitch.conf", "/etc/fstab",
    "/var/log/lastlog", "/var/log/faillog", "/var/run/faillock", "/var/log/wtmp", "/var/log/btmp",
    "/var/run/utmp", "/etc/ld.so.conf", "/etc/modprobe.d",
)
_EXECVE = {"execve", "execveat", "59", "322", "11"}


@fact("auditd", """
for _p in /sbin/auditd /usr/sbin/auditd /sbin/auditctl /usr/sbin/auditctl; do [ -e "$R$_p" ] && echo "exists $_p"; done
for _f in "$R"/etc/rc[235].d/S*auditd "$R"/etc/rc.d/rc[35].d/S*auditd; do [ -e "$_f" ] && echo "rc ${_f##*/}"; done
_cmd systemctl is-enabled auditd
""")
def auditd(section: Section) -> dict:
    """Whether auditd is installed and started at boot (`systemctl is-enabled`, else SysV links).
    Example: {"installed": true, "enabled": true, "enabled_state": "enabled"}. Whether it runs is the
    `processes` fact (`auditd` among the names)."""
    plain = section.plain().split("\n")
    installed = any(line.startswith("exists ") and line.endswith("/auditd") for line in plain)
    run = section.command("systemctl is-enabled auditd")
    state = run.output.strip().split("\n")[0] if run.found and run.output.strip() else ""
    state = state if re.fullmatch(r"[a-z-]+", state) else ""
    if state in ("enabled", "enabled-runtime", "static", "alias", "indirect", "generated"):
        enabled: bool | None = True
    elif state in ("disabled", "masked", "masked-runtime"):
        enabled = False
    elif any(line.startswith("rc S") for line in plain):
        enabled, state = True, "sysv"
    else:
        enabled = False if not installed else None
    return {"installed": installed, "enabled": enabled, "enabled_state": state or None,
            "auditctl": any(line.endswith("/auditctl") for line in plain)}


@fact("auditd_conf", """
_file /etc/audit/auditd.conf
_glob '/etc/audit/plugins.d/*.conf' '/etc/audisp/plugins.d/*.conf'
_cmd date +%s
_cmd ls -ln --time-style=+%s /var/log/audit
""", needs_root=True)
def auditd_conf(section: Section) -> dict:
    """auditd.conf (keys lower-case, `*_action` values lower-case), the dispatcher plugins and the audit
    log directory. Example: {"present": true, "max_log_file_action": "rotate", "num_logs": 5,
    "max_log_file": 8, "remote_plugin": false, "syslog_plugin": false, "oldest_rotated_days": 40,
    "log_files": [{"path": "/var/log/audit/audit.log", "mode": "0600", ...}], "loose_permissions": []}"""
    read = section.file("/etc/audit/auditd.conf")
    if read.status == "denied":
        raise FactUnavailable("permission denied reading /etc/audit/auditd.conf (run as root or with sudo)")
    settings = {k.lower(): v for k, v in key_values(read.content, sep="=").items()}
    out: dict = {"present": read.ok}
    for key, value in settings.items():
        number = to_int(value)
        out[key] = number if number is not None else (value.lower() if key.endswith("_action") else value)
    plugins = {}
    for path, plugin in section.files().items():
        if ("/plugins.d/" in path) and plugin.ok:
            kv = {k.lower(): v.strip() for k, v in key_values(plugin.content, sep="=").items()}
            plugins[path.rsplit("/", 1)[1][:-5]] = {"active": kv.get("active", "no").lower() == "yes",
                                                    "path": kv.get("path", "")}
    out["plugins"] = plugins
    out["remote_plugin"] = any(p["active"] and p["path"].endswith("audisp-remote") for p in plugins.values())
    out["syslog_plugin"] = any(p["active"] and ("syslog" in p["path"]) for p in plugins.values())
    date = section.command("date")
    now = to_int(date.output.strip()) if date.found else None
    listing = section.command("ls -ln --time-style=+%s /var/log/audit")
    if listing.found and filelist.denied(listing.output):
        raise FactUnavailable("permission denied listing /var/log/audit (run as root or with sudo)")
    entries = [e for e in filelist.parse_ls(listing.output, "/var/log/audit", now) if e["type"] == "file"]
    rotated = [e for e in entries if re.search(r"/audit\.log[.-]", e["path"])]
    out["log_files"] = [{k: e[k] for k in ("path", "mode", "uid", "gid", "age_days") if k in e} for e in entries]
    out["oldest_rotated_days"] = max((e["age_days"] for e in rotated if "age_days" in e), default=None)
    out["loose_permissions"] = sorted(e["path"] for e in entries if filelist.loose(e["mode"]))
    return out


def _rule(tokens: list[str]) -> dict | None:
    """One audit rule line (auditctl syntax) → watch / syscall rule / control."""
    if not tokens:
        return None
    rule: dict = {"kind": "control", "fields": {}, "syscalls": [], "perms": "", "path": "", "key": ""}
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        arg = tokens[i + 1] if i + 1 < len(tokens) else ""
        if tok == "-w":
            rule.update(kind="watch", path=arg)
            i += 2
        elif tok in ("-a", "-A"):
            parts = {p.strip() for p in arg.split(",")}
            rule.update(kind="syscall", list=next((p for p in parts if p in ("exit", "task", "user", "exclude",
                                                                               "filesystem", "io_uring")), ""),
                        action=next((p for p in parts if p in ("always", "never")), ""))
            i += 2
        elif tok == "-S":
            rule["syscalls"] += [s.strip() for s in arg.split(",") if s.strip()]
            i += 2
        elif tok == "-F":
            m = re.match(r"^([\w]+)\s*(!=|<=|>=|&=|=|<|>|&)\s*(.*)$", arg)
            if m:
                rule["fields"][m.group(1)] = (m.group(2), m.group(3))
                if m.group(1) == "key":
                    rule["key"] = m.group(3)
            i += 2
        elif tok == "-C":
            rule.setdefault("compare", []).append(arg)  # e.g. uid!=euid: only some executions
            i += 2
        elif tok == "-p":
            rule["perms"] = arg
            i += 2
        elif tok == "-k":
            rule["key"] = arg
            i += 2
        elif tok == "-e":
            rule.update(kind="enable", value=arg)
            i += 2
        else:
            i += 1
    return rule


def parse_rules(text: str) -> list[dict]:
    """Rule lines of `auditctl -l` or audit.rules; comments and blank lines skipped."""
    out = []
    for raw in text.replace("\r", "").split("\n"):
        line = raw.strip()
        if not line or line.startswith("#") or line == "No rules":
            continue
        try:
            tokens = shlex.split(line)
        except ValueError:
            tokens = line.split()
        rule = _rule(tokens)
        if rule:
            out.append(rule)
    return out


def coverage(rules: list[dict]) -> dict:
    """What the rules audit: files watched for write+attribute change, audited executables, execve."""
    watches = []
    for r in rules:
        if r["kind"] == "watch":
            watches.append({"path": r["path"], "perms": r["perms"] or "rwxa", "key": r["key"]})
        elif r["kind"] == "syscall" and r.get("action") == "always" and r.get("list") == "exit":
            f = r["fields"]
            target = f.get("path") or f.get("dir")
            if target and target[0] == "=":
                perms = f.get("perm", ("=", ""))[1] or ("rwxa" if not r["syscalls"] else "")
                if perms:
                    watches.append({"path": target[1], "perms": perms, "key": r["key"]})
    write = [w for w in watches if "w" in w["perms"] and "a" in w["perms"]]
    watched = {w["path"].rstrip("/") or "/" for w in write}
    for known in KNOWN_PATHS:
        if any(known.startswith(w["path"].rstrip("/") + "/") for w in write):
            watched.add(known)
    executed = {w["path"].rsplit("/", 1)[-1] for w in watches if "x" in w["perms"] and _program_path(w["path"])}
    execve_all = False
    for r in rules:
        if r["kind"] != "syscall" or r.get("action") != "always" or r.get("list") != "exit":
            continue
        if not (_EXECVE & set(r["syscalls"])):
            continue
        f = r["fields"]
        exe = f.get("exe") or f.get("path")
        if exe and exe[0] == "=" and _program_path(exe[1]):
            executed.add(exe[1].rsplit("/", 1)[-1])
        elif "success" not in f and "exit" not in f and not r.get("compare"):
            # `-C uid!=euid` (CIS "user_emulation") records only sudo-like privilege changes, and a
            # success/exit filter only some outcomes: neither records every command run
            execve_all = True
    return {"watches": watches, "watched": sorted(watched), "exec_audited": sorted(executed),
            "execve_all": execve_all}


def _program_path(path: str) -> bool:
    """Whether a watched path is a program (its directory is a bin, sbin or libexec), not a data file."""
    return any(part in ("bin", "sbin", "libexec") for part in path.split("/")[:-1])


def _status(text: str) -> dict:
    out: dict = {}
    for key, value in re.findall(r"\b(enabled|failure|pid|backlog_limit|lost)[ =](\d+)", text):
        out[key] = int(value)
    return out


@fact("audit_rules", """
_cmd auditctl -s
_cmd auditctl -l
_file /etc/audit/audit.rules
_glob '/etc/audit/rules.d/*.rules'
""", needs_root=True)
def audit_rules(section: Section) -> dict:
    """Audit rules loaded in the kernel (`auditctl -l`) and what they cover. `watched`: paths audited
    for write and attribute change (a directory watch covers the known files below it);
    `exec_audited`: program names whose execution is audited; `execve_all`: every execve is audited.
    `configured_watched`: the same from audit.rules / rules.d when readable (what loads at boot).
    Example: {"source": "kernel", "enabled": 1, "count": 12, "watched": ["/etc/passwd", "/etc/shadow"],
    "exec_audited": ["useradd"], "execve_all": false, "immutable": false}"""
    listed = section.command("auditctl -l")
    status = section.command("auditctl -s")
    if listed.found and listed.rc == 0:
        rules = parse_rules(listed.output)
        source = "kernel"
    elif listed.found:
        first = listed.output.strip().split("\n")[0] or f"exit status {listed.rc}"
        raise FactUnavailable(f"auditctl -l failed: {first} (the loaded audit rules need root to read)")
    else:
        rules, source = [], "none"  # auditctl not installed: nothing can be loaded
    kernel = _status(status.output) if status.found and status.rc == 0 else {}
    out = {"source": source, "enabled": kernel.get("enabled"), "count": len(rules), **coverage(rules)}
    out["immutable"] = kernel.get("enabled") == 2
    configured = []
    for read in section.files().values():
        if read.ok:
            configured += parse_rules(read.content)
    cov = coverage(configured)
    out["configured_watched"] = cov["watched"]
    out["configured_exec_audited"] = cov["exec_audited"]
    if source == "none" and configured:
        out["note"] = "rules are configured but auditctl is not installed, so none is loaded"
    return out
