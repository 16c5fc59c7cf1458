"""Reading what operators and evaluators carry away from a device: exported configurations and raw
terminal session logs (SecureCRT/Xshell/PuTTY), in UTF-8, UTF-16 or GB18030.

A session log has prompts (`<HUAWEI>`, `[H3C]`, `Router#`, `ciscoasa> `) with the typed command after
them, paging residue (`---- More ----`, ` --More-- `, `<--- More --->`) with the ANSI cursor moves and
backspaces that erase it, and carriage returns. `read` keeps every line at its number in the file, so a
finding points at the line an editor shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_BYTES = 16 * 1024 * 1024

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Za-z0-9]|\x1b[=>]")
_MORE = re.compile(r"\s*(?:-{2,4}\s*More\s*-{2,4}|<-{2,3}\s*More\s*-{2,3}>)\s*", re.IGNORECASE)
#: `<sysname>cmd` (Huawei/H3C user view), `[sysname]` / `[~sysname-vty0-4]` (system views), `name#cmd` / `name>cmd`
#: (Cisco IOS/ASA, optionally `(config…)`, ASA contexts `fw/admin#`).
_PROMPT_VRP = re.compile(r"^<(?P<name>[\w.\-:]+)>\s?(?P<cmd>.*)$")
_PROMPT_VRP_SYS = re.compile(r"^\[[~*]?(?P<name>[\w.\-:/]+)\]\s?(?P<cmd>.*)$")
_PROMPT_CISCO = re.compile(r"^(?P<name>[A-Za-z][\w.\-/]*)(?:\([\w\-]+\))?[#>] ?(?P<cmd>.*)$")

#: Commands whose output is a device's full configuration, by the words as the device spells them.
CONFIG_COMMANDS = (("display", "current-configuration"), ("show", "running-config"),
                   ("display", "saved-configuration"), ("show", "startup-config"), ("more", "system:running-config"))
#: Status commands whose output the parsers read, besides the configuration.
STATUS_COMMANDS = (("display", "telnet", "server", "status"), ("display", "ssh", "server", "status"),
                   ("display", "password-control"), ("show", "ip", "ssh"))


class Unreadable(Exception):
    """A file that cannot be read as text (missing, permission, binary, too large)."""


@dataclass
class Output:
    """One command's output in a session log (or a whole plain file): its lines with their numbers."""

    command: str  # the full command as the known form (`display current-configuration`), or as typed
    typed: str
    line: int  # the line of the prompt (0 for a plain file)
    lines: list[tuple[int, str]] = field(default_factory=list)
    filtered: bool = False  # `| include …`, `| begin …`: a part of the output only


@dataclass
class Document:
    """A decoded file: its encoding, whether it is a session log, and the command outputs in it."""

    path: str
    encoding: str
    session: bool
    outputs: list[Output]
    total_lines: int
    prompts: list[str] = field(default_factory=list)
    cleaned: list[str] = field(default_factory=list)  # every line of the file, paging residue removed


