"""logrotate configuration and the retention it gives each log file.

Follows logrotate's reader: directives outside a `{ … }` block change the defaults for every block
read after them, also across `include`d files (a directory include reads its files in name order,
skipping taboo extensions); a block copies the defaults when it opens; `prerotate … endscript` and
the other script blocks are skipped whole (their braces are shell, not config); the first block that
names a file wins (logrotate rejects later duplicates); a block whose `{` line ends in a carriage
return (a file saved with CRLF) is rejected by logrotate and is left out here too, and listed. Defaults when nothing is said: rotate by size
(1 MB) and keep 0 old files.

Retention of a file = rotate × period (hourly 1/24, daily 1, weekly 7, monthly 30, yearly 365 days),
capped by `maxage`. `rotate -1` keeps old files for ever (unless `maxage`). When the period is not a
time (`size`, or `maxsize` which may rotate early) the days cannot be computed from the
configuration and are left unknown.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from assess.probes.linux.parsers import to_int

PERIOD_DAYS = {"hourly": 1 / 24, "daily": 1, "weekly": 7, "monthly": 30, "yearly": 365}
_SCRIPTS = {"prerotate", "postrotate", "firstaction", "lastaction", "preremove"}
_TABOO = (".rpmsave", ".rpmorig", "~", ",v", ".rpmnew", ".swp", ".cfsaved", ".rhn-applet-tmp", ".dpkg-old",
          ".dpkg-dist", ".dpkg-new", ".dpkg-bak", ".dpkg-del", ".disabled", ".ucf-old", ".ucf-dist", ".ucf-new")


@dataclass
class Options:
    criterium: str = "size"
    rotate: int = 0
    maxage: int | None = None
    maxsize: bool = False

    def copy(self) -> Options:
        return Options(self.criterium, self.rotate, self.maxage, self.maxsize)


@dataclass
class Stanza:
    patterns: list[str]
    options: Options
    file: str
    rejected: bool = False


@dataclass
class Config:
    stanzas: list[Stanza] = field(default_factory=list)
    unresolved_includes: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)

    def stanza_for(self, path: str) -> Stanza | None:
        """The first block whose patterns match `path` (glob semantics: `*` stays within a directory)."""
        target = PurePosixPath(path)
        for stanza in self.stanzas:
            for pattern in stanza.patterns:
                if pattern == path or (any(c in pattern for c in "*?[") and target.match(pattern)
                                       and len(target.parts) == len(PurePosixPath(pattern).parts)):
                    return stanza
        return None


def _apply(options: Options, words: list[str]) -> None:
    key = words[0].lower()
    arg = words[1] if len(words) > 1 else ""
    if key in PERIOD_DAYS:
        options.criterium = key
    elif key == "size" or key.startswith("size="):
        options.criterium = "size"
    elif key == "maxsize":
        options.maxsize = True
    elif key == "rotate":
        value = to_int(arg)
        if value is not None:
            options.rotate = value
    elif key == "maxage":
        value = to_int(arg)
        if value is not None:
            options.maxage = value


def parse(files: dict[str, str], main: str = "/etc/logrotate.conf") -> Config:
    """Read `main` and its includes from `files` (path → text)."""
    config = Config()
    defaults = Options()
    _read(main, files, defaults, config, set())
    return config


def _read(path: str, files: dict[str, str], defaults: Options, config: Config, seen: set[str]) -> None:
    if path in seen or path not in files:
        return
    seen.add(path)
    raw_lines = files[path].split("\n")  # a CR is kept: logrotate rejects a block whose `{` line ends in one
    lines = [line.strip() for line in raw_lines]
    i = 0
    current: Stanza | None = None
    header: list[str] = []
    while i < len(lines):
        line = lines[i]
        raw = raw_lines[i] if i < len(raw_lines) else line
        i += 1
        if not line or line.startswith("#"):
            continue
        words = line.split()
        if words[0].lower() in _SCRIPTS:
            while i < len(lines) and lines[i].strip() != "endscript":
                i += 1
            i += 1
            continue
        if current is None and (line[0] in "/\"'~" or header):
            text = line
            if "{" in text:
                before, _, after = text.partition("{")
                header.append(before)
                current = Stanza(_patterns(" ".join(header)), defaults.copy(), path)
                header = []
                if "\r" in raw.partition("{")[2]:
                    current.rejected = True
                rest = after.strip()
                if rest.startswith("}"):
                    _close(current, config)
                    current = None
                elif rest:
                    lines.insert(i, rest)
                    raw_lines.insert(i, rest)
            else:
                header.append(text)
            continue
        if line.startswith("}"):
            if current is not None:
                _close(current, config)
            current = None
            continue
        if current is None and words[0].lower() == "include" and len(words) > 1:
            _include(words[1].strip("\"'"), files, defaults, config, seen)
            continue
        _apply(current.options if current else defaults, words)
        if current is not None and line.endswith("}"):
            _close(current, config)
            current = None


def _close(stanza: Stanza, config: Config) -> None:
    if stanza.rejected:
        config.rejected.append(" ".join(stanza.patterns))
    else:
        config.stanzas.append(stanza)


def _patterns(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def _include(target: str, files: dict[str, str], defaults: Options, config: Config, seen: set[str]) -> None:
    if target in files:
        _read(target, files, defaults, config, seen)
        return
    prefix = target.rstrip("/") + "/"
    inside = sorted(p for p in files if p.startswith(prefix) and "/" not in p[len(prefix):]
                    and not p.endswith(_TABOO) and not p[len(prefix):].startswith("."))
    if not inside:
        config.unresolved_includes.append(target)
    for p in inside:
        _read(p, files, defaults, config, seen)


def retention(config: Config, path: str) -> dict:
    """How long rotated copies of `path` are kept. Example: {"path": "/var/log/secure", "rotated": true,
    "rotate": 4, "period": "weekly", "maxage": null, "days": 28, "unbounded": false, "rule": "/etc/logrotate.d/syslog"}"""
    stanza = config.stanza_for(path)
    if stanza is None:
        return {"path": path, "rotated": False, "days": None, "unbounded": True,
                "basis": "no logrotate rule names this file: it is never rotated or removed"}
    o = stanza.options
    out = {"path": path, "rotated": True, "rotate": o.rotate, "period": o.criterium, "maxage": o.maxage,
           "maxsize": o.maxsize, "rule": stanza.file, "unbounded": False}
    if o.rotate < 0:
        out.update(days=o.maxage, unbounded=o.maxage is None,
                   basis="rotate -1 keeps old files" + (f" up to maxage {o.maxage}" if o.maxage else " for ever"))
        return out
    period = PERIOD_DAYS.get(o.criterium)
    if period is None or o.maxsize:
        why = "rotation by size" if period is None else "maxsize may rotate before the period ends"
        out.update(days=None, basis=f"{why}: the kept time depends on log volume")
        return out
    days = int(o.rotate * period)
    if o.maxage is not None:
        days = min(days, o.maxage)
    out.update(days=days, basis=f"rotate {o.rotate} × {o.criterium}" + (f", maxage {o.maxage}" if o.maxage else ""))
    return out
