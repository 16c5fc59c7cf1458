"""High-risk rules (高风险 / 重大风险隐患): loading with file:line lint, and a pure evaluator.

A rule (controls/highrisk/*.yaml) is judged on each 测评对象 its `objects` types cover. Its `when`
condition and each compensating measure's `when` are written in the check rule language
(all / any / none over leaves, operators of assess.catalog.rules), with leaves that name one subject:

  {item: L3-CES1-01, op: in, value: [fail, partial]}     the item's verdict on this object
  {check: linux.x.y, op: eq, value: fail}               a check's status on this object
  {object: tags, op: contains, value: internet-facing}  the object's id, type, engine or tags
  {context: high_continuity, op: eq, value: true}       the profile's `context:` block
  {measure: mfa-bastion}                                 a declared compensating measure is present

Declared measures come from the results document's `run.compensating_measures` (waivers with a
compensating measure) and the profile's `context.compensating_measures`: each entry is a measure id,
or {id, objects: [...]} to limit it to some objects.

A rule whose condition holds is `triggered`, or `compensated` when one of its measures holds; each
finding names the results that triggered it and the measure that cancelled it. An error never hides a
case: a rule that does not hold, but would for some outcome of the item or check results that are in error
(无法判定) on the object, is `unassessed` (待核查, 未评估) there, with those results in `pending`: its evidence
is missing, so the case is reported as not assessed, never as absent -- unless one of its measures holds
whatever those results turn out to be (it would be cancelled anyway).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assess import model
from assess.catalog.rules import COMBINATORS, OPERATORS, Group, Leaf
from assess.catalog.schema import Field, Problems, check_mapping
from assess.yamlio import plain

_ID = re.compile(r"^HR-[A-Z]{3}-[a-z0-9-]+$")
_MAJOR = re.compile(r"^A-\d{2}$")
_TRIAL = re.compile(r"^\d+(\.\d+)+$")
SUBJECTS = ("item", "check", "object", "context", "measure")
OBJECT_ATTRS = ("id", "type", "engine", "tags")
_UNARY = ("exists", "absent", "empty", "not_empty")
#: Profile `context:` keys a condition may read (README, profiles); any other name is a lint error.
CONTEXT_KEYS = ("high_continuity", "critical_industry", "cloud_provider", "cloud_platform_level",
                "cloud_platform_certificate")
#: The outcomes an item verdict or check status in error could have had.
_OUTCOMES = {"item": ("fail", "partial", "pass", "na", "manual"), "check": ("fail", "pass", "na", "manual")}
_MAX_OUTCOMES = 4096
_EXCLUSIONS = ("ne", "not_in", "not_contains", "not_matches", "absent", "empty", "disjoint")

_FILE_SPEC = {"rules": Field(list), "note": Field(str, required=False)}
_RULE_SPEC = {
    "id": Field(str, check=lambda v: None if _ID.match(v) else "must look like HR-CES-weak-password"),
    "title": Field(str), "title_en": Field(str),
    "cases": Field(dict), "min_level": Field(int, choices=(1, 2, 3, 4)),
    "objects": Field(list, choices=model.OBJECT_TYPES + (model.UNCOVERED_TYPE,)),
    "when": Field(dict), "compensated_by": Field(list, required=False),
    "remediation": Field(str), "remediation_en": Field(str, required=False),
    "references": Field(list), "note": Field(str, required=False),
}
_CASES_SPEC = {
    "trial": Field(str, required=False, check=lambda v: None if _TRIAL.match(v) else "must look like 6.4.1.1"),
    "iseaa": Field(str, required=False),
    "major": Field(str, required=False, check=lambda v: None if _MAJOR.match(v) else "must look like A-18"),
}
_MEASURE_SPEC = {"title": Field(str), "title_en": Field(str), "when": Field(dict)}


@dataclass
class Measure:
    """A compensating measure (补偿措施) that cancels the rule on an object where its condition holds."""

    title: str
    title_en: str
    when: Leaf | Group


@dataclass
class HighRiskRule:
    id: str
    title: str
    title_en: str
    cases: dict[str, str]
    min_level: int
    objects: list[str]
    when: Leaf | Group
    compensated_by: list[Measure]
    remediation: str
    remediation_en: str = ""
    references: list[str] = field(default_factory=list)
    file: str = ""
    line: int = 0

    @property
    def major(self) -> bool:
        """A 2025-template 重大风险隐患 trigger (appendix G, A-xx)."""
        return "major" in self.cases

    @property
    def high_risk(self) -> bool:
        """A high-risk case of the trial guide or T/ISEAA 001-2020 (the 2021-template veto)."""
        return "trial" in self.cases or "iseaa" in self.cases


# ---------------------------------------------------------------------------------------------------- loading

def load_files(paths: Iterable[Path], items: Mapping[str, Any], checks: Mapping[str, Any], problems: Problems,
               loader: Any) -> list[HighRiskRule]:
    """Load and lint every high-risk rule file; problems are recorded, never raised."""
    rules: dict[str, HighRiskRule] = {}
    for path in paths:
        data = loader(path, problems)
        if data is None:
            continue
        f = str(path)
        if not check_mapping(data, _FILE_SPEC, "high-risk rules file", problems, f):
            continue
        for node in data.get("rules") or []:
            rule = _rule(node, items, checks, problems, f)
            if rule is None:
                continue
            if rule.id in rules:
                first = rules[rule.id]
                problems.at(node, "id", f"duplicate high-risk rule id {rule.id} (first at {first.file}:{first.line})", f)
                continue
            rules[rule.id] = rule
    return list(rules.values())


def _rule(node: Any, items: Mapping[str, Any], checks: Mapping[str, Any], problems: Problems,
          f: str) -> HighRiskRule | None:
    before = len(problems)
    if not check_mapping(node, _RULE_SPEC, "high-risk rule", problems, f):
        return None
    cases = node.get("cases")
    if isinstance(cases, dict) and check_mapping(cases, _CASES_SPEC, "cases", problems, f) and not cases:
        problems.at(node, "cases", "'cases' must name at least one of trial, iseaa, major", f)
    when = _condition(node.get("when"), items, checks, problems, f) if "when" in node else None
    measures = []
    for m in node.get("compensated_by") or []:
        if check_mapping(m, _MEASURE_SPEC, "compensating measure", problems, f):
            cond = _condition(m["when"], items, checks, problems, f)
            if cond is not None:
                measures.append(Measure(m["title"], m["title_en"], cond))
    if not node.get("references"):
        problems.at(node, "references", "a high-risk rule needs at least one reference", f)
    if len(problems) > before or when is None:
        return None
    return HighRiskRule(
        id=node["id"], title=node["title"], title_en=node["title_en"], cases=dict(plain(cases)),
        min_level=node["min_level"], objects=list(node["objects"]), when=when, compensated_by=measures,
        remediation=node["remediation"].strip(), remediation_en=node.get("remediation_en", "").strip(),
        references=[str(r) for r in node["references"]], file=f, line=node.line)


def _condition(node: Any, items: Mapping[str, Any], checks: Mapping[str, Any], problems: Problems,
               f: str) -> Leaf | Group | None:
    if not isinstance(node, dict):
        problems.at(node, None, "a condition must be a mapping", f)
        return None
    combos = [k for k in COMBINATORS if k in node]
    if combos:
        children_node = node[combos[0]]
        if len(node) != 1:
            problems.at(node, None, f"'{combos[0]}' must be the only key of its condition", f)
            return None
        if not isinstance(children_node, list) or not children_node:
            problems.at(node, combos[0], f"'{combos[0]}' needs a non-empty list of conditions", f)
            return None
        children = [_condition(c, items, checks, problems, f) for c in children_node]
        return None if any(c is None for c in children) else Group(combos[0], children)  # type: ignore[arg-type]
    subjects = [k for k in SUBJECTS if k in node]
    for key in node:
        if key not in SUBJECTS and key not in ("op", "value"):
            problems.at(node, key, f"unknown key '{key}' in condition (allowed: {', '.join(SUBJECTS)}, op, value, "
                                   "or one of all / any / none)", f)
            return None
    if len(subjects) != 1:
        problems.at(node, None, f"a condition names exactly one of {', '.join(SUBJECTS)}", f)
        return None
    subject = subjects[0]
    name = node[subject]
    if not isinstance(name, str) or not name:
        problems.at(node, subject, f"'{subject}' must be a non-empty string", f)
        return None
    if subject == "measure":
        if "op" in node or "value" in node:
            problems.at(node, None, "a 'measure' condition takes no op or value (it holds when declared)", f)
            return None
        return Leaf(fact="measures", path=[], op="contains", value=name)
    if subject == "item" and name not in items:
        problems.at(node, "item", f"unknown item '{name}'", f)
        return None
    if subject == "check" and name not in checks:
        problems.at(node, "check", f"unknown check '{name}'", f)
        return None
    if subject == "context" and name not in CONTEXT_KEYS:
        problems.at(node, "context", f"unknown context key '{name}' (known: {', '.join(CONTEXT_KEYS)})", f)
        return None
    if subject == "object" and name not in OBJECT_ATTRS:
        problems.at(node, "object", f"unknown object attribute '{name}' (known: {', '.join(OBJECT_ATTRS)})", f)
        return None
    op = node.get("op")
    if op not in OPERATORS:
        problems.at(node, "op" if "op" in node else None,
                    f"unknown operator {op!r} (known: {', '.join(OPERATORS)})" if op is not None
                    else "condition is missing 'op'", f)
        return None
    if op not in _UNARY and "value" not in node:
        problems.at(node, None, f"operator '{op}' needs a 'value'", f)
        return None
    value = plain(node.get("value"))
    if subject == "item":
        allowed = _values(value)
        bad = [v for v in allowed if v not in model.VERDICTS]
        if op not in _UNARY and bad:
            problems.at(node, "value", f"unknown verdict {bad[0]!r} (known: {', '.join(model.VERDICTS)})", f)
            return None
    if subject == "check":
        bad = [v for v in _values(value) if v not in model.CHECK_STATUSES]
        if op not in _UNARY and bad:
            problems.at(node, "value", f"unknown check status {bad[0]!r} (known: {', '.join(model.CHECK_STATUSES)})",
                        f)
            return None
    return Leaf(fact=subject, path=[name], op=op, value=value)


def _values(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


# ---------------------------------------------------------------------------------------------------- evaluation

def _measures_for(object_id: str, declared: Iterable[Any]) -> list[str]:
    out = []
    for m in declared:
        if isinstance(m, str):
            out.append(m)
        elif isinstance(m, Mapping) and isinstance(m.get("id"), str):
            scope = m.get("objects")
            if not scope or object_id in scope:
                out.append(m["id"])
    return out


def _view(obj: Mapping[str, Any], rows: list[Mapping[str, Any]], context: Mapping[str, Any],
          measures: list[str], check_meta: Mapping[str, Any]) -> dict[str, Any]:
    checks: dict[str, str] = {}
    for r in rows:
        for c in r.get("checks") or []:
            # a check feeding several items has one status per object; a failure anywhere wins
            if checks.get(c["check"]) != "fail":
                checks[c["check"]] = c["status"]
    if any(r.get("source") == "collection" for r in rows):
        # the object could not be collected: every check of its type (and engine) is in error, not absent
        for cid, meta in check_meta.items():
            if meta.get("object_type") == obj["type"] and (not meta.get("engines") or
                                                           obj.get("engine") in meta["engines"]):
                checks.setdefault(cid, "error")
    return {
        "item": {r["item"]: r["verdict"] for r in rows},
        "check": checks,
        "object": {"id": obj["id"], "type": obj["type"], "engine": obj.get("engine"),
                   "tags": list(obj.get("tags") or [])},
        "context": dict(context),
        "measures": measures,
    }


def _holds(rule: Leaf | Group, view: dict[str, Any]) -> bool:
    return rule.evaluate(view, {}).ok


def _named_results(rule: Leaf | Group, view: dict[str, Any], object_id: str) -> list[dict[str, Any]]:
    """The item and check results that make a condition hold: leaves under `none` and exclusions (`ne`,
    `not_in`: "this check did not fail") are not what triggered it."""
    out: list[dict[str, Any]] = []
    if isinstance(rule, Group):
        if rule.kind == "none":
            return out
        for child in rule.children:
            if _holds(child, view):
                out += _named_results(child, view, object_id)
        return out
    if rule.fact in ("item", "check") and rule.op not in _EXCLUSIONS and _holds(rule, view):
        key = rule.path[0]
        if rule.fact == "item":
            out.append({"item": key, "object": object_id, "verdict": view["item"].get(key)})
        else:
            out.append({"check": key, "object": object_id, "status": view["check"].get(key)})
    return out


def _subjects(rule: Leaf | Group) -> list[tuple[str, str]]:
    """The (item | check, id) pairs a condition reads."""
    leaves = rule.leaves() if isinstance(rule, Group) else [rule]
    return list(dict.fromkeys((leaf.fact, str(leaf.path[0])) for leaf in leaves if leaf.fact in _OUTCOMES))


def _pending(rule: Leaf | Group, view: dict[str, Any], object_id: str) -> list[dict[str, Any]]:
    """The results in error that could make a condition that does not hold hold, or []."""
    unknown = [(kind, key) for kind, key in _subjects(rule) if view[kind].get(key) == "error"]
    if not unknown:
        return []
    combos = 1
    for kind, _key in unknown:
        combos *= len(_OUTCOMES[kind])
    if combos <= _MAX_OUTCOMES and not any(_holds(rule, _resolved(view, unknown, outcome))
                                           for outcome in itertools.product(*(_OUTCOMES[k] for k, _ in unknown))):
        return []
    return [{"item": key, "object": object_id, "verdict": "error"} if kind == "item" else
            {"check": key, "object": object_id, "status": "error"} for kind, key in unknown]


def _certain(rule: Leaf | Group, view: dict[str, Any]) -> bool:
    """Whether a condition holds for every outcome of the results in error it reads (too many: only if it
    holds with every one of them a failure)."""
    unknown = [(kind, key) for kind, key in _subjects(rule) if view[kind].get(key) == "error"]
    if not unknown:
        return _holds(rule, view)
    combos = 1
    for kind, _key in unknown:
        combos *= len(_OUTCOMES[kind])
    if combos > _MAX_OUTCOMES:
        return _holds(rule, _resolved(view, unknown, ("fail",) * len(unknown)))
    return all(_holds(rule, _resolved(view, unknown, outcome))
               for outcome in itertools.product(*(_OUTCOMES[k] for k, _ in unknown)))


def _resolved(view: dict[str, Any], unknown: list[tuple[str, str]], outcome: tuple[str, ...]) -> dict[str, Any]:
    out = {**view, "item": dict(view["item"]), "check": dict(view["check"])}
    for (kind, key), value in zip(unknown, outcome, strict=True):
        out[kind][key] = value
    return out


def evaluate(rules: Iterable[HighRiskRule], document: Mapping[str, Any], level: int,
             context: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Findings for every rule that holds on an object: triggered, or compensated with the measure named."""
    rows_by_object: dict[str, list[Mapping[str, Any]]] = {}
    for r in document["results"]:
        rows_by_object.setdefault(r["object"], []).append(r)
    declared = list(document["run"].get("compensating_measures") or []) + \
        list(context.get("compensating_measures") or [])
    views: dict[str, dict[str, Any]] = {}
    findings = []
    for rule in rules:
        if rule.min_level > level:
            continue
        for obj in document["objects"]:
            if obj["type"] not in rule.objects or obj["id"] not in rows_by_object:
                continue
            view = views.get(obj["id"])
            if view is None:
                view = views[obj["id"]] = _view(obj, rows_by_object[obj["id"]], context,
                                                _measures_for(obj["id"], declared), document.get("checks") or {})
            holds = _holds(rule.when, view)
            pending = [] if holds else _pending(rule.when, view, obj["id"])
            if not holds and not pending:
                continue
            cancelled = [{"title": m.title, "title_en": m.title_en,
                          "results": _named_results(m.when, view, obj["id"])}
                         for m in rule.compensated_by if _holds(m.when, view)]
            if pending and any(_certain(m.when, view) for m in rule.compensated_by):
                continue  # not assessed, but a measure would cancel it whatever the results in error are
            finding = {
                "rule": rule.id, "title": rule.title, "title_en": rule.title_en, "cases": rule.cases,
                "major": rule.major, "high_risk": rule.high_risk, "object": obj["id"],
                "status": "unassessed" if pending else "compensated" if cancelled else "triggered",
                "triggered_by": _named_results(rule.when, view, obj["id"]) if holds else [],
                "compensated_by": cancelled,
                "remediation": rule.remediation, "remediation_en": rule.remediation_en,
                "references": rule.references,
            }
            if pending:
                finding["pending"] = pending
            findings.append(finding)
    return findings

