"""Both conclusion templates on small result sets whose figures are worked out by hand in the comments."""

from __future__ import annotations

import pytest

from assess.catalog.profile import CONCLUSION_DEFAULTS
from assess.judge import conclusion

# Two classes: A (control points A.1 with I1 w1.0 and I2 w0.7, A.2 with I3 w0.4) and B (B.1: I4 w1.0, I5 w0.7).
ITEMS = {
    "I1": {"weight": 1.0, "class_code": "A", "cp_clause": "8.1.1", "control_point": "A.1"},
    "I2": {"weight": 0.7, "class_code": "A", "cp_clause": "8.1.1", "control_point": "A.1"},
    "I3": {"weight": 0.4, "class_code": "A", "cp_clause": "8.1.2", "control_point": "A.2"},
    "I4": {"weight": 1.0, "class_code": "B", "cp_clause": "8.2.1", "control_point": "B.1"},
    "I5": {"weight": 0.7, "class_code": "B", "cp_clause": "8.2.1", "control_point": "B.1"},
}
ROWS = [
    {"item": "I1", "object": "o1", "verdict": "pass"}, {"item": "I1", "object": "o2", "verdict": "fail"},
    {"item": "I2", "object": "o1", "verdict": "partial"},
    {"item": "I3", "object": "o1", "verdict": "na"},
    {"item": "I4", "object": "o1", "verdict": "pass"}, {"item": "I4", "object": "o2", "verdict": "pass"},
    {"item": "I5", "object": "o1", "verdict": "manual"}, {"item": "I5", "object": "o2", "verdict": "error"},
]


def cfg(**changes):
    return {**CONCLUSION_DEFAULTS, **changes}


def rows(*pairs):
    return [{"item": i, "object": "o1", "verdict": v} for i, v in pairs]


def test_item_scores_average_objects_and_skip_what_does_not_count():
    # I1: (1 + 0) / 2; I2: partial 0.5; I3: na excluded; I4: 1; I5: manual excluded, error counts 0.
    assert conclusion.item_scores(ROWS, cfg()) == {"I1": 0.5, "I2": 0.5, "I4": 1.0, "I5": 0.0}
    # manual counted as 0 and errors excluded: I5 = mean([0]) = 0 still, from the manual row alone.
    assert conclusion.item_scores(ROWS, cfg(manual="fail", error="exclude"))["I5"] == 0.0
    assert "I5" not in conclusion.item_scores(ROWS, cfg(error="exclude"))


def test_2025_rate_and_thresholds():
    # rate = (0.5 + 0.5 + 1.0 + 0.0) / 4 = 0.5 < 0.6 → 不符合
    c = conclusion.conclude_2025(ROWS, cfg(), [], 5)
    assert (c["conformance_rate"], c["conclusion"], c["conclusion_zh"]) == (0.5, "nonconform", "不符合")
    assert c["items_counted"] == 4 and c["items_total"] == 5 and c["prediction"] is True
    assert "自评预测" in c["label"]
    # errors excluded: (0.5 + 0.5 + 1.0) / 3 = 0.6667 ≥ 0.6 → 基本符合
    c = conclusion.conclude_2025(ROWS, cfg(error="exclude"), [], 5)
    assert (c["conformance_rate"], c["conclusion"]) == (0.6667, "basic")
    # partial credit 0 instead of 0.5: (0.5 + 0 + 1 + 0) / 4 = 0.375
    assert conclusion.conclude_2025(ROWS, cfg(partial_credit=0.0), [], 5)["conformance_rate"] == 0.375


def test_2025_major_risk_caps_at_basic():
    # 9 passes and 1 fail: rate 0.9 exactly, which reaches conform_rate (≥).
    nine = rows(*[(f"X{i}", "pass") for i in range(9)], ("X9", "fail"))
    assert conclusion.conclude_2025(nine, cfg(), [], 10)["conclusion"] == "conform"
    risk = {"rule": "HR-CES-weak-password", "title": "t", "object": "o1", "cases": {"major": "A-18"}}
    c = conclusion.conclude_2025(nine, cfg(), [risk], 10)
    assert (c["conclusion"], c["conclusion_zh"], c["major_risks"]) == ("basic", "基本符合", [risk])
    # a stricter profile threshold turns the same rate into 基本符合 without any risk
    assert conclusion.conclude_2025(nine, cfg(conform_rate=0.95), [], 10)["conclusion"] == "basic"


