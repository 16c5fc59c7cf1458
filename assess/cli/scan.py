"""`assess scan`: collect, evaluate and write a run."""

from __future__ import annotations

import os
import shutil
import signal
import sys
from datetime import date
from pathlib import Path

import click

from assess import reports
from assess.catalog import load as catalog_mod
from assess.catalog import profile as profile_mod
from assess.cli import history as history_cli
from assess.cli.progress import ProgressBar
from assess.history import lock
from assess.history import store as history
from assess.inputs import answers, questionnaire, waivers
from assess.inventory import load as inventory
from assess.judge import judgement, summary
from assess.run import scan as scan_mod
from assess.run.collect import ObjectEvidence


@click.command()
@click.option("-i", "--inventory", "inventory_path", type=click.Path(path_type=Path),
              help="Inventory file (default: this machine).")
@click.option("--profile", "profile_name", default="level3", show_default=True,
              help="Shipped profile name or path to a profile YAML.")
@click.option("--controls", "controls_dir", type=click.Path(path_type=Path, file_okay=False),
              help="A tailored controls directory instead of the shipped one.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("assess-out"), show_default=True,
              help="Directory that receives <run-id>/.")
@click.option("--concurrency", type=click.IntRange(1, 256), default=8, show_default=True,
              help="Objects collected at once.")
@click.option("--fail-on", type=click.Choice(judgement.FAIL_ON), default=None,
              help="Exit 1 on a finding at or above this level: major-risk (重大风险隐患), nonconform (predicted 不符合 "
                   "/ 差 under the most conservative reading of the rate), high-risk, fail, partial.")
@click.option("--format", "report_formats", default="html,json", show_default=True,
              help="Reports written into the run directory (html, xlsx, md, json, junit, oscal; json is results.json).")
@click.option("--lang", type=click.Choice(reports.LANGS), default="zh", show_default=True, help="Report language.")
@click.option("--template", type=click.Choice(["2025", "2021"]), default=None,
              help="Conclusion template (default: the profile's, 2025 unless it says otherwise).")
@click.option("-q", "--quiet", is_flag=True, help="No progress and no summary table.")
@click.option("--answers", "answers_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Interview answers: a filled questionnaire (.yaml or .xlsx, see `assess questionnaire init`).")
@click.option("--waivers", "waivers_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Approved exceptions (YAML): shown on their results, never hiding them.")
@click.option("--trust-on-first-use", is_flag=True,
              help="Accept SSH host keys of hosts known_hosts has no key for, recording them in "
                   "<run>/known_hosts.tofu (a changed key is still refused).")
@click.option("--resume", "resume_dir", type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="Finish an interrupted run in RUN_DIR: objects with evidence there are not collected again.")
@click.option("--active", is_flag=True,
              help="Also run the state-changing webapp tests (lockout, logout replay, idle timeout, plaintext "
                   "login) with the inventory's dedicated test account; rate-limited, every request recorded.")
