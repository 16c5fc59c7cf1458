"""The predicted 测评结论 under the 2025 report template (符合 / 基本符合 / 不符合).

This is a self-assessment prediction. The template's exact 符合率 formula is not public; the one
used here is written down and configurable in the profile (`conclusion:`):

  item score per object: 符合 1, 部分符合 `partial_credit` (0.5), 不符合 0;
                         不适用 excluded; 待核查 excluded or 0 (`manual`); 无法判定 0 or excluded (`error`)
  item score           = mean of its object scores (items with nothing counted are left out)
  符合率               = mean of item scores over the counted items
  结论                 = 符合     if 符合率 ≥ conform_rate (0.9) and no 重大风险隐患
                         基本符合 if 符合率 ≥ conform_rate with 重大风险隐患, or 符合率 ≥ basic_rate (0.6)
                         不符合   otherwise
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from assess.model import ItemResult

CONCLUSION_ZH = {"conform": "符合", "basic": "基本符合", "nonconform": "不符合"}


def item_scores(results: list[ItemResult], config: dict[str, Any]) -> dict[str, float]:
    """Mean score per item over the objects whose verdict counts."""
    per_item: dict[str, list[float]] = defaultdict(list)
    value = {"pass": 1.0, "partial": float(config["partial_credit"]), "fail": 0.0}
    for r in results:
        if r.verdict in value:
            per_item[r.item].append(value[r.verdict])
        elif r.verdict == "manual" and config["manual"] == "fail":
            per_item[r.item].append(0.0)
        elif r.verdict == "error" and config["error"] == "fail":
            per_item[r.item].append(0.0)
    return {item: sum(v) / len(v) for item, v in per_item.items() if v}


def conclude_2025(results: list[ItemResult], config: dict[str, Any], major_risks: list[dict[str, Any]],
                  total_items: int) -> dict[str, Any]:
    scores = item_scores(results, config)
    rate = sum(scores.values()) / len(scores) if scores else 0.0
    if rate >= config["conform_rate"] and not major_risks:
        key = "conform"
    elif rate >= config["conform_rate"] or rate >= config["basic_rate"]:
        key = "basic"
    else:
        key = "nonconform"
    undecided = {r.item for r in results if r.verdict in ("manual", "error")}
    decided = {r.item for r in results if r.verdict in ("pass", "partial", "fail", "na")} - undecided
    return {
        "template": "2025",
        "prediction": True,
        "label": "自评预测（非测评机构结论） / self-assessment prediction, not an evaluator's conclusion",
        "conclusion": key,
        "conclusion_zh": CONCLUSION_ZH[key],
        "conformance_rate": round(rate, 4),
        "items_counted": len(scores),
        "items_total": total_items,
        "items_fully_decided": len(decided),
        "items_pending": len(undecided),
        "major_risks": major_risks,
        "formula": {k: config[k] for k in ("partial_credit", "manual", "error", "conform_rate", "basic_rate")},
    }
