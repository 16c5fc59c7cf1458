"""System logging: rsyslog / syslog-ng / journald routing and forwarding, logrotate retention, log files.

Domain notes §3.1 L21, L23, L25–L27, §3.8 S02 and §4.5 (records kept at least six months, or sent to
a log server). One fact, because retention joins all of it: which files receive auth and system
messages (the syslog daemon's rules), how long logrotate keeps them, and what is on disk.
"""

from __future__ import annotations

import re

from assess.probes.facts import FactUnavailable, Section, fact
from assess.probes.linux import filelist, logrotate, rsyslog, syslogng
from assess.probes.linux.netparse import is_loopback
from assess.probes.linux.parsers import to_int
from assess.probes.redact import REDACT

#: Log files judged for permissions (with their rotated copies), besides every syslog destination.
STANDARD_LOGS = ("messages", "secure", "auth.log", "syslog", "kern.log", "daemon.log", "cron", "cron.log",
                 "maillog", "mail.log", "user.log", "audit/audit.log")
_SPAN_UNITS = {"us": 1e-6, "usec": 1e-6, "ms": 1e-3, "msec": 1e-3, "s": 1, "sec": 1, "second": 1,
               "seconds": 1, "m": 60, "min": 60, "minute": 60, "minutes": 60, "h": 3600, "hr": 3600,
               "hour": 3600, "hours": 3600, "d": 86400, "day": 86400, "days": 86400, "w": 604800,
               "week": 604800, "weeks": 604800, "M": 2629800, "month": 2629800, "months": 2629800,
               "y": 31557600, "year": 31557600, "years": 31557600}
#: What logrotate appends: `.1`, `.2.gz`, `-20251123`, `-2025112301`, `-2025-11-23`, compressed or not.
_ROTATED_SUFFIX = r"(\.\d+|[.-]\d{8}(\d{2})?|[.-]\d{4}-\d{2}-\d{2})(\.(gz|bz2|xz|zst|lz4|Z))?"
_JOURNAL_ARCHIVE = re.compile(r"@[0-9a-f]{32}-[0-9a-f]{16}-([0-9a-f]{16})\.journal~?$")

_SNIPPET = f"""
for _p in /usr/sbin/rsyslogd /sbin/rsyslogd /usr/sbin/syslog-ng /sbin/syslog-ng /usr/sbin/logrotate /sbin/logrotate \
    /usr/bin/logrotate /etc/logrotate.conf; do
  [ -e "$R$_p" ] && echo "exists $_p"
done
[ -d "$R/var/log/journal" ] && echo "journal directory"
{{ _file /etc/rsyslog.conf; _glob '/etc/rsyslog.d/*'; }} | {REDACT}
{{ _glob /etc/syslog-ng/syslog-ng.conf '/etc/syslog-ng/conf.d/*'; }} | {REDACT}
_glob /etc/systemd/journald.conf '/usr/lib/systemd/journald.conf.d/*.conf' '/etc/systemd/journald.conf.d/*.conf'
_glob /etc/systemd/journal-upload.conf '/etc/systemd/journal-upload.conf.d/*.conf'
_file /etc/logrotate.conf
_glob '/etc/logrotate.d/*'
_cmd systemctl is-enabled systemd-journal-upload
_cmd date +%s
_cmd ls -ln --time-style=+%s /var/log
_cmd ls -ln --time-style=+%s /var/log/audit
_cmd ls -lnR --time-style=+%s /var/log/journal
"""


def span_days(text: str) -> float | None:
    """systemd time span (`6month`, `1y 2w`, `15552000`) in days; None for 0/empty/invalid."""
    text = text.strip()
    if not text:
        return None
    if re.fullmatch(r"\d+", text):
        seconds = float(text)
    else:
        seconds = 0.0
        for num, unit in re.findall(r"(\d+(?:\.\d+)?)\s*([A-Za-z]+)", text):
            factor = _SPAN_UNITS.get(unit) or _SPAN_UNITS.get(unit.lower())
            if factor is None:
                return None
            seconds += float(num) * factor
    return seconds / 86400 if seconds > 0 else None


def _ini_section(text: str, name: str) -> dict[str, str]:
    out: dict[str, str] = {}
    current = ""
    for raw in text.replace("\r", "").split("\n"):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
            continue
        if current == name and "=" in line:
            key, _, value = line.partition("=")
            out[key.strip()] = value.strip()
    return out


