"""What a run could not assess, stated before anything else: objects not collected (and why), results
undetermined (无法判定), and high-risk cases whose evidence is missing (`unassessed` findings, 未评估).

A pure function of a results document, so reports of older documents get it too. Every output leads with
`lines()` when the coverage is incomplete: a failed collection must never read as good news.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

_LIST = 8


def of(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The coverage section: `complete`, `objects_not_collected` (id, type, address, reason, results),
    `results_undetermined` (results in error over all objects), `highrisk_not_assessed` (the `unassessed` findings:
    rule, title, title_en, major, object, pending) and `error_scoring` (how the prediction counts results in
    error: `fail` = 0, or `exclude`)."""
    errors = Counter(r["object"] for r in doc.get("results") or [] if r.get("verdict") == "error")
    lost = [{"id": o["id"], "type": o.get("type"), "address": o.get("address") or "", "reason": o["error"],
             "results": errors.get(o["id"], 0)}
            for o in doc.get("objects") or [] if o.get("error")]
    risks = [{**{k: f.get(k) for k in ("rule", "title", "title_en", "major", "object")},
              "pending": list(f.get("pending") or [])}
             for f in doc.get("highrisk") or [] if f.get("status") == "unassessed"]
    profile = (doc.get("run") or {}).get("profile") or {}
    scoring = ((profile.get("conclusion") if isinstance(profile, Mapping) else None) or {}).get("error", "fail")
    return {"complete": not lost and not risks, "objects_not_collected": lost,
            "results_undetermined": sum(errors.values()), "highrisk_not_assessed": risks,
            "error_scoring": scoring}


def _names(entries: list[str]) -> str:
    shown = ", ".join(entries[:_LIST])
    return shown + (f" (+{len(entries) - _LIST})" if len(entries) > _LIST else "")


def lines(cov: Mapping[str, Any], lang: str = "zh") -> list[str]:
    """The coverage warning as sentences, most important first; empty when the coverage is complete."""
    if cov["complete"]:
        return []
    zh = lang == "zh"
    out = []
    lost = cov["objects_not_collected"]
    if lost:
        results = sum(o["results"] for o in lost)
        if cov.get("error_scoring") == "exclude":
            effect = (f"预测结论不包含它们的 {results} 条结果（无法判定，未计入符合率）" if zh else
                      f"the prediction excludes their {results} results (undetermined, left out of the rate)")
        else:
            effect = (f"预测结论未评估它们：其 {results} 条结果为无法判定，按 0 分计入符合率" if zh else
                      f"the prediction does not assess them: their {results} results are undetermined and "
                      "count as 0 in the conformance rate")
        head = (f"未能采集 {len(lost)} 个测评对象，{effect}：" if zh else
                f"{len(lost)} object(s) could not be collected; {effect}:")
        out.append(head)
        out += [f"  {o['id']}" + (f" ({o['address']})" if o["address"] else "") + f": {o['reason']}"
                for o in lost[:_LIST]]
        if len(lost) > _LIST:
            out.append(f"  …另有 {len(lost) - _LIST} 个" if zh else f"  … and {len(lost) - _LIST} more")
    risks = cov["highrisk_not_assessed"]
    if risks:
        major = [f"{r['title'] if zh else r.get('title_en') or r['title']} [{r['object']}]" for r in risks
                 if r.get("major")]
        high = [f"{r['title'] if zh else r.get('title_en') or r['title']} [{r['object']}]" for r in risks
                if not r.get("major")]
        if major:
            out.append(f"重大风险隐患未评估（证据缺失，不代表不存在）：{_names(major)}" if zh else
                       f"Major risks not assessed (evidence missing, not the same as none found): {_names(major)}")
        if high:
            out.append(f"高风险未评估（证据缺失）：{_names(high)}" if zh else
                       f"High risks not assessed (evidence missing): {_names(high)}")
    return out


def not_assessed(doc: Mapping[str, Any], major: bool | None = None) -> list[dict[str, Any]]:
    """The `unassessed` (未评估) high-risk findings, optionally only the major (True) or only the other (False) ones."""
    return [f for f in doc.get("highrisk") or [] if f.get("status") == "unassessed"
            and (major is None or bool(f.get("major")) == major)]