def decode(data: bytes) -> tuple[str, str]:
    """Text and encoding: a BOM decides (UTF-8, UTF-16 LE/BE); NUL-interleaved bytes are UTF-16 without
    BOM; then UTF-8, then GB18030 (a superset of GBK/GB2312). Binary data is refused."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), "utf-16"
    sample = data[:4096]
    if len(sample) >= 4 and sample[1::2].count(0) > len(sample) // 4 and sample[0::2].count(0) == 0:
        return data.decode("utf-16-le", errors="replace"), "utf-16-le"
    if len(sample) >= 4 and sample[0::2].count(0) > len(sample) // 4 and sample[1::2].count(0) == 0:
        return data.decode("utf-16-be", errors="replace"), "utf-16-be"
    if b"\x00" in sample:
        raise Unreadable("binary data, not a configuration or a session log")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise Unreadable(f"neither UTF-8, UTF-16 nor GB18030 text ({exc.reason} at byte {exc.start})") from None


def clean(line: str) -> str:
    """One line as the terminal showed it: carriage returns, backspaces and ANSI cursor moves applied (so the
    blanks that erase a `---- More ----` prompt erase it), other escapes dropped, and any paging prompt the
    logger kept without its erasing sequence removed."""
    if line.endswith("\r"):
        line = line[:-1]
    if "\x1b" in line or "\x08" in line or "\r" in line:
        line = _screen(line)
    if "ore" in line and _MORE.search(line):
        line = _MORE.sub(" ", line, count=1)
        line = line[1:] if line.startswith(" ") and not line.startswith("  ") else line
    return line.rstrip()


_CSI = re.compile(r"\x1b\[([0-9;?]*)([A-Za-z])")


def _screen(line: str) -> str:
    """Replay one line on a terminal row: printable characters overwrite at the cursor, `\\b` and `ESC[nD`
    move it left, `\\r` to column 0, `ESC[nC` right, `ESC[K` clears to the end of the row."""
    row: list[str] = []
    col = i = 0
    moved_left, resume = False, 0
    while i < len(line):
        ch = line[i]
        if ch == "\x1b":
            m = _CSI.match(line, i)
            if m:
                n = int(m.group(1)) if m.group(1).isdigit() else 1
                op = m.group(2)
                if op == "D":
                    col, moved_left = max(0, col - n), True
                elif op == "C":
                    col += n
                elif op == "K":
                    del row[col:]
                i = m.end()
                continue
            m2 = _ANSI.match(line, i)
            i = m2.end() if m2 else i + 1
            continue
        if ch == "\x08":
            col, moved_left = max(0, col - 1), True
        elif ch == "\r":
            col, moved_left = 0, True
        elif ch >= " " or ch == "\t":
            if moved_left:
                resume, moved_left = col, False
            while len(row) < col:
                row.append(" ")
            if col < len(row):
                row[col] = ch
            else:
                row.append(ch)
            col += 1
        i += 1
    # text printed after an erased paging prompt starts where the cursor was sent back to
    if resume and not "".join(row[:resume]).strip():
        return "".join(row[resume:])
    return "".join(row)


def _known(typed: str) -> tuple[str, bool]:
    """The full form of a typed (possibly abbreviated) command, and whether its output is filtered
    (`| include …`); `show running-config all` counts as the configuration."""
    filtered = "|" in typed
    words = typed.split("|", 1)[0].split()
    if len(words) > 2 and words[-1].lower() == "all":
        words = words[:-1]
    for known in CONFIG_COMMANDS + STATUS_COMMANDS:
        if len(words) == len(known) and all(k.startswith(w.lower()) for w, k in zip(words, known, strict=True)):
            return " ".join(known), filtered
    return " ".join(words), filtered


def _prompt(line: str) -> tuple[str, str] | None:
    for pattern in (_PROMPT_VRP, _PROMPT_VRP_SYS):
        m = pattern.match(line)
        if m:
            return m.group("name"), m.group("cmd").strip()
    m = _PROMPT_CISCO.match(line)
    if m and (m.group("cmd").strip() == "" or m.group("cmd").split()[0].lower() in _CISCO_VERBS):
        return m.group("name"), m.group("cmd").strip()
    return None


#: A Cisco prompt is a prompt only when what follows it is a command (or nothing), not configuration text.
_CISCO_VERBS = {"show", "sh", "sho", "terminal", "term", "ter", "enable", "en", "ena", "exit", "more", "dir",
                "ping", "traceroute", "copy", "write", "wr"}


def read(path: str, data: bytes) -> Document:
    """Split a file into command outputs; a file without prompts is one plain output (a configuration)."""
    if len(data) > MAX_BYTES:
        raise Unreadable(f"larger than {MAX_BYTES // (1024 * 1024)} MiB")
    text, encoding = decode(data)
    raw = text.split("\n")
    lines = [(i + 1, clean(x)) for i, x in enumerate(raw)]
    outputs: list[Output] = []
    current: Output | None = None
    names: list[str] = []
    for no, line in lines:
        hit = _prompt(line) if line[:1] in "<[" or re.match(r"^[A-Za-z][\w.\-/]*(?:\([\w\-]+\))?[#>]", line) else None
        if hit:
            name, typed = hit
            names.append(name)
            command, filtered = _known(typed)
            current = Output(command, typed, no, filtered=filtered)
            outputs.append(current)
        elif current is not None:
            current.lines.append((no, line))
    if not outputs:
        return Document(path, encoding, False, [Output("", "", 0, lines)], len(raw), [], [x for _n, x in lines])
    return Document(path, encoding, True, outputs, len(raw), sorted(set(names)), [x for _n, x in lines])
