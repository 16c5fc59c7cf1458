"""The scan pipeline: plan → collect (bounded concurrency) → evaluate → conclude → write.

Evidence of each object is written as soon as it is collected; results.json is written last.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import assess
from assess.catalog.load import Catalog
from assess.catalog.profile import Profile
from assess.errors import InputError
from assess.inputs import answers, waivers
from assess.judge import evaluate, judgement
from assess.model import VERDICT_ZH, Check, FactResult, ItemResult, Target
from assess.probes import service
from assess.probes.transport import Transport
from assess.run import document as results
from assess.run import plan
from assess.run.collect import ObjectEvidence, collect, now

if TYPE_CHECKING:
    from assess.probes.transport.ssh import SSHSession

Progress = Callable[[str, ObjectEvidence], None]


@dataclass
class ScanOutcome:
    run_dir: Path
    document: dict[str, Any]
    collection_errors: dict[str, str]


class Interrupted(Exception):
    """Ctrl-C during collection: what finished is kept (evidence files, then a partial results.json)."""

    def __init__(self, evidence: dict[str, ObjectEvidence], run_dir: Path | None = None, pending: int = 0):
        super().__init__("interrupted")
        self.evidence, self.run_dir, self.pending = evidence, run_dir, pending


@dataclass
class Collection:
    """How objects are reached and how the run resumes (see assess.probes.transport.ssh)."""

    trust_on_first_use: bool = False
    resume: Path | None = None  # an interrupted run directory: objects with evidence there are not collected
    state: dict[str, Any] | None = None  # recorded as scan.json in a new run directory (what --resume reuses)
    active: bool = False  # state-changing webapp tests with the inventory's test account (scan --active)


Collector = Callable[[], ObjectEvidence]


@dataclass
class Hooks:
    """Optional steps around a run (assess.run.rescan, assess.history.record)."""

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


def transport_for(target: Target, ssh: SSHSession | None = None,
                  cancel: threading.Event | None = None) -> Transport | None:
    """The shell transport that reaches an object; None when the object is not reached by shell.
    SSH objects of one scan share `ssh` (known_hosts loaded once, bastion connections, TOFU record);
    `cancel` stops a local collection (SSH ones stop with the session)."""
    kind = target.connection.get("transport")
    if kind == "local":
        from assess.probes.transport.local import LocalTransport

        return LocalTransport(cancel)
    if kind == "ssh":
        from assess.probes.transport.ssh import SSHSession

        return (ssh or SSHSession()).transport(target.connection, target.id)
    return None


def collector_for(catalog: Catalog, profile: Profile, target: Target, only: set[str] | None = None,
                  ssh: SSHSession | None = None, active: bool = False,
                  cancel: threading.Event | None = None) -> Collector | None:
    """A zero-argument job that collects one object; None for interview-only objects (site, organization).
    `only` limits it to the facts with those names (a rescan of what failed). Webapp objects are probed over
    HTTP/TLS; `active` allows their state-changing tests. Setting `cancel` ends a running job early."""
    if target.connection.get("transport") == "http":
        from assess.probes.http.collector import collect as collect_webapp

        web_facts = [f for f in plan.facts_needed(catalog, profile, target) if only is None or f.name in only]
        return lambda: collect_webapp(target, web_facts, active=active, params=profile.parameters, cancel=cancel)
    if target.connection.get("transport") == "files":
        from assess.probes.network.collector import collect as collect_device

        device_facts = [f for f in plan.facts_needed(catalog, profile, target) if only is None or f.name in only]
        return lambda: collect_device(target, device_facts)
    if target.connection.get("transport") == "cloud":
        from assess.probes.cloud.collector import collect as collect_cloud

        cloud_facts = [f for f in plan.facts_needed(catalog, profile, target) if only is None or f.name in only]
        return lambda: collect_cloud(target, cloud_facts)
    transport = transport_for(target, ssh, cancel)
    if transport is None:
        return None
    facts = plan.facts_needed(catalog, profile, target)
    if only is not None:
        facts = [f for f in facts if f.name in only]
    setup = service.setup(target.type, target.engine, target.connection.get("service") or {})
    return lambda: collect(target.id, transport, facts, setup=setup)


def collect_all(catalog: Catalog, profile: Profile, targets: list[Target], run_dir: Path,
                concurrency: int, progress: Progress | None = None,
                only: dict[str, set[str]] | None = None, ssh: SSHSession | None = None,
                done: dict[str, ObjectEvidence] | None = None, active: bool = False) -> dict[str, ObjectEvidence]:
    """Collect every reachable object in a bounded pool, writing each object's evidence on completion.
    With `only`, just the objects it names, and of each just the facts it lists. Objects in `done`
    (a resumed run) are not collected again. Ctrl-C (or SIGTERM, see assess.cli.scan) cancels every running
    job (SSH connections closed, HTTP requests cut, local collectors killed) and raises Interrupted with the
    evidence that finished."""
    evidence: dict[str, ObjectEvidence] = dict(done or {})
    cancel = threading.Event()
    if only is None:
        jobs = [(t, collector_for(catalog, profile, t, ssh=ssh, active=active, cancel=cancel)) for t in targets
                if t.id not in evidence]
    else:
        jobs = [(t, collector_for(catalog, profile, t, only[t.id], ssh, active, cancel)) for t in targets
                if t.id in only and t.id not in evidence]
    pool = ThreadPoolExecutor(max_workers=max(1, concurrency))
    try:
        futures = {pool.submit(job): t for t, job in jobs if job is not None}
        for fut in as_completed(futures):
            ev = fut.result()
            results.write_json(run_dir / "evidence" / f"{results.safe_name(ev.object_id)}.json", ev.as_dict())
            evidence[ev.object_id] = ev
            if progress:
                progress(ev.object_id, ev)
    except KeyboardInterrupt:
        cancel.set()
        if ssh is not None:
            ssh.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
        raise Interrupted(evidence) from None
    pool.shutdown(wait=True)
    return evidence


def load_evidence(run_dir: Path) -> dict[str, ObjectEvidence]:
    """The evidence files of a run directory (a resumed run keeps them as they are)."""
    out: dict[str, ObjectEvidence] = {}
    for path in sorted((run_dir / "evidence").glob("*.json")):
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
            ev = ObjectEvidence(d["object"], d["started"], d["finished"], info=d.get("info") or {},
                                raw=d.get("raw") or {}, error=d.get("error"), seconds=d.get("seconds", 0.0))
            ev.facts = {n: FactResult(n, f["status"], f.get("value"), f.get("reason", ""), f.get("evidence", ""))
                        for n, f in (d.get("facts") or {}).items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InputError(f"cannot resume from this evidence file ({exc}); remove it to collect that object "
                             "again", str(path)) from None
        out[ev.object_id] = ev
    return out


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


def judge_run(catalog: Catalog, profile: Profile, targets: list[Target], run_id: str, started: str,
              evidence: dict[str, ObjectEvidence], inputs: Inputs) -> dict[str, Any]:
    """The results document of collected evidence: evaluate, apply answers and waivers, conclude."""
    item_results, system = evaluate_all(catalog, profile, targets, evidence)
    item_results, sections = apply_inputs(catalog, item_results, inputs)
    return build_document(catalog, profile, targets, run_id, started, evidence, item_results, system, sections)


def _fix(check: Check) -> dict[str, Any]:
    """A failed check's remediation as the results document carries it."""
    fix = check.remediation
    return {"check": check.id, "title": check.title, "title_en": check.title_en, "text": fix.text,
            "text_en": fix.text_en, "command": fix.command, "disruption": fix.disruption}


