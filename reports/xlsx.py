"""XLSX 测评记录 in the evaluator's workbook layout: one sheet per 测评对象.

Row 1 names the object (IP / 版本); row 2 holds the columns 扩展标准 | 控制点 | 测评项 | 结果记录 | 符合情况 |
分值, then the evidence ids (sha256 prefixes of the sections in evidence/<object>.json) and the item id.
A last sheet carries the predicted conclusion, the high-risk findings and the 整改清单.
"""

from __future__ import annotations

import io
import re
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, NamedStyle, PatternFill
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from assess.reports import labels
from assess.reports.context import Context, local_time
from assess.reports.record import evidence_ids

_BAD = re.compile(r"[\[\]:*?/\\]")
_WRAP = Alignment(wrap_text=True, vertical="top")
_BOLD = Font(bold=True)
_HEAD_FILL = PatternFill("solid", fgColor="DDE7F0")
_FILLS = {"pass": "E8F5E9", "partial": "FFF8E1", "fail": "FFEBEE", "error": "F3E5F5", "manual": "E3F2FD",
          "na": "F5F5F5"}
_WIDTHS = {"A": 14, "B": 14, "C": 48, "D": 70, "E": 11, "F": 7, "G": 30, "H": 12}


def sheet_names(ids: list[str], reserved: set[str]) -> dict[str, str]:
    """Excel sheet names (≤ 31 characters, no []:*?/\\, unique, case-insensitive) for object ids."""
    taken = {r.lower() for r in reserved}
    out = {}
    for oid in ids:
        base = _BAD.sub("_", oid)[:31] or "object"
        name, n = base, 2
        while name.lower() in taken:
            suffix = f"~{n}"
            name = base[:31 - len(suffix)] + suffix
            n += 1
        taken.add(name.lower())
        out[oid] = name
    return out


def _styles(wb: Workbook) -> None:
    """Named styles, registered once: assigning a name per cell is far cheaper than fonts and fills."""
    def add(name: str, **attrs: Any) -> None:
        style = NamedStyle(name=name)
        for key, value in attrs.items():
            setattr(style, key, value)
        wb.add_named_style(style)

    add("a-head", font=_BOLD, fill=_HEAD_FILL, alignment=_WRAP)
    add("a-bold", font=_BOLD)
    add("a-wrap", alignment=_WRAP)
    add("a-weight", number_format="0.00", alignment=_WRAP)
    add("a-percent", number_format="0.0%")
    for verdict, color in _FILLS.items():
        add(f"a-{verdict}", fill=PatternFill("solid", fgColor=color), alignment=_WRAP)


