"""sudoers(5): who may run every command as root, and who may do so without a password.

Follows `#include` / `@include` files and `#includedir` / `@includedir` directories (whose files are
read in name order, skipping names that end in `~` or contain a `.`), joins `\\` continuations,
expands User_Alias / Runas_Alias / Cmnd_Alias, carries `(runas)` and `NOPASSWD:` / `PASSWD:` tags from
one command to the next, and honours `Defaults !authenticate`. A command list counts as full root
when it contains ALL (a list of `!` exclusions after ALL does not restrict a root shell), a wildcard
program, a shell, su or sudo, or a known root escape (`escape` below).

Known root escapes (the sudo entries of GTFOBins): editors and pagers give a shell (`:!sh`, `!sh`)
whatever file they open, so they count with any arguments; the other programs run commands or write any
file as root when their arguments are open (no argument list, or a first argument that is a wildcard):
`systemctl` (link and start a unit), `find -exec`, `tar --checkpoint-action`, interpreters, `env`, `cp`
or `tee` over /etc/sudoers, package managers' scripts, … With fixed arguments (`systemctl restart app`,
`python3 /opt/job.py`, `sudoedit /etc/app.conf`) they are left to the interview: what a fixed command
can do depends on the file it runs or edits. `journalctl` is not listed: systemd's pager runs in secure
mode under sudo (systemd 247+).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

ROOT_SHELLS = re.compile(r"(^|/)(ba|da|z|k|c|tc|fi|)sh$|(^|/)su$|(^|/)sudo$")
# Interactive programs with a shell escape: root whatever their arguments.
_ESCAPE_ANY_ARGS = re.compile(r"(^|/)(vi|vim|vim\.basic|vim\.tiny|nvim|view|vimdiff|rview|ex|ed|nano|pico|emacs|"
                              r"less|more|most|pg|man)$")
# Programs that run a command or write any file as root when their arguments are open.
_ESCAPE_OPEN_ARGS = re.compile(
    r"(^|/)(sudoedit|systemctl|find|tar|zip|awk|gawk|mawk|nawk|busybox|sed|env|cp|mv|tee|dd|install|chmod|chown|"
    r"rsync|scp|ssh|socat|wget|curl|git|make|docker|podman|crontab|apt|apt-get|yum|dnf|rpm|dpkg|pip[0-9.]*|"
    r"python[0-9.]*|perl[0-9.]*|ruby[0-9.]*|irb|node|nodejs|lua[0-9.]*|php[0-9.]*|tclsh[0-9.]*|expect|gdb|"
    r"strace|nice|ionice|timeout|xargs|nohup|stdbuf|setsid|flock|taskset|chroot|unshare|nsenter|script|"
    r"screen|tmux|watch|nmap|openssl)$")
_ALIAS = re.compile(r"^(User_Alias|Runas_Alias|Host_Alias|Cmnd_Alias|Cmd_Alias)\s+(.+)$")
_INCLUDE = re.compile(r"^[#@](include|includedir)\s+(.+?)\s*$")
_TAG = re.compile(r"^(NOPASSWD|PASSWD|NOEXEC|EXEC|SETENV|NOSETENV|LOG_INPUT|NOLOG_INPUT|LOG_OUTPUT|NOLOG_OUTPUT|"
                  r"MAIL|NOMAIL|FOLLOW|NOFOLLOW|INTERCEPT|NOINTERCEPT)\s*:\s*")
_OPTION = re.compile(r"^((ROLE|TYPE|CWD|CHROOT|TIMEOUT|NOTBEFORE|NOTAFTER|APPARMOR_PROFILE)=\S+\s*)+")


@dataclass
class Grant:
    principal: str
    members: list[str]
    runas: str
    nopasswd: bool
    command: str
    where: str
    why: str = "ALL"


@dataclass
class Sudoers:
    files: dict[str, str]  # path -> content, as collected
    grants: list[Grant] = field(default_factory=list)
    aliases: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    authenticate_off: list[tuple[str, str]] = field(default_factory=list)  # (Defaults scope, where)
    read: list[str] = field(default_factory=list)
    missing_includes: list[str] = field(default_factory=list)


def logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, line) with continuations joined and comments removed (keeping #include and #uid)."""
    out: list[tuple[int, str]] = []
    raw = text.replace("\r\n", "\n").split("\n")
    i = 0
    while i < len(raw):
        start, line = i + 1, raw[i]
        while line.rstrip().endswith("\\") and i + 1 < len(raw):
            i += 1
            line = line.rstrip()[:-1] + " " + raw[i].strip()
        i += 1
        stripped = line.strip()
        if _INCLUDE.match(stripped):
            out.append((start, stripped))
            continue
        m = re.search(r"(^|\s)#(?!\d)", line)
        if m:
            line = line[:m.start()]
        if line.strip():
            out.append((start, line.strip()))
    return out


def _split(text: str, sep: str = ",") -> list[str]:
    """Split on `sep` outside parentheses and quotes."""
    parts, depth, buf, quote = [], 0, [], None
    for ch in text:
        if quote:
            buf.append(ch)
            if ch == quote:
                quote = None
            continue
        if ch == '"':
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append("".join(buf).strip())
            buf = []
        else:
            buf.append(ch)
    parts.append("".join(buf).strip())
    return [p for p in parts if p]


def parse(files: dict[str, str], main: str = "/etc/sudoers") -> Sudoers:
    result = Sudoers(files)
    _read(result, main, 0)
    return result


