"""YAML loading that remembers line numbers, so every validation error can say `file:line`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from assess.errors import InputError
from assess.limits import MAX_TEXT_FILE, MAX_YAML_DEPTH, MAX_YAML_VALUES, read_capped


class Node(dict):
    """A mapping from YAML that knows where it and each of its keys started (1-based lines)."""

    line: int = 0
    key_lines: dict[str, int]
    file: str = ""

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class NodeList(list):
    """A sequence from YAML with its line and the line of each element."""

    line: int = 0
    item_lines: list[int]


# LibYAML's parser when PyYAML has it (about 10x faster on the 211-item catalog); marks are the same.
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc, valid-type]
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> Node:
    loader.flatten_mapping(node)
    out = Node()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    out.file = loader.name
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            raise InputError("mapping key must be a scalar", loader.name, key_node.start_mark.line + 1)
        key = str(key) if not isinstance(key, str) else key
        if key in out:
            raise InputError(f"duplicate key '{key}'", loader.name, key_node.start_mark.line + 1)
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = key_node.start_mark.line + 1
    return out


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> NodeList:
    out = NodeList(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.item_lines = [child.start_mark.line + 1 for child in node.value]
    return out


def _construct_timestamp(loader: _Loader, node: yaml.ScalarNode) -> object:
    """A date-shaped scalar that is no real date (2026-13-01) is a YAML error at its line, not a crash."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError as exc:
        raise yaml.constructor.ConstructorError(None, None, f"invalid date {node.value!r}: {exc}",
                                                node.start_mark) from None


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def _bounded(root: yaml.Node, name: str) -> None:
    """Refuse a document whose aliases expand it beyond MAX_YAML_VALUES values, or that nests too deep.

    PyYAML shares an aliased node instead of copying it, so `a: &a [x, x]`, `b: &b [*a, *a]`, ... costs
    nothing to load but exponential memory once anything walks it (plain(), str()). The expanded size is
    counted on the node graph, each shared node once, without recursion.
    """
    sizes: dict[int, int] = {}
    path: set[int] = set()
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 0, False)]
    while stack:
        node, depth, done = stack.pop()
        key = id(node)
        children = ([x for pair in node.value for x in pair] if isinstance(node, yaml.MappingNode)
                    else node.value if isinstance(node, yaml.SequenceNode) else [])
        line = node.start_mark.line + 1
        if done:
            path.discard(key)
            sizes[key] = 1 + sum(sizes[id(c)] for c in children)
            if sizes[key] > MAX_YAML_VALUES:
                raise InputError(f"YAML aliases expand this document to more than {MAX_YAML_VALUES} values",
                                 name, line)
            continue
        if key in sizes:
            continue
        if key in path:
            raise InputError("recursive YAML alias (a collection that contains itself)", name, line)
        if depth > MAX_YAML_DEPTH:
            raise InputError(f"YAML nested more than {MAX_YAML_DEPTH} levels deep", name, line)
        path.add(key)
        stack.append((node, depth, True))
        stack += [(c, depth + 1, False) for c in children if id(c) not in sizes]


def load_text(text: str, name: str) -> Any:
    """Parse YAML text; syntax errors and alias bombs become InputError with the file and line."""
    loader = _Loader(text)
    loader.name = name
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _bounded(node, name)
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "YAML syntax error"
        raise InputError(f"YAML syntax error: {problem}", name, line) from None
    except yaml.YAMLError as exc:
        raise InputError(f"YAML error: {exc}", name) from None
    finally:
        loader.dispose()


def read_text(path: str | Path, expected: str = "a YAML file") -> str:
    """A UTF-8 text file's content; a missing, unreadable, binary or oversized file becomes one InputError."""
    path = Path(path)
    try:
        return read_capped(path, MAX_TEXT_FILE).decode("utf-8")
    except FileNotFoundError:
        raise InputError("no such file", str(path)) from None
    except IsADirectoryError:
        raise InputError(f"is a directory, expected {expected}", str(path)) from None
    except PermissionError:
        raise InputError("permission denied", str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read {expected}: {exc.strerror or exc}", str(path)) from None
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", str(path)) from None


def load_file(path: str | Path) -> Any:
    """Read and parse one YAML file; unreadable files become InputError."""
    return load_text(read_text(path), str(path))


def plain(x: Any) -> Any:
    """Convert loaded Node/NodeList trees back to plain dicts and lists."""
    if isinstance(x, dict):
        return {k: plain(v) for k, v in x.items()}
    if isinstance(x, list):
        return [plain(v) for v in x]
    return x
