"""`ls -ln --time-style=+%s` listings: mode, owner, age, without reading the files themselves."""

from __future__ import annotations

import re

from assess.probes.facts import FactUnavailable

_LINE = re.compile(r"^([-dlcbps])([rwxsStT-]{9})[.+@]?\s+\d+\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(.+)$")
_FILE = re.compile(r"^[-?][-?rwxsStT]{9}")  # a regular (or unstat-able) file's line, read or not


def mode_bits(perms: str) -> int:
    """`rw-r-----` → 0o640 (setuid/setgid/sticky letters count as their x bit plus the special bit)."""
    value = 0
    for i, ch in enumerate(perms[:9]):
        if ch != "-":
            value |= 1 << (8 - i)
    special = {2: 0o4000, 5: 0o2000, 8: 0o1000}
    for pos, bit in special.items():
        if perms[pos] in "sStT":
            value |= bit
            if perms[pos] in "ST":
                value &= ~(1 << (8 - pos))
    return value


def parse_ls(text: str, directory: str, now: int | None) -> list[dict]:
    """Entries of `ls -ln[R] --time-style=+%s DIR` with full paths; `-R` sub-directory headers followed.
    A file listed without a readable mode (`-?????????`) makes the fact unavailable, never a skipped file."""
    out = []
    current = directory.rstrip("/")
    for line in text.replace("\r", "").split("\n"):
        if line.endswith(":") and line.startswith("/"):
            current = line[:-1].rstrip("/")
            continue
        m = _LINE.match(line)
        if not m:
            if _FILE.match(line):
                raise FactUnavailable(f"cannot read the mode of a file in {current}: {line[:160]}")
            continue
        kind, perms, uid, gid, size, mtime, name = m.groups()
        if kind == "l":
            name = name.split(" -> ", 1)[0]
        entry = {"path": f"{current}/{name}", "type": {"-": "file", "d": "dir", "l": "link"}.get(kind, "other"),
                 "mode": f"{mode_bits(perms):04o}", "uid": int(uid), "gid": int(gid), "size": int(size),
                 "mtime": int(mtime)}
        if now is not None:
            entry["age_days"] = max(0, (now - int(mtime)) // 86400)
        out.append(entry)
    return out


def denied(text: str) -> bool:
    return "Permission denied" in text


def loose(mode: str) -> bool:
    """Readable or writable by others, or writable by the group."""
    bits = int(mode, 8)
    return bool(bits & 0o007) or bool(bits & 0o020)
