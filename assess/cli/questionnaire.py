"""`assess questionnaire`: write the interview questionnaire, and check a filled one without scanning."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from assess.catalog import load as catalog_mod
from assess.catalog import profile as profile_mod
from assess.errors import InputError
from assess.inputs import answers, questionnaire, waivers
from assess.inventory import load as inventory
from assess.run import document as results
from assess.run.collect import now

_FORMATS = {".yaml": "yaml", ".yml": "yaml", ".xlsx": "xlsx"}


def _scope(controls_dir: Path | None, profile_name: str, inventory_path: Path | None):
    cat = catalog_mod.load(controls_dir)
    prof = profile_mod.load(profile_name, cat)
    targets = inventory.load(inventory_path) if inventory_path else inventory.local_inventory()
    return cat, prof, questionnaire.scope(cat, prof, targets)


_inventory = click.option("-i", "--inventory", "inventory_path", type=click.Path(path_type=Path, dir_okay=False),
                          help="Inventory file (default: this machine, the site and the organization).")
_profile = click.option("--profile", "profile_name", default="level3", show_default=True,
                        help="Shipped profile name or path to a profile YAML.")
_controls = click.option("--controls", "controls_dir", type=click.Path(path_type=Path, file_okay=False),
                         help="A tailored controls directory instead of the shipped one.")


@click.group("questionnaire")
def questionnaire_cmd() -> None:
    """The interview and document questionnaire (访谈/文档核查问卷)."""


@questionnaire_cmd.command("init")
@_inventory
@_profile
@_controls
@click.option("-o", "--output", "output", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="File to write: answers.yaml or answers.xlsx.")
@click.option("--format", "fmt", type=click.Choice(["yaml", "xlsx"]), default=None,
              help="Output format (default: from the file name).")
@click.option("--force", is_flag=True, help="Overwrite an existing file (its answers are lost).")
@click.option("--per-object", is_flag=True,
              help="One entry per item x object (default: one per item and group of objects alike).")
@click.option("--run", "run_dir", type=click.Path(path_type=Path),
              help="An earlier run (directory or results.json): list the checks that already failed per entry.")
def init(inventory_path: Path | None, profile_name: str, controls_dir: Path | None, output: Path, fmt: str | None,
         force: bool, per_object: bool, run_dir: Path | None) -> None:
    """Write every item x object that needs interview or document evidence, ready to fill in."""
    by_name = _FORMATS.get(output.suffix.lower())
    fmt = fmt or by_name
    if fmt is None:
        raise InputError("cannot tell the format from the file name; use .yaml or .xlsx, or --format", str(output))
    if by_name and by_name != fmt:
        raise InputError(f"--format {fmt} does not match the file name (a {by_name} name)", str(output))
    if output.exists() and not force:
        raise InputError("already exists; it may hold answers (use --force to overwrite it)", str(output))
    cat, prof, pairs = _scope(controls_dir, profile_name, inventory_path)
    asked = questionnaire.asked(pairs)
    entries = questionnaire.group(asked, grouped=not per_object)
    failed = questionnaire.failures(results.load_results(run_dir)) if run_dir else None
    meta = questionnaire.header(cat, prof, now(), str(inventory_path) if inventory_path else "(this machine)")
    if fmt == "xlsx":
        questionnaire.to_xlsx(entries, meta, output, failed)
    else:
        try:
            output.write_text(questionnaire.to_yaml(entries, meta, output.name, failed), encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot write: {exc.strerror or exc}", str(output)) from None
    click.echo(f"wrote {output}: {len(entries)} entries for {questionnaire.summary(asked)}")


@questionnaire_cmd.command("check")
@click.argument("answers_path", type=click.Path(path_type=Path, dir_okay=False))
@_inventory
@_profile
@_controls
@click.option("--waivers", "waivers_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Also validate a waivers file.")
def check(answers_path: Path, inventory_path: Path | None, profile_name: str, controls_dir: Path | None,
          waivers_path: Path | None) -> None:
    """Validate a filled questionnaire (and waivers) without scanning; show what is answered."""
    cat, prof, pairs = _scope(controls_dir, profile_name, inventory_path)
    today = date.today()
    answer_set = answers.load(answers_path, cat, pairs, today)
    asked = questionnaire.asked(pairs)
    current = [a for a in answer_set.answers.values() if not a.expired(today)]
    in_scope = sum(1 for a in current if pairs[(a.item, a.object)].kind in questionnaire.ASKED)
    expired = [a for a in answer_set.answers.values() if a.expired(today)]
    for warning in answer_set.warnings:
        click.echo(f"assess: warning: {warning}", err=True)
    for a in expired:
        click.echo(f"assess: warning: {a.where}: the answer for {a.item} on '{a.object}' expired on "
                   f"{a.valid_until}", err=True)
    click.echo(f"{answers_path}: {in_scope} of {len(asked)} questionnaire entries answered, {len(expired)} expired")
    if waivers_path:
        waiver_set = waivers.load(waivers_path, cat, pairs, today)
        gone = [w for w in waiver_set.waivers if w.expired(today)]
        for w in gone:
            click.echo(f"assess: warning: {w.where}: waiver '{w.id}' expired on {w.expires}", err=True)
        click.echo(f"{waivers_path}: {len(waiver_set.waivers) - len(gone)} active waiver(s), {len(gone)} expired")
