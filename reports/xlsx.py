"""XLSX 测评记录 in the evaluator's workbook layout: a 汇总 sheet, then one sheet per 测评对象.

An object sheet opens with a header block (被测系统名称, 测评对象名称, IP / 版本 / 用途, 测评人员, 测评日期
and the 自评估 notice), then the columns 序号 | 安全类 | 控制点 | 测评项 | 测评方法 | 结果记录 | 符合情况 |
分值 | 权重 | 编号. 分值 is the result's score (符合 1, 部分符合 the profile's partial credit, 不符合 0,
不适用 and uncounted verdicts blank); 结果记录 ends with its evidence ids (sha256 prefixes of the sections
in evidence/<object>.json). Every sheet prints on A4 landscape, fitted to the width, with the heading row
repeated and row heights that show the wrapped text in full. 汇总 counts verdicts and scores per class and
control point with the predicted conclusion; the last sheet carries the conclusion, the high-risk findings
and the 整改清单.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections import Counter
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, NamedStyle, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.properties import PageSetupProperties

from assess.catalog.profile import CONCLUSION_DEFAULTS
from assess.judge.conclusion import verdict_score
from assess.reports import labels
from assess.reports.context import Context, local_time
from assess.reports.record import methods, with_evidence

_BAD = re.compile(r"[\[\]:*?/\\]")
_WRAP = Alignment(wrap_text=True, vertical="top")
_BOLD = Font(bold=True)
_HEAD_FILL = PatternFill("solid", fgColor="DDE7F0")
_FILLS = {"pass": "E8F5E9", "partial": "FFF8E1", "fail": "FFEBEE", "error": "F3E5F5", "manual": "E3F2FD",
          "na": "F5F5F5"}


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
    add("a-label", font=_BOLD, fill=_HEAD_FILL, alignment=_WRAP)
    add("a-wrap", alignment=_WRAP)
    add("a-weight", number_format="0.00", alignment=_WRAP)
    add("a-percent", number_format="0.0%")
    for verdict, color in _FILLS.items():
        add(f"a-{verdict}", fill=PatternFill("solid", fgColor=color), alignment=_WRAP)


#: what makes a spreadsheet read a typed-in cell as a formula (OWASP CSV injection)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def as_text(cell: Any) -> Any:
    """Store a string cell as text, never as a formula (object names, evidence and answers are other people's
    text: `=HYPERLINK(...)` must not become a live link); a formula-like one also gets Excel's quote prefix,
    so editing it keeps it text."""
    if isinstance(cell.value, str):
        cell.data_type = "s"
        if cell.value.startswith(_FORMULA_START):
            cell.quotePrefix = True
    return cell


def _cell(ws: WriteOnlyWorksheet, value: Any, style: str | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    if style:
        cell.style = style
    return as_text(cell)


def _append(ws: WriteOnlyWorksheet, values: list[Any]) -> None:
    """One row; plain strings become text cells too."""
    ws.append([_cell(ws, v) if isinstance(v, str) else v for v in values])


_COLUMNS = (("rank", 5), ("extension", 9), ("class", 10), ("control_point", 10), ("item", 38), ("method", 7), ("record", 58),
            ("verdict", 8), ("points", 6), ("weight", 6), ("item_id", 11))
_HEAD_ROWS = 6  # the header block above the column headings
_LINE_PT = 16.5  # one wrapped line of an 11 pt cell, CJK fallback fonts included


def text_width(text: str) -> int:
    """Display width in Excel character units: East-Asian wide characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def lines_needed(text: str, width: float) -> int:
    """How many lines `text` wraps to in a column `width` characters wide (a conservative estimate)."""
    usable = max(width - 2, 1)
    return sum(max(1, -(-text_width(part) // int(usable))) for part in str(text).split("\n"))


def row_height(cells: list[tuple[Any, float]]) -> float:
    """The height in points that shows every (text, column width) of a row in full."""
    lines = max((lines_needed(text, width) for text, width in cells if text not in (None, "")), default=1)
    return round(lines * _LINE_PT + 4, 1)


def _print_setup(ws: WriteOnlyWorksheet, title_row: int | None) -> None:
    """A4 landscape, fitted to the page width, the heading row repeated on every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    ws.print_options.horizontalCentered = True
    if title_row:
        ws.print_title_rows = f"{title_row}:{title_row}"
    ws.oddFooter.center.text = "&P / &N"


def score_config(doc: dict[str, Any]) -> dict[str, Any]:
    """The run's scoring settings (partial credit, how 待核查 and 无法判定 count)."""
    return {**CONCLUSION_DEFAULTS, **((doc["run"].get("profile") or {}).get("conclusion") or {})}


def _header_block(ws: WriteOnlyWorksheet, ctx: Context, obj: dict[str, Any]) -> None:
    """被测系统名称, 测评对象名称, IP / 版本 / 用途, 测评人员, 测评日期 and the 自评估 notice."""
    t, run = ctx.t, ctx.doc["run"]
    kind = obj["type"] + (f":{obj['engine']}" if obj.get("engine") else "")
    purpose = "、".join(obj.get("tags") or []) if ctx.lang == "zh" else ", ".join(obj.get("tags") or [])
    block = ((t["system_name"], system_name(ctx)),
             (t["object_name"], f"{obj.get('name') or obj['id']}（{obj['id']}）" if ctx.lang == "zh"
              else f"{obj.get('name') or obj['id']} ({obj['id']})"),
             (t["ip_version_use"], " / ".join(x for x in (obj.get("address") or "—", kind, purpose or "—"))),
             (t["assessor"], run.get("operator") or run.get("operator_host") or ""),
             (t["assessed_on"], local_time(run.get("started"))[:10]),
             (t["notice"], t["self_assessment_notice"]))
    label_w = sum(w for _k, w in _COLUMNS[:3])
    value_w = sum(w for _k, w in _COLUMNS[3:])
    for n, (label, value) in enumerate(block, start=1):
        ws.merged_cells.add(f"A{n}:C{n}")
        ws.merged_cells.add(f"D{n}:{get_column_letter(len(_COLUMNS))}{n}")
        ws.row_dimensions[n].height = row_height([(label, label_w), (value, value_w)])
        ws.append([_cell(ws, label, "a-label"), None, None, _cell(ws, value, "a-wrap")])


def system_name(ctx: Context) -> str:
    """被测系统名称: the run's system name, else the profile's title."""
    run = ctx.doc["run"]
    return run.get("system") or (run.get("profile") or {}).get("title") or ""


def _object_sheet(wb: Workbook, ctx: Context, obj: dict[str, Any], name: str, rows: list[dict[str, Any]]) -> None:
    t = ctx.t
    ws = wb.create_sheet(name)
    widths = [w for _k, w in _COLUMNS]
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    heading = _HEAD_ROWS + 1
    ws.freeze_panes = f"A{heading + 1}"
    _print_setup(ws, heading)
    _header_block(ws, ctx, obj)
    ws.append([_cell(ws, t[k], "a-head") for k, _w in _COLUMNS])
    config = score_config(ctx.doc)
    for n, r in enumerate(rows, start=1):
        meta = ctx.doc["items"][r["item"]]
        ext = meta.get("extension_zh", "") if ctx.lang == "zh" else meta.get("extension", "")
        values = [n, ext, ctx.item_text(r["item"], "class_name"), ctx.item_text(r["item"], "control_point"),
                  f"{meta['clause']} {ctx.item_text(r['item'], 'requirement')}", methods(r, meta, ctx.lang),
                  with_evidence(r, ctx), ctx.verdict_label[r["verdict"]],
                  verdict_score(r["verdict"], config), float(meta["weight"]), r["item"]]
        ws.row_dimensions[heading + n].height = row_height(list(zip(values, widths, strict=True)))
        ws.append([
            *(_cell(ws, v, "a-wrap") for v in values[:7]),
            _cell(ws, values[7], f"a-{r['verdict']}"), _cell(ws, values[8], "a-weight"),
            _cell(ws, values[9], "a-weight"), _cell(ws, values[10], "a-wrap"),
        ])


_TALLY = ("pass", "partial", "fail", "na", "manual", "error")


def _tally_sheet(wb: Workbook, ctx: Context, name: str) -> None:
    """汇总: per class and control point, the verdict counts and scores, then the predicted conclusion."""
    t, doc = ctx.t, ctx.doc
    ws = wb.create_sheet(name, 0)
    heads = [t["class"], t["control_point"], t["results_counted"]] + [ctx.verdict_label[v] for v in _TALLY] + \
        [t["cp_score"]]
    widths = [14, 28, 8] + [9] * len(_TALLY) + [10]
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = "A3"
    _print_setup(ws, 2)
    rows = 0

    def put(values: list[Any], texts: list[tuple[Any, float]] | None = None) -> None:
        nonlocal rows
        rows += 1
        if texts:
            ws.row_dimensions[rows].height = row_height(texts)
        ws.append(values)

    title = f"{t['tally_title']}（{system_name(ctx)}）" if ctx.lang == "zh" else \
        f"{t['tally_title']} ({system_name(ctx)})"
    ws.merged_cells.add(f"A1:{get_column_letter(len(widths))}1")
    put([_cell(ws, title, "a-bold")], [(title, sum(widths))])
    put([_cell(ws, h, "a-head") for h in heads], list(zip(heads, widths, strict=True)))
    cp_scores = {c["clause"]: c["score"] for c in ctx.scores_2021["control_point_scores"]}
    class_scores = ctx.scores_2021["class_scores"]
    by_cp: dict[str, dict[str, Any]] = {}
    for r in doc["results"]:
        meta = doc["items"][r["item"]]
        entry = by_cp.setdefault(meta["cp_clause"], {"class": r["class_code"], "item": r["item"],
                                                      "counts": Counter()})
        entry["counts"][r["verdict"]] += 1
    for code, class_name in ctx.classes:
        cps = sorted((cp for cp, e in by_cp.items() if e["class"] == code), key=_clause_key)
        if not cps:
            continue
        total: Counter = Counter()
        for cp in cps:
            counts = by_cp[cp]["counts"]
            total.update(counts)
            label = f"{cp} {ctx.item_text(by_cp[cp]['item'], 'control_point')}"
            put([_cell(ws, class_name, "a-wrap"), _cell(ws, label, "a-wrap"), sum(counts.values())] +
                [counts.get(v, 0) for v in _TALLY] + [cp_scores.get(cp)],
                [(class_name, widths[0]), (label, widths[1])])
        score = class_scores.get(code)
        put([_cell(ws, class_name, "a-bold"), _cell(ws, t["class_total"], "a-bold"),
             _cell(ws, sum(total.values()), "a-bold")] + [_cell(ws, total.get(v, 0), "a-bold") for v in _TALLY] +
            [_cell(ws, round(score / 10, 2) if score is not None else None, "a-bold")],
            [(class_name, widths[0])])
    concl = doc["conclusion"]
    put([])
    put([_cell(ws, t["conclusion"], "a-label"), _cell(ws, concl["conclusion_zh"] if ctx.lang == "zh"
                                                         else concl["conclusion_en"], "a-bold")])
    if concl["template"] == "2025":
        put([t["conformance_rate"], _cell(ws, concl["conformance_rate"], "a-percent")])
    else:
        put([t["score"], concl["score"]])
    triggered = [f for f in doc["highrisk"] if f["status"] == "triggered"]
    put([t["major_risks"], sum(1 for f in triggered if f["major"])])
    put([t["high_risks"], sum(1 for f in triggered if not f["major"])])
    put([t["template"], concl["template"]])
    ws.merged_cells.add(f"A{rows + 1}:{get_column_letter(len(widths))}{rows + 1}")
    put([_cell(ws, t["tally_note"], "a-wrap")], [(t["tally_note"], sum(widths))])


def _clause_key(clause: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", clause))


def _summary_sheet(wb: Workbook, ctx: Context, name: str) -> None:
    t, doc = ctx.t, ctx.doc
    concl = doc["conclusion"]
    ws = wb.create_sheet(name)
    for col, width in {"A": 6, "B": 12, "C": 14, "D": 60, "E": 24, "F": 60, "G": 40, "H": 16}.items():
        ws.column_dimensions[col].width = width
    run = doc["run"]
    value = concl["conclusion_zh"] if ctx.lang == "zh" else concl["conclusion_en"]
    _append(ws, [_cell(ws, t["title"], "a-bold")])
    if ctx.coverage_lines:
        _append(ws, [_cell(ws, t["coverage"], "a-error"), _cell(ws, "\n".join(ctx.coverage_lines), "a-wrap")])
    for warning in run.get("warnings") or []:
        _append(ws, [_cell(ws, t["warnings"], "a-bold"), "", "", _cell(ws, warning, "a-wrap")])
    _append(ws, [t["run"], run.get("id", ""), t["started"], local_time(run.get("started"))])
    _append(ws, [t["conclusion"], _cell(ws, value, "a-bold"), t["template"], concl["template"]])
    if ctx.uncertainty:
        _append(ws, [t["readings"], _cell(ws, ctx.uncertainty, "a-wrap")])
    if concl["template"] == "2025":
        _append(ws, [t["conformance_rate"], _cell(ws, concl["conformance_rate"], "a-percent")])
    else:
        _append(ws, [t["score"], concl["score"]])
    _append(ws, [concl["label"]])
    _append(ws, [])
    _append(ws, [_cell(ws, f"{t['major_risks']} / {t['high_risks']}", "a-bold")])
    for f in doc["highrisk"]:
        state = {"triggered": labels.PRIORITY[ctx.lang]["major" if f["major"] else "high"],
                 "unassessed": t["not_assessed"]}.get(f["status"], t["compensated"])
        _append(ws, ["", state, f["rule"], _cell(ws, ctx.finding_title(f), "a-wrap"), f["object"],
                     _cell(ws, "; ".join(f"{n.get('item') or n.get('check')}={n.get('verdict') or n.get('status')}"
                                         for n in f.get("triggered_by", []) + f.get("pending", [])), "a-wrap")])
    _append(ws, [])
    _append(ws, [_cell(ws, t["remediation"], "a-bold")])
    _append(ws, [_cell(ws, h, "a-head") for h in
               (t["rank"], t["priority"], t["item"], t["gap"], t["objects_affected"], t["fix"], t["command"],
                t["disruption"])])
    disruption = labels.DISRUPTION[ctx.lang]
    for e in doc["remediation"]:
        fixes = e.get("fixes") or []
        fix_text = "\n".join((f.get("text_en") if ctx.lang == "en" and f.get("text_en") else f.get("text", ""))
                             for f in fixes)
        commands = "\n".join(f["command"] for f in fixes if f.get("command"))
        _append(ws, [e["rank"], labels.PRIORITY[ctx.lang][e["priority"]], e["item"],
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
    names = sheet_names([o["id"] for o in objects], {summary, ctx.t["tally_sheet"]})
    for obj in objects:
        _object_sheet(wb, ctx, obj, names[obj["id"]], rows_by_object[obj["id"]])
    _summary_sheet(wb, ctx, summary)
    _print_setup(wb.worksheets[-1], None)
    _tally_sheet(wb, ctx, ctx.t["tally_sheet"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
