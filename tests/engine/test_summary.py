"""The end-of-run summary prints the conclusion of either report template."""

from __future__ import annotations

from assess import summary

ROW = {"item": "L3-CES1-01", "clause": "8.1.4.1 a", "weight": 1.0, "control_point": "身份鉴别", "object": "web",
       "verdict": "fail", "reason": "0/1 checks passed", "class_code": "CES"}
COMMON = {"items_counted": 1, "items_pending": 0, "items_total": 211}


def test_2025_conclusion_line():
    doc = {"results": [ROW], "conclusion": {"template": "2025", "conclusion_zh": "不符合", "conformance_rate": 0.0,
                                            **COMMON}}
    text = summary.render_text(doc)
    assert "(2025 template, self-assessment): 不符合  符合率 0.0%" in text


def test_2021_conclusion_line_has_the_score_not_a_rate():
    doc = {"results": [ROW], "conclusion": {"template": "2021", "conclusion_zh": "差", "score": 42.5, "veto": True,
                                            **COMMON}}
    text = summary.render_text(doc)
    assert "(2021 template, self-assessment): 差  综合得分 42.5 (indicative); 高风险 veto" in text
    assert "符合率" not in text