def _journald(section: Section, plain: list[str], now: int | None, listing: list[dict]) -> dict:
    files = section.files()
    settings: dict[str, str] = {}
    # journald.conf, then drop-ins in name order (a later file overrides an earlier one)
    confs = [p for p in files if p == "/etc/systemd/journald.conf"]
    confs += sorted((p for p in files if "/journald.conf.d/" in p), key=lambda p: p.rsplit("/", 1)[1])
    for path in confs:
        if files[path].ok:
            settings.update(_ini_section(files[path].content, "Journal"))
    storage = settings.get("Storage", "auto").lower()
    has_dir = "journal directory" in plain
    persistent = storage == "persistent" or (storage == "auto" and has_dir)
    upload = {}
    for path in sorted(p for p in files if "journal-upload.conf" in p):
        if files[path].ok:
            upload.update(_ini_section(files[path].content, "Upload"))
    url = upload.get("URL", "")
    host = re.sub(r"^\w+://", "", url).split("/")[0].rsplit(":", 1)[0].strip("[]")
    enabled = section.command("systemctl is-enabled systemd-journal-upload")
    upload_enabled = enabled.found and enabled.output.strip().split("\n")[0] in ("enabled", "enabled-runtime")
    heads = [int(m.group(1), 16) // 1_000_000 for e in listing
             if (m := _JOURNAL_ARCHIVE.search(e["path"])) and e["path"].startswith("/var/log/journal/")]
    oldest = max(0, (now - min(heads)) // 86400) if heads and now else None
    max_retention = span_days(settings.get("MaxRetentionSec", ""))
    if not persistent:
        days, basis = 0, f"journal is volatile (Storage={storage}, /var/log/journal {'present' if has_dir else 'absent'})"
    elif oldest is not None:
        days = int(min(oldest, max_retention)) if max_retention else oldest
        basis = "oldest archived journal entry" + (f", MaxRetentionSec {max_retention:.0f} days" if max_retention else "")
    else:
        days, basis = None, "no archived journal file yet: the age of the oldest entry is not known"
    return {"storage": storage, "persistent": persistent, "max_retention_days": max_retention,
            "system_max_use": settings.get("SystemMaxUse", ""), "forward_to_syslog": settings.get("ForwardToSyslog", ""),
            "upload_url": url, "upload_enabled": upload_enabled,
            "remote_upload": bool(url) and upload_enabled and not is_loopback(host),
            "retention": {"days": days, "unbounded": False, "basis": basis, "oldest_entry_days": oldest}}


def _rotated(listing: list[dict], path: str) -> list[dict]:
    directory, name = path.rsplit("/", 1)
    return [e for e in listing if e["type"] == "file" and e["path"].startswith(directory + "/")
            and "/" not in e["path"][len(directory) + 1:]
            and re.fullmatch(re.escape(name) + _ROTATED_SUFFIX, e["path"].rsplit("/", 1)[1])]


def _file_retention(lr: logrotate.Config, path: str, listing: list[dict], logrotate_installed: bool) -> dict:
    if not logrotate_installed:
        info = {"path": path, "rotated": False, "days": None, "unbounded": True,
                "basis": "logrotate is not installed: the file is never rotated or removed"}
    else:
        info = logrotate.retention(lr, path)
        if not info["rotated"] and lr.unresolved_includes:
            info.update(unbounded=False, basis="no rule found, but logrotate includes "
                        f"{', '.join(lr.unresolved_includes)} which was not read")
        elif not info["rotated"] and lr.rejected:
            info.update(unbounded=False, basis="no rule found, and logrotate rejects the block(s) "
                        f"{'; '.join(lr.rejected)} (a CRLF line ending after the brace)")
    copies = _rotated(listing, path)
    ages = [c["age_days"] for c in copies if "age_days" in c]
    info["oldest_rotated_days"] = max(ages) if ages else None
    if info["days"] is None and not info["unbounded"] and info["oldest_rotated_days"] is not None:
        info["days"] = info["oldest_rotated_days"]
        info["basis"] += f"; the oldest rotated copy is {info['oldest_rotated_days']} days old"
    return info


def _class(paths: list[str], lr: logrotate.Config, listing: list[dict], installed: bool) -> dict:
    """Retention of one kind of message: the longest-kept of the files that receive it."""
    if not paths:
        return {"files": [], "days": 0, "unbounded": False, "basis": "no file receives these messages"}
    files = [_file_retention(lr, p, listing, installed) for p in paths]
    if any(f["unbounded"] for f in files):
        return {"files": files, "days": None, "unbounded": True, "basis": "kept without limit"}
    known = [f["days"] for f in files if f["days"] is not None]
    return {"files": files, "days": max(known) if known else None, "unbounded": False,
            "basis": "longest-kept receiving file" if known else "retention cannot be computed"}


def _daemon_retention(auth: dict, system: dict) -> dict:
    bounded = [c for c in (auth, system) if not c["unbounded"]]
    if not bounded:
        return {"auth": auth, "system": system, "days": None, "unbounded": True}
    days = None if any(c["days"] is None for c in bounded) else min(c["days"] for c in bounded)
    return {"auth": auth, "system": system, "days": days, "unbounded": False}


@fact("logging", _SNIPPET)
def logging(section: Section) -> dict:
    """Where auth and system messages go, what is forwarded, how long they are kept, log file modes.
    Example: {"rsyslog": {"installed": true, "auth_files": ["/var/log/secure"], "system_files":
    ["/var/log/messages"], "remote_forward": true, "forwards": [...]}, "journald": {"persistent": false,
    "remote_upload": false, ...}, "retention": {"rsyslog": {"days": 28, "unbounded": false, "auth": {...},
    "system": {...}}, "journald": {"days": 0, ...}}, "loose_permissions": ["/var/log/messages"]}"""
    plain = section.plain().split("\n")
    files = section.files()
    denied = [p for p, f in files.items() if f.status == "denied" and
              (p.startswith(("/etc/rsyslog", "/etc/syslog-ng", "/etc/logrotate")))]
    if denied:
        raise FactUnavailable(f"permission denied reading {', '.join(denied)} (run as root or with sudo)")
    date = section.command("date")
    now = to_int(date.output.strip()) if date.found else None
    listing: list[dict] = []
    unlisted = []
    for directory in ("/var/log", "/var/log/audit", "/var/log/journal"):
        flag = "-lnR" if directory == "/var/log/journal" else "-ln"
        run = section.command(f"ls {flag} --time-style=+%s {directory}")
        if not run.found:
            continue
        if filelist.denied(run.output):
            unlisted.append(directory)
        elif run.rc not in (0, None) and "No such file" not in run.output and directory == "/var/log":
            raise FactUnavailable(f"ls -ln --time-style=+%s /var/log failed: {run.output.strip()[:160]}")
        listing += filelist.parse_ls(run.output, directory, now)
    texts = {p: f.content for p, f in files.items() if f.ok}
    lr = logrotate.parse(texts)
    exists = {line[7:] for line in plain if line.startswith("exists ")}
    lr_installed = any("logrotate" in p for p in exists)  # the binary, or at least its configuration

    rs_installed = any(p.endswith("/rsyslogd") for p in exists)
    rs_conf = rsyslog.parse(texts) if "/etc/rsyslog.conf" in texts else rsyslog.Config()
    rs_rules = rsyslog.effective_rules(rs_conf)
    rs_forwards = rsyslog.forwards(rs_rules)
    rs = {"installed": rs_installed, "files": rs_conf.files,
          "auth_files": rsyslog.destinations(rs_rules, "authpriv"),
          "system_files": rsyslog.destinations(rs_rules, "daemon"),
          "forwards": rs_forwards, "remote_forward": any(f["remote"] and f["auth"] for f in rs_forwards),
          "remote_forward_all": any(f["remote"] and f["every_facility"] for f in rs_forwards),
          "receives_remote": any(m in ("imudp", "imtcp", "imrelp", "imptcp") for m in rs_conf.modules),
          "unresolved_includes": rs_conf.unresolved_includes}

    ng_text = "\n".join(t for p, t in texts.items() if p.startswith("/etc/syslog-ng/"))
    ng_routes = syslogng.routes(syslogng.parse(ng_text)) if ng_text else \
        {"auth_files": [], "system_files": [], "forwards": []}
    ng = {"installed": any(p.endswith("/syslog-ng") for p in exists), **ng_routes,
          "remote_forward": any(f["remote"] and f["auth"] for f in ng_routes["forwards"])}

    journald = _journald(section, plain, now, listing)
    retention = {
        "rsyslog": _daemon_retention(_class(rs["auth_files"], lr, listing, lr_installed),
                                     _class(rs["system_files"], lr, listing, lr_installed)),
        "syslog_ng": _daemon_retention(_class(ng["auth_files"], lr, listing, lr_installed),
                                       _class(ng["system_files"], lr, listing, lr_installed)),
        "journald": journald.pop("retention"),
    }
    judged = set(rs["auth_files"] + rs["system_files"] + ng["auth_files"] + ng["system_files"])
    judged |= {f"/var/log/{name}" for name in STANDARD_LOGS}
    copies = {c["path"] for p in judged for c in _rotated(listing, p)}
    log_files = [e for e in listing if e["type"] == "file" and (e["path"] in judged or e["path"] in copies)]
    return {"rsyslog": rs, "syslog_ng": ng, "journald": journald, "retention": retention,
            "logrotate": {"installed": lr_installed, "unresolved_includes": lr.unresolved_includes,
                          "rejected_blocks": lr.rejected},
            "log_files": [{k: e[k] for k in ("path", "mode", "uid", "gid", "age_days") if k in e} for e in log_files],
            "loose_permissions": sorted(e["path"] for e in log_files if filelist.loose(e["mode"])),
            "unlisted_directories": unlisted}

