"""The 整改清单: order (major risk, high risk, weight, objects, fail before partial) and entry contents."""

from __future__ import annotations

from assess.judge import remediation

ITEMS = {i: {"control_point_en": f"cp {i}", "requirement": f"requirement of {i}"} for i in "ABCDEFGH"}


def row(item, obj, verdict, weight, fixes=(), checks=(), answer=None):
    r = {"item": item, "object": obj, "verdict": verdict, "weight": weight, "clause": f"8.1.{item}",
         "class_code": "CES", "control_point": f"控制点{item}", "reason": f"reason {item}",
         "remediation": list(fixes), "checks": list(checks)}
    if answer:
        r["answer"] = answer
    return r


def fix(check, disruption="none", command=""):
    return {"check": check, "title": f"title {check}", "title_en": f"en {check}", "text": f"fix {check}",
            "text_en": f"en fix {check}", "command": command, "disruption": disruption}


def finding(rule, obj, item, major, status="triggered"):
    return {"rule": rule, "title": rule, "title_en": rule, "cases": {"trial": "6.4.1.1"}, "major": major,
            "high_risk": True, "object": obj, "status": status, "remediation": f"remedy {rule}",
            "remediation_en": f"en remedy {rule}",
            "triggered_by": [{"item": item, "object": obj, "verdict": "fail"}], "compensated_by": []}


def document():
    failed_b = {"check": "b.one", "status": "fail", "reason": "x = 99999, expected ≤ 90"}
    results = [
        row("A", "h1", "fail", 0.4), row("A", "h2", "fail", 0.4), row("A", "h3", "fail", 0.4),
        row("B", "h1", "partial", 1.0, [fix("b.one", "restart", "systemctl restart sshd")], [failed_b]),
        row("C", "h1", "fail", 0.7),
        row("D", "h1", "fail", 0.4),
        row("E", "h1", "fail", 0.7, [fix("e.one"), fix("e.two", "lockout-risk")]),
        row("E", "h2", "fail", 0.7, [fix("e.two", "lockout-risk")]),
        row("F", "h1", "fail", 0.7, answer={"explanation": "没有备份策略"}),
        row("G", "h1", "partial", 0.7), row("G", "h2", "partial", 0.7),
        row("H", "h1", "pass", 1.0), row("H", "h2", "manual", 1.0),
    ]
    highrisk = [finding("HR-CES-high", "h1", "C", False), finding("HR-CES-major", "h1", "D", True),
                finding("HR-CES-gone", "h1", "A", True, status="compensated")]
    return {"items": ITEMS, "results": results, "highrisk": highrisk}


def test_order_major_then_high_then_weight_objects_and_verdict():
    plan = remediation.plan(document())
    assert [e["item"] for e in plan] == ["D", "C", "B", "E", "G", "F", "A"]
    assert [e["rank"] for e in plan] == list(range(1, 8))
    assert [e["priority"] for e in plan[:3]] == ["major", "high", "normal"]
    # a compensated finding does not raise its item's priority
    assert plan[-1]["item"] == "A" and plan[-1]["priority"] == "normal" and plan[-1]["risks"] == []


def test_entry_contents():
    plan = {e["item"]: e for e in remediation.plan(document())}
    b = plan["B"]
    assert b["objects"] == ["h1"] and b["verdict"] == "partial"
    assert b["fixes"][0]["command"] == "systemctl restart sshd" and b["disruption"] == "restart"
    assert b["gap"] == "控制点B（8.1.B）1 个测评对象部分符合：未满足“title b.one”（x = 99999, expected ≤ 90）。"
    assert b["gap_en"].startswith("cp B (8.1.B): 1 object(s) partly conform: not met: en b.one")
    e = plan["E"]
    assert e["objects"] == ["h1", "h2"] and e["disruption"] == "lockout-risk"
    assert {f["check"]: f["objects"] for f in e["fixes"]} == {"e.one": ["h1"], "e.two": ["h1", "h2"]}
    assert "等 2 项检查" in e["gap"]
    d = plan["D"]  # no check behind it: the high-risk case's remedy is the fix, disruption to be assessed
    assert d["risks"][0]["rule"] == "HR-CES-major" and d["fixes"][0]["text"] == "remedy HR-CES-major"
    assert d["disruption"] is None
    f = plan["F"]  # an interview answer: its explanation is the gap; the requirement is the fix
    assert f["gap"].endswith("没有备份策略。") and f["fixes"][0]["text"] == "按测评项要求整改：requirement of F"
    assert "H" not in plan


def test_triggered_by_a_check_maps_to_the_items_it_failed():
    doc = document()
    doc["highrisk"] = [{**finding("HR-CES-chk", "h1", "x", True),
                        "triggered_by": [{"check": "b.one", "object": "h1", "status": "fail"}]}]
    plan = remediation.plan(doc)
    assert plan[0]["item"] == "B" and plan[0]["priority"] == "major"


def test_terminal_worst_gaps_follow_the_remediation_ranking(tmp_path):
    """Issue 16.4: one order of priority everywhere: the summary's worst gaps are the 整改清单's first entries,
    in its order (重大风险隐患 first, then 高风险, then weight), with the same rank."""
    import re

    from assess.judge import summary
    from tests.reports.synthetic import make_run

    _run_dir, doc = make_run(tmp_path, 6)
    plan = doc["remediation"]
    assert {e["priority"] for e in plan[:10]} & {"major", "high"}  # the ranking differs from weight alone
    text = summary.render_text(doc)
    block = text[text.index("worst gaps"):].split("\n\n")[0].splitlines()[1:]
    shown = [re.match(r"\s*(\d+)\.\s+\S+\s+(L3-\S+)", line).groups() for line in block if re.match(r"\s*\d+\.", line)]
    assert shown == [(str(e["rank"]), e["item"]) for e in plan[:len(shown)]] and len(shown) == min(10, len(plan))


def test_headline_risk_numbers_do_not_count_a_major_risk_twice(tmp_path):
    """Issue 16.4: a 重大风险隐患 is also a 高风险 case; the first screen counts it once."""
    import re

    from assess import reports
    from tests.reports.synthetic import make_run

    run_dir, doc = make_run(tmp_path, 1)
    base = {"title": "t", "title_en": "t", "cases": {"trial": "6.4.1.1"}, "object": "linux-000",
            "status": "triggered", "triggered_by": [], "compensated_by": [], "remediation": "r", "references": []}
    doc["highrisk"] = [{**base, "rule": "HR-CES-a", "major": True, "high_risk": True},
                       {**base, "rule": "HR-CES-b", "major": False, "high_risk": True}]
    html = reports.render(doc, run_dir, ["html"])[0].read_text()
    kpis = re.findall(r'<div class="kpi risk"><span class="n">(\d+)</span><span>([^<]*)</span>', html)
    assert [(n, label.split("（")[0]) for n, label in kpis] == [("1", "重大风险隐患"), ("1", "其他高风险")]
