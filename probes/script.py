"""The batched collector: all facts of one object in one POSIX sh script, one section per fact.

The same script runs locally (`sh -s`), over SSH, or is emitted for fleet tooling. Markers are lines that
start with a random per-run token; the token travels only inside the script (stdin or the script file,
never argv) and reaches the one helper that needs it through its environment. On the host, every line a
fact prints passes through `_esc`, which prefixes it with `|` unless it is one of the collector's own
markers, so no output (a process name, a file name, a user's crontab) can be read as a marker. In the
parsed sections markers become `@@X ...` and an output line that itself starts with `@@` gets one more
`@` (`Section` removes it again), so evidence hashes do not change from run to run. A section whose
structure is broken (a line neither escaped nor a marker, a command without its exit status, an end
marker without one) is kept as evidence but marked with a `problem`: its fact is an error, never empty.

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
exec 4>&1
# _esc: prefix every line with `|` except the collector's own markers (the token comes from the environment).
_esc() { _AB="$B " awk 'index($0, ENVIRON["_AB"]) == 1 { print; next } { print "|" $0 }'; }
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


#: The emitted collector draws its own token on every run (`od` over /dev/urandom), and stops without one.
FRESH_TOKEN = """B="@@ASSESS-$(od -An -N8 -tx1 /dev/urandom 2>/dev/null | tr -d ' \\n')"
[ ${#B} -eq 25 ] || { echo "assess collector: cannot read 8 random bytes from /dev/urandom" >&2; exit 1; }"""


def build(facts: Iterable[Fact], token: str | None = None, root: str = "", setup: str = "",
          fresh: bool = False) -> tuple[str, str]:
    """Return (script, token). Each fact runs in its own subshell with stdin closed.

    `root` collects from an offline root filesystem instead of the live host (see module docstring).
    `setup` runs once before the facts (a database object's settings and credentials: assess.probes.service);
    it is part of the script only, never of a section, so it never reaches evidence.
    `fresh`: the script draws its token when it runs (FRESH_TOKEN; the returned token is then "").
    """
    token = "" if fresh else token or "@@ASSESS-" + secrets.token_hex(8)
    if "'" in root:
        raise ValueError("root path must not contain a single quote")
    parts = ["#!/bin/sh", "# assess collector: read-only; one section per fact",
             FRESH_TOKEN if fresh else f"B='{token}'", f"R='{root.rstrip('/')}'", redact.SHELL, PRELUDE]
    if root:
        parts.append(ROOTFS_CMD)
    if setup:
        parts.append(setup)
    for f in facts:
        parts.append(f"echo \"$B BEGIN {f.name}\"")
        parts.append(f"_rc=$( {{ {{ ( {f.command}\n) </dev/null 2>&1 3>&- 4>&-; echo $? >&3; }} | _esc >&4; }} 3>&1 )")
        parts.append(f"echo \"$B END {f.name} $_rc\"")
    parts.append('echo "$B DONE"')
    return "\n".join(parts) + "\n", token


_WORDS = {"F", "M", "D", "C", "X", "RC"}  # the markers a fact's helpers print inside a section


def split(output: str, token: str, expected: Iterable[str]) -> Collected:
    """Cut the script's stdout into sections; a section cut off by a crash or timeout is missing, one
    whose structure is broken carries a `problem` (see the module docstring)."""
    sections: dict[str, Section] = {}
    mark = token + " "
    name: str | None = None
    lines: list[str] = []
    problem, pending = "", False
    for line in output.split("\n"):
        if name is None:
            if line.startswith(mark + "BEGIN "):
                name, lines, problem, pending = line[len(mark) + 6:].strip(), [], "", False
            continue
        if line.startswith("|"):
            lines.append("@" + line[1:] if line.startswith("|@@") else line[1:])
            continue
        word, _, arg = line[len(mark):].partition(" ") if line.startswith(mark) else ("", "", "")
        if word == "END":
            rest = arg.split()
            rc = int(rest[1]) if len(rest) == 2 and rest[0] == name and rest[1].lstrip("-").isdigit() else None
            if rc is None:
                problem = problem or "the end marker has no exit status"
            elif pending:
                problem = problem or "a command's output is cut (no exit status)"
            sections[name] = Section(name, "\n".join(lines), -1 if rc is None else rc, problem=problem)
            name = None
        elif word in _WORDS:
            if pending and word != "RC":
                problem = problem or "a command's output is cut (no exit status)"
            pending = word == "C"
            lines.append(f"@@{word} {arg}")
        else:
            problem = problem or f"malformed output line {line[:60]!r}"
            lines.append("@" + line if line.startswith("@@") else line)
    missing = [n for n in expected if n not in sections]
    return Collected(sections, missing)


def evidence_id(section: Section) -> str:
    """The sha256 of a section's normalised raw output: the id results use to cite evidence."""
    return hashlib.sha256(section.text.encode("utf-8", "surrogateescape")).hexdigest()