def _read(s: Sudoers, path: str, depth: int) -> None:
    if path not in s.files or depth > 8 or path in s.read:
        if path not in s.files:
            s.missing_includes.append(path)
        return
    s.read.append(path)
    base = path.rsplit("/", 1)[0] or "/"
    for lineno, line in logical_lines(s.files[path]):
        where = f"{path}:{lineno}"
        inc = _INCLUDE.match(line)
        if inc:
            target = inc.group(2).strip('"')
            if not target.startswith("/"):
                target = f"{base}/{target}"
            if inc.group(1) == "include":
                _read(s, target, depth + 1)
            else:
                prefix = target.rstrip("/") + "/"
                names = sorted(p for p in s.files if p.startswith(prefix) and "/" not in p[len(prefix):])
                for p in names:
                    name = p[len(prefix):]
                    if not name.endswith("~") and "." not in name:
                        _read(s, p, depth + 1)
            continue
        if line.startswith("Defaults"):
            m = re.match(r"Defaults([:!>@]\S+)?\s+(.*)$", line)
            if m and re.search(r"(^|[\s,])!\s*authenticate\b", m.group(2)):
                s.authenticate_off.append((m.group(1) or "", where))
            continue
        alias = _ALIAS.match(line)
        if alias:
            kind = "Cmnd_Alias" if alias.group(1) == "Cmd_Alias" else alias.group(1)
            for definition in _split(alias.group(2), ":"):
                name, _, members = definition.partition("=")
                s.aliases.setdefault(kind, {})[name.strip()] = _split(members)
            continue
        _user_spec(s, line, where)


def _expand(s: Sudoers, kind: str, items: list[str], depth: int = 0) -> list[str]:
    out: list[str] = []
    table = s.aliases.get(kind, {})
    for item in items:
        bare = item.lstrip("!").strip()
        if bare in table and depth < 8:
            out.extend(_expand(s, kind, table[bare], depth + 1))
        else:
            out.append(item.strip())
    return out


def _user_spec(s: Sudoers, line: str, where: str) -> None:
    """`users hosts = (runas) TAGS: cmnd, ... [: hosts = ...]`."""
    head, sep, rest = line.partition("=")
    if not sep:
        return
    words = re.sub(r"\s*,\s*", ",", head.strip()).split()
    if len(words) < 2:
        return
    users = _split(words[0])
    groups = re.split(r"\s:\s*(?=[^=():]+=)", rest)
    for index, group in enumerate(groups):
        if index:
            group = group.split("=", 1)[1] if "=" in group else ""
        runas, nopasswd = "root", False
        for cmnd in _split(group):
            m = re.match(r"^\(([^)]*)\)\s*", cmnd)
            if m:
                runas = m.group(1).strip() or "root"
                cmnd = cmnd[m.end():]
            while True:
                t = _TAG.match(cmnd)
                if not t:
                    break
                if t.group(1) in ("NOPASSWD", "PASSWD"):
                    nopasswd = t.group(1) == "NOPASSWD"
                cmnd = cmnd[t.end():]
            cmnd = _OPTION.sub("", cmnd)
            for c in _expand(s, "Cmnd_Alias", [cmnd]):
                why = None if c.startswith("!") else root_power(c)
                if why is None:
                    continue
                if _runs_as_root(s, runas):
                    for principal in users:
                        s.grants.append(Grant(principal, _expand(s, "User_Alias", [principal]), runas, nopasswd,
                                              c, where, why))


def root_power(command: str) -> str | None:
    """Why a sudoers command gives full root (`ALL`, `shell`, `wildcard program`, `shell escape`,
    `open arguments`), or None for a command that does not by itself."""
    words = command.split()
    if not words:
        return None
    if command == "ALL":
        return "ALL"
    program, args = words[0], words[1:]
    if re.search(r"[*?\[]", program):
        return "wildcard program"
    if ROOT_SHELLS.search(program):
        return "shell"
    if _ESCAPE_ANY_ARGS.search(program):
        return "shell escape"
    if _ESCAPE_OPEN_ARGS.search(program) and (not args or args[0].startswith("*")):
        return "open arguments"
    return None


def _runs_as_root(s: Sudoers, runas: str) -> bool:
    users = runas.split(":", 1)[0].strip()
    if not users:
        return True
    names = _expand(s, "Runas_Alias", _split(users))
    return any(n in ("ALL", "root", "#0") for n in names)


def summary(s: Sudoers) -> dict[str, Any]:
    """Plain data for the fact: full-root grants and the principals that need no password."""
    scopes = ["" if scope.startswith("@") else scope for scope, _where in s.authenticate_off]

    def no_password(g: Grant) -> bool:
        return g.nopasswd or "" in scopes or any(scope in (":" + g.principal, ":ALL") for scope in scopes)

    grants = [{"principal": g.principal, "members": g.members, "runas": g.runas, "nopasswd": no_password(g),
               "command": g.command, "why": g.why, "where": g.where} for g in s.grants]
    return {"full_root": sorted({g.principal for g in s.grants}),
            "nopasswd_full_root": sorted({g.principal for g in s.grants if no_password(g)}),
            "authenticate_disabled": [f"Defaults{scope} !authenticate ({where})" for scope, where in s.authenticate_off],
            "grants": grants, "files": s.read, "missing_includes": s.missing_includes}
