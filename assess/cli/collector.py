"""`assess collector`: the Linux collector as one sh script for fleet tooling, and its outputs evaluated."""

from __future__ import annotations

import sys
from pathlib import Path

import click

import assess.reports as reports
from assess.catalog import load as catalog_mod
from assess.catalog import profile as profile_mod
from assess.cli.show import show_outcome
from assess.errors import InputError
from assess.judge import judgement
from assess.run import fleet
from assess.workflows import load_inputs

_profile = click.option("--profile", "profile_name", default="level3", show_default=True,
                        help="Shipped profile name or path to a profile YAML.")
_controls = click.option("--controls", "controls_dir", type=click.Path(path_type=Path, file_okay=False),
                         help="A tailored controls directory instead of the shipped one.")


@click.group()
def collector() -> None:
    """Fleet collection without SSH: emit the collector as one sh script, ingest what it printed."""


@collector.command()
@_profile
@_controls
@click.option("-o", "--output", "output", default="collect.sh", show_default=True,
              help="Where to write the script ('-' for standard output).")
def emit(profile_name: str, controls_dir: Path | None, output: str) -> None:
    """Write the read-only Linux collector for fleet tooling (Ansible, Salt, cron)."""
    cat = catalog_mod.load(controls_dir)
    prof = profile_mod.load(profile_name, cat)
    text, facts = fleet.emit(cat, prof)
    if output == "-":
        click.echo(text, nl=False)
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}", output) from None
    click.echo(f"collector: {output} ({len(facts)} facts, profile {prof.id}, catalog sha256 {cat.sha256[:16]}…)")
    click.echo(f"run on each host as root: {fleet.RUN_HINT.replace('collect.sh', Path(output).name)}")
    click.echo("then: assess collector ingest *.assess.out")


@collector.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@_profile
@_controls
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("assess-out"), show_default=True,
              help="Directory that receives <run-id>/.")
@click.option("--inventory-tags", "tags", multiple=True, metavar="TAG[,TAG…]",
              help="Tags given to every ingested host (e.g. internet-facing); repeatable.")
@click.option("--format", "report_formats", default="html,json", show_default=True,
              help="Reports written into the run directory (html, xlsx, md, json, junit, oscal).")
@click.option("--lang", type=click.Choice(reports.LANGS), default="zh", show_default=True, help="Report language.")
@click.option("-q", "--quiet", is_flag=True, help="No summary table.")
@click.option("--answers", "answers_path", type=click.Path(path_type=Path), metavar="FILE",
              help="Interview answers (.yaml or .xlsx), as for assess scan.")
@click.option("--waivers", "waivers_path", type=click.Path(path_type=Path), metavar="FILE",
              help="Approved exceptions (YAML), as for assess scan.")
@click.option("--fail-on", type=click.Choice(judgement.FAIL_ON), default=None,
              help="Exit 1 on a finding at or above this level, as for assess scan.")
def ingest(files: tuple[Path, ...], profile_name: str, controls_dir: Path | None, out_dir: Path,
           tags: tuple[str, ...], report_formats: str, lang: str, quiet: bool, answers_path: Path | None,
           waivers_path: Path | None, fail_on: str | None) -> None:
    """Evaluate collector outputs (one per host) as one run, like `assess scan`."""
    formats = [f for f in reports.parse_formats(report_formats) if f != "json"]
    cat = catalog_mod.load(controls_dir)
    prof = profile_mod.load(profile_name, cat)
    tag_list = [t.strip() for group in tags for t in group.split(",") if t.strip()]
    outcome = fleet.ingest(list(files), cat, prof, out_dir, tag_list,
                           lambda targets: load_inputs(cat, prof, targets, answers_path, waivers_path))
    show_outcome(outcome, formats, lang, quiet)
    if fail_on and judgement.exceeds(outcome.document, fail_on):
        sys.exit(1)
    if outcome.collection_errors:
        sys.exit(3)
