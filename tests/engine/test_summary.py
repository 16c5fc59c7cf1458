"""The end-of-run summary prints the conclusion of either report template."""

from __future__ import annotations

from assess.judge import summary

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
    text = summary.render_text(doc, width=200)
    assert "(2021 template, self-assessment): 差  综合得分 42.5 (indicative); 高风险 veto" in text
    assert "符合率" not in text


def test_summary_lists_triggered_risks_major_first():
    from assess.judge import summary

    doc = {"results": [], "conclusion": {"template": "2025", "conclusion_zh": "基本符合", "conformance_rate": 0.95,
                                         "items_counted": 1, "items_pending": 0, "items_total": 1},
           "highrisk": [{"rule": "HR-B", "title": "高", "object": "h", "status": "triggered", "major": False},
                        {"rule": "HR-A", "title": "重大", "object": "h", "status": "triggered", "major": True},
                        {"rule": "HR-C", "title": "补偿", "object": "h", "status": "compensated", "major": True}]}
    text = summary.render_text(doc)
    assert text.index("重大风险隐患  重大") < text.index("高风险  高")
    assert "补偿" not in text
