"""Login-shell settings: the idle timeout TMOUT and the umask, from the system-wide shell start-up files.

Files are taken in the order a bash login shell reads them: /etc/environment (pam_env), /etc/profile up
to its profile.d loop (with /etc/bash.bashrc where /etc/profile sources it), /etc/profile.d/*.sh in
name order (then /etc/profile.d/sh.local where /etc/profile names it, as on RHEL), the rest of
/etc/profile, then /etc/bashrc and /etc/bash.bashrc. The last assignment wins, except that a `readonly TMOUT` freezes the value it has at that point.
"""

from __future__ import annotations

import re
from typing import Any

from assess.probes.facts import FactUnavailable, Section, fact
from assess.probes.linux.parsers import strip_comment, to_int, unquote

FILES = ("/etc/environment", "/etc/profile", "/etc/bash.bashrc", "/etc/bashrc")
SNIPPET = ("_file /etc/environment /etc/profile /etc/bash.bashrc /etc/bashrc /etc/profile.d/sh.local\n"
           "_glob '/etc/profile.d/*.sh'")
LOCAL = "/etc/profile.d/sh.local"  # RHEL/CentOS 7.5+ /etc/profile sources it after the *.sh files

_ATTR = r"(?:export|readonly|declare|typeset|local)"
_ASSIGN = re.compile(r"(?:^|[;&|({\s])(?:(" + _ATTR + r")((?:\s+-[A-Za-z]+)*)\s+)?TMOUT=(\"[^\"]*\"|'[^']*'|[^\s;&|)]*)")
_ATTR_ONLY = re.compile(r"(?:^|[;&|({\s])(" + _ATTR + r")((?:\s+-[A-Za-z]+)*)\s+"
                        r"((?:[A-Za-z_][A-Za-z0-9_]*(?![=\w])\s*)+)")
_UMASK = re.compile(r"(?:^|[;&|({\s])umask\s+(-S\s+)?([0-7]{1,4}|[ugoa=,rwx]+)(?=$|[\s;&|)])")
_IF = re.compile(r"^\s*(if|case)\b")
_FI = re.compile(r"(^|[;\s])(fi|esac)\s*(;|$|#)")


def _ordered(section: Section) -> list[tuple[str, list[tuple[int, str]]]]:
    """(file, [(lineno, line)]) chunks in the order a bash login shell runs them."""
    files = section.files()
    for path, read in files.items():
        if read.status == "denied":
            raise FactUnavailable(f"permission denied reading {path}")

    def numbered(path: str) -> list[tuple[int, str]]:
        read = files.get(path)
        if read is None or not read.ok:
            return []
        text = read.content.replace("\r\n", "\n").replace("\r", "\n")
        return list(enumerate(text.split("\n"), 1))

    profile = numbered("/etc/profile")
    loop = next((i for i, (_n, line) in enumerate(profile) if "profile.d" in strip_comment(line)), len(profile))
    bashrc_at = next((i for i, (_n, line) in enumerate(profile[:loop]) if "bash.bashrc" in strip_comment(line)),
                     None)
    chunks: list[tuple[str, list[tuple[int, str]]]] = [("/etc/environment", numbered("/etc/environment"))]
    if bashrc_at is not None:
        chunks += [("/etc/profile", profile[:bashrc_at + 1]), ("/etc/bash.bashrc", numbered("/etc/bash.bashrc")),
                   ("/etc/profile", profile[bashrc_at + 1:loop])]
    else:
        chunks.append(("/etc/profile", profile[:loop]))
    dropins = sorted(p for p in files if p.startswith("/etc/profile.d/") and p.endswith(".sh") and files[p].ok)
    if any(LOCAL in strip_comment(line) for _n, line in profile):
        dropins.append(LOCAL)
    chunks += [(p, numbered(p)) for p in dropins]
    chunks += [("/etc/profile", profile[loop:]), ("/etc/bashrc", numbered("/etc/bashrc"))]
    if bashrc_at is None:
        chunks.append(("/etc/bash.bashrc", numbered("/etc/bash.bashrc")))
    return chunks


@fact("shell_session", SNIPPET)
def shell_session(section: Section) -> dict[str, Any]:
    """TMOUT and umask for login shells. Example: {"tmout": 600, "tmout_readonly": true,
    "tmout_exported": true, "tmout_source": "/etc/profile.d/tmout.sh:1", "umask_values": ["027"], ...}"""
    value: int | None = None
    raw: str | None = None
    source = None
    readonly = exported = False
    settings: list[dict[str, Any]] = []
    umasks: list[dict[str, Any]] = []
    for path, numbered in _ordered(section):
        depth = 0
        conditions: list[str] = []
        for lineno, raw_line in numbered:
            line = strip_comment(raw_line).strip()
            if not line:
                continue
            if _IF.match(line):
                depth += 1
                conditions.append(line)
            where = f"{path}:{lineno}"
            for attr, flags, val in _ASSIGN.findall(line):
                val = unquote(val)
                ro = attr == "readonly" or ("r" in flags and attr in ("declare", "typeset"))
                ex = attr == "export" or ("x" in flags and attr in ("declare", "typeset")) or \
                    path == "/etc/environment"
                settings.append({"where": where, "value": val, "readonly": ro, "exported": ex,
                                 "conditional": depth > 0})
                if not readonly:
                    raw, value, source = val, to_int(val), where
                readonly = readonly or ro
                exported = exported or ex
            for attr, flags, names in _ATTR_ONLY.findall(line):
                if "TMOUT" in names.split():
                    readonly = readonly or attr == "readonly" or ("r" in flags and attr != "export")
                    exported = exported or attr == "export" or "x" in flags
                    settings.append({"where": where, "attribute": attr + flags, "conditional": depth > 0})
            for symbolic, mask in _UMASK.findall(line):
                normal = _umask(mask, bool(symbolic))
                umasks.append({"where": where, "value": normal or mask, "conditional": depth > 0,
                               "user_private_group": depth > 0 and _upg(conditions)})
            if _FI.search(line) and depth:
                depth -= 1
                conditions.pop()
    return {
        "tmout": value,
        "tmout_text": raw,
        "tmout_readonly": readonly,
        "tmout_exported": exported,
        "tmout_source": source,
        "tmout_settings": settings,
        "umask_settings": umasks,
        # 002 inside the usual "primary group is the user's own group" branch (RHEL /etc/profile) grants
        # group write only to the user's private group, so it is not counted as a weaker umask.
        "umask_values": sorted({u["value"] for u in umasks if not (u["user_private_group"] and
                                                                   u["value"] == "002")}),
    }


def _upg(conditions: list[str]) -> bool:
    joined = " ".join(conditions)
    return "-gn" in joined and "-un" in joined


def _umask(mask: str, symbolic: bool) -> str | None:
    """An octal umask as three digits (`0027` → `027`); symbolic `u=rwx,g=rx,o=` converted."""
    if not symbolic and re.fullmatch(r"[0-7]{1,4}", mask):
        return f"{int(mask, 8) & 0o777:03o}"
    allowed = {"u": 7, "g": 7, "o": 7}
    for part in mask.split(","):
        m = re.fullmatch(r"([ugoa]*)=([rwx]*)", part)
        if not m:
            return None
        perm = sum({"r": 4, "w": 2, "x": 1}[c] for c in set(m.group(2)))
        for who in (m.group(1) or "a").replace("a", "ugo"):
            allowed[who] = perm
    return "".join(str(7 - allowed[w]) for w in "ugo")
