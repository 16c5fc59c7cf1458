"""HTML: one self-contained file (inline CSS, JS and SVG; nothing fetched from a network).

The first screen holds the predicted conclusion, the conformance rate and the major risks; then the
charts, the 整改清单, the objects, the items, every (item, object) result with observed against expected
values and evidence ids, and the evidence itself. Filter and search run in the page; a print
stylesheet lays it out for paper.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from assess import __version__
from assess.reports import charts, labels
from assess.reports.context import Context, local_time, show_value
from assess.reports.record import evidence_ids, reason_text

_HERE = Path(__file__).resolve().parent


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(_HERE / "templates")),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.ChainableUndefined)
    env.filters["value"] = show_value
    env.filters["short"] = lambda s: str(s)[:12]
    return env


def _static(name: str) -> str:
    return (_HERE / "static" / name).read_text(encoding="utf-8")


def _detail_rows(ctx: Context) -> list[dict[str, Any]]:
    rows = []
    for r in ctx.doc["results"]:
        rows.append({
            "r": r, "cp": ctx.item_text(r["item"], "control_point"),
            "checks": [{"c": c, "title": ctx.check_title(c["check"])} for c in r.get("checks") or []],
            "evidence": evidence_ids(r),
        })
    return rows


def render_html(ctx: Context) -> bytes:
    doc = ctx.doc
    concl = doc["conclusion"]
    by_class = [(name, ctx.by_class.get(code)) for code, name in ctx.classes if ctx.by_class.get(code)]
    page = _environment().get_template("report.html.j2").render(
        doc=doc, run=doc["run"], concl=concl, t=ctx.t, lang=ctx.lang, V=ctx.verdict_label,
        S=labels.CHECK_STATUS[ctx.lang], D=labels.DISRUPTION[ctx.lang], P=labels.PRIORITY[ctx.lang], C=labels.CASES[ctx.lang],
        ctx=ctx, reason=lambda row: reason_text(row, ctx), totals=ctx.totals, findings=ctx.findings, local_time=local_time,
        chart_classes=charts.verdicts_by_class(by_class, ctx.verdict_label),
        chart_cps=charts.control_point_scores(ctx.scores_2021["control_point_scores"], _cp_names(ctx)),
        class_scores=ctx.scores_2021["class_scores"], details=_detail_rows(ctx),
        chart_trend=charts.trend(((doc.get("history") or {}).get("trend") or []) if isinstance(
            doc.get("history"), dict) else []),
        drift=(doc.get("history") or {}).get("drift") if isinstance(doc.get("history"), dict) else None,
        evidence_by_object=_evidence_by_object(ctx), css=_static("report.css"), js=_static("report.js"),
        version=__version__, verdicts=charts.ORDER,
    )
    return page.encode("utf-8")


def _cp_names(ctx: Context) -> dict[str, str]:
    return {meta["cp_clause"]: ctx.item_text(item_id, "control_point") for item_id, meta in ctx.doc["items"].items()}


def _evidence_by_object(ctx: Context) -> list[tuple[dict[str, Any], list[Any]]]:
    grouped: dict[str, list[Any]] = {}
    for ev in ctx.evidence.values():
        grouped.setdefault(ev.object, []).append(ev)
    return [(o, sorted(grouped[o["id"]], key=lambda e: e.fact)) for o in ctx.doc["objects"] if o["id"] in grouped]
