"""The batched collector: all facts of one object in one POSIX sh script, one section per fact.

The same script runs locally (`sh -s`), over SSH, or is emitted for fleet tooling. Sections are
delimited by a random token so that no file content can forge a boundary; in the parsed sections
the token is replaced by `@@`, so evidence hashes do not change from run to run.

Snippets reach files as `$R/etc/...` (or through `_file`/`_glob`, which add `$R` themselves). `R` is empty
on a live host; collecting from an offline root filesystem (a mounted disk image, a container rootfs, a test
fixture) sets it to that directory, and `_cmd` then replays recorded outputs from `$R/.cmd/` (a command
with no recording counts as not installed).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from assess.probes import redact
from assess.probes.facts import Fact, Section

PRELUDE = r"""
LC_ALL=C; LANG=C; export LC_ALL LANG
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH; export PATH
umask 077
# _cat FILE: the file, secrets redacted (assess.probes.redact), with a final newline guaranteed; one process.
_cat() { awk "$_RX" "$1" 2>/dev/null; }
# _file PATH...: the content of each file (under $R), or that it is missing or unreadable.
_file() {
  for _f in "$@"; do
    if [ ! -e "$R$_f" ] || [ -d "$R$_f" ]; then echo "$B M $_f"
    elif [ ! -r "$R$_f" ]; then echo "$B D $_f"
    else echo "$B F $_f"; _cat "$R$_f"; fi
  done
}
# _glob PATTERN...: _file for every existing match (under $R); nothing when there is none.
_glob() {
  for _p in "$@"; do
    for _f in $R$_p; do [ -e "$_f" ] && [ ! -d "$_f" ] && _file "${_f#"$R"}"; done
  done
}
# _cmd NAME ARGS...: run a command with its exit status (output redacted), or say it is not installed.
_cmd() {
  if command -v "$1" >/dev/null 2>&1; then
    echo "$B C $*"; { "$@" 2>&1; echo "$B RC $?"; } | _redact
  else echo "$B X $1"; fi
}
# _t SECONDS CMD...: bound a slow command where timeout(1) exists.
_t() { _s=$1; shift; if command -v timeout >/dev/null 2>&1; then timeout "$_s" "$@"; else "$@"; fi; }
"""

# Offline root: `_cmd` replays $R/.cmd/<command line, spaces as _ and / as %>.out (and .rc).
ROOTFS_CMD = r"""
_cmd() {
  _k=$(printf '%s' "$*" | tr ' /' '_%')
  if [ -f "$R/.cmd/$_k.out" ]; then
    echo "$B C $*"; _cat "$R/.cmd/$_k.out"
    if [ -f "$R/.cmd/$_k.rc" ]; then echo "$B RC $(cat "$R/.cmd/$_k.rc")"; else echo "$B RC 0"; fi
  else echo "$B X $1"; fi
}
"""


@dataclass
class Collected:
    """Sections of one run of the script, and what went wrong with the run as a whole."""

    sections: dict[str, Section]
    missing: list[str]


def build(facts: Iterable[Fact], token: str | None = None, root: str = "", setup: str = "") -> tuple[str, str]:
    """Return (script, token). Each fact runs in its own subshell with stdin closed.

    `root` collects from an offline root filesystem instead of the live host (see module docstring).
    `setup` runs once before the facts (a database object's settings and credentials: assess.probes.service);
    it is part of the script only, never of a section, so it never reaches evidence.
    """
    token = token or "@@ASSESS-" + secrets.token_hex(8)
    if "'" in root:
        raise ValueError("root path must not contain a single quote")
    parts = ["#!/bin/sh", "# assess collector: read-only; one section per fact", f"B='{token}'",
             f"R='{root.rstrip('/')}'", redact.SHELL, PRELUDE]
    if root:
        parts.append(ROOTFS_CMD)
    if setup:
        parts.append(setup)
    for f in facts:
        parts.append(f"echo \"$B BEGIN {f.name}\"")
        parts.append(f"( {f.command}\n) </dev/null 2>&1")
        parts.append(f"_rc=$?; echo; echo \"$B END {f.name} $_rc\"")
    parts.append('echo "$B DONE"')
    return "\n".join(parts) + "\n", token


def split(output: str, token: str, expected: Iterable[str]) -> Collected:
    """Cut the script's stdout into sections; a section cut off by a crash or timeout is missing."""
    sections: dict[str, Section] = {}
    begin, end = f"{token} BEGIN ", f"{token} END "
    name: str | None = None
    lines: list[str] = []
    for line in output.split("\n"):
        if line.startswith(begin):
            name, lines = line[len(begin):].strip(), []
        elif line.startswith(end) and name is not None:
            rest = line[len(end):].split()
            rc = int(rest[1]) if len(rest) > 1 and rest[1].lstrip("-").isdigit() else -1
            body = "\n".join(lines)
            body = body[:-1] if body.endswith("\n") else body  # the newline the script added
            body = body.replace(token + " ", "@@")
            sections[name] = Section(name, body, rc)
            name = None
        elif name is not None:
            lines.append(line)
    missing = [n for n in expected if n not in sections]
    return Collected(sections, missing)


def evidence_id(section: Section) -> str:
    """The sha256 of a section's normalised raw output: the id results use to cite evidence."""
    return hashlib.sha256(section.text.encode("utf-8", "surrogateescape")).hexdigest()
