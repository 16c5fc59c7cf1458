"""Fact definitions: a read-only shell snippet plus a parser (the pyinfra idea).

All facts of one object are joined into one script (`assess.probes.script`); each parser receives
only its own section. A parser returns plain data (dict, list, str, int, bool, None) or raises
FactUnavailable when the section shows the fact cannot be known (permission denied, no such tool
where the tool is required).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

FILE, MISSING, DENIED, CMD, NOCMD, RC = "@@F ", "@@M ", "@@D ", "@@C ", "@@X ", "@@RC "
_MARKERS = (FILE, MISSING, DENIED, CMD, NOCMD, RC)


class FactUnavailable(Exception):
    """The fact could not be obtained; the reason is shown on every check that needs it."""


@dataclass
class FileRead:
    """The outcome of `_file PATH` in the collector: content, or missing / denied."""

    path: str
    status: str  # ok | missing | denied
    content: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class CommandRun:
    """The outcome of `_cmd NAME ARGS...`: output and exit status, or not installed."""

    name: str
    found: bool
    output: str = ""
    rc: int | None = None


@dataclass
class Section:
    """The raw output of one fact's snippet, with the collector's markers normalised to `@@`; an output
    line that starts with `@@` is stored with one more `@` (assess.probes.script). `problem` says why the
    section's structure cannot be trusted (then its fact is an error)."""

    name: str
    text: str
    rc: int
    problem: str = ""
    _blocks: list[tuple[str, str, str]] | None = field(default=None, repr=False)

    def blocks(self) -> list[tuple[str, str, str]]:
        """Split into (marker, argument, body) blocks; text before any marker has marker ''."""
        if self._blocks is None:
            blocks: list[tuple[str, str, str]] = []
            marker, arg, body = "", "", []
            for line in self.text.split("\n"):
                hit = next((m for m in _MARKERS if line.startswith(m)), None)
                if hit:
                    if marker or body:
                        blocks.append((marker, arg, "\n".join(body)))
                    marker, arg, body = hit, line[len(hit):], []
                else:
                    body.append(line[1:] if line.startswith("@@@") else line)
            if marker or any(body):
                blocks.append((marker, arg, "\n".join(body)))
            self._blocks = blocks
        return self._blocks

    def files(self) -> dict[str, FileRead]:
        """Every `_file`/`_glob` result in the section, by path, in order."""
        out: dict[str, FileRead] = {}
        for marker, arg, body in self.blocks():
            if marker == FILE:
                out[arg] = FileRead(arg, "ok", body)
            elif marker == MISSING:
                out[arg] = FileRead(arg, "missing")
            elif marker == DENIED:
                out[arg] = FileRead(arg, "denied")
        return out

    def file(self, path: str) -> FileRead:
        return self.files().get(path, FileRead(path, "missing"))

    def commands(self) -> dict[str, CommandRun]:
        """Every `_cmd` result in the section, by command line as written (`id -u`)."""
        out: dict[str, CommandRun] = {}
        current: CommandRun | None = None
        for marker, arg, body in self.blocks():
            if marker == CMD:
                current = CommandRun(arg, True, body)
                out[arg] = current
            elif marker == RC and current is not None:
                try:
                    current.rc = int(arg.strip())
                except ValueError:
                    current.rc = None
                current = None
            elif marker == NOCMD:
                out[arg] = CommandRun(arg, False)
        return out

    def command(self, key: str) -> CommandRun:
        """The run of `key`: the full command line (`id -u`) or just its name (`id`, first run)."""
        runs = self.commands()
        if key in runs:
            return runs[key]
        return next((r for k, r in runs.items() if k.split(" ", 1)[0] == key), CommandRun(key, False))

    def plain(self) -> str:
        """The text outside any marker block (for snippets that print plain output)."""
        return "\n".join(body for marker, _arg, body in self.blocks() if marker == "")


def require_readable(read: FileRead, what: str = "") -> str:
    """Content of a file that must exist; denied → FactUnavailable."""
    if read.status == "denied":
        raise FactUnavailable(f"permission denied reading {read.path}{what} (run as root or with sudo)")
    return read.content if read.ok else ""


@dataclass(frozen=True)
class Fact:
    """A named fact of an object type: how to gather it (shell) and how to read it (parser)."""

    name: str
    object_type: str
    command: str
    parse: Callable[[Section], Any]
    description: str
    needs_root: bool = False
    optional: bool = False  # gathered only on the operator's request (e.g. --active); else "skipped"


REGISTRY: dict[str, dict[str, Fact]] = {}


def fact(name: str, command: str, *, object_type: str = "linux", needs_root: bool = False):
    """Register the decorated parser as fact `name` gathered by the shell `command`."""

    def wrap(parser: Callable[[Section], Any]) -> Callable[[Section], Any]:
        by_type = REGISTRY.setdefault(object_type, {})
        if name in by_type:
            raise ValueError(f"fact '{name}' for {object_type} is defined twice")
        doc = (parser.__doc__ or "").strip()
        by_type[name] = Fact(name, object_type, command.strip(), parser, doc, needs_root)
        return parser

    return wrap


def declare(name: str, description: str, *, object_type: str, optional: bool = False) -> None:
    """Register a fact gathered by a non-shell collector (HTTP/TLS probes): its name and meaning only.
    `optional` facts are gathered only when the operator asks (state-changing tests)."""
    by_type = REGISTRY.setdefault(object_type, {})
    if name in by_type:
        raise ValueError(f"fact '{name}' for {object_type} is defined twice")
    by_type[name] = Fact(name, object_type, "", _not_shell, description, optional=optional)


def _not_shell(section: Section) -> Any:
    raise FactUnavailable("this fact is gathered by its own collector, not by the shell script")


def facts_for(object_type: str) -> dict[str, Fact]:
    """All registered facts of an object type (importing the definitions on first use)."""
    _load_definitions()
    return REGISTRY.get(object_type, {})


def all_facts() -> dict[str, dict[str, Fact]]:
    _load_definitions()
    return REGISTRY


def _load_definitions() -> None:
    import assess.probes.cloud  # noqa: F401  (declares the cloud-account facts)
    import assess.probes.database  # noqa: F401  (registers the database facts)
    import assess.probes.http  # noqa: F401  (declares the webapp facts)
    import assess.probes.linux  # noqa: F401  (registers the Linux facts)
    import assess.probes.middleware  # noqa: F401  (registers the middleware facts)
    import assess.probes.network  # noqa: F401  (declares the network/security device facts)