def test_2021_control_point_class_and_overall_scores():
    c = conclusion.conclude_2021(ROWS, ITEMS, cfg(), [], 5)
    cps = {s["clause"]: s["score"] for s in c["control_point_scores"]}
    # A.1: (0.5×1.0 + 0.5×0.7) / 1.7 × 10 = 0.85 / 1.7 × 10 = 5.0
    # B.1: (1.0×1.0 + 0.0×0.7) / 1.7 × 10 = 5.882… → 5.88; A.2 has only 不适用 and no score.
    assert cps == {"8.1.1": 5.0, "8.2.1": 5.88}
    # classes: A = 0.85 / 1.7 × 100 = 50.0; B = 1 / 1.7 × 100 = 58.82
    assert c["class_scores"] == {"A": 50.0, "B": 58.82}
    # overall (M) = mean of class scores = (50 + 58.8235) / 2 = 54.41 → 差 by score, not by veto
    assert (c["score"], c["conclusion"], c["conclusion_zh"], c["veto"]) == (54.41, "poor", "差", False)
    assert c["score_indicative"] is True and "2019/2020" in c["score_note"]


@pytest.mark.parametrize("pairs, score, grade", [
    ((("I1", "pass"), ("I2", "pass")), 100.0, "excellent"),             # 1.7 / 1.7
    ((("I1", "pass"), ("I2", "pass"), ("I3", "fail")), 80.95, "good"),  # 1.7 / 2.1
    ((("I1", "pass"), ("I2", "partial")), 79.41, "fair"),               # (1 + 0.35) / 1.7
    ((("I1", "pass"), ("I3", "fail")), 71.43, "fair"),                  # 1.0 / 1.4
    ((("I1", "partial"), ("I3", "fail")), 35.71, "poor"),               # 0.5 / 1.4
])
def test_2021_grades(pairs, score, grade):
    c = conclusion.conclude_2021(rows(*pairs), ITEMS, cfg(), [], 5)
    assert (c["score"], c["conclusion"]) == (score, grade)


def test_2021_high_risk_veto_forces_poor():
    risk = {"rule": "HR-CES-single-factor", "title": "t", "object": "o1", "cases": {"trial": "6.4.1.3"}}
    c = conclusion.conclude_2021(rows(("I1", "pass"), ("I2", "pass")), ITEMS, cfg(), [risk], 5)
    assert (c["score"], c["conclusion"], c["conclusion_zh"], c["veto"]) == (100.0, "poor", "差", True)


def test_conclude_counts_only_triggered_findings():
    findings = [
        {"rule": "HR-CES-weak-password", "title": "w", "object": "o1", "cases": {"major": "A-18", "trial": "6.4.1.1"},
         "major": True, "high_risk": True, "status": "compensated"},
        {"rule": "HR-CES-audit-missing", "title": "a", "object": "o1", "cases": {"iseaa": "x"},
         "major": False, "high_risk": True, "status": "triggered"},
    ]
    good = rows(("I1", "pass"), ("I2", "pass"))
    c25 = conclusion.conclude("2025", good, ITEMS, cfg(), findings)
    assert (c25["conclusion"], c25["major_risks"]) == ("conform", [])  # compensated major does not count
    c21 = conclusion.conclude("2021", good, ITEMS, cfg(), findings)
    assert c21["conclusion"] == "poor" and [h["rule"] for h in c21["high_risks"]] == ["HR-CES-audit-missing"]
    with pytest.raises(ValueError):
        conclusion.conclude("2019", good, ITEMS, cfg(), findings)


