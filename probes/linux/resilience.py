"""Scheduled jobs (cron, anacron, systemd timers) and what they show about backup, integrity checks and
malware scans; block-level replication (DRBD).

Domain notes §3.1 L37–L40. Crontabs are read through the on-host redaction (`mysqldump -pSECRET`
becomes `-p<redacted>`) before they enter the evidence. Distribution housekeeping jobs (Debian's dpkg and
passwd backups, apt, man-db, logrotate …) are not counted as backups of important data.
"""

from __future__ import annotations

import re

from assess.probes.facts import FactUnavailable, Section, fact
from assess.probes.linux.netparse import is_loopback
from assess.probes.redact import REDACT

BACKUP_TOOLS = {
    "rsync", "borg", "borgmatic", "restic", "tar", "rdiff-backup", "rsnapshot", "duplicity", "duplicati", "rclone",
    "mysqldump", "mariadb-dump", "mysqlpump", "mydumper", "mariabackup", "xtrabackup", "innobackupex", "pg_dump",
    "pg_dumpall", "pg_basebackup", "pgbackrest", "barman", "wal-g", "mongodump", "bacula", "bconsole", "bareos",
    "amdump", "burp", "bup", "veeamconfig", "dump", "xfsdump", "expdp", "exp", "rman", "dmrman", "dexp",
    "sys_dump", "gs_dump", "gs_basebackup", "gs_probackup", "zfs-autobackup", "etcdctl", "scp", "sftp", "lftp",
}
INTEGRITY_TOOLS = {"aide", "aide.wrapper", "aideinit", "tripwire", "samhain", "dailyaidecheck"}
SCAN_TOOLS = {"clamscan", "clamdscan"}
#: Rootkit checkers: they look for known rootkits' traces but neither recognise malware in general nor
#: block it (8.1.4.5 a), so they are listed as evidence and do not count as anti-malware.
ROOTKIT_TOOLS = {"rkhunter", "chkrootkit", "chkrootkit-daily"}
#: Housekeeping jobs shipped by distributions; their "backup" is not the important data of §8.1.4.9.
DISTRO_JOBS = {
    "dpkg", "passwd", "dpkg-db-backup", "apt-compat", "man-db", "logrotate", "mlocate", "plocate", "0anacron",
    "bsdmainutils", "aptitude", "sysstat", "exim4-base", "popularity-contest", "locate", "rpm", "tmpwatch",
    "makewhatis.cron", "mlocate.cron", "raid-check", "mdadm", "0yum-daily.cron", "0yum-hourly.cron", "man-db.cron",
    "logwatch", "certwatch", "e2scrub_all", "fstrim", "apt-daily", "apt-daily-upgrade", "systemd-tmpfiles-clean",
    "unbound-anchor", "sa-update", "xfs_scrub_all", "dnf-makecache", "motd-news", "update-notifier-common",
}
_URL = re.compile(r"^(?:(ssh|sftp|rsync|s3|b2|swift|azure|gs|rest|ftp|ftps|scp|https?|webdav|davs?|smb|nfs|"
                  r"oss|cos|obs)://|(sftp|s3|b2|swift|azure|gs|rest|rclone):)([^/\s]*)")
_HOSTPATH = re.compile(r"^(?:[\w.-]+@)?(\[[0-9A-Fa-f:]+\]|[\w.-]+):(?!//)[^\s]*$")
_SPLIT = re.compile(r"[\s;|&()`<>]+|\$\(")

