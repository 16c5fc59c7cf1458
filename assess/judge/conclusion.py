"""The predicted 测评结论, versioned by report template. Pure functions of the result rows.

Every output is a self-assessment prediction, not an evaluator's conclusion. Both templates share how a
verdict scores (configurable in the profile's `conclusion:` block, see assess/catalog/profile.py):

  verdict score: 符合 1, 部分符合 `partial_credit` (0.5), 不符合 0; 不适用 excluded;
                 待核查 excluded or 0 (`manual`); 无法判定 0 or excluded (`error`)
  item score   = mean of its per-object scores (测评项的多对象平均分); items with nothing counted are left out

2025 template (default; the template's own 符合率 formula is not public, this one is written down here):
  符合率 = mean of item scores over the counted items
  结论   = 符合     if 符合率 ≥ conform_rate (0.9) and no 重大风险隐患
           基本符合 if 符合率 ≥ conform_rate with 重大风险隐患, or 符合率 ≥ basic_rate (0.6)
           不符合   otherwise
  Because the formula is not public, the rate is also computed under the two other readings evaluators use,
  each with its verdict (`readings`): `result_mean` (every counted result scores, 部分符合 = partial_credit)
  and `pass_ratio` (符合 results / counted results). On a real level-3 测评记录 (669 results: 369 符合, 91 部分
  符合, 209 不符合) they give 73.1 %, 62.0 % and 55.2 %: 基本符合, 基本符合, 不符合. `conservative` names the
  reading with the worst verdict; `uncertain` is true when the readings disagree.

2021 template (legacy):
  控制点得分 = Σ(item score × weight) / Σ weight × 10            (verbatim from the template; 不适用 excluded)
  安全类得分 = Σ(item score × weight) / Σ weight × 100 over the class's items
  综合得分   = mean of the class scores: the 2019/2020 formula M = 100 − (1/q)·Σ_j(weighted non-conformance
               of class j)·100. The 2021 template's own overall formula is unverified, so this score is
               labelled indicative.
  结论       = 差 if any 高风险 is triggered (the veto) or 综合得分 < 70; else 优 ≥ 90, 良 ≥ 80, 中 ≥ 70.
               The template also requires "no 中风险" for 优; medium risks are not judged here.
  Readings of the overall score: `class_mean` (M above) and `item_weighted` (Σ item score × weight / Σ weight
  × 100 over all counted items), each with its grade.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

TEMPLATES = ("2025", "2021")
CONCLUSION_ZH = {"conform": "符合", "basic": "基本符合", "nonconform": "不符合"}
CONCLUSION_EN = {"conform": "conforms", "basic": "basically conforms", "nonconform": "does not conform"}
GRADE_ZH = {"excellent": "优", "good": "良", "fair": "中", "poor": "差"}
GRADE_EN = {"excellent": "excellent", "good": "good", "fair": "fair", "poor": "poor"}
GRADE_FLOORS = (("excellent", 90.0), ("good", 80.0), ("fair", 70.0))
LABEL = "自评预测（非测评机构结论） / self-assessment prediction, not an evaluator's conclusion"
_FORMULA_KEYS = ("partial_credit", "manual", "error", "conform_rate", "basic_rate")


def verdict_score(verdict: str, config: Mapping[str, Any]) -> float | None:
    """The score one (item, object) verdict contributes, or None when it is not counted."""
    if verdict == "pass":
        return 1.0
    if verdict == "partial":
        return float(config["partial_credit"])
    if verdict == "fail":
        return 0.0
    if verdict in ("manual", "error") and config[verdict] == "fail":
        return 0.0
    return None


def item_scores(rows: Iterable[Mapping[str, Any]], config: Mapping[str, Any]) -> dict[str, float]:
    """Mean score per item over the objects whose verdict counts (测评项的多对象平均分)."""
    per_item: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        score = verdict_score(r["verdict"], config)
        if score is not None:
            per_item[r["item"]].append(score)
    return {item: sum(v) / len(v) for item, v in per_item.items() if v}


def _counts(rows: list[Mapping[str, Any]]) -> dict[str, int]:
    undecided = {r["item"] for r in rows if r["verdict"] in ("manual", "error")}
    decided = {r["item"] for r in rows if r["verdict"] in ("pass", "partial", "fail", "na")} - undecided
    return {"items_fully_decided": len(decided), "items_pending": len(undecided)}


READINGS_2025 = ("item_mean", "result_mean", "pass_ratio")
READINGS_2021 = ("class_mean", "item_weighted")
READING_ZH = {"item_mean": "测评项得分平均", "result_mean": "结果记录计分平均（部分符合计 0.5）",
              "pass_ratio": "符合项/适用项", "class_mean": "安全类得分平均（2019/2020 版公式）",
              "item_weighted": "测评项加权平均"}
READING_EN = {"item_mean": "mean of item scores", "result_mean": "mean over results (部分符合 = 0.5)",
              "pass_ratio": "符合 results / applicable results", "class_mean": "mean of class scores (2019/2020 M)",
              "item_weighted": "weighted mean of item scores"}
_SEVERITY = {"conform": 0, "basic": 1, "nonconform": 2, "excellent": 0, "good": 1, "fair": 2, "poor": 3}


def _verdict_2025(rate: float, config: Mapping[str, Any], major: bool) -> str:
    if rate >= config["conform_rate"] and not major:
        return "conform"
    if rate >= config["conform_rate"] or rate >= config["basic_rate"]:
        return "basic"
    return "nonconform"


def _grade(score: float, veto: bool) -> str:
    return "poor" if veto else next((k for k, floor in GRADE_FLOORS if score >= floor), "poor")


def rates_2025(rows: Iterable[Mapping[str, Any]], config: Mapping[str, Any]) -> dict[str, float]:
    """The 符合率 (0–1) under each reading of READINGS_2025."""
    rows = list(rows)
    scores = item_scores(rows, config)
    counted: list[tuple[str, float]] = []
    for r in rows:
        score = verdict_score(r["verdict"], config)
        if score is not None:
            counted.append((r["verdict"], score))
    return {
        "item_mean": sum(scores.values()) / len(scores) if scores else 0.0,
        "result_mean": sum(s for _, s in counted) / len(counted) if counted else 0.0,
        "pass_ratio": sum(1 for v, _ in counted if v == "pass") / len(counted) if counted else 0.0,
    }


def _readings(values: Mapping[str, float], verdict: Callable[[float], str], zh: Mapping[str, str],
              en: Mapping[str, str], scale: float) -> dict[str, Any]:
    readings: list[dict[str, Any]] = []
    for name, value in values.items():
        key = verdict(value)
        readings.append({"reading": name, "value": round(value * scale, 4 if scale == 1 else 2), "conclusion": key,
                         "conclusion_zh": {**CONCLUSION_ZH, **GRADE_ZH}[key],
                         "conclusion_en": {**CONCLUSION_EN, **GRADE_EN}[key], "label_zh": zh[name],
                         "label_en": en[name]})
    worst = max(readings, key=lambda r: _SEVERITY[r["conclusion"]])
    return {"readings": readings, "conservative": worst["reading"],
            "uncertain": len({r["conclusion"] for r in readings}) > 1}


def conclude_2025(rows: list[Mapping[str, Any]], config: Mapping[str, Any], major_risks: list[dict[str, Any]],
                  total_items: int) -> dict[str, Any]:
    """符合 / 基本符合 / 不符合 from the conformance rate and the 重大风险隐患 found, under each reading."""
    scores = item_scores(rows, config)
    rates = rates_2025(rows, config)
    rate = rates["item_mean"]
    key = _verdict_2025(rate, config, bool(major_risks))
    return {
        "template": "2025", "prediction": True, "label": LABEL,
        "conclusion": key, "conclusion_zh": CONCLUSION_ZH[key], "conclusion_en": CONCLUSION_EN[key],
        "conformance_rate": round(rate, 4),
        "items_counted": len(scores), "items_total": total_items, **_counts(rows),
        "major_risks": major_risks,
        **_readings(rates, lambda v: _verdict_2025(v, config, bool(major_risks)), READING_ZH, READING_EN, 1),
        "formula": {k: config[k] for k in _FORMULA_KEYS},
    }


def _weighted(scores: Mapping[str, float], weights: Mapping[str, float]) -> float | None:
    total = sum(weights[i] for i in scores)
    return sum(scores[i] * weights[i] for i in scores) / total if total else None


def conclude_2021(rows: list[Mapping[str, Any]], items: Mapping[str, Mapping[str, Any]], config: Mapping[str, Any],
                  high_risks: list[dict[str, Any]], total_items: int) -> dict[str, Any]:
    """Control-point and class scores, the indicative overall score and 优 / 良 / 中 / 差 with the veto.

    `items` maps item id → {weight, class_code, cp_clause, control_point, class_name}.
    """
    scores = item_scores(rows, config)
    weights = {i: float(items[i]["weight"]) for i in scores}
    by_cp: dict[str, dict[str, float]] = defaultdict(dict)
    by_class: dict[str, dict[str, float]] = defaultdict(dict)
    for item_id, score in scores.items():
        meta = items[item_id]
        by_cp[meta["cp_clause"]][item_id] = score
        by_class[meta["class_code"]][item_id] = score
    cp_scores = []
    for cp in sorted(by_cp, key=_clause_key):
        first = items[next(iter(by_cp[cp]))]
        value = _weighted(by_cp[cp], weights)
        cp_scores.append({"clause": cp, "class_code": first["class_code"], "control_point": first["control_point"],
                          "items": len(by_cp[cp]), "score": round(value * 10, 2) if value is not None else None})
    class_scores = {}
    for code, part in by_class.items():
        value = _weighted(part, weights)
        if value is not None:
            class_scores[code] = round(value * 100, 2)
    overall = sum(class_scores.values()) / len(class_scores) if class_scores else 0.0
    key = _grade(overall, bool(high_risks))
    weighted = _weighted(scores, weights)
    scores_by_reading = {"class_mean": overall / 100, "item_weighted": weighted if weighted is not None else 0.0}
    return {
        "template": "2021", "prediction": True, "label": LABEL,
        "conclusion": key, "conclusion_zh": GRADE_ZH[key], "conclusion_en": GRADE_EN[key],
        "score": round(overall, 2), "score_indicative": True,
        "score_note": ("综合得分按 2019/2020 版公式 M 计算（2021 版模板的综合得分公式未公开，仅供参考）；"
                       "“优”另要求无中风险，本工具不判定中风险。 / Overall score uses the 2019/2020 formula M "
                       "(the 2021 overall formula is unverified; indicative only); 'excellent' also requires no "
                       "medium risk, which is not judged here."),
        "veto": bool(high_risks), "high_risks": high_risks,
        **_readings(scores_by_reading, lambda v: _grade(v * 100, bool(high_risks)), READING_ZH, READING_EN, 100),
        "class_scores": class_scores, "control_point_scores": cp_scores,
        "items_counted": len(scores), "items_total": total_items, **_counts(rows),
        "formula": {k: config[k] for k in _FORMULA_KEYS if k in ("partial_credit", "manual", "error")},
    }


def _clause_key(clause: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in clause.split("."))


def conclude(template: str, rows: list[Mapping[str, Any]], items: Mapping[str, Mapping[str, Any]],
             config: Mapping[str, Any], highrisk: list[dict[str, Any]]) -> dict[str, Any]:
    """The conclusion for one template from result rows, item metadata and the high-risk findings.

    `highrisk` is the list from assess.catalog.highrisk.evaluate; only `triggered` findings count (compensated
    ones are shown in reports but do not change the conclusion).
    """
    triggered = [h for h in highrisk if h["status"] == "triggered"]
    if template == "2025":
        major = [_brief(h) for h in triggered if h.get("major")]
        return conclude_2025(rows, config, major, len(items))
    if template == "2021":
        high = [_brief(h) for h in triggered if h.get("high_risk")]
        return conclude_2021(rows, items, config, high, len(items))
    raise ValueError(f"unknown conclusion template {template!r}")


def _brief(h: Mapping[str, Any]) -> dict[str, Any]:
    return {"rule": h["rule"], "title": h["title"], "object": h["object"], "cases": h.get("cases", {}),
            "triggered_by": [{k: n[k] for k in ("item", "check", "object") if k in n}
                             for n in h.get("triggered_by") or []]}


def uncertainty(concl: Mapping[str, Any], lang: str = "zh") -> str | None:
    """When the readings of an unverified formula disagree: the other verdicts in one sentence, e.g.
    "若测评机构按“符合项/适用项”计算（55.2%），则为 不符合"; None when they agree."""
    if not concl.get("uncertain"):
        return None
    zh = lang == "zh"
    unit = "%" if concl.get("template") != "2021" else ""
    scale = 100 if unit else 1
    parts = []
    for r in concl.get("readings") or []:
        if r["conclusion"] == concl["conclusion"]:
            continue
        value = f"{r['value'] * scale:.1f}{unit}"
        parts.append(f"若测评机构按“{r['label_zh']}”计算（{value}），则为 {r['conclusion_zh']}" if zh else
                     f"{r['conclusion_en']} if the evaluator uses the {r['label_en']} ({value})")
    if not parts:
        return None
    return ("；".join(parts) + "（计算方法未公开）") if zh else ("or " + "; or ".join(parts) +
                                                          " (the formula is not public)")
