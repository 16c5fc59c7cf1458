"""The 整改清单: what to fix first, built from a results document (pure).

One entry per 测评项 that is 不符合 or 部分符合 on some object. Order: items behind a triggered 重大风险隐患
first, then items behind a triggered 高风险 case, then by item weight, then by the number of objects
affected, 不符合 before 部分符合. Each entry carries the gap in one sentence, the objects, the fixes
(text, command or configuration, disruption) and the high-risk findings it resolves.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assess.model import DISRUPTION, VERDICT_ZH

PRIORITY = ("major", "high", "normal")
_GAPS = ("fail", "partial")


def _risk_items(document: Mapping[str, Any]) -> dict[tuple[str, str], list[Mapping[str, Any]]]:
    """(item, object) → triggered high-risk findings naming it (directly, or through a failed check)."""
    checks_to_items: dict[tuple[str, str], list[str]] = {}
    for r in document["results"]:
        for c in r.get("checks") or []:
            if c["status"] == "fail":
                checks_to_items.setdefault((c["check"], r["object"]), []).append(r["item"])
    out: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for f in document.get("highrisk") or []:
        if f["status"] != "triggered":
            continue
        for named in f.get("triggered_by") or []:
            items = [named["item"]] if "item" in named else checks_to_items.get((named["check"], named["object"]), [])
            for item in items:
                out.setdefault((item, named["object"]), []).append(f)
    return out


def _disruption(values: list[str]) -> str | None:
    """The most disruptive of the fixes' disruptions; None when no fix states one (to be assessed)."""
    known = [v for v in values if v in DISRUPTION]
    return max(known, key=DISRUPTION.index) if known else None


def plan(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The ordered 整改清单 of a results document."""
    items = document.get("items") or {}
    risks = _risk_items(document)
    entries: dict[str, dict[str, Any]] = {}
    for r in document["results"]:
        if r["verdict"] not in _GAPS:
            continue
        meta = items.get(r["item"], {})
        e = entries.setdefault(r["item"], {
            "item": r["item"], "clause": r["clause"], "class_code": r["class_code"],
            "control_point": r["control_point"], "control_point_en": meta.get("control_point_en", ""),
            "requirement": meta.get("requirement", ""), "weight": r["weight"], "verdict": "partial",
            "objects": [], "fixes": {}, "risks": {}, "reasons": []})
        e["objects"].append(r["object"])
        if r["verdict"] == "fail":
            e["verdict"] = "fail"
        answer = r.get("answer") if isinstance(r.get("answer"), dict) else {}
        e["reasons"].append(answer.get("explanation") or r["reason"])
        failed = {c["check"]: c for c in r.get("checks") or [] if c["status"] == "fail"}
        for fix in r.get("remediation") or []:
            slot = e["fixes"].setdefault(fix["check"], {**fix, "objects": [], "observed": failed.get(
                fix["check"], {}).get("reason", "")})
            slot["objects"].append(r["object"])
        for f in risks.get((r["item"], r["object"]), []):
            risk = e["risks"].setdefault(f["rule"], {
                "rule": f["rule"], "title": f["title"], "title_en": f.get("title_en", ""), "cases": f["cases"],
                "major": f["major"], "remediation": f["remediation"],
                "remediation_en": f.get("remediation_en", ""), "objects": []})
            if r["object"] not in risk["objects"]:
                risk["objects"].append(r["object"])
    out = []
    for e in entries.values():
        fixes = list(e.pop("fixes").values())
        risk_list = list(e.pop("risks").values())
        reasons = e.pop("reasons")
        priority = "major" if any(x["major"] for x in risk_list) else "high" if risk_list else "normal"
        if not fixes:
            fixes = [_advice(e, risk_list)]
        e.update(priority=priority, fixes=fixes, risks=risk_list,
                 disruption=_disruption([f["disruption"] for f in fixes if f.get("disruption")]),
                 gap=_gap_zh(e, fixes, reasons), gap_en=_gap_en(e, fixes, reasons))
        out.append(e)
    order = {item_id: n for n, item_id in enumerate(items)}
    out.sort(key=lambda e: (PRIORITY.index(e["priority"]), -e["weight"], -len(e["objects"]),
                            e["verdict"] != "fail", order.get(e["item"], 0)))
    for rank, e in enumerate(out, 1):
        e["rank"] = rank
    return out


def _advice(e: Mapping[str, Any], risks: list[Mapping[str, Any]]) -> dict[str, Any]:
    """The fix of an item no automated check covers: the high-risk case's remedy, else the requirement."""
    text = "；".join(dict.fromkeys(r["remediation"] for r in risks)) or f"按测评项要求整改：{e['requirement']}"
    text_en = "; ".join(dict.fromkeys(r["remediation_en"] for r in risks if r.get("remediation_en"))) or \
        f"Meet the requirement of {e['item']} ({e['control_point_en'] or e['control_point']})."
    return {"check": None, "title": "", "title_en": "", "text": text, "text_en": text_en, "command": "",
            "disruption": None, "objects": list(e["objects"]), "observed": ""}


def _short(text: str, limit: int = 160) -> str:
    """Keep the gap one readable sentence: long observations are cut (the full ones are in the results)."""
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _gap_zh(e: Mapping[str, Any], fixes: list[Mapping[str, Any]], reasons: list[str]) -> str:
    n = len(e["objects"])
    head = f"{e['control_point']}（{e['clause']}）{n} 个测评对象{VERDICT_ZH[e['verdict']]}"
    if fixes and fixes[0]["check"]:
        first = fixes[0]
        more = f"等 {len(fixes)} 项检查" if len(fixes) > 1 else ""
        detail = f"（{_short(first['observed'])}）" if first.get("observed") else ""
        return f"{head}：未满足“{first.get('title') or first['check']}”{detail}{more}。"
    return f"{head}：{reasons[0]}。" if reasons and reasons[0] else f"{head}。"


def _gap_en(e: Mapping[str, Any], fixes: list[Mapping[str, Any]], reasons: list[str]) -> str:
    n = len(e["objects"])
    state = "fail" if e["verdict"] == "fail" else "partly conform"
    head = f"{e.get('control_point_en') or e['control_point']} ({e['clause']}): {n} object(s) {state}"
    if fixes and fixes[0]["check"]:
        first = fixes[0]
        more = f", and {len(fixes) - 1} more check(s)" if len(fixes) > 1 else ""
        detail = f" ({_short(first['observed'])})" if first.get("observed") else ""
        return f"{head}: not met: {first.get('title_en') or first['check']}{detail}{more}."
    return f"{head}: {reasons[0]}." if reasons and reasons[0] else f"{head}."
