"""The check rule language: leaves compare one fact value, combinators all / any / none join them.

A leaf in YAML: `{fact: login_defs, path: PASS_MAX_DAYS, op: le, param: password_max_days}`.
`path` walks dicts by key and lists by index; `[*]` maps over a list, and the operator must then
hold for every element (an empty list holds vacuously). `value` is a literal, `param` names a
profile parameter. Evaluation is pure: facts and parameters in, an Outcome out.

Set operators compare a list with a list: `disjoint` (shares no member), `intersects` (shares one),
`contains_all` (holds every member of the target). Their observed value is the deciding members
(the overlap, or for `contains_all` the list itself with the missing members in the failure).

`covers_bits` reads both sides as octal masks (`"027"`, `"0177"`): the actual value must have every bit
of the target set, e.g. a umask at least as strict as 022 (077 and 177 are, 002 is not).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from assess.catalog.schema import Problems
from assess.yamlio import plain

_SYMBOL = {"eq": "=", "ne": "≠", "lt": "<", "le": "≤", "gt": ">", "ge": "≥", "in": "∈", "not_in": "∉",
           "matches": "~", "not_matches": "!~", "contains": "∋", "not_contains": "∌",
           "exists": "exists", "absent": "absent", "empty": "is empty", "not_empty": "is not empty",
           "disjoint": "has none of", "intersects": "has any of", "contains_all": "contains all of",
           "covers_bits": "masks at least"}
OPERATORS = tuple(_SYMBOL)
_UNARY = {"exists", "absent", "empty", "not_empty"}
_SET_OPS = {"disjoint", "intersects", "contains_all"}
COMBINATORS = ("all", "any", "none")
_MISSING = object()


class RuleError(Exception):
    """A rule cannot be evaluated (unknown parameter, invalid regular expression)."""


@dataclass
class Outcome:
    ok: bool
    observed: dict[str, Any] = field(default_factory=dict)
    expected: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


@dataclass
class Leaf:
    fact: str
    path: list[str | int]
    op: str
    value: Any = None
    param: str | None = None

    @property
    def label(self) -> str:
        text = self.fact
        for part in self.path:
            text += f"[{part}]" if isinstance(part, int) or part == "*" else f".{part}"
        return text

    def facts(self) -> list[str]:
        return [self.fact]

    def params(self) -> list[str]:
        return [self.param] if self.param else []

    def expected_text(self, params: dict[str, Any]) -> str:
        if self.op in _UNARY:
            return f"{self.label} {_SYMBOL[self.op]}"
        return f"{self.label} {_SYMBOL[self.op]} {_show(self.target(params))}"

    def target(self, params: dict[str, Any]) -> Any:
        if self.param is None:
            return self.value
        if self.param not in params:
            raise RuleError(f"unknown profile parameter '{self.param}'")
        return params[self.param]

    def evaluate(self, facts: dict[str, Any], params: dict[str, Any]) -> Outcome:
        target = self.target(params)
        actual = resolve(facts.get(self.fact, _MISSING), self.path)
        expected = [self.expected_text(params)]
        if isinstance(actual, _Each):
            bad = [v for v in actual.values if not apply(self.op, v, target)]
            observed = actual.values if not bad else bad
            ok = not bad
            failures = [] if ok else [f"{self.label}: {_show(bad)} (expected {_SYMBOL[self.op]} {_show(target)})"]
            return Outcome(ok, {self.label: observed}, expected, failures)
        ok = apply(self.op, actual, target)
        shown = None if actual is _MISSING else actual
        if self.op in _SET_OPS and shown is not None:
            return self._set_outcome(ok, shown, target, expected)
        failures = [] if ok else [f"{self.label} = {_show(shown)}, expected {expected[0].split(' ', 1)[1]}"]
        return Outcome(ok, {self.label: shown}, expected, failures)

    def _set_outcome(self, ok: bool, actual: Any, target: Any, expected: list[str]) -> Outcome:
        """Set operators report the members that decide, not the whole (possibly long) list."""
        pool = _as_list(actual)
        if self.op == "contains_all":
            found = _common(pool, _as_list(target))
            missing = [t for t in _as_list(target) if t not in found]
            failures = [] if ok else [f"{self.label} lacks {_show(missing)}"]
            return Outcome(ok, {self.label: actual}, expected, failures)
        overlap = _common(_as_list(target), pool)
        key = f"{self.label} ∩ {self.param or 'value'}"
        if self.op == "disjoint":
            failures = [] if ok else [f"{self.label} has {_show(overlap)} (expected none of {_show(target)})"]
        else:
            failures = [] if ok else [f"{self.label} has none of {_show(target)}"]
        return Outcome(ok, {key: overlap}, expected, failures)


@dataclass
class Group:
    kind: str  # all | any | none
    children: list[Leaf | Group]

    def facts(self) -> list[str]:
        return [f for c in self.children for f in c.facts()]

    def params(self) -> list[str]:
        return [p for c in self.children for p in c.params()]

    def leaves(self) -> Iterator[Leaf]:
        for c in self.children:
            if isinstance(c, Group):
                yield from c.leaves()
            else:
                yield c

    def evaluate(self, facts: dict[str, Any], params: dict[str, Any]) -> Outcome:
        results = [c.evaluate(facts, params) for c in self.children]
        observed: dict[str, Any] = {}
        for r in results:
            observed.update(r.observed)
        if self.kind == "all":
            ok = all(r.ok for r in results)
            failures = [f for r in results for f in r.failures]
            expected = [e for r in results for e in r.expected]
        elif self.kind == "any":
            ok = any(r.ok for r in results)
            failures = [] if ok else ["none of: " + "; ".join(f for r in results for f in r.failures)]
            expected = ["any of: " + " | ".join(e for r in results for e in r.expected)]
        else:
            ok = not any(r.ok for r in results)
            held = [e for r in results if r.ok for e in r.expected]
            failures = [] if ok else [f"must not hold: {h}" for h in held]
            expected = ["none of: " + " | ".join(e for r in results for e in r.expected)]
        return Outcome(ok, observed, expected, failures)


Rule = Leaf | Group


class _Each:
    """Values gathered by a `[*]` path step."""

    def __init__(self, values: list[Any]):
        self.values = values


def parse_path(text: Any) -> list[str | int]:
    """`a.b[0].c`, `a[*].b` or a YAML list of keys → path parts."""
    if text in (None, ""):
        return []
    if isinstance(text, list):
        return [p if isinstance(p, int) else str(p) for p in text]
    parts: list[str | int] = []
    for chunk in str(text).split("."):
        m = re.fullmatch(r"([^\[\]]*)((?:\[(?:\d+|\*)\])*)", chunk)
        if not m:
            raise ValueError(f"invalid path segment '{chunk}'")
        if m.group(1):
            parts.append(m.group(1))
        for idx in re.findall(r"\[(\d+|\*)\]", m.group(2)):
            parts.append("*" if idx == "*" else int(idx))
    return parts


def resolve(value: Any, path: list[str | int]) -> Any:
    """Walk `path` into a fact value; missing keys give _MISSING; `*` fans out over a list."""
    for i, part in enumerate(path):
        if value is _MISSING or value is None:
            return _MISSING
        if part == "*":
            if not isinstance(value, list):
                return _MISSING
            rest = path[i + 1:]
            return _Each([v for v in (resolve(x, rest) for x in value) if v is not _MISSING])
        if isinstance(value, dict):
            value = value.get(part, _MISSING) if not isinstance(part, int) else value.get(str(part), _MISSING)
        elif isinstance(value, list) and isinstance(part, int):
            value = value[part] if -len(value) <= part < len(value) else _MISSING
        else:
            return _MISSING
    return value


def _num(x: Any) -> float | None:
    if isinstance(x, bool):
        return None
    if isinstance(x, (int, float)):
        return float(x)
    if isinstance(x, str):
        try:
            return float(x.strip())
        except ValueError:
            return None
    return None


def _equal(a: Any, b: Any) -> bool:
    if type(a) is type(b) and not isinstance(a, float):
        return a == b  # same type: str as text, int as int (the common, fast case)
    na, nb = _num(a), _num(b)
    if na is not None and nb is not None and not (isinstance(a, str) and isinstance(b, str)):
        return na == nb
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    return a == b


def apply(op: str, actual: Any, target: Any) -> bool:
    """Apply one operator to an actual value and the expected target."""
    missing = actual is _MISSING or actual is None
    if op == "exists":
        return not missing
    if op == "absent":
        return missing
    if op == "empty":
        return missing or (hasattr(actual, "__len__") and len(actual) == 0)
    if op == "not_empty":
        return not missing and hasattr(actual, "__len__") and len(actual) > 0
    if missing:
        # "not set" differs from every value, contains nothing and matches nothing.
        return op in ("ne", "not_in", "not_contains", "not_matches", "disjoint")
    if op == "eq":
        return _equal(actual, target)
    if op == "ne":
        return not _equal(actual, target)
    if op in ("lt", "le", "gt", "ge"):
        a, t = _num(actual), _num(target)
        if a is None or t is None:
            return False
        return {"lt": a < t, "le": a <= t, "gt": a > t, "ge": a >= t}[op]
    if op == "in":
        return any(_equal(actual, t) for t in _as_list(target))
    if op == "not_in":
        return not any(_equal(actual, t) for t in _as_list(target))
    if op in ("matches", "not_matches"):
        try:
            found = re.search(str(target), str(actual)) is not None
        except re.error as exc:
            raise RuleError(f"invalid regular expression {target!r}: {exc}") from None
        return found if op == "matches" else not found
    if op in ("contains", "not_contains"):
        if isinstance(actual, str):
            found = str(target) in actual
        elif isinstance(actual, (list, tuple, set, dict)):
            found = any(_equal(a, target) for a in actual)
        else:
            found = False
        return found if op == "contains" else not found
    if op in ("disjoint", "intersects"):
        hit = bool(_common(_as_list(actual), _as_list(target)))
        return hit if op == "intersects" else not hit
    if op == "contains_all":
        return len(_common(_as_list(actual), _as_list(target))) == len(_as_list(target))
    if op == "covers_bits":
        a, t = _octal(actual), _octal(target)
        if t is None:
            raise RuleError(f"'covers_bits' needs an octal mask in quotes (\"022\"), not {target!r}")
        return a is not None and a & t == t
    raise RuleError(f"unknown operator '{op}'")


def _octal(x: Any) -> int | None:
    """An octal mask written as text (`"027"`); None otherwise (a YAML number such as 027 is ambiguous)."""
    if isinstance(x, str) and re.fullmatch(r"[0-7]{1,4}", x.strip()):
        return int(x.strip(), 8)
    return None


def _common(pool: list[Any], targets: list[Any]) -> list[Any]:
    """The targets equal to some member of pool (set arithmetic when both sides are plain strings)."""
    if all(type(x) is str for x in pool) and all(type(t) is str for t in targets):
        members = set(pool)
        return [t for t in targets if t in members]
    return [t for t in targets if any(_equal(a, t) for a in pool)]


def _as_list(x: Any) -> list[Any]:
    return list(x) if isinstance(x, (list, tuple, set)) else [x]


def _show(x: Any) -> str:
    if x is None or x is _MISSING:
        return "(not set)"
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, str):
        return repr(x) if (x == "" or x != x.strip()) else x
    if isinstance(x, list):
        return "[" + ", ".join(_show(v) for v in x) + "]" if len(x) <= 12 else \
            "[" + ", ".join(_show(v) for v in x[:12]) + f", … (+{len(x) - 12})]"
    return str(x)


def parse_rule(node: Any, problems: Problems, default_fact: str | None, file: str) -> Rule | None:
    """Build a Rule from YAML, recording every problem; None when the node is unusable."""
    if not isinstance(node, dict):
        problems.at(node, None, "a rule must be a mapping", file)
        return None
    combos = [k for k in COMBINATORS if k in node]
    if combos:
        if len(node) != 1:
            problems.at(node, None, f"'{combos[0]}' must be the only key of its rule", file)
            return None
        children_node = node[combos[0]]
        if not isinstance(children_node, list) or not children_node:
            problems.at(node, combos[0], f"'{combos[0]}' needs a non-empty list of rules", file)
            return None
        children = [parse_rule(c, problems, default_fact, file) for c in children_node]
        if any(c is None for c in children):
            return None
        return Group(combos[0], children)  # type: ignore[arg-type]
    allowed = {"fact", "path", "op", "value", "param"}
    for key in node:
        if key not in allowed:
            problems.at(node, key, f"unknown key '{key}' in rule (allowed: fact, path, op, value, param, "
                                   "or one of all / any / none)", file)
    op = node.get("op")
    if op is None:
        problems.at(node, None, "rule is missing 'op'", file)
        return None
    if op not in OPERATORS:
        problems.at(node, "op", f"unknown operator '{op}' (known: {', '.join(OPERATORS)})", file)
        return None
    fact = node.get("fact", default_fact)
    if not fact:
        problems.at(node, None, "rule names no fact (set 'fact' here or on the check)", file)
        return None
    try:
        path = parse_path(node.get("path"))
    except ValueError as exc:
        problems.at(node, "path", str(exc), file)
        return None
    if op not in _UNARY and "value" not in node and "param" not in node:
        problems.at(node, None, f"operator '{op}' needs 'value' or 'param'", file)
        return None
    if "value" in node and "param" in node:
        problems.at(node, "param", "give either 'value' or 'param', not both", file)
        return None
    if op in ("matches", "not_matches") and "value" in node:
        try:
            re.compile(str(node["value"]))
        except re.error as exc:
            problems.at(node, "value", f"invalid regular expression: {exc}", file)
            return None
    value = node.get("value")
    return Leaf(fact=str(fact), path=path, op=op, value=plain(value), param=node.get("param"))
