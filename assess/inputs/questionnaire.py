"""The questionnaire (访谈/文档核查问卷): which item × object needs an answer, written as YAML or xlsx.

Which pairs need an answer is decided by the evaluation engine itself, run without evidence: a pair whose
verdict would come from an interview (no automated check for that object type), from checks plus an
interview (`partial`-automation items) or from the `system` pseudo-object (no inventory object of the
item's types) is listed. Pairs decided by checks alone, by a convention (默认符合 / 不适用) or tailored out
by the profile are not. The same classification validates answers (assess.inputs.answers).

The filled-in form is read back by assess.inputs.answers; both formats carry the same columns.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assess.catalog.load import Catalog
from assess.catalog.profile import Profile
from assess.errors import InputError
from assess.judge import evaluate
from assess.model import Item, Target

FORMAT = "assess/questionnaire@1"
#: Kinds of pair that the questionnaire lists.
ASKED = ("interview", "partial", "uncovered")
#: What an answer may say, in English or in the evaluator's Chinese wording.
ANSWER_VALUES = {"pass": "pass", "partial": "partial", "fail": "fail", "na": "na",
                 "符合": "pass", "部分符合": "partial", "不符合": "fail", "不适用": "na"}
#: An answer without valid_until counts for this many days after answered_at (one assessment cycle).
DEFAULT_VALIDITY_DAYS = 365
#: Columns of the form: key, Chinese label, whether the respondent fills it in, xlsx width.
COLUMNS: tuple[tuple[str, str, bool, int], ...] = (
    ("item", "测评项编号", False, 13), ("object", "测评对象", False, 14), ("object_name", "对象名称", False, 18),
    ("kind", "类型", False, 10), ("clause", "条款", False, 11), ("control_point", "控制点", False, 14),
    ("requirement", "测评要求", False, 44), ("questions", "访谈问题", False, 52),
    ("documents", "应提供的文档", False, 30), ("checks", "已自动检查", False, 24),
    ("answer", "结论", True, 10), ("explanation", "说明（结果记录）", True, 44),
    ("attachments", "附件（文件路径，每行一个）", True, 30), ("respondent", "答复人", True, 14),
    ("answered_at", "答复日期", True, 13), ("valid_until", "有效期至", True, 13),
)
INFO_KEYS = tuple(k for k, _zh, filled, _w in COLUMNS if not filled and k not in ("item", "object"))
KIND_ZH = {"interview": "访谈", "partial": "部分自动", "uncovered": "未覆盖"}
SHEET = "问卷"
META_SHEET = "meta"


@dataclass(frozen=True)
class Pair:
    """One item × object and how its verdict is reached before any evidence is seen."""

    item: Item
    target: Target
    kind: str  # interview | partial | uncovered | automated | convention | tailored
    checks: tuple[str, ...] = ()


def _kind(catalog: Catalog, item: Item, object_type: str, source: str) -> str:
    if source == "profile":
        return "tailored"
    if source == "checks":
        return "automated" if catalog.checks_decide(item.id, object_type) else "partial"
    return source  # interview | uncovered | convention


def scope(catalog: Catalog, profile: Profile, targets: Iterable[Target]) -> dict[tuple[str, str], Pair]:
    """Every item × object of a scan, keyed by (item id, object id), with its kind.

    Uses evaluate.evaluate_target with no facts, so the classification cannot drift from evaluation.
    """
    targets = list(targets)
    out: dict[tuple[str, str], Pair] = {}
    for t in targets:
        for r in evaluate.evaluate_target(catalog, profile, t, {}):
            item = catalog.items[r.item]
            out[(r.item, t.id)] = Pair(item, t, _kind(catalog, item, t.type, r.source),
                                       tuple(c.check for c in r.checks))
    system, rest = evaluate.uncovered(catalog, profile, targets)
    for r in rest:
        out[(r.item, system.id)] = Pair(catalog.items[r.item], system,
                                        _kind(catalog, catalog.items[r.item], system.type, r.source))
    return out


def asked(pairs: dict[tuple[str, str], Pair]) -> list[Pair]:
    """The pairs the questionnaire lists, in catalog then inventory order."""
    return [p for p in pairs.values() if p.kind in ASKED]


def row(pair: Pair) -> dict[str, Any]:
    """The informational columns of one entry (what is asked and what documents are expected)."""
    item = pair.item
    return {"item": item.id, "object": pair.target.id, "object_name": pair.target.name or pair.target.id,
            "kind": pair.kind, "clause": item.clause, "control_point": item.control_point,
            "requirement": item.requirement, "questions": list(item.questions),
            "documents": list(item.documents), "checks": list(pair.checks)}


def header(catalog: Catalog, profile: Profile, generated: str, inventory: str) -> dict[str, str]:
    return {"format": FORMAT, "catalog": catalog.id, "catalog_sha256": catalog.sha256, "profile": profile.id,
            "inventory": inventory, "generated": generated}


_YAML_HELP = """\
# assess questionnaire (访谈/文档核查问卷), {format}
# One entry per 测评项 × 测评对象 whose verdict needs interview or document evidence.
# Fill in what you can answer; entries with an empty `answer` stay 待核查 (manual).
#   answer:       pass | partial | fail | na    (or 符合 | 部分符合 | 不符合 | 不适用)
#   explanation:  what was seen and where (it becomes the 结果记录); required with an answer
#   attachments:  files that prove it (制度, 记录, 合同, 截图 ...), paths relative to this file
#   respondent:   who answered (name and role)
#   answered_at:  YYYY-MM-DD, not in the future
#   valid_until:  YYYY-MM-DD, optional (default: answered_at + {days} days); from the next day on the
#                 answer no longer counts and the item is back to 待核查
# kind: interview  the verdict is the answer
#       partial    automated checks (`checks`) cover part of the item: the answer covers the rest, and a
#                  failing check caps the verdict (an answer cannot turn a failed check into 符合)
#       uncovered  no object of the item's type is in the inventory: answer it for the whole system
# The other keys (object_name, clause, requirement, questions, ...) are for reading only.
# Then: assess scan --answers {name}
"""


def _yaml_scalar(value: Any) -> str:
    """A YAML scalar: JSON strings are valid YAML double-quoted scalars."""
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False)


def _yaml_value(key: str, value: Any, indent: str) -> list[str]:
    if isinstance(value, list):
        if not value:
            return [f"{indent}{key}: []"]
        if key == "questions":
            return [f"{indent}{key}:"] + [f"{indent}  - {_yaml_scalar(v)}" for v in value]
        return [f"{indent}{key}: [" + ", ".join(_yaml_scalar(v) for v in value) + "]"]
    text = _yaml_scalar(value)
    return [f"{indent}{key}: {text}" if text else f"{indent}{key}:"]


def to_yaml(pairs: list[Pair], meta: dict[str, str], name: str) -> str:
    """The questionnaire as a commented YAML document, every answer field empty."""
    lines = [_YAML_HELP.format(format=FORMAT, days=DEFAULT_VALIDITY_DAYS, name=name).rstrip("\n"),
             "questionnaire:"]
    lines += [f"  {k}: {_yaml_scalar(v)}" for k, v in meta.items()]
    lines.append("answers:" if pairs else "answers: []")
    for pair in pairs:
        entry = row(pair)
        entry.update(answer=None, explanation=None, attachments=[], respondent=None, answered_at=None,
                     valid_until=None)
        if not entry["checks"]:
            del entry["checks"]
        first = True
        for key, value in entry.items():
            out = _yaml_value(key, value, "    ")
            if first:
                out[0] = "  - " + out[0][4:]
                first = False
            lines += out
    return "\n".join(lines) + "\n"


def to_xlsx(pairs: list[Pair], meta: dict[str, str], path: Path) -> None:
    """The questionnaire as a workbook: sheet 问卷 (one row per pair), 说明 (how to fill it), meta."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation
    from openpyxl.worksheet.worksheet import Worksheet

    from assess.reports.xlsx import as_text

    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)  # a new workbook's one sheet
    ws.title = SHEET
    ws.append([f"{zh}\n{key}" for key, zh, _f, _w in COLUMNS])
    fill = PatternFill("solid", fgColor="FFF2CC")
    for col, (_key, _zh, filled, width) in enumerate(COLUMNS, start=1):
        letter = get_column_letter(col)
        ws.column_dimensions[letter].width = width
        cell = ws.cell(row=1, column=col)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if filled:
            cell.fill = fill
    wrap = Alignment(wrap_text=True, vertical="top")
    for pair in pairs:
        entry = row(pair)
        values = []
        for key, _zh, _f, _w in COLUMNS:
            v: Any = entry.get(key)
            if key == "questions":
                v = "\n".join(f"{i}. {q}" for i, q in enumerate(v, start=1))
            elif key == "kind":
                v = f"{KIND_ZH[v]} {v}"
            elif isinstance(v, list):
                v = "、".join(v) if key == "documents" else "\n".join(v)
            values.append(v if v != "" else None)
        ws.append(values)
    last = len(pairs) + 1
    keys = [k for k, _zh, _f, _w in COLUMNS]
    for r in range(2, last + 1):
        for col in range(1, len(COLUMNS) + 1):
            ws.cell(row=r, column=col).alignment = wrap
        for key in ("answered_at", "valid_until"):
            ws.cell(row=r, column=keys.index(key) + 1).number_format = "yyyy-mm-dd"
        for key in ("answer", "explanation", "attachments", "respondent", "answered_at", "valid_until"):
            ws.cell(row=r, column=keys.index(key) + 1).fill = fill
    if pairs:
        dv = DataValidation(type="list", formula1='"' + ",".join(ANSWER_VALUES) + '"', allow_blank=True)
        dv.error = "pass / partial / fail / na（符合 / 部分符合 / 不符合 / 不适用）"
        dv.errorTitle = "结论"
        ws.add_data_validation(dv)
        letter = get_column_letter(keys.index("answer") + 1)
        dv.add(f"{letter}2:{letter}{last}")
    ws.freeze_panes = "C2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{last}"
    help_ws = wb.create_sheet("说明")
    help_ws.column_dimensions["A"].width = 110
    for text in _YAML_HELP.format(format=FORMAT, days=DEFAULT_VALIDITY_DAYS, name=path.name).splitlines():
        help_ws.append([text.lstrip("# ").replace("paths relative to this file",
                                                    "paths relative to this workbook, one per line")])
    meta_ws = wb.create_sheet(META_SHEET)
    for k, v in meta.items():
        meta_ws.append([k, v])
    for sheet in wb.worksheets:  # object names and questions are text, never formulas
        for cells in sheet.iter_rows():
            for cell in cells:
                as_text(cell)
    try:
        wb.save(path)
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}", str(path)) from None



def summary(pairs: list[Pair]) -> str:
    kinds = Counter(p.kind for p in pairs)
    objects = len({p.target.id for p in pairs})
    items = len({p.item.id for p in pairs})
    parts = ", ".join(f"{kinds[k]} {k}" for k in ASKED if kinds[k])
    return f"{len(pairs)} entries ({parts or 'none'}) covering {items} items on {objects} object(s)"
