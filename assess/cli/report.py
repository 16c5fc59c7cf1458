"""`assess report`: re-render a run's reports from its results.json, without touching any target."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from assess import reports
from assess.judge import judgement
from assess.run import document as results


@click.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--format", "formats", default="html", show_default=True,
              help="Comma-separated: html, xlsx (测评记录), docx (Word 自评估报告), md, json, junit, oscal.")
@click.option("--lang", type=click.Choice(reports.LANGS), default="zh", show_default=True, help="Report language.")
@click.option("--template", type=click.Choice(["2025", "2021"]), default=None,
              help="Recompute the conclusion under this report template (default: the run's own).")
@click.option("--fail-on", type=click.Choice(judgement.FAIL_ON), default=None,
              help="Exit 1 on a finding at or above this level (for CI gates on a saved run).")
@click.option("--operator", default=None, help="测评人员 shown in the 测评记录 and the report (default: the run's "
              "operator, else the host it ran on).")
@click.option("--system", "system_name", default=None,
              help="被测系统名称 shown in the 测评记录 and the report (default: the profile's title).")
def report(run_dir: Path, formats: str, lang: str, template: str | None, fail_on: str | None,
           operator: str | None, system_name: str | None) -> None:
    """Write reports of RUN_DIR (a run directory or its results.json) into the run directory."""
    wanted = reports.parse_formats(formats)
    doc = results.load_results(run_dir)
    if operator:
        doc["run"]["operator"] = operator
    if system_name:
        doc["run"]["system"] = system_name
    run_dir = run_dir if run_dir.is_dir() else run_dir.parent
    if template:
        doc = judgement.rejudge(doc, template)
    for path in reports.render(doc, run_dir, wanted, lang):
        click.echo(f"report: {path}")
    c = doc["conclusion"]
    label = c["conclusion_zh"] if lang == "zh" else c["conclusion_en"]
    click.echo(f"predicted conclusion ({c['template']} template, self-assessment): {label}")
    if fail_on and judgement.exceeds(doc, fail_on):
        sys.exit(1)
