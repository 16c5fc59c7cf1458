"""The scan pipeline: plan → collect (bounded concurrency) → evaluate → conclude → write.

Evidence of each object is written as soon as it is collected; results.json is written last.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import assess
from assess import answers, evaluate, judgement, plan, results, waivers
from assess.catalog import Catalog
from assess.collect import ObjectEvidence, collect, now
from assess.model import VERDICT_ZH, Check, ItemResult, Target
from assess.probes.transport import Transport
from assess.profile import Profile

Progress = Callable[[str, ObjectEvidence], None]


@dataclass
class ScanOutcome:
    run_dir: Path
    document: dict[str, Any]
    collection_errors: dict[str, str]


Collector = Callable[[], ObjectEvidence]


@dataclass
class Hooks:
    """Optional steps around a run (assess.rescan, assess.record)."""

    only: dict[str, set[str]] | None = None  # collect only these objects, and only these facts of each
    evidence: Callable[[dict[str, ObjectEvidence], Path], None] | None = None  # after collection
    document: Callable[[dict[str, Any]], None] | None = None  # just before results.json is written


@dataclass
class Inputs:
    """What people add to the evidence: interview answers and approved waivers, judged as of `today`."""

    answers: answers.AnswerSet | None = None
    waivers: waivers.WaiverSet | None = None
    today: date | None = None


def apply_inputs(catalog: Catalog, item_results: list[ItemResult], inputs: Inputs
                 ) -> tuple[list[ItemResult], dict[str, Any]]:
    """Answers, then waivers, applied after evaluation (pure); returns the document sections they add."""
    today = inputs.today or date.today()
    item_results, coverage, answer_warnings = answers.apply(item_results, catalog, inputs.answers, today)
    item_results, waived, measures, waiver_warnings = waivers.apply(item_results, inputs.waivers, today)
    return item_results, {"questionnaire": coverage, "waivers": waived,
                          "run": {"compensating_measures": measures,
                                  "warnings": answer_warnings + waiver_warnings}}


def transport_for(target: Target) -> Transport | None:
    """The shell transport that reaches an object; None when the object is not reached by shell."""
    kind = target.connection.get("transport")
    if kind == "local":
        from assess.probes.transport.local import LocalTransport

        return LocalTransport()
    return None


def collector_for(catalog: Catalog, profile: Profile, target: Target, only: set[str] | None = None
                  ) -> Collector | None:
    """A zero-argument job that collects one object; None for interview-only objects (site, organization).
    `only` limits it to the facts with those names (a rescan of what failed)."""
    transport = transport_for(target)
    if transport is None:
        return None
    facts = plan.facts_needed(catalog, profile, target)
    if only is not None:
        facts = [f for f in facts if f.name in only]
    return lambda: collect(target.id, transport, facts)


def collect_all(catalog: Catalog, profile: Profile, targets: list[Target], run_dir: Path,
                concurrency: int, progress: Progress | None = None,
                only: dict[str, set[str]] | None = None) -> dict[str, ObjectEvidence]:
    """Collect every reachable object in a bounded pool, writing each object's evidence on completion.
    With `only`, just the objects it names, and of each just the facts it lists."""
    if only is None:
        jobs = [(t, collector_for(catalog, profile, t)) for t in targets]
    else:
        jobs = [(t, collector_for(catalog, profile, t, only[t.id])) for t in targets if t.id in only]
    evidence: dict[str, ObjectEvidence] = {}
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        futures = {pool.submit(job): t for t, job in jobs if job is not None}
        for fut in as_completed(futures):
            ev = fut.result()
            results.write_json(run_dir / "evidence" / f"{results.safe_name(ev.object_id)}.json", ev.as_dict())
            evidence[ev.object_id] = ev
            if progress:
                progress(ev.object_id, ev)
    return evidence


def evaluate_all(catalog: Catalog, profile: Profile, targets: list[Target],
                 evidence: dict[str, ObjectEvidence]) -> tuple[list[ItemResult], Target]:
    out: list[ItemResult] = []
    for t in targets:
        ev = evidence.get(t.id)
        out += evaluate.evaluate_target(catalog, profile, t, ev.facts if ev else None, ev.error if ev else None)
    system, rest = evaluate.uncovered(catalog, profile, targets)
    return out + rest, system


def build_document(catalog: Catalog, profile: Profile, targets: list[Target], run_id: str, started: str,
                   evidence: dict[str, ObjectEvidence], item_results: list[ItemResult],
                   system: Target, sections: dict[str, Any] | None = None) -> dict[str, Any]:
    objects = []
    for t in targets + ([system] if any(r.object == system.id for r in item_results) else []):
        entry = t.public()
        ev = evidence.get(t.id)
        if ev is not None:
            entry.update(reachable=ev.error is None, error=ev.error, collector=ev.info,
                         evidence=f"evidence/{t.id}.json", collected={"started": ev.started,
                                                                       "finished": ev.finished,
                                                                       "seconds": round(ev.seconds, 3)})
        else:
            entry.update(reachable=None, error=None, evidence=None)
        objects.append(entry)
    rows = []
    for r in item_results:
        item = catalog.items[r.item]
        row = r.as_dict()
        row.update(clause=item.clause, class_code=item.class_code, control_point=item.control_point,
                   weight=item.weight, verdict_zh=VERDICT_ZH[r.verdict])
        row["remediation"] = [_fix(catalog.checks[c.check]) for c in r.checks if c.status == "fail"]
        rows.append(row)
    sections = dict(sections or {})
    doc = {
        "schema": results.SCHEMA,
        "run": {"id": run_id, "started": started, "finished": now(),
                "tool": {"name": "assess", "version": assess.__version__},
                "catalog": {"id": catalog.id, "sha256": catalog.sha256, "items": len(catalog.items)},
                "profile": profile.public(), "template": profile.conclusion["template"],
                "operator_host": socket.gethostname(), **sections.pop("run", {})},
        "objects": objects,
        "results": rows,
        "items": judgement.item_meta(catalog),
        **sections,
    }
    judgement.judge(doc, catalog, profile)
    return doc


def _fix(check: Check) -> dict[str, Any]:
    """A failed check's remediation as the results document carries it."""
    fix = check.remediation
    return {"check": check.id, "title": check.title, "title_en": check.title_en, "text": fix.text,
            "text_en": fix.text_en, "command": fix.command, "disruption": fix.disruption}


def run(catalog: Catalog, profile: Profile, targets: list[Target], out: Path, concurrency: int = 8,
        progress: Progress | None = None, inputs: Inputs | None = None, hooks: Hooks | None = None) -> ScanOutcome:
    inputs = inputs or Inputs()
    hooks = hooks or Hooks()
    run_id = results.new_run_id()
    run_dir = results.create_run_dir(out, run_id)
    if inputs.answers:
        answers.store_attachments(inputs.answers, run_dir)
    started = now()
    t0 = time.monotonic()
    evidence = collect_all(catalog, profile, targets, run_dir, concurrency, progress, hooks.only)
    if hooks.evidence:
        hooks.evidence(evidence, run_dir)
    item_results, system = evaluate_all(catalog, profile, targets, evidence)
    item_results, sections = apply_inputs(catalog, item_results, inputs)
    doc = build_document(catalog, profile, targets, run_id, started, evidence, item_results, system, sections)
    doc["run"]["seconds"] = round(time.monotonic() - t0, 3)
    if hooks.document:
        hooks.document(doc)
    results.write_json(run_dir / "results.json", doc)
    errors = {oid: ev.error for oid, ev in evidence.items() if ev.error}
    return ScanOutcome(run_dir, doc, errors)
