"""Parsing helpers shared by the Linux facts: comments, quoting, CRLF, key-value files."""

from __future__ import annotations

import re
import shlex


def lines(text: str) -> list[str]:
    """Logical lines with CRLF normalised, comments (`#` outside quotes) and blanks dropped."""
    out = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = strip_comment(raw).strip()
        if line:
            out.append(line)
    return out


def strip_comment(line: str) -> str:
    """Remove a `#` comment that is not inside single or double quotes."""
    if "#" not in line:
        return line
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i]
    return line


def unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def to_int(value: str | None) -> int | None:
    """An integer from config text (`600`, `"600"`, `0600` is decimal 600); None when not a number."""
    if value is None:
        return None
    m = re.fullmatch(r"\s*([-+]?\d+)\s*", unquote(str(value)))
    return int(m.group(1)) if m else None


def key_values(text: str, *, sep: str | None = None, last_wins: bool = True,
               lower_keys: bool = False) -> dict[str, str]:
    """`KEY VALUE` (sep None: any whitespace) or `KEY=VALUE` lines into a dict of strings."""
    out: dict[str, str] = {}
    for line in lines(text):
        if sep is None:
            parts = line.split(None, 1)
        else:
            parts = [p.strip() for p in line.split(sep, 1)]
        if not parts or not parts[0]:
            continue
        key = parts[0].lower() if lower_keys else parts[0]
        value = unquote(parts[1]) if len(parts) > 1 else ""
        if last_wins or key not in out:
            out[key] = value
    return out


def split_words(value: str) -> list[str]:
    """Shell-like word splitting that never raises on unbalanced quotes."""
    try:
        return shlex.split(value, comments=False, posix=True)
    except ValueError:
        return value.split()
