"""Waivers: validation, marking results (never hiding them), expiry, compensating measures."""

from __future__ import annotations

from datetime import date

import pytest

from assess.errors import LintErrors
from assess.inputs import waivers
from assess.judge import evaluate
from tests.answers.common import TODAY, login_defs, mini, scope, targets, write

GOOD = """
    waivers:
      - id: W-01
        item: L3-CES1-01
        objects: [web-1]
        justification: 旧系统口令策略待 2026 Q4 改造
        approver: 张三（信息安全负责人）
        approved_at: 2026-01-05
        expires: 2026-12-31
        compensating_measure:
          id: mfa-bastion
          description: 所有登录经堡垒机双因素认证
      - id: W-02
        item: L3-CES1-03
        justification: 外包系统
        approver: 张三
        expires: 2026-06-30
"""


def load(tmp_path, text: str, today: date = TODAY):
    cat, pairs = scope()
    return waivers.load(write(tmp_path / "waivers.yaml", text), cat, pairs, today)


def problems(tmp_path, text: str, today: date = TODAY) -> list[str]:
    with pytest.raises(LintErrors) as info:
        load(tmp_path, text, today)
    prefix = f"{tmp_path / 'waivers.yaml'}:"
    return [p.removeprefix(prefix) for p in info.value.problems]


def evaluated():
    cat, prof = mini()
    web, db = targets()
    out = evaluate.evaluate_target(cat, prof, web, login_defs(max_days=120, min_len=4))
    out += evaluate.evaluate_target(cat, prof, db, {})
    return out + evaluate.uncovered(cat, prof, targets())[1]


def test_load_resolves_scope(tmp_path):
    ws = load(tmp_path, GOOD)
    w1, w2 = ws.waivers
    assert (w1.id, w1.objects, w1.all_objects) == ("W-01", ("web-1",), False)
    assert w1.measure == {"id": "mfa-bastion", "description": "所有登录经堡垒机双因素认证"}
    assert (w2.objects, w2.all_objects, w2.approved_at) == (("system",), True, None)
    assert w1.where.endswith("waivers.yaml:2") and len(ws.sha256) == 64


def test_a_waived_result_keeps_its_verdict_and_shows_the_waiver(tmp_path):
    before = {(r.item, r.object): r for r in evaluated()}
    assert before[("L3-CES1-01", "web-1")].verdict == "fail"
    after, summary, measures, warnings = waivers.apply(evaluated(), load(tmp_path, GOOD), TODAY)
    r = {(x.item, x.object): x for x in after}[("L3-CES1-01", "web-1")]
    assert r.verdict == "fail" and r.source == "checks" and r.reason == before[("L3-CES1-01", "web-1")].reason
    assert r.waived == {"id": "W-01", "justification": "旧系统口令策略待 2026 Q4 改造",
                        "approver": "张三（信息安全负责人）", "approved_at": "2026-01-05", "expires": "2026-12-31",
                        "compensating_measure": {"id": "mfa-bastion", "description": "所有登录经堡垒机双因素认证"},
                        "from": f"{tmp_path / 'waivers.yaml'}:2"}
    assert r.as_dict()["waived"]["id"] == "W-01"
    assert {(x.item, x.object) for x in after if x.waived} == {("L3-CES1-01", "web-1"), ("L3-CES1-03", "system")}
    assert measures == [{"id": "mfa-bastion", "description": "所有登录经堡垒机双因素认证", "waiver": "W-01",
                         "item": "L3-CES1-01", "objects": ["web-1"], "expires": "2026-12-31"}]
    assert summary["active"] == 2 and summary["expired"] == 0 and summary["results_waived"] == 2
    assert summary["counting"] == waivers.COUNTING
    assert summary["list"][1] | {"from": ""} == {
        "id": "W-02", "item": "L3-CES1-03", "objects": "all", "status": "active", "approver": "张三",
        "expires": "2026-06-30", "days_left": 15, "results": 1, "compensating_measure": None, "from": ""}
    assert warnings == []


@pytest.mark.parametrize("today, active", [(date(2026, 6, 29), True), (date(2026, 6, 30), True),
                                           (date(2026, 7, 1), False)])
