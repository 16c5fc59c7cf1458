"""Waivers (accepted exceptions): load and validate them, then mark the results they cover.

A waivers file lists exceptions the organisation has approved:

    waivers:
      - id: W-2026-01
        item: L3-CES1-10
        objects: [web-1]            # or `all` (the default): every object the item is judged on
        justification: ...
        approver: 张三（信息安全负责人）
        approved_at: 2026-01-05     # optional
        expires: 2026-06-30         # the waiver applies through this day
        compensating_measure:       # optional 补偿措施
          id: CM-WAF-01
          description: ...

Applying them is a pure step after answers (`apply(results, waivers, today)`). A waived result keeps its
judged verdict and gains `waived: {...}`: it is shown, never hidden or turned into a pass. From the day
after `expires` a waiver stops applying and the run warns (unless a newer, active waiver covers all of
its results). Compensating measures of active waivers are collected into `run.compensating_measures`.

How waived results count in the conclusion (the rule proposed to assess.judge.conclusion):

* 2025 template: a waived result counts with its judged verdict in the 符合率, and it still takes part
  in the 重大风险隐患 rules. An evaluator does not accept an organisation's internal exceptions: a
  waiver records that the risk was accepted, not that the requirement is met. So a waiver never changes
  the predicted conclusion by itself.
* 2021 template: the same; the control-point scores and the 高风险 veto use the judged verdict.
* The one way a waiver can change the prediction is its compensating measure: a high-risk rule that
  names the measure's id may cancel its case, as an evaluator does after verifying a 补偿措施 (问题修正).
  The report says so next to the case.
* Reports count waived results apart (e.g. "不符合 12, of which waived 3") and list each waiver.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from assess.catalog.load import Catalog
from assess.catalog.schema import Field, Problems, check_mapping
from assess.errors import LintErrors
from assess.inputs.answers import in_line_order, parse_date
from assess.inputs.questionnaire import Pair
from assess.model import ItemResult
from assess.yamlio import Node, load_file

COUNTING = ("a waived result keeps its judged verdict and counts as judged in the 2025 and 2021 conclusions; "
            "only a compensating measure named by a high-risk rule can cancel that case")
_DATE_TYPES = (date, str, int, float, bool)
_SPEC = {
    "id": Field(str), "item": Field(str), "objects": Field((str, list), required=False),
    "justification": Field(str), "approver": Field(str),
    "approved_at": Field(_DATE_TYPES, required=False), "expires": Field(_DATE_TYPES),
    "compensating_measure": Field(dict, required=False), "note": Field(str, required=False),
}
_MEASURE_SPEC = {"id": Field(str), "description": Field(str)}


@dataclass(frozen=True)
class Waiver:
    id: str
    item: str
    objects: tuple[str, ...]  # the object ids it covers (resolved from `all`)
    all_objects: bool
    justification: str
    approver: str
    approved_at: date | None
    expires: date
    measure: dict[str, str] | None
    where: str

    def expired(self, today: date) -> bool:
        return today > self.expires

    def record(self) -> dict[str, Any]:
        """What a waived result carries."""
        return {"id": self.id, "justification": self.justification, "approver": self.approver,
                "approved_at": self.approved_at.isoformat() if self.approved_at else None,
                "expires": self.expires.isoformat(), "compensating_measure": self.measure, "from": self.where}


@dataclass
class WaiverSet:
    file: str
    sha256: str
    waivers: list[Waiver]


def load(path: Path, catalog: Catalog, pairs: dict[tuple[str, str], Pair], today: date) -> WaiverSet:
    """Read and validate a waivers file against the scan's items and objects; raise LintErrors."""
    path = Path(path)
    f = str(path)
    data = load_file(path)
    problems = Problems()
    if not check_mapping(data, {"waivers": Field(list)}, "waivers file", problems, f) or problems:
        raise LintErrors(list(problems))
    objects = {oid for (_i, oid) in pairs}
    waivers: list[Waiver] = []
    ids: dict[str, int] = {}
    for i, node in enumerate(data["waivers"]):
        if not isinstance(node, dict):
            problems.add(f, data["waivers"].item_lines[i], "each waiver must be a mapping (id, item, ...)")
            continue
        waiver = _waiver(node, catalog, pairs, objects, today, problems, f)
        if waiver is None:
            continue
        if waiver.id in ids:
            problems.at(node, "id", f"duplicate waiver id '{waiver.id}' (first at line {ids[waiver.id]})", f)
            continue
        ids[waiver.id] = getattr(node, "line", 0)
        waivers.append(waiver)
    _overlaps(waivers, today, problems, f)
    if problems:
        raise LintErrors(in_line_order(problems, f))
    return WaiverSet(f, hashlib.sha256(path.read_bytes()).hexdigest(), waivers)


def _text(node: Node, key: str, problems: Problems, f: str) -> str:
    value = node[key].strip()
    if not value:
        problems.at(node, key, f"'{key}' must not be empty", f)
    return value


