"""A small field-spec validator for the declarative YAML files (catalog, checks, profiles, inventories).

Every problem is collected as `file:line: message`; nothing raises, so one lint run reports them all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from assess.yamlio import Node, NodeList


class Problems(list):
    """Collected `file:line: message` strings."""

    def add(self, file: str, line: int | None, message: str) -> None:
        self.append(f"{file}:{line or 1}: {message}")

    def at(self, node: Any, key: str | None, message: str, file: str = "") -> None:
        line = None
        if isinstance(node, Node):
            line = node.line_of(key) if key else node.line
            file = file or node.file
        elif isinstance(node, NodeList):
            line = node.line
        self.add(file or "?", line, message)


@dataclass(frozen=True)
class Field:
    """One allowed key of a mapping: its Python type(s), whether it is required, allowed values."""

    types: type | tuple[type, ...]
    required: bool = True
    choices: Iterable[Any] | None = None
    check: Callable[[Any], str | None] | None = None


_TYPE_NAMES = {str: "a string", int: "a number", float: "a number", bool: "true or false",
               list: "a list", dict: "a mapping"}


def _type_name(types: type | tuple[type, ...]) -> str:
    types = types if isinstance(types, tuple) else (types,)
    return " or ".join(dict.fromkeys(_TYPE_NAMES.get(t, t.__name__) for t in types))


def check_mapping(node: Any, spec: dict[str, Field], what: str, problems: Problems, file: str = "") -> bool:
    """Validate keys and value types of one mapping; return False when it is not a mapping at all."""
    if not isinstance(node, dict):
        problems.at(node, None, f"{what} must be a mapping", file)
        return False
    for key in node:
        if key not in spec:
            allowed = ", ".join(spec)
            problems.at(node, key, f"unknown key '{key}' in {what} (allowed: {allowed})", file)
    for key, field in spec.items():
        if key not in node:
            if field.required:
                problems.at(node, None, f"{what} is missing required key '{key}'", file)
            continue
        value = node[key]
        types = field.types if isinstance(field.types, tuple) else (field.types,)
        if float in types and int not in types:
            types = types + (int,)
        if isinstance(value, bool) and bool not in types:
            problems.at(node, key, f"'{key}' must be {_type_name(field.types)}, not true/false", file)
            continue
        if not isinstance(value, types):
            problems.at(node, key, f"'{key}' must be {_type_name(field.types)}", file)
            continue
        if field.choices is not None:
            choices = list(field.choices)
            values = value if isinstance(value, list) else [value]
            for v in values:
                if v not in choices:
                    shown = ", ".join(str(c) for c in choices)
                    problems.at(node, key, f"'{key}' has invalid value {v!r} (expected one of: {shown})", file)
        if field.check is not None:
            message = field.check(value)
            if message:
                problems.at(node, key, f"'{key}' {message}", file)
    return True
