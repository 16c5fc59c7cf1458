"""The end-of-scan summary: verdict counts per class and the worst gaps."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from assess.judge import conclusion, coverage
from assess.model import VERDICT_ZH, VERDICTS

_ORDER = ["PES", "CNS", "ABS", "CES", "SMC", "PSS", "ORS", "HRS", "CMS", "MMS"]


def counts_by_class(doc: dict[str, Any]) -> dict[str, Counter]:
    table: dict[str, Counter] = defaultdict(Counter)
    for r in doc["results"]:
        table[r["class_code"]][r["verdict"]] += 1
    return table


def worst_gaps(doc: dict[str, Any], limit: int = 10) -> list[dict[str, Any]]:
    """Failed and partial results, heaviest item first, then the most objects affected."""
    by_item: dict[str, dict[str, Any]] = {}
    for r in doc["results"]:
        if r["verdict"] not in ("fail", "partial"):
            continue
        entry = by_item.setdefault(r["item"], {"item": r["item"], "clause": r["clause"], "weight": r["weight"],
                                               "control_point": r["control_point"], "objects": [],
                                               "verdict": r["verdict"], "reason": r["reason"]})
        entry["objects"].append(r["object"])
        if r["verdict"] == "fail":
            entry["verdict"] = "fail"
    gaps = sorted(by_item.values(), key=lambda g: (-g["weight"], g["verdict"] != "fail", -len(g["objects"]),
                                                    g["item"]))
    return gaps[:limit]


def render_text(doc: dict[str, Any]) -> str:
    table = counts_by_class(doc)
    warning = coverage.lines(coverage.of(doc))
    lines = [*warning, ""] if warning else []
    head = f"{'class':<6}" + "".join(f"{VERDICT_ZH[v]:>7}" for v in VERDICTS)
    lines.append(head)
    total: Counter = Counter()
    for code in sorted(table, key=lambda c: _ORDER.index(c) if c in _ORDER else 99):
        row = table[code]
        total.update(row)
        lines.append(f"{code:<6}" + "".join(f"{row.get(v, 0):>10}" for v in VERDICTS))
    lines.append(f"{'total':<6}" + "".join(f"{total.get(v, 0):>10}" for v in VERDICTS))
    gaps = worst_gaps(doc)
    if gaps:
        lines.append("")
        lines.append("worst gaps:")
        for g in gaps:
            lines.append(f"  {g['item']} {g['clause']:<10} w{g['weight']:.1f} {VERDICT_ZH[g['verdict']]}"
                         f"  {g['control_point']}  [{', '.join(g['objects'])}]  {g['reason']}")
    risks = [f for f in doc.get("highrisk") or [] if f.get("status") == "triggered"]
    if risks:
        lines.append("")
        lines.append("重大风险隐患 / high-risk cases:")
        for f in sorted(risks, key=lambda f: (not f.get("major"), f["rule"], f["object"])):
            label = "重大风险隐患" if f.get("major") else "高风险"
            lines.append(f"  {label}  {f['title']}  [{f['object']}]  ({f['rule']})")
    c = doc["conclusion"]
    lines.append("")
    if c.get("template") == "2021":
        figure = f"综合得分 {c['score']:.1f} (indicative){'; 高风险 veto' if c.get('veto') else ''}"
    else:
        figure = f"符合率 {c['conformance_rate'] * 100:.1f}%"
    lines.append(f"predicted conclusion ({c.get('template', '2025')} template, self-assessment): "
                 f"{c['conclusion_zh']}  {figure} over {c['items_counted']} decided items; "
                 f"{c['items_pending']} of {c['items_total']} items still need interview or have errors")
    other = conclusion.uncertainty(c)
    if other:
        lines.append(f"  {c['conclusion_zh']}；{other}")
    if warning:
        lines.append("覆盖不完整：上述预测不包含未能采集或未评估的部分（见开头）。 / Coverage is incomplete: the "
                     "prediction leaves out what could not be collected or assessed (see the top).")
    return "\n".join(lines)
