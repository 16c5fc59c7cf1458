"""The questionnaire (访谈/文档核查问卷): which item × object needs an answer, written as YAML or xlsx.

Which pairs need an answer is decided by the evaluation engine itself, run without evidence: a pair whose
verdict would come from an interview (no automated check for that object type), from checks plus an
interview (`partial`-automation items) or from the `system` pseudo-object (no inventory object of the
item's types) is listed. Pairs decided by checks alone, by a convention (默认符合 / 不适用) or tailored out
by the profile are not. The same classification validates answers (assess.inputs.answers).

At fleet scale the form is grouped (`group`): one entry per item × set of objects of identical
applicability (same kind, same checks), its objects listed under `objects`. An answer may name `object`
(one), `objects` (a list of ids, `all`, or a selector `{type: linux, tags: [prod]}`); a one-object entry
overrides a group's answer for that object. Every answer is still validated per object.

With the results of an earlier run (`failures`), each entry lists the automated checks of its item that
already failed on its objects, so nobody answers 符合 over a visible failure.

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
    ("item", "测评项编号", False, 13), ("object", "测评对象", False, 14),
    ("objects", "测评对象（多个，每行一个；all 为全部）", False, 18), ("object_name", "对象名称", False, 18),
    ("kind", "类型", False, 10), ("clause", "条款", False, 11), ("control_point", "控制点", False, 14),
    ("requirement", "测评要求", False, 44), ("questions", "访谈问题", False, 52),
    ("documents", "应提供的文档", False, 30), ("checks", "已自动检查", False, 24),
    ("failed_checks", "已发现的自动检查不符合项（请勿答“符合”）", False, 30),
    ("answer", "结论", True, 10), ("explanation", "说明（结果记录）", True, 44),
    ("attachments", "附件（文件路径，每行一个）", True, 30), ("respondent", "答复人", True, 14),
    ("answered_at", "答复日期", True, 13), ("valid_until", "有效期至", True, 13),
)
INFO_KEYS = tuple(k for k, _zh, filled, _w in COLUMNS if not filled and k not in ("item", "object", "objects"))
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


@dataclass(frozen=True)
class Entry:
    """One entry of the form: an item asked on one or more objects of identical applicability."""

    pairs: tuple[Pair, ...]

    @property
    def first(self) -> Pair:
        return self.pairs[0]


def group(pairs: list[Pair], grouped: bool = True) -> list[Entry]:
    """Entries of the form: per item, the objects with the same kind and checks together (or one each)."""
    if not grouped:
        return [Entry((p,)) for p in pairs]
    out: dict[tuple[str, str, tuple[str, ...]], list[Pair]] = {}
    for p in pairs:
        out.setdefault((p.item.id, p.kind, p.checks), []).append(p)
    return [Entry(tuple(members)) for members in out.values()]


def failures(results_doc: dict[str, Any]) -> dict[tuple[str, str], list[str]]:
    """Failed checks by (item, object) in a results document (an earlier run of the same inventory)."""
    out: dict[tuple[str, str], list[str]] = {}
    for r in results_doc.get("results") or []:
        failed = [c["check"] for c in r.get("checks") or [] if c.get("status") == "fail"]
        if failed:
            out[(r["item"], r["object"])] = failed
    return out


def row(entry: Entry | Pair, failed: dict[tuple[str, str], list[str]] | None = None) -> dict[str, Any]:
    """The informational columns of one entry (what is asked, what documents are expected, what failed)."""
    if isinstance(entry, Pair):
        entry = Entry((entry,))
    pair = entry.first
    item = pair.item
    ids = [p.target.id for p in entry.pairs]
    where = {"object": ids[0]} if len(ids) == 1 else {"objects": ids}
    names = [p.target.name or p.target.id for p in entry.pairs]
    failed = failed or {}
    seen = [f"{oid}: {', '.join(failed[(item.id, oid)])}" for oid in ids if (item.id, oid) in failed]
    return {"item": item.id, **where, "object_name": "、".join(names) if len(ids) > 1 else names[0],
            "kind": pair.kind, "clause": item.clause, "control_point": item.control_point,
            "requirement": item.requirement, "questions": list(item.questions),
            "documents": list(item.documents), "checks": list(pair.checks), "failed_checks": seen}


def header(catalog: Catalog, profile: Profile, generated: str, inventory: str) -> dict[str, str]:
    return {"format": FORMAT, "catalog": catalog.id, "catalog_sha256": catalog.sha256, "profile": profile.id,
            "inventory": inventory, "generated": generated}


_YAML_HELP = """\
# assess questionnaire (访谈/文档核查问卷), {format}
# One entry per 测评项 and group of 测评对象 whose verdict needs interview or document evidence.
# Fill in what you can answer; entries with an empty `answer` stay 待核查 (manual).
#   object / objects: whom the answer is for: one id, a list of ids, `all`, or a selector
#                 {{type: linux, tags: [prod]}}; an entry for one object overrides a group's answer for it
#   failed_checks: automated checks of the item that already failed there: do not answer pass over them
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
        if key in ("questions", "failed_checks"):
            return [f"{indent}{key}:"] + [f"{indent}  - {_yaml_scalar(v)}" for v in value]
        return [f"{indent}{key}: [" + ", ".join(_yaml_scalar(v) for v in value) + "]"]
    text = _yaml_scalar(value)
    return [f"{indent}{key}: {text}" if text else f"{indent}{key}:"]


