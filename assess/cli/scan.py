"""`assess scan`: collect, evaluate and write a run (assess.workflows.scan)."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

import click

import assess.reports as reports
from assess import workflows
from assess.cli.options import scan_history_options
from assess.cli.progress import ProgressBar
from assess.cli.show import say, show_interrupted, show_outcome
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
@scan_history_options
def scan(inventory_path: Path | None, profile_name: str, controls_dir: Path | None, out_dir: Path, concurrency: int,
         fail_on: str | None, report_formats: str, lang: str, template: str | None, quiet: bool,
         answers_path: Path | None, waivers_path: Path | None,
         history_path: Path | None, no_history: bool, wait: float, rescan_failed: str | None, trigger: str,
         trust_on_first_use: bool, resume_dir: Path | None, active: bool) -> None:
    """Assess the inventory (default: this machine) against every level-3 item."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # `kill`, systemd, timeout(1): as Ctrl-C
    formats = [f for f in reports.parse_formats(report_formats) if f != "json"]
    prep = workflows.prepare_scan(workflows.ScanRequest(
        inventory_path, profile_name, controls_dir, out_dir, concurrency, answers_path, waivers_path, history_path,
        no_history, wait, rescan_failed, trigger, trust_on_first_use, resume_dir, active, template))
    show = not quiet and sys.stderr.isatty() or os.environ.get("ASSESS_PROGRESS") == "1"
    bar = ProgressBar(prep.pending)

    def progress(object_id: str, ev: ObjectEvidence) -> None:
        if not quiet:
            bar(object_id, ev)

    if show:
        click.echo(f"assess: scanning {prep.pending} object(s) with profile {prep.profile.id}", err=True)
    try:
        outcome = workflows.run_scan(prep, progress, say)
    except scan_mod.Interrupted as stop:
        bar.close()
        show_interrupted(stop)
        sys.exit(130)
    bar.close()
    show_outcome(outcome, formats, lang, quiet)
    if not quiet:
        req = prep.request  # inventory, profile and controls as resumed
        scope = [*(["-i", str(req.inventory_path)] if req.inventory_path else []),
                 *(["--profile", req.profile_name] if req.profile_name != "level3" else []),
                 *(["--controls", str(req.controls_dir)] if req.controls_dir else [])]
        for line in summary.next_step(outcome.document, scope, str(answers_path) if answers_path else None):
            click.echo(line)
    if code := workflows.exit_status(outcome, fail_on):
        sys.exit(code)


def scan_params(argv: list[str]) -> dict[str, Any]:
    """The options `assess scan` would take from `argv`, parsed by its own parser; nothing runs
    (`assess schedule run` runs what `assess schedule show` prints, through the workflow)."""
    with scan.make_context("scan", list(argv)) as ctx:
        return dict(ctx.params)
