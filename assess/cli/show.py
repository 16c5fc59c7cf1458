"""What a finished or interrupted scan prints (`assess scan`, `assess collector`, `assess schedule run`)."""

from __future__ import annotations

import os
import shutil

import click

import assess.reports as reports
from assess.judge import summary
from assess.run import scan as scan_mod


def say(line: str) -> None:
    """A workflow's notice for the operator, on stderr."""
    click.echo(line, err=True)


def show_interrupted(stop: scan_mod.Interrupted) -> None:
    """What was kept of an interrupted scan, and the command that finishes it."""
    click.echo(f"assess: interrupted: {len(stop.evidence)} object(s) finished and kept, {stop.pending} not "
               f"collected; partial results in {stop.run_dir / 'results.json' if stop.run_dir else None}", err=True)
    click.echo(f"assess: finish the run with: assess scan --resume {stop.run_dir}", err=True)


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