def run(catalog: Catalog, profile: Profile, targets: list[Target], out: Path, concurrency: int = 8,
        progress: Progress | None = None, inputs: Inputs | None = None, hooks: Hooks | None = None,
        collection: Collection | None = None) -> ScanOutcome:
    inputs = inputs or Inputs()
    hooks = hooks or Hooks()
    collection = collection or Collection()
    done: dict[str, ObjectEvidence] = {}
    if collection.resume:
        run_dir, state = collection.resume, read_state(collection.resume)
        run_id, started = state["run_id"], state["started"]
        done = {k: v for k, v in load_evidence(run_dir).items() if k in {t.id for t in targets}}
    else:
        run_id = results.new_run_id()
        run_dir = results.create_run_dir(out, run_id)
        started = now()
        results.write_json(run_dir / STATE, {**(collection.state or {}), "run_id": run_id, "started": started})
    if inputs.answers:
        answers.store_attachments(inputs.answers, run_dir)
    t0 = time.monotonic()
    ssh = _ssh_session(targets, run_dir, collection)
    try:
        evidence = collect_all(catalog, profile, targets, run_dir, concurrency, progress, hooks.only, ssh, done,
                               collection.active)
    except Interrupted as stop:
        _write_interrupted(catalog, profile, targets, run_id, started, stop.evidence, run_dir, inputs)
        pending = sum(1 for t in targets if t.id not in stop.evidence and t.connection.get("transport"))
        raise Interrupted(stop.evidence, run_dir, pending) from None
    finally:
        if ssh is not None:
            ssh.close()
    if hooks.evidence:
        hooks.evidence(evidence, run_dir)
    doc = judge_run(catalog, profile, targets, run_id, started, evidence, inputs)
    doc["run"]["seconds"] = round(time.monotonic() - t0, 3)
    if hooks.document:
        hooks.document(doc)
    results.write_json(run_dir / "results.json", doc)
    errors = {oid: ev.error for oid, ev in evidence.items() if ev.error}
    return ScanOutcome(run_dir, doc, errors)


STATE = "scan.json"
INTERRUPTED = "not collected: the scan was interrupted (finish it with assess scan --resume {run_dir})"


def _ssh_session(targets: list[Target], run_dir: Path, collection: Collection) -> SSHSession | None:
    """One SSH session for the run (only when an object is reached over SSH: paramiko loads lazily)."""
    if not any(t.connection.get("transport") == "ssh" for t in targets):
        return None
    from assess.probes.transport.ssh import SSHSession

    return SSHSession(run_dir / "known_hosts.tofu", collection.trust_on_first_use)


def read_state(run_dir: Path) -> dict[str, Any]:
    """What a run directory records about its scan (run id, start, inventory, profile, controls)."""
    path = run_dir / STATE
    state = results.read_json_object(path, STATE, f"{run_dir} is not a run directory of assess scan (no {STATE})")
    if not {"run_id", "started"} <= set(state):
        raise InputError(f"{STATE} lacks run_id/started", str(path))
    return state


def _write_interrupted(catalog: Catalog, profile: Profile, targets: list[Target], run_id: str, started: str,
                       evidence: dict[str, ObjectEvidence], run_dir: Path, inputs: Inputs) -> None:
    """results.json of an interrupted run: finished objects judged, unfinished ones marked (not in evidence/)."""
    marked = dict(evidence)
    reason = INTERRUPTED.format(run_dir=run_dir)
    for t in targets:
        if t.id not in marked and t.connection.get("transport"):
            marked[t.id] = ObjectEvidence(t.id, started, now(), error=reason)
    doc = judge_run(catalog, profile, targets, run_id, started, marked, inputs)
    doc["run"]["interrupted"] = True
    for entry in doc["objects"]:
        if entry.get("error") == reason:
            entry["evidence"] = None
    results.write_json(run_dir / "results.json", doc)
