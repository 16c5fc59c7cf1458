"""Local accounts from /etc/passwd, /etc/group and /etc/shadow.

Password hashes never leave the host: the collector runs awk over /etc/shadow and /etc/passwd and
prints, per account, only a password *state* (hash, empty, locked, disabled, other) and the aging
fields. The raw evidence holds exactly what awk printed. GECOS fields (people's names, phone numbers)
are dropped the same way.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from assess.probes.facts import FactUnavailable, FileRead, Section, fact
from assess.probes.linux.parsers import to_int

# Shells that give no interactive session (login succeeds at most to run one fixed command).
NO_LOGIN_SHELLS = re.compile(r"(^|/)(nologin|false|true|sync|shutdown|halt)$")
ADMIN_GROUPS = ("wheel", "sudo", "admin")

# State of a password field, printed instead of the field itself.
_STATE_AWK = r"""function state(p) {
  if (p == "") return "empty"
  if (p ~ /^!/) return "locked"
  if (p ~ /^\*/) return "disabled"
  if (p ~ /^\$/ || p ~ /^[.\/0-9A-Za-z]{13}$/) return "hash"
  return "other"
}"""

ACCOUNTS_SNIPPET = r"""
if [ ! -e "$R/etc/passwd" ]; then echo "$B M /etc/passwd"
elif [ ! -r "$R/etc/passwd" ]; then echo "$B D /etc/passwd"
else
  echo "$B F /etc/passwd"
  awk -F: -v OFS=: '$1 !~ /^[+-]/ && NF >= 7 {print $1, $3, $4, $6, $7}' "$R/etc/passwd"
fi
_file /etc/group /etc/hosts.equiv /etc/shosts.equiv
if [ -r "$R/etc/passwd" ]; then
  _t 5 sh -c '
    awk -F: "NF >= 7 {print \$6}" "$1/etc/passwd" | sort -u | while read -r h; do
      for n in .rhosts .shosts; do
        [ -n "$h" ] && [ -f "$1$h/$n" ] && echo "$2 F $h/$n" && grep -v "^[[:space:]]*#" "$1$h/$n" | grep -c "[^[:space:]]"
      done
    done' _ "$R" "$B"
fi
"""

SHADOW_SNIPPET = r"""
echo "today $(( $(date +%s) / 86400 ))"
if [ ! -e "$R/etc/shadow" ]; then echo "$B M /etc/shadow"
elif [ ! -r "$R/etc/shadow" ]; then echo "$B D /etc/shadow"
else
  echo "$B F /etc/shadow"
  awk -F: -v OFS=: '""" + _STATE_AWK + r"""
  $1 !~ /^[+-]/ && NF >= 8 {print $1, state($2), $3, $4, $5, $6, $7, $8}' "$R/etc/shadow"
fi
if [ -r "$R/etc/passwd" ]; then
  echo "$B F /etc/passwd"
  awk -F: -v OFS=: '""" + _STATE_AWK + r"""
  $1 !~ /^[+-]/ && NF >= 7 {print $1, ($2 == "x" ? "shadow" : state($2)), $3, $7}' "$R/etc/passwd"
else echo "$B D /etc/passwd"; fi
"""


def _users(read: FileRead) -> list[dict[str, Any]]:
    users = []
    for line in read.content.splitlines():
        parts = line.split(":")
        if len(parts) != 5:
            continue
        name, uid, gid, home, shell = parts
        users.append({"name": name, "uid": to_int(uid), "gid": to_int(gid), "home": home, "shell": shell,
                      "login_shell": not NO_LOGIN_SHELLS.search(shell.strip())})
    return users


def _groups(read: FileRead) -> dict[str, dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    for line in read.content.replace("\r\n", "\n").splitlines():
        parts = line.strip().split(":")
        if len(parts) < 4 or parts[0].startswith(("+", "-", "#")):
            continue
        members = [m.strip() for m in parts[3].split(",") if m.strip()]
        groups[parts[0]] = {"gid": to_int(parts[2]), "members": members}
    return groups


def _trust_entries(text: str) -> int:
    return sum(1 for line in text.replace("\r\n", "\n").splitlines() if line.strip() and
               not line.strip().startswith("#"))


@fact("accounts", ACCOUNTS_SNIPPET)
def accounts(section: Section) -> dict[str, Any]:
    """Accounts and groups. Example: {"users": [{"name": "root", "uid": 0, "login_shell": true, ...}],
    "uid0": ["root"], "duplicate_names": [], "duplicate_uids": [], "admin_groups": {"sudo": ["alice"]},
    "rhosts": [], "hosts_equiv": []}"""
    passwd = section.file("/etc/passwd")
    if passwd.status == "denied":
        raise FactUnavailable("permission denied reading /etc/passwd")
    if not passwd.ok:
        raise FactUnavailable("/etc/passwd is missing")
    users = _users(passwd)
    groups = _groups(section.file("/etc/group"))
    names = Counter(u["name"] for u in users)
    uids = Counter(u["uid"] for u in users if u["uid"] is not None)
    admin: dict[str, list[str]] = {}
    for g in ADMIN_GROUPS:
        if g in groups:
            primary = [u["name"] for u in users if u["gid"] == groups[g]["gid"]]
            admin[g] = sorted(set(groups[g]["members"]) | set(primary))
    rhosts, equiv = [], []
    for path, read in section.files().items():
        if path in ("/etc/hosts.equiv", "/etc/shosts.equiv"):
            if read.ok and _trust_entries(read.content):
                equiv.append(path)
        elif path.endswith(("/.rhosts", "/.shosts")) and read.ok and (to_int(read.content.strip()) or 0) > 0:
            rhosts.append(path)
    return {
        "users": users,
        "uid0": sorted(u["name"] for u in users if u["uid"] == 0),
        "duplicate_names": sorted(n for n, c in names.items() if c > 1),
        "duplicate_uids": sorted(str(u) for u, c in uids.items() if c > 1),
        "duplicate_uid_accounts": sorted(u["name"] for u in users if uids.get(u["uid"], 0) > 1),
        "login_shell_users": sorted(u["name"] for u in users if u["login_shell"]),
        "groups": {g: v["members"] for g, v in groups.items()},
        "admin_groups": admin,
        "rhosts": sorted(rhosts),
        "hosts_equiv": sorted(equiv),
    }


@fact("home_search", r"""
if [ -r "$R/etc/passwd" ]; then
  awk -F: 'NF >= 7 {print $6}' "$R/etc/passwd" | sort -u | while read -r _h; do
    [ -n "$_h" ] && [ -d "$R$_h" ] && [ ! -x "$R$_h" ] && echo "unsearchable $_h"
  done