def _cell(ws: WriteOnlyWorksheet, value: Any, style: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    cell.style = style
    return cell


def _object_sheet(wb: Workbook, ctx: Context, obj: dict[str, Any], name: str, rows: list[dict[str, Any]]) -> None:
    t = ctx.t
    ws = wb.create_sheet(name)
    for col, width in _WIDTHS.items():
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A3"
    version = " / ".join(x for x in (obj.get("address"), obj.get("name"),
                                     obj["type"] + (f":{obj['engine']}" if obj.get("engine") else "")) if x)
    ws.append([_cell(ws, t["version"], "a-bold"), version])
    ws.append([_cell(ws, h, "a-head") for h in
               (t["extension"], t["control_point"], t["item"], t["record"], t["verdict"], t["points"],
                t["evidence_ids"], t["item_id"])])
    evidence_file = obj.get("evidence") or ""
    for r in rows:
        meta = ctx.doc["items"][r["item"]]
        ids = evidence_ids(r)
        shown = (f"{evidence_file}: " if evidence_file and ids else "") + ", ".join(i[:12] for i in ids)
        ext = meta.get("extension_zh", "") if ctx.lang == "zh" else meta.get("extension", "")
        ws.append([
            ext, ctx.item_text(r["item"], "control_point"),
            _cell(ws, f"{meta['clause']} {ctx.item_text(r['item'], 'requirement')}", "a-wrap"),
            _cell(ws, ctx.record(r), "a-wrap"),
            _cell(ws, ctx.verdict_label[r["verdict"]], f"a-{r['verdict']}"),
            _cell(ws, float(meta["weight"]), "a-weight"),
            _cell(ws, shown, "a-wrap"), r["item"],
        ])


def _summary_sheet(wb: Workbook, ctx: Context, name: str) -> None:
    t, doc = ctx.t, ctx.doc
    concl = doc["conclusion"]
    ws = wb.create_sheet(name)
    for col, width in {"A": 6, "B": 12, "C": 14, "D": 60, "E": 24, "F": 60, "G": 40, "H": 16}.items():
        ws.column_dimensions[col].width = width
    run = doc["run"]
    value = concl["conclusion_zh"] if ctx.lang == "zh" else concl["conclusion_en"]
    ws.append([_cell(ws, t["title"], "a-bold")])
    if ctx.coverage_lines:
        ws.append([_cell(ws, t["coverage"], "a-error"), _cell(ws, "\n".join(ctx.coverage_lines), "a-wrap")])
    ws.append([t["run"], run.get("id", ""), t["started"], local_time(run.get("started"))])
    ws.append([t["conclusion"], _cell(ws, value, "a-bold"), t["template"], concl["template"]])
    if ctx.uncertainty:
        ws.append([t["readings"], _cell(ws, ctx.uncertainty, "a-wrap")])
    if concl["template"] == "2025":
        ws.append([t["conformance_rate"], _cell(ws, concl["conformance_rate"], "a-percent")])
    else:
        ws.append([t["score"], concl["score"]])
    ws.append([concl["label"]])
    ws.append([])
    ws.append([_cell(ws, f"{t['major_risks']} / {t['high_risks']}", "a-bold")])
    for f in doc["highrisk"]:
        state = {"triggered": labels.PRIORITY[ctx.lang]["major" if f["major"] else "high"],
                 "not_assessed": t["not_assessed"]}.get(f["status"], t["compensated"])
        ws.append(["", state, f["rule"], _cell(ws, ctx.finding_title(f), "a-wrap"), f["object"],
                   _cell(ws, "; ".join(f"{n.get('item') or n.get('check')}={n.get('verdict') or n.get('status')}"
                                       for n in f.get("triggered_by", [])), "a-wrap")])
    ws.append([])
    ws.append([_cell(ws, t["remediation"], "a-bold")])
    ws.append([_cell(ws, h, "a-head") for h in
               (t["rank"], t["priority"], t["item"], t["gap"], t["objects_affected"], t["fix"], t["command"],
                t["disruption"])])
    disruption = labels.DISRUPTION[ctx.lang]
    for e in doc["remediation"]:
        fixes = e.get("fixes") or []
        fix_text = "\n".join((f.get("text_en") if ctx.lang == "en" and f.get("text_en") else f.get("text", ""))
                             for f in fixes)
        commands = "\n".join(f["command"] for f in fixes if f.get("command"))
        ws.append([e["rank"], labels.PRIORITY[ctx.lang][e["priority"]], e["item"],
                   _cell(ws, e["gap_en"] if ctx.lang == "en" else e["gap"], "a-wrap"),
                   _cell(ws, ", ".join(e["objects"]), "a-wrap"), _cell(ws, fix_text, "a-wrap"),
                   _cell(ws, commands, "a-wrap"), disruption.get(e.get("disruption") or "", "—")])


def render_xlsx(ctx: Context) -> bytes:
    wb = Workbook(write_only=True)
    _styles(wb)
    rows_by_object: dict[str, list[dict[str, Any]]] = {}
    for r in ctx.doc["results"]:
        rows_by_object.setdefault(r["object"], []).append(r)
    summary = ctx.t["summary_sheet"]
    objects = [o for o in ctx.doc["objects"] if rows_by_object.get(o["id"])]
    names = sheet_names([o["id"] for o in objects], {summary})
    for obj in objects:
        _object_sheet(wb, ctx, obj, names[obj["id"]], rows_by_object[obj["id"]])
    _summary_sheet(wb, ctx, summary)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
