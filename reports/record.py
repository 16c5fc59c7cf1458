"""结果记录: the evaluator's plain record of what was observed, generated from a result row.

An evaluator writes e.g. "经核查，/etc/login.defs 中 PASS_MAX_DAYS 为 90，……". The record here says, per
check, what was examined, the observed values and whether they meet the requirement; an interview
answer contributes its explanation; a convention or tailoring its reason.
"""

from __future__ import annotations

from typing import Any

from assess.reports.context import Context, show_value


def _observed(check: dict[str, Any], lang: str) -> str:
    observed = check.get("observed") or {}
    if not observed:
        return ""
    joiner, word = ("；", "为") if lang == "zh" else ("; ", "=")
    return joiner.join(f"{label} {word} {show_value(value)}" for label, value in observed.items())


def _check_sentence(check: dict[str, Any], ctx: Context) -> str:
    title = ctx.check_title(check["check"])
    seen = _observed(check, ctx.lang)
    expected = "；".join(check.get("expected") or []) if ctx.lang == "zh" else "; ".join(check.get("expected") or [])
    status = check["status"]
    if ctx.lang == "zh":
        tail = {"pass": "符合要求", "fail": f"不符合要求（应 {expected}）" if expected else "不符合要求",
                "na": f"不适用（{check.get('reason', '')}）", "error": f"无法判定（{check.get('reason', '')}）",
                "manual": f"未执行，待核查（{check.get('reason', '')}）"}.get(status, status)
        return f"{title}：{seen}，{tail}" if seen and status in ("pass", "fail") else f"{title}：{tail}"
    tail = {"pass": "meets the requirement", "fail": f"does not meet it (expected {expected})" if expected
            else "does not meet the requirement", "na": f"not applicable ({check.get('reason', '')})",
            "error": f"undetermined ({check.get('reason', '')})",
            "manual": f"not run, to be checked ({check.get('reason', '')})"}.get(status, status)
    return f"{title}: {seen}, {tail}" if seen and status in ("pass", "fail") else f"{title}: {tail}"


def record_text(row: dict[str, Any], ctx: Context) -> str:
    """The 结果记录 of one (item, object) result."""
    zh = ctx.lang == "zh"
    parts: list[str] = []
    checks = row.get("checks") or []
    if checks:
        body = ("；" if zh else "; ").join(_check_sentence(c, ctx) for c in checks)
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


def evidence_ids(row: dict[str, Any]) -> list[str]:
    """Every evidence id behind a result: the raw sections its checks read and answer attachments."""
    ids: list[str] = []
    for c in row.get("checks") or []:
        ids += c.get("evidence") or []
    answer = row.get("answer")
    if isinstance(answer, dict):
        ids += answer.get("evidence") or []
    return list(dict.fromkeys(ids))
