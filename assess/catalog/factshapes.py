"""The value shape of every fact (controls/facts/<object type>.yaml), and rule paths validated against them.

A rule path that no fact can produce resolves to "not set", which operators such as `empty`, `disjoint`,
`ne` or `not_in` count as satisfied: a typo would turn a fail into a pass. So each fact declares once what
its parser returns, and `assess controls lint` (and every catalog load) rejects a path outside it.

A shape is one of:

- a scalar type: `str`, `int`, `float`, `number`, `bool`, or several joined by `|`; `any` is anything
  (every path below it is accepted: use it only for values the checks do not walk into);
- a one-element list `[SHAPE]`: a list whose elements have SHAPE;
- a mapping (a record): the keys the parser can produce, each with its shape. `"*"` stands for any other
  key (keys that are data: paths, user names, origins) and `<name>` for every keyword of the file's
  `keywords: {name: [...]}` list (option names a parser passes through, e.g. the sshd -T keywords).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assess.catalog.schema import Problems
from assess.yamlio import Node, NodeList

SCALARS = ("str", "int", "float", "number", "bool", "any")
_KEYWORDS = re.compile(r"^<([a-z0-9_-]+)>$")


@dataclass(frozen=True)
class Scalar:
    types: frozenset[str]

    @property
    def any(self) -> bool:
        return "any" in self.types


@dataclass(frozen=True)
class ListOf:
    item: Shape


@dataclass(frozen=True)
class Record:
    keys: dict[str, Shape]
    other: Shape | None = None  # the shape of any key not listed (`"*"`), None when the record is closed


Shape = Scalar | ListOf | Record


def load(directory: Path, problems: Problems, loader: Any) -> dict[str, dict[str, Shape]]:
    """Shapes by object type and fact name from every `*.yaml` under `directory`; problems recorded."""
    shapes: dict[str, dict[str, Shape]] = {}
    for path in sorted(directory.glob("*.yaml")) if directory.is_dir() else []:
        data = loader(path, problems)
        if data is None:
            continue
        f = str(path)
        if not isinstance(data, Node) or set(data) - {"object_type", "keywords", "facts", "note"} \
                or not isinstance(data.get("object_type"), str) or not isinstance(data.get("facts"), Node):
            problems.at(data, None, "a fact-shapes file has 'object_type', 'facts' (a mapping) and optionally "
                                    "'keywords' and 'note'", f)
            continue
        keywords: dict[str, list[str]] = {}
        for name, words in (data.get("keywords") or {}).items():
            if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
                problems.at(data["keywords"], name, f"keywords '{name}' must be a list of names", f)
                continue
            keywords[name] = list(words)
        by_fact = shapes.setdefault(data["object_type"], {})
        for fact, node in data["facts"].items():
            if fact in by_fact:
                problems.at(data["facts"], fact, f"fact '{fact}' is declared twice", f)
                continue
            shape = _parse(node, data["facts"], fact, keywords, problems, f)
            if shape is not None:
                by_fact[fact] = shape
    return shapes


def _parse(node: Any, parent: Any, key: Any, keywords: dict[str, list[str]], problems: Problems,
           f: str) -> Shape | None:
    if isinstance(node, str):
        types = frozenset(t.strip() for t in node.split("|"))
        bad = sorted(types - set(SCALARS))
        if bad:
            problems.at(parent, key, f"unknown type '{bad[0]}' (known: {', '.join(SCALARS)}, a [list] or a "
                                     "mapping)", f)
            return None
        return Scalar(types)
    if isinstance(node, NodeList):
        if len(node) != 1:
            problems.at(parent, key, "a list shape has exactly one element: the shape of its items", f)
            return None
        item = _parse(node[0], parent, key, keywords, problems, f)
        return None if item is None else ListOf(item)
    if isinstance(node, Node):
        keys: dict[str, Shape] = {}
        other: Shape | None = None
        ok = True
        for name, sub in node.items():
            shape = _parse(sub, node, name, keywords, problems, f)
            if shape is None:
                ok = False
                continue
            m = _KEYWORDS.match(str(name))
            if name == "*":
                other = shape
            elif m:
                if m[1] not in keywords:
                    problems.at(node, name, f"no keywords list named '{m[1]}'", f)
                    ok = False
                    continue
                for word in keywords[m[1]]:
                    keys.setdefault(word, shape)
            else:
                keys[str(name)] = shape
        return Record(keys, other) if ok else None
    problems.at(parent, key, "a shape is a type name, a one-element list or a mapping", f)
    return None


def check_path(shape: Shape, path: list[str | int]) -> str | None:
    """Why `path` cannot be produced by a value of `shape`, or None when it can."""
    walked = ""
    for part in path:
        if isinstance(shape, Scalar) and shape.any:
            return None
        step = f"[{part}]" if part == "*" or isinstance(part, int) else f".{part}"
        if part == "*":
            if not isinstance(shape, ListOf):
                return f"'{walked.lstrip('.') or 'the value'}' is not a list, so '[*]' selects nothing"
            shape = shape.item
        elif isinstance(shape, ListOf) and isinstance(part, int):
            shape = shape.item
        elif isinstance(shape, Record):
            name = str(part)
            if name in shape.keys:
                shape = shape.keys[name]
            elif shape.other is not None:
                shape = shape.other
            else:
                near = difflib.get_close_matches(name, list(shape.keys), n=1)
                hint = f"did you mean '{near[0]}'?" if near else f"declared: {_listing(sorted(shape.keys))}"
                return f"no key '{name}' in {walked.lstrip('.') or 'the value'} ({hint})"
        else:
            kind = "a list" if isinstance(shape, ListOf) else "|".join(sorted(shape.types))
            return f"'{walked.lstrip('.') or 'the value'}' is {kind}, it has no '{part}'"
        walked += step
    return None


def _listing(names: list[str]) -> str:
    return ", ".join(names) if len(names) <= 15 else ", ".join(names[:15]) + f", … ({len(names)} in all)"


_TYPES: dict[str, tuple[type, ...]] = {"str": (str,), "int": (int,), "float": (float,), "number": (int, float),
                                       "bool": (bool,)}


def mismatches(shape: Shape, value: Any, where: str = "") -> list[str]:
    """Where `value` (a parser's output) leaves `shape`: a key not declared or a value of another type.
    None (not known) fits every shape."""
    if value is None or isinstance(shape, Scalar) and shape.any:
        return []
    here = where or "the value"
    if isinstance(shape, Scalar):
        ok = any(isinstance(value, t) and not (isinstance(value, bool) and name != "bool")
                 for name in shape.types for t in _TYPES[name])
        return [] if ok else [f"{here} is {type(value).__name__}, declared {'|'.join(sorted(shape.types))}"]
    if isinstance(shape, ListOf):
        if not isinstance(value, list):
            return [f"{here} is {type(value).__name__}, declared a list"]
        return [m for i, item in enumerate(value) for m in mismatches(shape.item, item, f"{where}[{i}]")]
    if not isinstance(value, dict):
        return [f"{here} is {type(value).__name__}, declared a mapping"]
    out = []
    for key, sub in value.items():
        inner = shape.keys.get(str(key), shape.other)
        if inner is None:
            out.append(f"{where + '.' if where else ''}{key} is not declared")
        else:
            out += mismatches(inner, sub, f"{where + '.' if where else ''}{key}")
    return out
