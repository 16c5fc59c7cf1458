"""复测: rescan only what did not pass in an earlier run, and carry the rest forward.

For each object of the inventory, the facts to collect again are those of the checks behind its results
that were 不符合 / 部分符合 / 无法判定 in the earlier run (or that the earlier run does not have: a new object
or item). An object with none of those is not contacted at all. Every other fact is carried: re-parsed from
the earlier run's raw evidence (assess.run.replay, so evidence ids are checked and current parsers apply) and
written into this run's evidence file, so the new run directory is complete on its own. Evaluation then
runs as usual over the merged facts.

In the new results: `run.rescan_of` names the earlier run; an object not contacted carries `carried_from:
<earlier run>`, and so does its evidence file's `info`; a result whose checks read only carried facts carries
`carried_from: <run id>`, the run where the result was last judged on freshly collected facts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assess.catalog.load import Catalog
from assess.catalog.profile import Profile
from assess.errors import InputError
from assess.model import Target
from assess.run import document as results
from assess.run import plan, replay
from assess.run.collect import ObjectEvidence
from assess.run.scan import collector_for

REDO = ("fail", "partial", "error")


@dataclass
class Plan:
    """What a rescan collects again and what it carries from the earlier run."""

    previous: dict[str, Any]
    previous_dir: Path
    only: dict[str, set[str]] = field(default_factory=dict)  # object → facts to collect again
    stored: dict[str, dict[str, Any]] = field(default_factory=dict)  # object → its earlier evidence file

    @property
    def run_id(self) -> str:
        return self.previous["run"]["id"]


def _facts_of_checks(catalog: Catalog, target: Target, item_id: str) -> set[str]:
    return {name for c in catalog.checks_for(item_id, target.type)
            if not c.engines or target.engine in c.engines for name in c.facts}


def make_plan(catalog: Catalog, profile: Profile, targets: list[Target], previous_dir: Path) -> Plan:
    """Decide, per object, which facts to collect again (module docstring)."""
    previous = results.load_results(previous_dir)
    out = Plan(previous, previous_dir)
    objects = {o["id"]: o for o in previous.get("objects") or []}
    rows = {(r["item"], r["object"]): r for r in previous.get("results") or []}
    for t in targets:
        if collector_for(catalog, profile, t) is None:
            continue
        planned = {f.name for f in plan.facts_needed(catalog, profile, t)}
        obj = objects.get(t.id)
        path = replay.evidence_path(previous_dir, obj) if obj else None
        if obj is None or obj.get("type") != t.type or path is None or not path.is_file():
            out.only[t.id] = planned  # new (or changed) object, or no earlier evidence: collect in full
            continue
        stored = replay.load_evidence_file(path)
        if stored.get("error"):
            out.only[t.id] = planned
            continue
        redo: set[str] = set()
        for item in catalog.items.values():
            if t.type not in item.objects:
                continue
            row = rows.get((item.id, t.id))
            if row is None or row["verdict"] in REDO:
                redo |= _facts_of_checks(catalog, t, item.id)
        redo &= planned
        out.stored[t.id] = stored
        if redo:
            out.only[t.id] = redo | set(plan.ALWAYS.get(t.type, ()))
    return out


def merge_evidence(rescan: Plan, catalog: Catalog, profile: Profile, targets: list[Target]
                   ) -> Callable[[dict[str, ObjectEvidence], Path], None]:
    """The step after collection: add the carried facts to each object's evidence and rewrite its file."""
    by_id = {t.id: t for t in targets}

    def merge(evidence: dict[str, ObjectEvidence], run_dir: Path) -> None:
        for oid, stored in rescan.stored.items():
            fresh = evidence.get(oid)
            if fresh is not None and fresh.error:
                continue  # unreachable now: its results say so, nothing is carried over a failed collection
            needed = plan.facts_needed(catalog, profile, by_id[oid])
            carried = [f for f in needed if fresh is None or f.name not in fresh.facts]
            old = replay.reparse(stored, carried)
            old.object_id = oid
            if fresh is None:
                merged = old
                merged.info = dict(stored.get("info") or {}, carried_from=rescan.run_id)
            elif old.facts:
                merged = fresh
                merged.facts.update(old.facts)
                merged.raw.update(old.raw)
                merged.info = dict(fresh.info, carried_facts=sorted(old.facts), carried_from=rescan.run_id)
            else:
                continue
            evidence[oid] = merged
            results.write_json(run_dir / "evidence" / f"{results.safe_name(oid)}.json", merged.as_dict())
    return merge


def mark_carried(rescan: Plan, catalog: Catalog) -> Callable[[dict[str, Any]], None]:
    """The step before results.json is written: mark carried objects and results."""
    previous_rows = {(r["item"], r["object"]): r for r in rescan.previous.get("results") or []}

    def mark(doc: dict[str, Any]) -> None:
        doc["run"]["rescan_of"] = rescan.run_id
        doc["run"]["rescan"] = {"collected": {oid: sorted(facts) for oid, facts in sorted(rescan.only.items())},
                                "carried_objects": sorted(set(rescan.stored) - set(rescan.only))}
        for obj in doc.get("objects") or []:
            if obj["id"] in rescan.stored and obj["id"] not in rescan.only and obj.get("reachable") is not False:
                obj["carried_from"] = rescan.run_id
        for row in doc.get("results") or []:
            oid = row["object"]
            if oid not in rescan.stored or not row.get("checks"):
                continue
            read = {name for c in row["checks"] if c["check"] in catalog.checks
                    for name in catalog.checks[c["check"]].facts}
            if read and not read & rescan.only.get(oid, set()) and row.get("source") == "checks":
                earlier = previous_rows.get((row["item"], oid)) or {}
                row["carried_from"] = earlier.get("carried_from") or rescan.run_id
    return mark


def check_same_inventory(previous: dict[str, Any], targets: list[Target], previous_dir: Path) -> None:
    """Refuse a rescan against a run that shares no object with this inventory."""
    ids = {o["id"] for o in previous.get("objects") or []}
    if not ids & {t.id for t in targets}:
        raise InputError(f"run {previous['run']['id']} ({previous_dir}) has none of this inventory's objects; "
                         "give the run of the same inventory with --rescan-failed RUN")