def _date(node: Node, key: str, problems: Problems, f: str) -> date | None:
    value = parse_date(node[key])
    if value is None:
        problems.at(node, key, f"'{key}' is not a date: {node[key]!r} (expected YYYY-MM-DD)", f)
    return value


def _waiver(node: Any, catalog: Catalog, pairs: dict[tuple[str, str], Pair], objects: set[str], today: date,
            problems: Problems, f: str) -> Waiver | None:
    before = len(problems)
    if not check_mapping(node, _SPEC, "waiver", problems, f) or len(problems) > before:
        return None
    wid = _text(node, "id", problems, f)
    justification = _text(node, "justification", problems, f)
    approver = _text(node, "approver", problems, f)
    item_id = node["item"].strip()
    covered: list[str] = []
    scope = node.get("objects", "all")
    all_objects = scope == "all"
    if item_id not in catalog.items:
        problems.at(node, "item", f"unknown item '{item_id}'", f)
    elif all_objects:
        covered = [oid for (i, oid) in pairs if i == item_id]
    elif isinstance(scope, str) or not scope:
        problems.at(node, "objects", "'objects' must be `all` or a list of object ids", f)
    else:
        for oid in scope:
            if not isinstance(oid, str) or oid not in objects:
                known = ", ".join(sorted(objects))
                problems.at(node, "objects", f"unknown object {oid!r} (objects in this scan: {known})", f)
            elif (item_id, oid) not in pairs:
                problems.at(node, "objects", f"{item_id} does not apply to object '{oid}'", f)
            elif oid not in covered:
                covered.append(oid)
    expires = _date(node, "expires", problems, f)
    approved_at = _date(node, "approved_at", problems, f) if "approved_at" in node else None
    if approved_at and approved_at > today:
        problems.at(node, "approved_at", f"'approved_at' {approved_at} is in the future (today is {today})", f)
    if approved_at and expires and expires < approved_at:
        problems.at(node, "expires", f"'expires' {expires} is before 'approved_at' {approved_at}", f)
    measure = None
    if "compensating_measure" in node:
        m = node["compensating_measure"]
        count = len(problems)
        if check_mapping(m, _MEASURE_SPEC, "compensating_measure", problems, f) and len(problems) == count:
            measure = {"id": _text(m, "id", problems, f), "description": _text(m, "description", problems, f)}
    if len(problems) > before or expires is None:
        return None
    return Waiver(wid, item_id, tuple(covered), all_objects, justification, approver, approved_at, expires,
                  measure, f"{f}:{node.line}")


def _overlaps(waivers: list[Waiver], today: date, problems: Problems, f: str) -> None:
    """Two active waivers on the same item × object are ambiguous: which approver and expiry apply?"""
    owner: dict[tuple[str, str], Waiver] = {}
    for w in waivers:
        if w.expired(today):
            continue
        for oid in w.objects:
            first = owner.setdefault((w.item, oid), w)
            if first is not w:
                line = int(w.where.rsplit(":", 1)[1])
                problems.add(f, line, f"waiver '{w.id}' overlaps active waiver '{first.id}' ({first.where}) "
                             f"on {w.item} × '{oid}'")


def apply(results: list[ItemResult], waivers: WaiverSet | None, today: date
          ) -> tuple[list[ItemResult], dict[str, Any], list[dict[str, Any]], list[str]]:
    """Results with active waivers marked, the waiver summary, compensating measures and warnings."""
    items = waivers.waivers if waivers else []
    active = {(w.item, oid): w for w in items if not w.expired(today) for oid in w.objects}
    counts: dict[str, int] = {w.id: 0 for w in items}
    out = []
    for r in results:
        w = active.get((r.item, r.object))
        if w is None:
            out.append(r)
            continue
        counts[w.id] += 1
        out.append(replace(r, waived=w.record()))
    warnings: list[str] = []
    listing = []
    measures = []
    for w in items:
        status = "active"
        if w.expired(today):
            superseded = bool(w.objects) and all((w.item, oid) in active for oid in w.objects)
            status = "superseded" if superseded else "expired"
            if not superseded:
                warnings.append(f"{w.where}: waiver '{w.id}' ({w.item}) expired on {w.expires}; it no longer "
                                "applies and its results count as judged")
        elif w.measure:
            measures.append({**w.measure, "waiver": w.id, "item": w.item, "objects": list(w.objects),
                             "expires": w.expires.isoformat()})
        listing.append({"id": w.id, "item": w.item, "objects": "all" if w.all_objects else list(w.objects),
                        "status": status, "approver": w.approver, "expires": w.expires.isoformat(),
                        "days_left": (w.expires - today).days, "results": counts[w.id],
                        "compensating_measure": w.measure["id"] if w.measure else None, "from": w.where})
    summary: dict[str, Any] = {
        "active": sum(1 for x in listing if x["status"] == "active"),
        "expired": sum(1 for x in listing if x["status"] == "expired"),
        "results_waived": sum(counts.values()), "counting": COUNTING, "list": listing}
    if waivers is not None:
        summary.update(file=waivers.file, sha256=waivers.sha256)
    return out, summary, measures, warnings