def _workbook_rows() -> list[dict]:
    """The counts of a real evaluator's level-3 测评记录 (issue 16.8): 669 applicable results, 369 符合, 91 部分符合,
    209 不符合. Its per-item layout is not public; this one has the same counts and the same mean of item scores
    (73.1 %): 369 and 91 single-object items, 102 items failing on two objects, 5 failing on one."""
    rows = [{"item": f"P{i}", "object": "o1", "verdict": "pass"} for i in range(369)]
    rows += [{"item": f"Q{i}", "object": "o1", "verdict": "partial"} for i in range(91)]
    rows += [{"item": f"F{i}", "object": o, "verdict": "fail"} for i in range(102) for o in ("o1", "o2")]
    rows += [{"item": f"G{i}", "object": "o1", "verdict": "fail"} for i in range(5)]
    return rows


def test_2025_rate_under_each_reading_of_the_unpublished_formula():
    rows = _workbook_rows()
    assert len(rows) == 669
    c = conclusion.conclude_2025(rows, CONCLUSION_DEFAULTS, [], 211)
    got = {r["reading"]: (round(r["value"] * 100, 1), r["conclusion_zh"]) for r in c["readings"]}
    assert got == {"item_mean": (73.1, "基本符合"), "result_mean": (62.0, "基本符合"), "pass_ratio": (55.2, "不符合")}
    assert c["conclusion_zh"] == "基本符合" and c["uncertain"] is True and c["conservative"] == "pass_ratio"
    everything_passes = conclusion.conclude_2025([{"item": "A", "object": "o", "verdict": "pass"}],
                                                 CONCLUSION_DEFAULTS, [], 1)
    assert everything_passes["uncertain"] is False


def test_2021_overall_score_under_each_reading():
    c = conclusion.conclude_2021(
        [{"item": "A", "object": "o", "verdict": "pass"}, {"item": "B", "object": "o", "verdict": "fail"}],
        {"A": {"weight": 1.0, "class_code": "CES", "cp_clause": "8.1.4.1", "control_point": "x", "class_name": "c"},
         "B": {"weight": 0.4, "class_code": "SMC", "cp_clause": "8.1.5.1", "control_point": "y", "class_name": "d"}},
        CONCLUSION_DEFAULTS, [], 2)
    got = {r["reading"]: (r["value"], r["conclusion"]) for r in c["readings"]}
    assert got == {"class_mean": (50.0, "poor"), "item_weighted": (71.43, "fair")}
    assert c["uncertain"] and c["conservative"] == "class_mean"


def test_disagreeing_readings_show_on_the_first_screen_and_gate_fail_on(tmp_path):
    """Issue 16.8: when the readings disagree, the terminal summary, the HTML verdict card, Markdown and XLSX say
    which verdict another reading gives, and `--fail-on nonconform` uses the most conservative one."""
    import io

    from openpyxl import load_workbook

    from assess import reports
    from assess.judge import judgement, summary
    from tests.reports.synthetic import make_run

    run_dir, doc = make_run(tmp_path, 2)
    doc["conclusion"] = conclusion.conclude_2025(_workbook_rows(), CONCLUSION_DEFAULTS, [], 211)
    sentence = "若测评机构按“符合项/适用项”计算（55.2%），则为 不符合"
    assert sentence in summary.render_text(doc)
    paths = {p.name: p for p in reports.render(doc, run_dir, ["html", "md", "xlsx"])}
    html = paths["report.html"].read_text()
    card = html[html.index('class="verdict-card'):html.index('class="kpis"')]
    assert sentence in card and "基本符合" in card
    assert sentence in paths["report.md"].read_text()
    wb = load_workbook(io.BytesIO(paths["record.xlsx"].read_bytes()), read_only=True)
    assert any(sentence in str(c) for row in wb["结论与整改"].iter_rows(max_row=8, values_only=True) for c in row)
    en = reports.render(doc, run_dir, ["html"], "en")[0].read_text()
    assert "does not conform if the evaluator uses the 符合 results / applicable results (55.2%)" in en
    assert judgement.exceeds(doc, "nonconform")
    doc["conclusion"] = conclusion.conclude_2025([{"item": "A", "object": "o", "verdict": "pass"}],
                                                 CONCLUSION_DEFAULTS, [], 1)
    doc["highrisk"] = []  # (a triggered 重大风险隐患 gates every level)
    assert not judgement.exceeds(doc, "nonconform") and conclusion.uncertainty(doc["conclusion"]) is None
