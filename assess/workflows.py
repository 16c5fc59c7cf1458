"""What a verb does, callable without click: `scan` (load, collect, evaluate, record in the history).

The command line (assess.cli) parses arguments, calls these and prints; a workflow's notices for the operator
go through `say` (stderr on the command line)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from assess.catalog import load as catalog_mod
from assess.catalog import profile as profile_mod
from assess.errors import InputError
from assess.history import diff, lock, record
from assess.history import store as history
from assess.inputs import answers, questionnaire, waivers
from assess.inventory import load as inventory
from assess.judge import judgement
from assess.model import Target
from assess.run import rescan
from assess.run import scan as scan_mod

Say = Callable[[str], None]


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@dataclass
class ScanRequest:
    """Everything `assess scan` is asked (its options, by the same names)."""

    inventory_path: Path | None = None
    profile_name: str = "level3"
    controls_dir: Path | None = None
    out_dir: Path = Path("assess-out")
    concurrency: int = 8
    answers_path: Path | None = None
    waivers_path: Path | None = None
    history_path: Path | None = None
    no_history: bool = False
    wait: float = 0
    rescan_failed: str | None = None
    trigger: str = "manual"
    trust_on_first_use: bool = False
    resume_dir: Path | None = None
    active: bool = False
    template: str | None = None  # the conclusion template, overriding the profile's ("2025" / "2021")


@dataclass
class PreparedScan:
    """A scan with its inputs loaded and checked (bad input fails here, before anything is collected)."""

    request: ScanRequest
    catalog: catalog_mod.Catalog
    profile: profile_mod.Profile
    targets: list[Target]
    collection: scan_mod.Collection
    inputs: scan_mod.Inputs
    pending: int = field(default=0)  # objects to collect (not finished in the resumed run)


def prepare_scan(req: ScanRequest) -> PreparedScan:
    """Load the catalog, profile, inventory, answers and waivers; with `resume_dir`, the interrupted run's
    inventory, profile and controls unless given again."""
    inventory_path, controls_dir, profile_name = req.inventory_path, req.controls_dir, req.profile_name
    if req.resume_dir:
        state = scan_mod.read_state(req.resume_dir)
        inventory_path = inventory_path or (Path(state["inventory"]) if state.get("inventory") else None)
        controls_dir = controls_dir or (Path(state["controls"]) if state.get("controls") else None)
        if profile_name == "level3" and state.get("profile"):
            profile_name = state["profile"]
    req.inventory_path, req.controls_dir, req.profile_name = inventory_path, controls_dir, profile_name
    cat = catalog_mod.load(controls_dir)
    prof = profile_mod.load(profile_name, cat)
    if req.template:
        prof.conclusion["template"] = req.template
    targets = inventory.load(inventory_path) if inventory_path else inventory.local_inventory()
    collection = scan_mod.Collection(req.trust_on_first_use, req.resume_dir, {
        "inventory": str(inventory_path.resolve()) if inventory_path else None, "profile": profile_name,
        "controls": str(controls_dir.resolve()) if controls_dir else None}, active=req.active)
    inputs = load_inputs(cat, prof, targets, req.answers_path, req.waivers_path)
    finished = {p.stem for p in (req.resume_dir / "evidence").glob("*.json")} if req.resume_dir else set()
    pending = sum(1 for t in targets if t.connection.get("transport") in ("local", "ssh", "http", "apk")
                  and t.id not in finished)
    return PreparedScan(req, cat, prof, targets, collection, inputs, pending)


def run_scan(prep: PreparedScan, progress: scan_mod.Progress | None = None, say: Say = _stderr
             ) -> scan_mod.ScanOutcome:
    """Collect, evaluate and write the run, recorded in the history unless `no_history`; two scans never write
    into one directory at once (exit 75). Raises scan_mod.Interrupted on Ctrl-C (what finished is kept)."""
    req = prep.request
    writes = req.resume_dir or req.out_dir
    with recorder(req.history_path, req.no_history, req.wait, req.inventory_path, req.trigger,
                  req.rescan_failed) as rec, \
            lock.exclusive(history.run_lock_path(writes), req.wait, f"assess scan into {writes}"):
        hooks = scan_hooks(rec, req.rescan_failed, prep.catalog, prep.profile, prep.targets, say)
        outcome = scan_mod.run(prep.catalog, prep.profile, prep.targets, req.out_dir, req.concurrency, progress,
                               prep.inputs, hooks, prep.collection)
        store(rec, outcome, say)
    return outcome


def scan(req: ScanRequest, progress: scan_mod.Progress | None = None, say: Say = _stderr) -> scan_mod.ScanOutcome:
    """`assess scan` without the command line: prepare, then run."""
    return run_scan(prepare_scan(req), progress, say)


def exit_status(outcome: scan_mod.ScanOutcome, fail_on: str | None) -> int:
    """0, 1 with a finding at or above `fail_on`, 3 when an object could not be collected."""
    if fail_on and judgement.exceeds(outcome.document, fail_on):
        return 1
    return 3 if outcome.collection_errors else 0


def load_inputs(cat: catalog_mod.Catalog, prof: profile_mod.Profile, targets: list[Target],
                answers_path: Path | None, waivers_path: Path | None) -> scan_mod.Inputs:
    """Interview answers and waivers for these objects, validated against them (file:line errors, exit 2)."""
    today = date.today()
    inputs = scan_mod.Inputs(today=today)
    if answers_path or waivers_path:
        pairs = questionnaire.scope(cat, prof, targets)
        if answers_path:
            inputs.answers = answers.load(answers_path, cat, pairs, today)
        if waivers_path:
            inputs.waivers = waivers.load(waivers_path, cat, pairs, today)
    return inputs


def recorder(history_path: Path | None, no_history: bool, wait: float, inventory_path: Path | None,
             trigger: str, rescan_failed: str | None) -> record.Recorder | nullcontext[None]:
    """What a scan runs inside: a Recorder, or nothing with no_history."""
    if no_history:
        if rescan_failed == "latest":
            raise InputError("--rescan-failed without a RUN needs the history; give the run directory")
        return nullcontext()
    return record.Recorder(history.resolve(history_path), history.inventory_key(inventory_path), wait, trigger)


def scan_hooks(rec: record.Recorder | None, rescan_failed: str | None, catalog: catalog_mod.Catalog,
               profile: profile_mod.Profile, targets: list[Target], say: Say = _stderr) -> scan_mod.Hooks:
    """The scan's hooks: the 复测 plan with rescan_failed, and the history section of the document."""
    out = scan_mod.Hooks(document=rec.document if rec else None)
    if rescan_failed is None:
        return out
    if rec is not None:
        previous_dir = rec.run_dir(rescan_failed)
    elif Path(rescan_failed).exists():
        previous_dir = Path(rescan_failed)
        previous_dir = previous_dir.parent if previous_dir.is_file() else previous_dir
    else:
        raise InputError(f"--rescan-failed {rescan_failed}: with --no-history, give the run directory")
    plan = rescan.make_plan(catalog, profile, targets, previous_dir)
    rescan.check_same_inventory(plan.previous, targets, previous_dir)
    mark = rescan.mark_carried(plan, catalog)

    def document(doc: dict[str, Any]) -> None:
        mark(doc)
        if rec is not None:
            rec.document(doc)

    out.only, out.evidence, out.document = plan.only, rescan.merge_evidence(plan, catalog, profile, targets), document
    collected = ", ".join(f"{oid} ({len(facts)} facts)" for oid, facts in sorted(plan.only.items())) or "nothing"
    say(f"assess: rescan of what failed in {plan.run_id}: collecting again from {collected}")
    return out


def store(rec: record.Recorder | None, outcome: scan_mod.ScanOutcome, say: Say = _stderr) -> None:
    """Record the run, and say what changed since the previous run of the inventory."""
    if rec is None:
        return
    drift = rec.store(outcome.document, outcome.run_dir)
    if drift is None:
        say(f"assess: recorded in {rec.db} (first run of {rec.key})")
    else:
        say(f"assess: since {drift['a']['run_id']}: {diff.headline(drift)}  (details: assess diff)")
