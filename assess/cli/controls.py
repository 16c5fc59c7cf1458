"""`assess controls`: lint, list and show the declarative catalog."""

from __future__ import annotations

import json
from pathlib import Path

import click

from assess.catalog import load as catalog_mod
from assess.errors import InputError, LintErrors
from assess.model import VERDICT_ZH


@click.group()
def controls() -> None:
    """Inspect and validate the controls catalog."""


@controls.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
def lint(path: Path | None) -> None:
    """Validate a controls directory (default: the shipped one), or one YAML file against it.

    Every problem is printed as `file:line: message`; the exit status is 2 when there is any.
    """
    root, extra = None, None
    if path is not None:
        if path.is_dir():
            root = path
        elif path.is_file():
            extra = [path]
        else:
            raise InputError("no such file or directory", str(path))
    cat, problems = catalog_mod.load_with_problems(root, extra)
    if problems:
        raise LintErrors(list(problems))
    assert cat is not None
    s = catalog_mod.stats(cat)
    ext = "".join(f" (+{len(items)} {name} extension items)" for name, items in cat.extension_items.items())
    click.echo(f"ok: {s['items']} items{ext}, {s['checks']} checks, {len(cat.parameters)} parameters, "
               f"{len(cat.highrisk)} high-risk rules ({cat.root})")


@controls.command("list")
@click.option("--class", "class_code", help="Only this class code (PES, CNS, ABS, CES, SMC, PSS, ORS, HRS, CMS, MMS).")
@click.option("--object-type", help="Only items that apply to this object type (linux, webapp, …).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def list_items(class_code: str | None, object_type: str | None, fmt: str) -> None:
    """List catalog items."""
    cat = catalog_mod.load()
    if class_code and class_code.upper() not in cat.classes:
        raise InputError(f"unknown class '{class_code}' (known: {', '.join(cat.classes)})")
    items = [i for i in cat.items.values()
             if (not class_code or i.class_code == class_code.upper())
             and (not object_type or object_type in i.objects)]
    if fmt == "json":
        click.echo(json.dumps([_item_dict(cat, i) for i in items], ensure_ascii=False, indent=1))
        return
    for i in items:
        checks = sum(len(cat.checks_for(i.id, t)) for t in i.objects)
        click.echo(f"{i.id:<12} {i.clause:<11} {i.weight:.1f}  {i.automation:<9} {checks:>2} checks  "
                   f"{i.control_point} · {i.summary}")
    click.echo(f"{len(items)} items", err=True)


@controls.command()
@click.argument("item_id")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def show(item_id: str, fmt: str) -> None:
    """Show one item (by id like L3-CES1-01 or clause like '8.1.4.1 a') with its checks."""
    cat = catalog_mod.load()
    item = cat.items.get(item_id.upper()) or next(
        (i for i in cat.items.values() if i.clause == item_id.strip()), None)
    if item is None:
        raise InputError(f"unknown item '{item_id}' (see `assess controls list`)")
    if fmt == "json":
        click.echo(json.dumps(_item_dict(cat, item), ensure_ascii=False, indent=1))
        return
    click.echo(f"{item.id}  {item.clause}  {item.class_name} / {item.control_point}  weight {item.weight}")
    click.echo(f"  {item.requirement}")
    click.echo(f"  {item.summary}")
    click.echo(f"  methods: {', '.join(item.methods)}   automation: {item.automation}   "
               f"objects: {', '.join(item.objects)}")
    for key, conv in item.conventions.items():
        click.echo(f"  convention {key}: {VERDICT_ZH[conv.verdict]} — {conv.reason}")
    for otype in cat.object_types_with_checks(item.id):
        click.echo(f"  checks on {otype}:")
        for c in cat.checks_for(item.id, otype):
            click.echo(f"    {c.id}: {c.title}")
    click.echo("  interview:")
    for q in item.questions:
        click.echo(f"    ? {q}")
    click.echo(f"    documents: {'、'.join(item.documents)}")


def _item_dict(cat: catalog_mod.Catalog, i) -> dict:
    return {"id": i.id, "clause": i.clause, "class": i.class_code, "class_name": i.class_name,
            "control_point": i.control_point, "requirement": i.requirement, "summary": i.summary,
            "weight": i.weight, "methods": i.methods, "automation": i.automation, "objects": i.objects,
            "conventions": {k: {"verdict": c.verdict, "reason": c.reason} for k, c in i.conventions.items()},
            "checks": {t: [c.id for c in cat.checks_for(i.id, t)] for t in cat.object_types_with_checks(i.id)},
            "questions": i.questions, "documents": i.documents}
