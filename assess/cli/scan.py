"""`assess scan`: collect, evaluate and write a run."""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path

import click

from assess import answers, inventory, judgement, questionnaire, reports, summary, waivers
from assess import catalog as catalog_mod
from assess import profile as profile_mod
from assess import scan as scan_mod
from assess.cli import history as history_cli
from assess.collect import ObjectEvidence


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
              help="Exit 1 on a finding at or above this level: major-risk (重大风险隐患), high-risk, fail, partial.")
@click.option("--format", "report_formats", default="html,json", show_default=True,
              help="Reports written into the run directory (html, xlsx, md, json, junit, oscal; json is results.json).")
@click.option("--lang", type=click.Choice(reports.LANGS), default="zh", show_default=True, help="Report language.")
@click.option("-q", "--quiet", is_flag=True, help="No progress and no summary table.")
@click.option("--answers", "answers_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Interview answers: a filled questionnaire (.yaml or .xlsx, see `assess questionnaire init`).")
@click.option("--waivers", "waivers_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Approved exceptions (YAML): shown on their results, never hiding them.")
@history_cli.scan_options
def scan(inventory_path: Path | None, profile_name: str, controls_dir: Path | None, out_dir: Path, concurrency: int,
         fail_on: str | None, report_formats: str, lang: str, quiet: bool, answers_path: Path | None, waivers_path: Path | None,
         history_path: Path | None, no_history: bool, wait: float, rescan_failed: str | None, trigger: str) -> None:
    """Assess the inventory (default: this machine) against every level-3 item."""
    formats = [f for f in reports.parse_formats(report_formats) if f != "json"]
    cat = catalog_mod.load(controls_dir)
    prof = profile_mod.load(profile_name, cat)
    targets = inventory.load(inventory_path) if inventory_path else inventory.local_inventory()
    inputs = scan_mod.Inputs(today=date.today())
    if answers_path or waivers_path:
        pairs = questionnaire.scope(cat, prof, targets)
        if answers_path:
            inputs.answers = answers.load(answers_path, cat, pairs, inputs.today)
        if waivers_path:
            inputs.waivers = waivers.load(waivers_path, cat, pairs, inputs.today)
    show = not quiet and sys.stderr.isatty() or os.environ.get("ASSESS_PROGRESS") == "1"
    total = sum(1 for t in targets if scan_mod.collector_for(cat, prof, t) is not None)
    done = 0

    def progress(object_id: str, ev: ObjectEvidence) -> None:
        nonlocal done
        done += 1
        if not quiet:
            state = f"error: {ev.error}" if ev.error else f"{len(ev.facts)} facts in {ev.seconds:.2f} s"
            click.echo(f"[{done}/{total}] {object_id}: {state}", err=True)

    if show:
        click.echo(f"assess: scanning {total} object(s) with profile {prof.id}", err=True)
    with history_cli.recorder(history_path, no_history, wait, inventory_path, trigger, rescan_failed) as rec:
        hooks = history_cli.hooks(rec, rescan_failed, cat, prof, targets)
        outcome = scan_mod.run(cat, prof, targets, out_dir, concurrency, progress, inputs, hooks)
        history_cli.store(rec, outcome)
    for warning in outcome.document["run"].get("warnings", []):
        click.echo(f"assess: warning: {warning}", err=True)
    if not quiet:
        click.echo(summary.render_text(outcome.document))
        q, w = outcome.document["questionnaire"], outcome.document["waivers"]
        click.echo(f"questionnaire: {q['answered']} of {q['total']} answered, {q['expired']} expired; "
                   f"waivers: {w['active']} active ({w['results_waived']} results), {w['expired']} expired")
    click.echo(f"results: {outcome.run_dir / 'results.json'}")
    for path in reports.render(outcome.document, outcome.run_dir, formats, lang):
        click.echo(f"report: {path}")
    for oid, reason in outcome.collection_errors.items():
        click.echo(f"assess: {oid}: collection failed: {reason}", err=True)
    if fail_on and judgement.exceeds(outcome.document, fail_on):
        sys.exit(1)
    if outcome.collection_errors:
        sys.exit(3)