fi
""", needs_root=True)
def home_search(section: Section) -> dict[str, Any]:
    """Whether every home directory could be searched for .rhosts / .shosts (the `accounts` fact's
    list is complete). Without root, /root (0700) and private homes cannot be: unavailable, never "none
    found". Example: {"complete": true}"""
    hidden = sorted(line.split(" ", 1)[1] for line in section.plain().splitlines()
                    if line.startswith("unsearchable "))
    if hidden:
        raise FactUnavailable(f"permission denied searching {', '.join(hidden[:5])}"
                              f"{' …' if len(hidden) > 5 else ''}: .rhosts/.shosts there cannot be seen "
                              "(run as root or with sudo)")
    return {"complete": True}


@fact("shadow", SHADOW_SNIPPET, needs_root=True)
def shadow(section: Section) -> dict[str, Any]:
    """Password state and aging per account, derived on the host (no hash is collected).
    Example: {"empty_password": [], "login_enabled": ["root", "alice"], "shell_login": ["root", "alice",
    "postgres"], "password_users": [{"name":
    "alice", "max_days": 90, "last_change": 19800, ...}], "expired_accounts": []}"""
    read = section.file("/etc/shadow")
    if read.status == "denied":
        raise FactUnavailable("permission denied reading /etc/shadow (run as root or with sudo)")
    passwd = section.file("/etc/passwd")
    if passwd.status == "denied":
        raise FactUnavailable("permission denied reading /etc/passwd")
    today = next((to_int(line.split()[1]) for line in section.plain().splitlines() if line.startswith("today ")),
                 None)
    pw: dict[str, dict[str, Any]] = {}
    for line in passwd.content.splitlines():
        parts = line.split(":")
        if len(parts) == 4:
            pw[parts[0]] = {"field": parts[1], "uid": to_int(parts[2]), "shell": parts[3]}
    sh: dict[str, dict[str, Any]] = {}
    for line in read.content.splitlines():
        parts = line.split(":")
        if len(parts) != 8:
            continue
        name, state, last, mn, mx, warn, inactive, expire = parts
        sh[name] = {"state": state, "last_change": to_int(last), "min_days": to_int(mn), "max_days": to_int(mx),
                    "warn_days": to_int(warn), "inactive_days": to_int(inactive), "expire": to_int(expire)}
    accounts_out = []
    for name, p in pw.items():
        s = sh.get(name)
        state = p["field"] if p["field"] != "shadow" else (s["state"] if s else "other")
        expired = bool(s and s["expire"] is not None and today is not None and s["expire"] <= today)
        login_shell = not NO_LOGIN_SHELLS.search(p["shell"].strip())
        accounts_out.append({
            "name": name, "uid": p["uid"], "state": state, "login_shell": login_shell, "expired": expired,
            "max_days": s["max_days"] if s else None, "min_days": s["min_days"] if s else None,
            "warn_days": s["warn_days"] if s else None, "last_change": s["last_change"] if s else None,
        })
    password_users = [
        {k: a[k] for k in ("name", "uid", "max_days", "min_days", "warn_days", "last_change")}
        for a in accounts_out if a["state"] == "hash" and a["login_shell"] and not a["expired"]
    ]
    for u in password_users:
        if u["max_days"] is not None and u["max_days"] < 0:
            u["max_days"] = None  # -1 disables the maximum, like an empty field
    return {
        "present": read.ok,
        "today": today,
        "empty_password": sorted(a["name"] for a in accounts_out if a["state"] == "empty"),
        "login_enabled": sorted(a["name"] for a in accounts_out
                                if a["login_shell"] and a["state"] in ("hash", "empty") and not a["expired"]),
        # a locked (`!`) or disabled (`*`) password stops password logins only: SSH keys (sshd with PAM,
        # every mainstream default) and other non-password methods still give a shell
        "shell_login": sorted(a["name"] for a in accounts_out if a["login_shell"] and not a["expired"]),
        "locked": sorted(a["name"] for a in accounts_out if a["state"] in ("locked", "disabled", "other")),
        "expired_accounts": sorted(a["name"] for a in accounts_out if a["expired"]),
        "password_users": password_users,
        "accounts": accounts_out,
    }