_SNIPPET = f"""
[ -r "$R/proc/drbd" ] && echo "drbd"
for _d in /var/spool/cron /var/spool/cron/crontabs; do
  [ -d "$R$_d" ] && {{ [ -r "$R$_d" ] && [ -x "$R$_d" ] || echo "denied $_d"; }}
done
_units=""; _timers=""
for _t in "$R"/etc/systemd/system/*.wants/*.timer; do
  {{ [ -e "$_t" ] || [ -L "$_t" ]; }} || continue
  _n=${{_t##*/}}
  echo "timer $_n"
  for _d in /etc/systemd/system /usr/lib/systemd/system /lib/systemd/system; do
    [ -f "$R$_d/$_n" ] && _timers="$_timers $R$_d/$_n"
    [ -f "$R$_d/${{_n%.timer}}.service" ] && _units="$_units $R$_d/${{_n%.timer}}.service"
  done
done
if [ -n "$_timers" ]; then
  for _u in $(sed -n 's/^Unit=//p' $_timers); do
    for _d in /etc/systemd/system /usr/lib/systemd/system /lib/systemd/system; do
      [ -f "$R$_d/$_u" ] && _units="$_units $R$_d/$_u"
    done
  done
fi
_units="$_timers $_units"
[ -n "${{_units# }}" ] && grep -H -E '^(Unit|ExecStart)=' $_units 2>/dev/null | sed "s|^$R||; s|^|unit |" | {REDACT}
{{ _glob /etc/crontab /etc/anacrontab '/etc/cron.d/*' '/var/spool/cron/*' '/var/spool/cron/crontabs/*' \\
    '/etc/cron.hourly/*' '/etc/cron.daily/*' '/etc/cron.weekly/*' '/etc/cron.monthly/*'; }} | {REDACT}
"""


_WRAPPERS = {"nice", "ionice", "flock", "timeout", "sudo", "su", "sh", "bash", "env", "nohup", "chrt", "taskset",
             "time", "exec", "xargs", "runuser", "setsid", "stdbuf", "cronic", "chronic"}


def _words(command: str) -> list[str]:
    return [w.strip("'\"") for w in _SPLIT.split(command) if w.strip("'\"")]


def programs(command: str) -> list[str]:
    """The programs a shell command line runs (first word of each simple command, past wrappers such as
    `nice -n 10`, `flock -n FILE`, `sudo -u USER`, `bash SCRIPT` and `VAR=value` assignments)."""
    out = []
    for segment in re.split(r"&&|\|\||[;|&()`\n]|\$\(", command):
        words = [w.strip("'\"") for w in segment.split() if w.strip("'\"")]
        i = 0
        while i < len(words):
            word = words[i]
            name = word.rsplit("/", 1)[-1]
            if re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", word) or word.startswith("-") or word.isdigit():
                i += 1
            elif name in _WRAPPERS:
                i += 1
                if name in ("flock", "sudo", "su", "runuser") and i < len(words) and words[i].startswith("-"):
                    i += 2 if len(words[i]) == 2 else 1  # the option's argument (lock file, user)
            else:
                out.append(name)
                break
    return out


def classify(command: str) -> dict:
    """Tools a command line uses and the remote places it copies to."""
    words = _words(command)
    progs = programs(command)
    tools = sorted({n for n in progs if n in BACKUP_TOOLS})
    if not tools and any(re.search(r"backup|beifen|(^|[_.-])bak([_.-]|$)", n, re.I) for n in progs
                         if n not in DISTRO_JOBS and n != "dpkg-db-backup"):
        tools = ["script"]
    targets = []
    for w in words:
        if w.startswith("-") or "=" in w:
            continue
        m = _URL.match(w)
        host = None
        if m:
            host = (m.group(3) or "").split("@")[-1].split(":")[0] or m.group(2)
        else:
            hm = _HOSTPATH.match(w)
            if hm and (re.search(r"[A-Za-z]", hm.group(1)) or re.fullmatch(r"\d+\.\d+\.\d+\.\d+", hm.group(1))):
                host = hm.group(1).strip("[]")
        if host and not is_loopback(host) and host not in targets:
            targets.append(host)
    return {"tools": tools, "remote_targets": targets if tools else [],
            "integrity": sorted({n for n in progs if n in INTEGRITY_TOOLS}),
            "malware_scan": sorted({n for n in progs if n in SCAN_TOOLS}),
            "rootkit_check": sorted({n for n in progs if n in ROOTKIT_TOOLS})}


def _cron_lines(path: str, text: str) -> list[dict]:
    system = path in ("/etc/crontab",) or path.startswith("/etc/cron.d/")
    jobs = []
    for raw in text.replace("\r", "").split("\n"):
        line = raw.strip()
        if not line or line.startswith("#") or re.match(r"^[A-Za-z_][A-Za-z0-9_]*\s*=", line):
            continue
        parts = line.split()
        if path == "/etc/anacrontab":
            if len(parts) >= 4:
                jobs.append({"schedule": " ".join(parts[:3]), "command": " ".join(parts[3:])})
            continue
        n = 1 if parts[0].startswith("@") else 5
        if system:
            n += 1
        if len(parts) <= n:
            continue
        jobs.append({"schedule": " ".join(parts[:n]), "command": " ".join(parts[n:])})
    for job in jobs:
        job["source"] = path
    return jobs


