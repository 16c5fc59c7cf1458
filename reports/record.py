"""结果记录: the evaluator's plain record of what was examined and what was seen, from a result row.

An evaluator writes e.g. "经核查/etc/login.defs，PASS_MAX_DAYS为90，要求不大于90，符合要求。" The record here
does the same per check: where it looked (the file or command of the evidence section), the setting and
its observed value, and, when it falls short, what the requirement asks, in words rather than rule syntax.
An interview answer contributes its explanation, a convention or tailoring its reason. The evidence ids
(`with_evidence`) close the record, as an evaluator closes it with the 证据编号.
"""

from __future__ import annotations

import re
from typing import Any

from assess.reports.context import Context, show_value

#: Rule symbols (assess.catalog.rules) in words, longest first so "has none of" wins over "has".
_OP_WORDS = {
    "zh": {"is not empty": "不为空", "is empty": "为空", "exists": "已配置", "absent": "不存在",
           "has none of": "不含以下任一项：", "has any of": "至少含以下一项：", "contains all of": "包含全部：",
           "masks at least": "至少屏蔽", "!~": "不匹配", "≤": "不大于", "≥": "不小于", "≠": "不为", "∉": "不为以下任一项：",
           "∈": "为以下之一：", "∌": "不包含", "∋": "包含", "<": "小于", ">": "大于", "=": "为", "~": "匹配"},
    "en": {"is not empty": "is not empty", "is empty": "is empty", "exists": "is set", "absent": "is absent",
           "has none of": "has none of", "has any of": "has any of", "contains all of": "contains all of",
           "masks at least": "masks at least", "!~": "does not match", "≤": "at most", "≥": "at least",
           "≠": "is not", "∉": "is none of", "∈": "is one of", "∌": "does not contain", "∋": "contains",
           "<": "below", ">": "above", "=": "is", "~": "matches"},
}
_OPS = sorted(_OP_WORDS["zh"], key=len, reverse=True)
_SOURCE_CMD = re.compile(r"^_(?:file|glob)\s+(.+)$")
_QUERY_CMD = re.compile(r"^_(cmd|sql|redis)\s+(.+)$")


def setting_name(label: str) -> str:
    """A rule path as an evaluator names the setting: `login_defs.PASS_MAX_DAYS` → `PASS_MAX_DAYS`."""
    text = label.split(" ∩ ", 1)[0]
    parts = [p for p in re.split(r"\.|\[\*\]|\[\d+\]", text) if p]
    return ".".join(parts[1:]) if len(parts) > 1 else (parts[0] if parts else label)


def requirement_words(expected: str, lang: str) -> str:
    """`login_defs.PASS_MAX_DAYS ≤ 90` → `PASS_MAX_DAYS不大于90` (zh) or `PASS_MAX_DAYS at most 90`."""
    label, _sep, rest = expected.partition(" ")
    for op in _OPS:
        if rest == op or rest.startswith(op + " "):
            words = _OP_WORDS[lang][op]
            value = rest[len(op):].strip()
            if lang == "zh":
                return f"{setting_name(label)}{words}{value}"
            return f"{setting_name(label)} {words} {value}".rstrip()
    return expected


def _sources(check: dict[str, Any], row: dict[str, Any], ctx: Context) -> list[str]:
    """Where a check looked: the files of its evidence sections, else the command that was run."""
    out: list[str] = []
    for eid in check.get("evidence") or []:
        ev = ctx.evidence.get((row.get("object", ""), eid))
        if ev is None:
            continue
        for line in ev.command.splitlines():
            m = _SOURCE_CMD.match(line.strip())
            if m:
                out += [p for p in m.group(1).split() if p.startswith("/") and "$" not in p]
                continue
            q = _QUERY_CMD.match(line.strip())
            if q and len(q.group(2)) <= 60:
                out.append(("redis-cli " if q.group(1) == "redis" else "") + q.group(2).strip())
    return list(dict.fromkeys(out))[:4]


def _seen(check: dict[str, Any], lang: str) -> str:
    observed = check.get("observed") or {}
    word, joiner = ("为", "，") if lang == "zh" else (" is ", ", ")
    return joiner.join(f"{setting_name(label)}{word}{show_value(value)}" for label, value in observed.items())


def _check_sentence(check: dict[str, Any], row: dict[str, Any], ctx: Context) -> str:
    zh = ctx.lang == "zh"
    title = ctx.check_title(check["check"])
    status = check["status"]
    reason = check.get("reason", "")
    sources = _sources(check, row, ctx)
    where = ("查看" + "、".join(sources) + "，" if zh else "in " + ", ".join(sources) + ": ") if sources else ""
    seen = _seen(check, ctx.lang)
    wanted = [requirement_words(e, ctx.lang) for e in check.get("expected") or []]
    if zh:
        if status == "pass":
            return f"{title}：{where}{seen + '，' if seen else ''}符合要求"
        if status == "fail":
            ask = f"，要求{'且'.join(wanted)}" if wanted else ""
            return f"{title}：{where}{seen or '未满足'}{ask}，不符合要求"
        return {"na": f"{title}：不适用（{reason}）", "error": f"{title}：无法判定（{reason}）",
                "manual": f"{title}：未执行，待核查（{reason}）"}.get(status, f"{title}：{status}")
    if status == "pass":
        return f"{title}: {where}{seen + ', ' if seen else ''}meets the requirement"
    if status == "fail":
        ask = f"; required: {' and '.join(wanted)}" if wanted else ""
        return f"{title}: {where}{seen or 'not met'}{ask}; does not meet the requirement"
    return {"na": f"{title}: not applicable ({reason})", "error": f"{title}: undetermined ({reason})",
            "manual": f"{title}: not run, to be checked ({reason})"}.get(status, f"{title}: {status}")