def to_yaml(entries: list[Entry] | list[Pair], meta: dict[str, str], name: str,
            failed: dict[tuple[str, str], list[str]] | None = None) -> str:
    """The questionnaire as a commented YAML document, every answer field empty."""
    pairs = [e if isinstance(e, Entry) else Entry((e,)) for e in entries]
    lines = [_YAML_HELP.format(format=FORMAT, days=DEFAULT_VALIDITY_DAYS, name=name).rstrip("\n"),
             "questionnaire:"]
    lines += [f"  {k}: {_yaml_scalar(v)}" for k, v in meta.items()]
    lines.append("answers:" if pairs else "answers: []")
    for pair in pairs:
        entry = row(pair, failed)
        entry.update(answer=None, explanation=None, attachments=[], respondent=None, answered_at=None,
                     valid_until=None)
        for key in ("checks", "failed_checks"):
            if not entry[key]:
                del entry[key]
        first = True
        for key, value in entry.items():
            out = _yaml_value(key, value, "    ")
            if first:
                out[0] = "  - " + out[0][4:]
                first = False
            lines += out
    return "\n".join(lines) + "\n"


def to_xlsx(entries: list[Entry] | list[Pair], meta: dict[str, str], path: Path,
            failed: dict[tuple[str, str], list[str]] | None = None) -> None:
    """The questionnaire as a workbook: sheet 问卷 (one row per entry), 说明 (how to fill it), meta."""
    pairs = [e if isinstance(e, Entry) else Entry((e,)) for e in entries]
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    from assess.reports.xlsx import as_text

    wb = Workbook()
    ws = wb.active
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
        entry = row(pair, failed)
        values = []
        for key, _zh, _f, _w in COLUMNS:
            v = entry.get(key)
            if key == "questions":
                v = "\n".join(f"{i}. {q}" for i, q in enumerate(v, start=1))
            elif key == "kind":
                v = f"{KIND_ZH[v]} {v}"
            elif isinstance(v, list):
                v = "、".join(v) if key == "documents" else "\n".join(v)
            elif key == "object_name" and "objects" in entry:
                v = None  # the ids are listed under objects
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
    for text in _XLSX_HELP.format(format=FORMAT, days=DEFAULT_VALIDITY_DAYS, name=path.name).splitlines():
        help_ws.append([text])
        help_ws.cell(row=help_ws.max_row, column=1).alignment = wrap
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



_XLSX_HELP = """\
访谈/文档核查问卷（{format}）填写说明
本表“问卷”页每行是一个测评项及其适用的一组测评对象，其结论需要访谈或文档证据。黄色列由答复人填写，其余列只供阅读。
结论（answer）：符合、部分符合、不符合、不适用（或 pass、partial、fail、na）；留空的行仍为“待核查”。
说明（explanation）：看到了什么、在哪里看到（制度名称与版本、记录、配置截图等），将作为测评记录中的“结果记录”；填写结论时必填。
附件（attachments）：证明材料的文件路径，相对于本工作簿所在目录，每行一个。
答复人（respondent）：姓名与岗位；答复日期（answered_at）：YYYY-MM-DD，不得晚于今天。
有效期至（valid_until）：可不填，默认为答复日期后 {days} 天；过期后该答复不再计入，测评项恢复为“待核查”。
测评对象（objects）：本行答复适用的对象，每行一个编号；填 all 表示全部对象。如某个对象情况不同，请新增一行，在“测评对象（object）”列只填该对象编号并单独作答，该行优先于分组行。
类型（kind）：访谈 interview 表示结论即答复；部分自动 partial 表示自动检查（“已自动检查”列）只覆盖一部分，答复补充其余部分，自动检查不符合时结论不会高于检查结果；未覆盖 uncovered 表示清单中没有该类对象，按整个系统作答。
已发现的自动检查不符合项：上一次扫描中这些对象上已经不符合的自动检查，请勿对其答“符合”。
填写完成后运行：assess scan --answers {name}（或先用 assess questionnaire check {name} 检查）。
"""


def summary(pairs: list[Pair]) -> str:
    kinds = Counter(p.kind for p in pairs)
    objects = len({p.target.id for p in pairs})
    items = len({p.item.id for p in pairs})
    parts = ", ".join(f"{kinds[k]} {k}" for k in ASKED if kinds[k])
    return f"{len(pairs)} item × object pairs ({parts or 'none'}) covering {items} items on {objects} object(s)"