def _script(path: str, text: str) -> dict:
    body = "\n".join(line for line in text.replace("\r", "").split("\n")
                     if line.strip() and not line.strip().startswith("#"))
    period = path.split("/")[2].replace("cron.", "")
    return {"source": path, "schedule": period, "command": body}


def _timer_jobs(plain: list[str]) -> list[dict]:
    """Enabled timers and the ExecStart= lines of the service each one starts (Unit= or same name)."""
    lines: dict[str, list[tuple[str, str]]] = {}
    for line in plain:
        if line.startswith("unit ") and ":" in line:
            path, _, setting = line[5:].partition(":")
            key, _, value = setting.partition("=")
            found = lines.setdefault(path.rsplit("/", 1)[-1], [])
            if (key, value) not in found:  # /lib and /usr/lib are often the same directory
                found.append((key, value))
    jobs = []
    for timer in dict.fromkeys(line[6:] for line in plain if line.startswith("timer ")):
        unit = next((v for k, v in lines.get(timer, []) if k == "Unit"), timer[: -len(".timer")] + ".service")
        for key, value in lines.get(unit, []):
            if key == "ExecStart" and value.strip():
                jobs.append({"source": f"timer:{timer}", "schedule": timer, "unit": unit,
                             "command": value.strip().lstrip("-@+!:")})
    return jobs


@fact("scheduled_jobs", _SNIPPET, needs_root=True)
def scheduled_jobs(section: Section) -> dict:
    """Every cron / anacron entry, run-parts script and enabled systemd timer, with what it does. The
    backup, integrity, malware-scan and rootkit lists hold only host-level jobs (/etc/crontab, /etc/cron.d,
    cron.daily etc., root's crontab, system timers); jobs of ordinary users' crontabs are in
    `user_crontab_jobs`. Example: {"jobs": [...], "backup_jobs": [{"source": "/etc/cron.d/backup", "command": "rsync -a /data
    bk@10.0.0.9:/srv", "tools": ["rsync"], "remote_targets": ["10.0.0.9"]}], "remote_backup_targets":
    ["10.0.0.9"], "integrity_jobs": [...], "malware_scan_jobs": [...], "drbd": false}"""
    plain = section.plain().split("\n")
    denied = [line[7:] for line in plain if line.startswith("denied ")]
    if denied:
        raise FactUnavailable(f"permission denied listing {', '.join(denied)}: user crontabs cannot be read "
                              "(run as root or with sudo)")
    jobs = _timer_jobs(plain)
    for path, read in section.files().items():
        if not read.ok:
            continue
        if re.match(r"^/etc/cron\.(hourly|daily|weekly|monthly)/", path):
            jobs.append(_script(path, read.content))
        else:
            jobs += _cron_lines(path, read.content)
    for job in jobs:
        name = job["source"].rsplit("/", 1)[-1].removeprefix("timer:").removesuffix(".timer")
        job.update(classify(job["command"]))
        if name in DISTRO_JOBS or "run-parts" in job["command"]:
            job.update(tools=[], remote_targets=[])
    host = [j for j in jobs if not _user_crontab(j["source"])]
    backups = [j for j in host if j["tools"]]
    return {"jobs": jobs, "backup_jobs": backups,
            "remote_backup_targets": sorted({t for j in backups for t in j["remote_targets"]}),
            "integrity_jobs": [j for j in host if j["integrity"]],
            "malware_scan_jobs": [j for j in host if j["malware_scan"]],
            "rootkit_check_jobs": [j for j in host if j["rootkit_check"]],
            "user_crontab_jobs": [j for j in jobs if _user_crontab(j["source"])],
            "drbd": "drbd" in plain}


def _user_crontab(source: str) -> bool:
    """A crontab of an ordinary user (/var/spool/cron[/crontabs]/<user>, user not root): any user may write
    one, so its jobs are shown but never count as the host's backup, integrity or malware-scan jobs."""
    return bool(re.match(r"^/var/spool/cron/(crontabs/)?[^/]+$", source)) and source.rsplit("/", 1)[-1] != "root"