def record_of(row: dict[str, Any], ctx: Context) -> str:
    """The 结果记录 of a result row, computed once per render (several formats need it)."""
    key = id(row)
    if key not in ctx.records:
        ctx.records[key] = record_text(row, ctx)
    return ctx.records[key]


def record_text(row: dict[str, Any], ctx: Context) -> str:
    """The 结果记录 of one (item, object) result."""
    zh = ctx.lang == "zh"
    parts: list[str] = []
    checks = row.get("checks") or []
    if checks:
        body = ("；" if zh else "; ").join(_check_sentence(c, row, ctx) for c in checks)
        parts.append(("经核查，" if zh else "Examined: ") + body + ("。" if zh else "."))
    answer = row.get("answer")
    if isinstance(answer, dict) and answer.get("explanation"):
        who = f"{answer.get('respondent', '')}，{answer.get('answered_at', '')}" if zh else \
            f"{answer.get('respondent', '')}, {answer.get('answered_at', '')}"
        state = "" if answer.get("status") == "applied" else ("（答复已过期）" if zh else " (answer expired)")
        parts.append((f"经访谈（{who}）：" if zh else f"Interview ({who}): ") + answer["explanation"] + state)
    if not parts:
        source, reason = row.get("source"), row.get("reason", "")
        if source == "profile":
            parts.append(("不适用：" if zh else "Not applicable: ") + reason)
        elif row["verdict"] == "manual":
            parts.append(("待核查：" if zh else "To be checked: ") + reason)
        elif row["verdict"] == "error":
            parts.append(("无法判定：" if zh else "Undetermined: ") + reason)
        else:
            parts.append(reason)
    waived = row.get("waived")
    if isinstance(waived, dict):
        parts.append(f"（已豁免 {waived.get('id', '')}，至 {waived.get('expires', '')}）" if zh else
                      f" (waived {waived.get('id', '')} until {waived.get('expires', '')})")
    return "".join(parts) if zh else " ".join(parts)


def reason_text(row: dict[str, Any], ctx: Context) -> str:
    """A result's reason as a sentence in the report language, built from its checks (their titles, not their
    ids); the stored reason (rule syntax, English) when the result has no checks or an interview answer."""
    checks = row.get("checks") or []
    if not checks or row.get("answer"):
        return row.get("reason", "")
    zh = ctx.lang == "zh"
    counted = [c for c in checks if c["status"] not in ("na", "manual")]
    passed = sum(1 for c in counted if c["status"] == "pass")
    groups = {status: [c for c in checks if c["status"] == status] for status in ("fail", "error", "manual")}
    parts = [f"{len(counted)} 项检查中 {passed} 项通过" if zh else f"{passed} of {len(counted)} checks passed"]
    names = {"fail": ("未通过", "failed"), "error": ("无法判定", "undetermined"), "manual": ("未执行", "not run")}
    for status, found in groups.items():
        if not found:
            continue
        shown = [ctx.check_title(c["check"]) + (f"（{c['reason']}）" if zh else f" ({c['reason']})")
                 if status != "fail" and c.get("reason") else ctx.check_title(c["check"]) for c in found]
        label = names[status][0 if zh else 1]
        parts.append(f"{label}：{'、'.join(shown)}" if zh else f"{label}: {'; '.join(shown)}")
    if row["verdict"] == "manual" and not groups["manual"] and not groups["fail"]:
        reason = row.get("reason", "")
        question = reason.rpartition("still needed: ")[2] if "still needed: " in reason else ""
        if zh:
            parts.append("自动检查只覆盖部分要求，仍需访谈或文档核查" + (f"：{question}" if question else ""))
        else:
            parts.append("the checks cover only part of the item; an interview or documents are still needed"
                         + (f": {question}" if question else ""))
    return ("；" if zh else "; ").join(parts) + ("。" if zh else ".")


def with_evidence(row: dict[str, Any], ctx: Context) -> str:
    """The 结果记录 closed by its evidence ids (12-character sha256 prefixes), as the 测评记录 shows it."""
    ids = evidence_ids(row)
    if not ids:
        return record_of(row, ctx)
    shown = "、".join(i[:12] for i in ids) if ctx.lang == "zh" else ", ".join(i[:12] for i in ids)
    return record_of(row, ctx) + (f"（证据编号：{shown}）" if ctx.lang == "zh" else f" (evidence: {shown})")


def evidence_ids(row: dict[str, Any]) -> list[str]:
    """Every evidence id behind a result: the raw sections its checks read and answer attachments."""
    ids: list[str] = []
    for c in row.get("checks") or []:
        ids += c.get("evidence") or []
    answer = row.get("answer")
    if isinstance(answer, dict):
        ids += answer.get("evidence") or []
    return list(dict.fromkeys(ids))


def methods(row: dict[str, Any], item: dict[str, Any], lang: str) -> str:
    """The 测评方法 actually behind a result: 核查/测试 for checks, 访谈 for an answer, else the item's."""
    listed = list(item.get("methods") or [])
    used: list[str] = []
    if row.get("checks"):
        used += [m for m in listed if m != "访谈"] or ["核查"]
    if isinstance(row.get("answer"), dict):
        used.append("访谈")
    used = list(dict.fromkeys(used)) or listed
    if lang == "zh":
        return "、".join(used)
    names = {"访谈": "interview", "核查": "examine", "测试": "test"}
    return ", ".join(names.get(m, m) for m in used)
