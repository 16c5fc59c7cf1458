"""rsyslog configuration: where each facility goes and what is forwarded off the host.

Reads both syntaxes the way rsyslogd does: legacy `selector action` lines (`*.info;mail.none
/var/log/messages`, `authpriv.* @@loghost:514`, `& stop`), `$IncludeConfig` and `include()`, and
RainerScript objects spread over several lines (`action(type="omfwd" …)`, `if … then { … }`,
`ruleset(name=…) { … }`, `/* comments */`). Selector masks follow rsyslog's own rules: a priority
means that level and above, `=` only that level, `!` removes, `none` clears, later selectors in a
`;` list refine earlier ones.

Actions in a ruleset count for local messages only when that ruleset is the default one, is bound to
a local input (imuxsock, imjournal, imklog) or is `call`ed from one of those. Actions under a
condition (`if …`, `:property, …`) are recorded as conditional: they may see only some messages.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field

from assess.probes.linux.netparse import is_loopback
from assess.probes.linux.parsers import strip_comment

FACILITIES = ("kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv",
              "ftp", "ntp", "security", "console", "solaris-cron", "mark",
              "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7")
_FAC_ALIAS = {"security": "auth"}
PRIORITIES = {"emerg": 0, "panic": 0, "alert": 1, "crit": 2, "err": 3, "error": 3, "warning": 4, "warn": 4,
              "notice": 5, "info": 6, "debug": 7}
INFO = 6
#: Output modules that ship messages to another system.
REMOTE_MODULES = {"omfwd": "target", "omrelp": "target", "omelasticsearch": "server", "omkafka": "broker",
                  "omhttp": "server", "omamqp1": "host", "omhiredis": "server", "omclickhouse": "server",
                  "ommongodb": "server", "omudpspoof": "target", "omgssapi": "target"}
_LOCAL_INPUTS = {"imuxsock", "imjournal", "imklog"}
_OBJECTS = ("module", "input", "global", "main_queue", "template", "parser", "timezone", "lookup_table",
            "dyn_stats", "percentile_stats", "include", "ruleset", "action", "call", "set", "unset", "reset",
            "foreach", "reload_lookup_table", "call_indirect")
_PROPERTY_FILTER = re.compile(r'^:\s*[\w$!.-]+\s*,\s*!?[\w-]+\s*,\s*"(?:[^"\\]|\\.)*"\s*(.*)$', re.S)
_DEFAULT = "RSYSLOG_DefaultRuleset"
_PARAM = re.compile(r'([\w.]+)\s*=\s*"((?:[^"\\]|\\.)*)"')


@dataclass
class Rule:
    """One action and the messages it receives."""

    action: dict
    selector: str | None  # None: every message reaching it
    conditional: bool
    ruleset: str  # "" = default ruleset
    file: str


@dataclass
class Config:
    rules: list[Rule] = field(default_factory=list)
    modules: list[str] = field(default_factory=list)
    local_rulesets: set[str] = field(default_factory=lambda: {""})
    calls: dict[str, list[tuple[str | None, bool]]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    unresolved_includes: list[str] = field(default_factory=list)


def selector_mask(selector: str) -> dict[str, set[int]] | None:
    """Severities selected per facility; None when the text is not a selector."""
    mask: dict[str, set[int]] = {f: set() for f in FACILITIES}
    for part in selector.split(";"):
        part = part.strip()
        if not part:
            continue
        if "." not in part:
            return None
        facs, pri = part.split(".", 1)
        negate = pri.startswith("!")
        pri = pri[1:] if negate else pri
        exact = pri.startswith("=")
        pri = pri[1:] if exact else pri
        targets = list(FACILITIES) if facs.strip() == "*" else [_FAC_ALIAS.get(f.strip(), f.strip())
                                                                for f in facs.split(",")]
        if any(t not in mask for t in targets):
            return None
        pri = pri.strip().lower()
        for fac in targets:
            if pri == "none":
                mask[fac] = set()
            elif pri == "*":
                mask[fac] = set() if negate else set(range(8))
            elif pri in PRIORITIES:
                levels = {PRIORITIES[pri]} if exact else set(range(PRIORITIES[pri] + 1))
                mask[fac] = mask[fac] - levels if negate else mask[fac] | levels
            else:
                return None
    return mask


def selects(selector: str | None, facility: str, severity: int = INFO) -> bool:
    """Whether a rule with this selector receives facility.severity (no selector: everything)."""
    if selector is None:
        return True
    mask = selector_mask(selector)
    return bool(mask) and severity in mask.get(facility, set())


def _params(text: str) -> dict[str, str]:
    """RainerScript parameters; their names are case-insensitive (`Ruleset=`, `dynaFile=`)."""
    return {k.lower(): v for k, v in _PARAM.findall(text)}


def parse_action(text: str) -> dict:
    """One action: file, forward, discard or other, with its target."""
    text = text.strip()
    if text.startswith("action("):
        params = _params(text)
        kind = params.get("type", "").lower()
        if kind in REMOTE_MODULES:
            target = params.get(REMOTE_MODULES[kind], "") or params.get("target", "")
            return {"type": "forward", "module": kind, "target": target, "port": params.get("port", ""),
                    "protocol": params.get("protocol", "udp" if kind == "omfwd" else kind).lower()}
        if kind == "omfile":
            if "file" in params:
                return {"type": "file", "path": params["file"]}
            return {"type": "dynfile", "template": params.get("dynafile", "")}
        return {"type": "other", "module": kind}
    if text in ("stop", "~"):
        return {"type": "discard"}
    m = re.match(r"^(@@?)(\([^)]*\))?(\[[^\]]+\]|[^:;\s]+)(?::(\d+))?", text)
    if m:
        return {"type": "forward", "module": "legacy", "target": m.group(3).strip("[]"), "port": m.group(4) or "",
                "protocol": "tcp" if m.group(1) == "@@" else "udp"}
    m = re.match(r"^:omrelp:([^:;\s]+)(?::(\d+))?", text)
    if m:
        return {"type": "forward", "module": "omrelp", "target": m.group(1), "port": m.group(2) or "",
                "protocol": "relp"}
    m = re.match(r"^-?(/[^;\s]*)", text)
    if m:
        return {"type": "file", "path": m.group(1)}
    if text.startswith("?"):
        return {"type": "dynfile", "template": text[1:].split(";")[0]}
    if text.startswith("call "):
        return {"type": "call", "ruleset": text[5:].strip()}
    return {"type": "other", "text": text[:80]}


def _strip(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    return [strip_comment(line).strip() for line in text.split("\n")]


def _balance(line: str) -> int:
    depth, quote = 0, None
    for ch in line:
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
    return depth


def _logical(text: str) -> list[str]:
    """Statements: physical lines joined while parentheses are open or a line ends in a backslash
    (Debian's stock `*.=debug;\\` selectors)."""
    out, buf, depth, glued = [], "", 0, False
    for line in _strip(text):
        if not line and not buf:
            continue
        continued = line.endswith("\\")
        line = line[:-1].rstrip() if continued else line
        buf = (buf + line if glued else f"{buf} {line}".strip()) if buf else line
        glued = continued
        depth += _balance(line)
        if depth <= 0 and not continued:
            out.append(buf)
            buf, depth = "", 0
    if buf:
        out.append(buf)
    return out


def _pieces(statement: str) -> list[str]:
    """Split at top-level braces: `ruleset(name="x"){ action(…) }` → header, `{`, action, `}`."""
    out, cur, depth, quote = [], "", 0, None
    for ch in statement:
        if quote:
            cur += ch
            if ch == quote:
                quote = None
            continue
        if ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if depth == 0 and ch in "{}":
            if cur.strip():
                out.append(cur.strip())
            out.append(ch)
            cur = ""
            continue
        cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


class _Reader:
    def __init__(self, files: dict[str, str]):
        self.files = files
        self.config = Config()
        self.seen: set[str] = set()
        self.legacy_ruleset = ""  # set by `$RuleSet NAME`

    def read(self, path: str) -> None:
        if path in self.seen or path not in self.files:
            return
        self.seen.add(path)
        self.config.files.append(path)
        stack: list[tuple[str, str]] = []  # (kind, ruleset name)
        pending: tuple[str, str] | None = None
        last_selector: str | None = None
        for statement in _logical(self.files[path]):
            for piece in _pieces(statement):
                if piece == "{":
                    stack.append(pending or ("block", ""))
                    pending = None
                    continue
                if piece == "}":
                    if stack:
                        stack.pop()
                    continue
                if any(kind == "template" for kind, _ in stack):
                    continue
                ruleset = next((name for kind, name in reversed(stack) if kind == "ruleset"), self.legacy_ruleset)
                conditional = any(kind == "if" for kind, _ in stack)
                pending, last_selector = self._statement(piece, path, ruleset, conditional, last_selector)

    def _statement(self, piece: str, path: str, ruleset: str, conditional: bool,
                   last_selector: str | None) -> tuple[tuple[str, str] | None, str | None]:
        low = piece.lower()
        if low.startswith("$includeconfig"):
            self._include(piece.split(None, 1)[1] if " " in piece else "")
            return None, last_selector
        if low.startswith("$modload"):
            self.config.modules.append(piece.split(None, 1)[1].strip() if " " in piece else "")
            return None, last_selector
        if low.startswith("$ruleset ") or low == "$ruleset":
            name = piece.split(None, 1)[1].strip() if " " in piece else ""
            self.legacy_ruleset = "" if name in ("", _DEFAULT) else name
            return None, last_selector
        if piece.startswith("$"):
            return None, last_selector
        if re.match(r"^if\b", piece):
            m = re.match(r"^if\b(.*?)\bthen\b(.*)$", piece, re.S)
            action = m.group(2).strip() if m else ""
            if not action:
                return ("if", ""), last_selector
            self._add(action, None, True, ruleset, path)
            return None, last_selector
        if re.match(r"^else\b", piece):
            rest = piece[4:].strip()
            if rest.startswith("if"):
                return self._statement(rest, path, ruleset, True, last_selector)
            if not rest:
                return ("if", ""), last_selector
            self._add(rest, None, True, ruleset, path)
            return None, last_selector
        m = re.match(r"^(\w+)\s*\(", piece)
        if m and m.group(1).lower() in _OBJECTS:
            return self._object(m.group(1).lower(), piece, path, ruleset, conditional), last_selector
        if piece.startswith(":"):
            pm = _PROPERTY_FILTER.match(piece)
            if pm and pm.group(1).strip():
                self._add(pm.group(1), None, True, ruleset, path)
            return None, last_selector
        if piece.startswith("&"):
            self._add(piece[1:], last_selector, conditional, ruleset, path)
            return None, last_selector
        if piece in ("stop", "~"):
            return None, last_selector
        if re.match(r"^call\s+\S+$", piece):
            self.config.calls.setdefault(piece.split()[1], []).append((None, conditional))
            return None, last_selector
        parts = piece.split(None, 1)
        if len(parts) == 2 and selector_mask(parts[0]) is not None:
            self._add(parts[1], parts[0], conditional, ruleset, path)
            return None, parts[0]
        return None, last_selector

    def _object(self, name: str, piece: str, path: str, ruleset: str, conditional: bool) -> tuple[str, str] | None:
        params = _params(piece)
        if name == "ruleset":
            rs = params.get("name", "")
            return ("ruleset", "" if rs == _DEFAULT else rs)
        if name == "template":
            return ("template", "")
        if name == "include":
            if "file" in params:
                self._include(params["file"])
            return None
        if name == "module":
            self.config.modules.append(params.get("load", ""))
            if params.get("load") in _LOCAL_INPUTS and params.get("ruleset"):
                self.config.local_rulesets.add(params["ruleset"])
            return None
        if name == "input":
            if params.get("type", "").lower() in _LOCAL_INPUTS and params.get("ruleset"):
                self.config.local_rulesets.add(params["ruleset"])
            return None
        if name == "action":
            self._add(piece, None, conditional, ruleset, path)
        return None

    def _add(self, action_text: str, selector: str | None, conditional: bool, ruleset: str, path: str) -> None:
        action_text = action_text.strip()
        if action_text.startswith("call "):
            self.config.calls.setdefault(action_text[5:].strip(), []).append((selector, conditional))
            return
        self.config.rules.append(Rule(parse_action(action_text), selector, conditional, ruleset, path))

    def _include(self, pattern: str) -> None:
        pattern = pattern.strip().strip('"')
        if not pattern:
            return
        if pattern.endswith("/"):
            pattern += "*"
        hits = sorted(p for p in self.files if fnmatch.fnmatch(p, pattern))
        if not hits:
            if not any(ch in pattern for ch in "*?["):
                self.config.unresolved_includes.append(pattern)
            return
        for hit in hits:
            self.read(hit)


def parse(files: dict[str, str], main: str = "/etc/rsyslog.conf") -> Config:
    """Read `main` and everything it includes from `files` (path → text)."""
    reader = _Reader(files)
    reader.read(main)
    return reader.config


def effective_rules(config: Config) -> list[Rule]:
    """Rules that local messages reach: default/local rulesets, and rulesets they call (one level)."""
    local = set(config.local_rulesets)
    out = [r for r in config.rules if r.ruleset in local]
    for name, callers in config.calls.items():
        if name in local:
            continue
        for r in config.rules:
            if r.ruleset != name:
                continue
            for selector, conditional in callers:
                out.append(Rule(r.action, selector if r.selector is None else r.selector,
                                conditional or r.conditional, name, r.file))
    return out


def destinations(rules: list[Rule], facility: str, severity: int = INFO) -> list[str]:
    """Files that unconditionally receive facility.severity."""
    return sorted({r.action["path"] for r in rules if r.action["type"] == "file" and not r.conditional
                   and selects(r.selector, facility, severity)})


#: Facilities a local program may log under (the audit syslog plugin's `args`, by default user).
ALL_FACILITIES = ("user", "daemon", "auth", "authpriv", "local0", "local1", "local2", "local3", "local4",
                  "local5", "local6", "local7")


def forwards(rules: list[Rule]) -> list[dict]:
    """Every forwarding action with the scope of what it sends."""
    out = []
    for r in rules:
        if r.action["type"] != "forward":
            continue
        target = r.action.get("target", "")
        scope = "conditional" if r.conditional else ("all" if r.selector is None else r.selector)
        out.append({**r.action, "scope": scope, "remote": bool(target) and not is_loopback(target),
                    "auth": not r.conditional and selects(r.selector, "authpriv"),
                    "every_facility": not r.conditional and all(selects(r.selector, f) for f in ALL_FACILITIES),
                    "file": r.file})
    return out
