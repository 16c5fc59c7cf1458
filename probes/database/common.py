"""What the database and middleware fact modules share: reading a query's output, file modes, log files."""

from __future__ import annotations

import re
from typing import Any

from assess.probes.facts import FactUnavailable, Section

LOOPBACK = ("localhost", "127.0.0.1", "::1", "127.0.0.0/8", "::1/128", "127.0.0.1/32", "localhost.localdomain")


def sql_setup(label: str, locate: str, run: str) -> str:
    """Shell that finds the engine's client (`locate` sets `_cli`), tests the connection once, and defines
    `_sql LABEL QUERY`: the query's rows as a `_cmd`-style block named `<label> LABEL`, or why the server could
    not be asked (client missing: not installed; connection refused or denied: the client's message, exit 1).
    `run` is the body of `_q`, which runs one query given as "$1"."""
    return f"""
_cli=$({locate})
_q() {{ {run} }}
if [ -z "$_cli" ]; then A_DOWN=missing
elif _o=$(_q 'SELECT 1' 2>&1); then A_DOWN=
else A_DOWN="cannot connect to the server: $_o"; fi
_sql() {{
  if [ "$A_DOWN" = missing ]; then echo "$B X {label}"
  elif [ -n "$A_DOWN" ]; then echo "$B C {label} $1"; printf '%s\\n' "$A_DOWN"; echo "$B RC 1"
  else echo "$B C {label} $1"; _q "$2" 2>&1; echo "$B RC $?"; fi
}}
"""


def query(section: Section, key: str, what: str) -> str:
    """The output of the client run recorded as `key` (`mysql accounts`); FactUnavailable when the client is
    missing, the server could not be reached or the query failed (the client's message is the reason)."""
    run = section.command(key)
    if not run.found:
        client = key.split(" ", 1)[0]
        raise FactUnavailable(f"{client} client not installed on the host (needed to query {what})")
    if run.rc != 0:
        message = " ".join(line.strip() for line in run.output.strip().splitlines()[-3:]) or f"exit {run.rc}"
        raise FactUnavailable(f"cannot query {what}: {message}")
    return run.output


def rows(text: str, width: int | None = None) -> list[list[str]]:
    """Tab-separated rows of a batch-mode client (`mysql --batch`, `psql -At -F TAB`)."""
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        cells = line.split("\t")
        if width is not None:
            cells = (cells + [""] * width)[:width]
        out.append(cells)
    return out


def number(value: str) -> int | str:
    """An integer when the text is one (but not an octal mode such as 0640), else the text."""
    return int(value) if re.fullmatch(r"-?(0|[1-9]\d*)", value.strip()) else value


_STAT = re.compile(r"^(?P<mode>[0-7]{1,4}) (?P<owner>\S+) (?P<group>\S+) (?P<path>/.*)$")


def file_modes(text: str) -> list[dict[str, Any]]:
    """`stat -c '%a %U %G %n'` lines → mode and who may read or write each file (stat prints 0044 as `44`).

    `group_or_other_write`: anyone but the owner may change it (a mode above 644 for a log);
    `other_access`: users outside the owner's group may read it (a mode above 640)."""
    out = []
    for line in text.splitlines():
        m = _STAT.match(line.strip())
        if not m:
            continue
        mode = int(m["mode"], 8)
        out.append({"path": m["path"], "mode": f"{mode & 0o7777:04o}", "owner": m["owner"], "group": m["group"],
                    "group_or_other_write": bool(mode & 0o022), "other_access": bool(mode & 0o007)})
    return out


def loose_text(section: Section) -> str:
    """Lines printed outside any file or command block (after a command's exit status, too)."""
    return "\n".join(body for marker, _arg, body in section.blocks() if marker in ("", "@@RC "))


def log_files(section: Section) -> dict[str, Any]:
    """A log-file fact: each file's mode, and the files too open for an audit log."""
    files = file_modes(loose_text(section))
    return {"files": files,
            "writable_by_others": [f["path"] for f in files if f["group_or_other_write"]],
            "readable_by_others": [f["path"] for f in files if f["other_access"]]}


def is_loopback(host: str) -> bool:
    host = host.strip().strip("[]").lower()
    return host in LOOPBACK or host.startswith("127.") or host in ("::1", "0:0:0:0:0:0:0:1")


BACKUP_TOOLS = {
    "mysql": ("mysqldump", "mariadb-dump", "mariabackup", "mariadb-backup", "xtrabackup", "mydumper", "mysqlpump"),
    "postgresql": ("pg_dumpall", "pg_dump", "pg_basebackup", "pgbackrest", "barman", "wal-g", "pg_probackup"),
    "redis": ("redis-cli --rdb", "bgsave", "dump.rdb", "redis-dump", "appendonly.aof"),
}