@history_cli.scan_options
def scan(inventory_path: Path | None, profile_name: str, controls_dir: Path | None, out_dir: Path, concurrency: int,
         fail_on: str | None, report_formats: str, lang: str, template: str | None, quiet: bool,
         answers_path: Path | None, waivers_path: Path | None,
         history_path: Path | None, no_history: bool, wait: float, rescan_failed: str | None, trigger: str,
         trust_on_first_use: bool, resume_dir: Path | None, active: bool) -> None:
    """Assess the inventory (default: this machine) against every level-3 item."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # `kill`, systemd, timeout(1): as Ctrl-C
    formats = [f for f in reports.parse_formats(report_formats) if f != "json"]
    if resume_dir:  # the interrupted run's inventory, profile and controls, unless given again
        state = scan_mod.read_state(resume_dir)
        inventory_path = inventory_path or (Path(state["inventory"]) if state.get("inventory") else None)
        controls_dir = controls_dir or (Path(state["controls"]) if state.get("controls") else None)
        if profile_name == "level3" and state.get("profile"):
            profile_name = state["profile"]
    cat = catalog_mod.load(controls_dir)
    prof = profile_mod.load(profile_name, cat)
    if template:
        prof.conclusion["template"] = template
    targets = inventory.load(inventory_path) if inventory_path else inventory.local_inventory()
    collection = scan_mod.Collection(trust_on_first_use, resume_dir, {
        "inventory": str(inventory_path.resolve()) if inventory_path else None, "profile": profile_name,
        "controls": str(controls_dir.resolve()) if controls_dir else None}, active=active)
    inputs = load_inputs(cat, prof, targets, answers_path, waivers_path)
    show = not quiet and sys.stderr.isatty() or os.environ.get("ASSESS_PROGRESS") == "1"
    finished = {p.stem for p in (resume_dir / "evidence").glob("*.json")} if resume_dir else set()
    total = sum(1 for t in targets if t.connection.get("transport") in ("local", "ssh", "http")
                and t.id not in finished)
    bar = ProgressBar(total)

    def progress(object_id: str, ev: ObjectEvidence) -> None:
        if not quiet:
            bar(object_id, ev)

    if show:
        click.echo(f"assess: scanning {total} object(s) with profile {prof.id}", err=True)
    writes = resume_dir or out_dir  # two scans never write into one directory at once (exit 75)
    try:
        with history_cli.recorder(history_path, no_history, wait, inventory_path, trigger, rescan_failed) as rec, \
                lock.exclusive(history.run_lock_path(writes), wait, f"assess scan into {writes}"):
            hooks = history_cli.hooks(rec, rescan_failed, cat, prof, targets)
            outcome = scan_mod.run(cat, prof, targets, out_dir, concurrency, progress, inputs, hooks, collection)
            history_cli.store(rec, outcome)
    except scan_mod.Interrupted as stop:
        bar.close()
        click.echo(f"assess: interrupted: {len(stop.evidence)} object(s) finished and kept, {stop.pending} not "
                   f"collected; partial results in {stop.run_dir / 'results.json'}", err=True)
        click.echo(f"assess: finish the run with: assess scan --resume {stop.run_dir}", err=True)
        sys.exit(130)
    bar.close()
    show_outcome(outcome, formats, lang, quiet)
    if not quiet:
        scope = [*(["-i", str(inventory_path)] if inventory_path else []),
                 *(["--profile", profile_name] if profile_name != "level3" else []),
                 *(["--controls", str(controls_dir)] if controls_dir else [])]
        for line in summary.next_step(outcome.document, scope, str(answers_path) if answers_path else None):
            click.echo(line)
    if fail_on and judgement.exceeds(outcome.document, fail_on):
        sys.exit(1)
    if outcome.collection_errors:
        sys.exit(3)


def load_inputs(cat: catalog_mod.Catalog, prof: profile_mod.Profile, targets: list, answers_path: Path | None,
                waivers_path: Path | None) -> scan_mod.Inputs:
    """Interview answers and waivers for these objects, validated against them (file:line errors, exit 2)."""
    inputs = scan_mod.Inputs(today=date.today())
    if answers_path or waivers_path:
        pairs = questionnaire.scope(cat, prof, targets)
        if answers_path:
            inputs.answers = answers.load(answers_path, cat, pairs, inputs.today)
        if waivers_path:
            inputs.waivers = waivers.load(waivers_path, cat, pairs, inputs.today)
    return inputs


def show_outcome(outcome: scan_mod.ScanOutcome, formats: list[str], lang: str, quiet: bool) -> None:
    """What a finished run prints: warnings, the summary, results and report paths, collection failures."""
    for warning in outcome.document["run"].get("warnings", []):
        click.echo(f"assess: warning: {warning}", err=True)
    if not quiet:
        color = not os.environ.get("NO_COLOR")  # click drops the colours when stdout is not a terminal
        width = min(summary.WIDTH, shutil.get_terminal_size((summary.WIDTH, 24)).columns)
        click.echo(summary.render_text(outcome.document, width, color), color=None if color else False)
        q, w = outcome.document["questionnaire"], outcome.document["waivers"]
        click.echo(f"questionnaire: {q['answered']} of {q['total']} answered, {q['expired']} expired; "
                   f"waivers: {w['active']} active ({w['results_waived']} results), {w['expired']} expired")
    click.echo(f"results: {outcome.run_dir / 'results.json'}")
    for path in reports.render(outcome.document, outcome.run_dir, formats, lang):
        click.echo(f"report: {path}")
    if outcome.collection_errors:
        click.echo(f"collection failed on {len(outcome.collection_errors)} object(s):", err=True)
        for oid, reason in sorted(outcome.collection_errors.items()):
            click.echo(f"  {oid}: {reason}", err=True)