def test_expiry_around_today(tmp_path, today, active):
    after, summary, _m, warnings = waivers.apply(evaluated(), load(tmp_path, GOOD, today), today)
    r = {(x.item, x.object): x for x in after}[("L3-CES1-03", "system")]
    assert (r.waived is not None) == active
    assert r.verdict == "manual"
    if active:
        assert warnings == []
    else:
        assert summary["list"][1]["status"] == "expired" and summary["expired"] == 1
        assert warnings == [f"{tmp_path / 'waivers.yaml'}:12: waiver 'W-02' (L3-CES1-03) expired on 2026-06-30; "
                            "it no longer applies and its results count as judged"]


def test_an_expired_waivers_measure_is_not_declared(tmp_path):
    _r, _s, measures, warnings = waivers.apply(evaluated(), load(tmp_path, GOOD, date(2027, 1, 1)), date(2027, 1, 1))
    assert measures == [] and len(warnings) == 2


def test_a_renewed_waiver_supersedes_the_expired_one_quietly(tmp_path):
    text = GOOD + """
      - id: W-02b
        item: L3-CES1-03
        objects: [system]
        justification: 外包系统，合同续签
        approver: 张三
        expires: 2027-06-30
"""
    today = date(2026, 8, 1)
    after, summary, _m, warnings = waivers.apply(evaluated(), load(tmp_path, text, today), today)
    assert [x["status"] for x in summary["list"]] == ["active", "superseded", "active"]
    assert warnings == []
    assert {(x.item, x.object): x for x in after}[("L3-CES1-03", "system")].waived["id"] == "W-02b"


def test_no_waivers_file():
    results = evaluated()
    after, summary, measures, warnings = waivers.apply(results, None, TODAY)
    assert after == results and measures == [] and warnings == []
    assert summary == {"active": 0, "expired": 0, "results_waived": 0, "counting": waivers.COUNTING, "list": []}


@pytest.mark.parametrize("change, expected", [
    ("item: L3-CES1-01/item: L3-NOPE-01", "3: unknown item 'L3-NOPE-01'"),
    ("objects: [web-1]/objects: [web-9]", "4: unknown object 'web-9' (objects in this scan: db-1, system, web-1)"),
    ("objects: [web-1]/objects: [system]", "4: L3-CES1-01 does not apply to object 'system'"),
    ("objects: [web-1]/objects: some", "4: 'objects' must be `all` or a list of object ids"),
    ("objects: [web-1]/objects: []", "4: 'objects' must be `all` or a list of object ids"),
    ("expires: 2026-12-31/expires: someday", "8: 'expires' is not a date: 'someday'"),
    ("expires: 2026-12-31/expires: '2026-12-32'", "8: 'expires' is not a date: '2026-12-32'"),
    ("expires: 2026-12-31/expires: 2025-12-31", "8: 'expires' 2025-12-31 is before 'approved_at' 2026-01-05"),
    ("approved_at: 2026-01-05/approved_at: 2026-07-01", "7: 'approved_at' 2026-07-01 is in the future"),
    ("        approver: 张三（信息安全负责人）\n/", "2: waiver is missing required key 'approver'"),
    ("justification: 旧系统口令策略待 2026 Q4 改造/justification: '  '", "5: 'justification' must not be empty"),
    ("          description: 所有登录经堡垒机双因素认证\n/", "10: compensating_measure is missing required key "
                                                   "'description'"),
    ("id: W-02/id: W-01", "12: duplicate waiver id 'W-01' (first at line 2)"),
    ("        objects: [web-1]\n/        scope: x\n", "4: unknown key 'scope' in waiver"),
])
def test_bad_waivers(tmp_path, change, expected):
    old, new = change.split("/", 1)
    assert old in GOOD
    found = problems(tmp_path, GOOD.replace(old, new, 1))
    assert any(p.startswith(expected) for p in found), found


def test_overlapping_active_waivers(tmp_path):
    text = GOOD + """
      - id: W-03
        item: L3-CES1-01
        justification: 重复
        approver: 李四
        expires: 2026-09-30
"""
    (found,) = problems(tmp_path, text)
    assert found.startswith(f"18: waiver 'W-03' overlaps active waiver 'W-01' ({tmp_path / 'waivers.yaml'}:2) "
                            "on L3-CES1-01 × 'web-1'")
    assert load(tmp_path, text, date(2026, 10, 1)).waivers[2].id == "W-03"  # W-03 has expired: no ambiguity


def test_bad_file_shape(tmp_path):
    assert problems(tmp_path, "waivers: {}\n") == ["1: 'waivers' must be a list"]
    assert problems(tmp_path, "waivers:\n  - text\n") == ["2: each waiver must be a mapping (id, item, ...)"]
