"""The scan pipeline: plan → collect (bounded concurrency) → evaluate → conclude → write.

Evidence of each object is written as soon as it is collected; results.json is written last.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import assess
from assess import conclusion, evaluate, plan, results
from assess.catalog import Catalog
from assess.collect import ObjectEvidence, collect, now
from assess.model import VERDICT_ZH, ItemResult, Target
from assess.probes.transport import Transport
from assess.profile import Profile

Progress = Callable[[str, ObjectEvidence], None]


@dataclass
class ScanOutcome:
    run_dir: Path
    document: dict[str, Any]
    collection_errors: dict[str, str]


Collector = Callable[[], ObjectEvidence]


def transport_for(target: Target) -> Transport | None:
    """The shell transport that reaches an object; None when the object is not reached by shell."""
    kind = target.connection.get("transport")
    if kind == "local":
        from assess.probes.transport.local import LocalTransport

        return LocalTransport()
    return None


def collector_for(catalog: Catalog, profile: Profile, target: Target) -> Collector | None:
    """A zero-argument job that collects one object; None for interview-only objects (site, organization)."""
    transport = transport_for(target)
    if transport is None:
        return None
    facts = plan.facts_needed(catalog, profile, target)
    return lambda: collect(target.id, transport, facts)


def collect_all(catalog: Catalog, profile: Profile, targets: list[Target], run_dir: Path,
                concurrency: int, progress: Progress | None = None) -> dict[str, ObjectEvidence]:
    """Collect every reachable object in a bounded pool, writing each object's evidence on completion."""
    jobs = [(t, collector_for(catalog, profile, t)) for t in targets]
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
                   system: Target) -> dict[str, Any]:
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
        row["remediation"] = [
            {"check": c.check, "text": catalog.checks[c.check].remediation.text,
             "command": catalog.checks[c.check].remediation.command,
             "disruption": catalog.checks[c.check].remediation.disruption}
            for c in r.checks if c.status == "fail"]
        rows.append(row)
    concl = conclusion.conclude_2025(item_results, profile.conclusion, [], len(catalog.items))
    return {
        "schema": results.SCHEMA,
        "run": {"id": run_id, "started": started, "finished": now(),
                "tool": {"name": "assess", "version": assess.__version__},
                "catalog": {"id": catalog.id, "sha256": catalog.sha256, "items": len(catalog.items)},
                "profile": profile.public(), "template": profile.conclusion["template"],
                "operator_host": socket.gethostname()},
        "objects": objects,
        "results": rows,
        "conclusion": concl,
    }


def run(catalog: Catalog, profile: Profile, targets: list[Target], out: Path, concurrency: int = 8,
        progress: Progress | None = None) -> ScanOutcome:
    run_id = results.new_run_id()
    run_dir = results.create_run_dir(out, run_id)
    started = now()
    t0 = time.monotonic()
    evidence = collect_all(catalog, profile, targets, run_dir, concurrency, progress)
    item_results, system = evaluate_all(catalog, profile, targets, evidence)
    doc = build_document(catalog, profile, targets, run_id, started, evidence, item_results, system)
    doc["run"]["seconds"] = round(time.monotonic() - t0, 3)
    results.write_json(run_dir / "results.json", doc)
    errors = {oid: ev.error for oid, ev in evidence.items() if ev.error}
    return ScanOutcome(run_dir, doc, errors)
