"""syslog-ng configuration: which log paths receive a facility, and their file and network destinations.

Objects (`source`, `destination`, `filter`, `log`) are global, so the main file and `conf.d/*.conf`
are read as one text. Filters are evaluated with three-valued logic for a given facility and
severity: `facility()`, `level()`/`priority()` (names, numbers, `a..b` ranges), `filter()`, `not`,
`and`, `or` are understood; anything else (`program()`, `match()`, `host()` …) is unknown, and a log
path counts for a message only when its filters are certainly true.
"""

from __future__ import annotations

import re

from assess.probes.linux.netparse import is_loopback
from assess.probes.linux.rsyslog import PRIORITIES

_OBJECT = re.compile(r"\b(source|destination|filter|log|parser|rewrite|template|options)\b\s*([\w-]*)\s*\{")
_NET_DRIVERS = ("network", "tcp", "udp", "tcp6", "udp6", "syslog")
_HTTP_DRIVERS = ("http", "elasticsearch-http", "elasticsearch2", "kafka", "kafka-c", "loggly", "splunk-hec-event",
                 "logstore", "graylog2", "opensearch")
_FACILITY_NUM = {"kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5, "lpr": 6, "news": 7,
                 "uucp": 8, "cron": 9, "authpriv": 10, "ftp": 11}


def _strip(text: str) -> str:
    out = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        quote = None
        for i, ch in enumerate(line):
            if quote:
                if ch == quote:
                    quote = None
            elif ch in "'\"":
                quote = ch
            elif ch == "#":
                line = line[:i]
                break
        out.append(line)
    return "\n".join(out)


def _objects(text: str) -> list[tuple[str, str, str]]:
    """(kind, name, body) for every top-level object."""
    out, pos = [], 0
    while True:
        m = _OBJECT.search(text, pos)
        if not m:
            return out
        depth, i = 1, m.end()
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        out.append((m.group(1), m.group(2), text[m.end():i - 1]))
        pos = i


def _destination(body: str) -> dict:
    files = re.findall(r'\bfile\(\s*"([^"]+)"', body)
    remote = []
    for driver, target in re.findall(r"\b(" + "|".join(_NET_DRIVERS) + r")\(\s*\"?([^\"\s)]+)", body):
        remote.append({"driver": driver, "target": target})
    for driver in _HTTP_DRIVERS:
        if re.search(r"\b" + re.escape(driver) + r"\(", body):
            url = re.search(r'\burl\(\s*"([^"]+)"', body)
            remote.append({"driver": driver, "target": url.group(1) if url else ""})
    return {"files": files, "remote": remote}


def _tokens(expr: str) -> list[str]:
    return re.findall(r"\(|\)|[\w.-]+\([^()]*\)|\w+", expr)


class _Filter:
    def __init__(self, filters: dict[str, str], facility: str, severity: int):
        self.filters, self.facility, self.severity = filters, facility, severity
        self.depth = 0

    def evaluate(self, expr: str) -> bool | None:
        self.depth += 1
        if self.depth > 20:
            return None
        self.toks, self.i = _tokens(expr), 0
        value = self._or()
        self.depth -= 1
        return value

    def _peek(self) -> str:
        return self.toks[self.i].lower() if self.i < len(self.toks) else ""

    def _or(self) -> bool | None:
        value = self._and()
        while self._peek() == "or":
            self.i += 1
            right = self._and()
            value = True if (value is True or right is True) else (None if None in (value, right) else False)
        return value

    def _and(self) -> bool | None:
        value = self._not()
        while self._peek() == "and":
            self.i += 1
            right = self._not()
            value = False if (value is False or right is False) else (None if None in (value, right) else True)
        return value

    def _not(self) -> bool | None:
        if self._peek() == "not":
            self.i += 1
            inner = self._not()
            return None if inner is None else not inner
        return self._atom()

    def _atom(self) -> bool | None:
        tok = self.toks[self.i] if self.i < len(self.toks) else ""
        self.i += 1
        if tok == "(":
            value = self._or()
            if self._peek() == ")":
                self.i += 1
            return value
        m = re.fullmatch(r"([\w.-]+)\((.*)\)", tok, re.S)
        if not m:
            return None
        name, args = m.group(1).lower(), [a for a in re.split(r"[,\s]+", m.group(2).strip()) if a]
        if name == "facility":
            return any(a == self.facility or a == str(_FACILITY_NUM.get(self.facility)) for a in args)
        if name in ("level", "priority"):
            return any(self._level(a) for a in args)
        if name == "filter" and args:
            body = self.filters.get(args[0])
            if body is None:
                return None
            saved = (self.toks, self.i)
            value = self.evaluate(body)
            self.toks, self.i = saved
            return value
        return None

    def _level(self, arg: str) -> bool:
        if ".." in arg:
            lo, hi = (PRIORITIES.get(x, -1) for x in arg.split("..", 1))
            return min(lo, hi) <= self.severity <= max(lo, hi)
        return PRIORITIES.get(arg, -1) == self.severity


def parse(text: str) -> dict:
    """Log paths with their destinations. Example: {"paths": [{"filters": ["f_auth"], "files":
    ["/var/log/auth.log"], "remote": []}], "destinations": {...}, "filters": {...}}"""
    objects = _objects(_strip(text))
    filters = {name: body.strip().rstrip(";") for kind, name, body in objects if kind == "filter" and name}
    dests = {name: _destination(body) for kind, name, body in objects if kind == "destination" and name}
    paths = []
    for kind, _name, body in objects:
        if kind != "log":
            continue
        path = {"filters": re.findall(r"\bfilter\(\s*([\w-]+)\s*\)", body), "files": [], "remote": []}
        for dname in re.findall(r"\bdestination\(\s*([\w-]+)\s*\)", body):
            dest = dests.get(dname, {"files": [], "remote": []})
            path["files"] += dest["files"]
            path["remote"] += dest["remote"]
        paths.append(path)
    return {"paths": paths, "filters": filters, "destinations": dests}


def receives(config: dict, path: dict, facility: str, severity: int = 6) -> bool:
    """Whether a log path certainly receives facility.severity."""
    checker = _Filter(config["filters"], facility, severity)
    for name in path["filters"]:
        body = config["filters"].get(name)
        if body is None or checker.evaluate(body) is not True:
            return False
    return True


def routes(config: dict) -> dict:
    """Files receiving auth (authpriv.info) and system (daemon.info) messages, and remote targets."""
    auth = [p for p in config["paths"] if receives(config, p, "authpriv")]
    system = [p for p in config["paths"] if receives(config, p, "daemon")]
    forwards = []
    for p in config["paths"]:
        for r in p["remote"]:
            host = re.sub(r"^\w+://", "", r["target"]).split("/")[0].split(":")[0]
            forwards.append({**r, "remote": bool(host) and not is_loopback(host), "auth": p in auth})
    return {"auth_files": sorted({f for p in auth for f in p["files"]}),
            "system_files": sorted({f for p in system for f in p["files"]}), "forwards": forwards}
