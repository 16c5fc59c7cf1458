"""`--fail-on` gates: levels, and approved waivers taking their results out of the gate."""

from __future__ import annotations

import pytest

from assess.errors import InputError
from assess.judge.judgement import exceeds


def doc(results, highrisk=()):
    return {"results": results, "highrisk": list(highrisk)}


def row(item, obj, verdict, checks=(), waived=False):
    out = {"item": item, "object": obj, "verdict": verdict, "checks": [{"check": c, "status": "fail"} for c in checks]}
    if waived:
        out["waived"] = {"id": "W1", "expires": "2027-01-01"}
    return out


def case(rule, major, *triggers):
    return {"rule": rule, "status": "triggered", "major": major, "high_risk": True, "triggered_by": list(triggers)}


def test_levels():
    partial = doc([row("A", "h", "partial")])
    assert not exceeds(partial, "fail") and exceeds(partial, "partial")
    failed = doc([row("A", "h", "fail")])
    assert exceeds(failed, "fail") and not exceeds(failed, "high-risk")
    high = doc([row("A", "h", "fail")], [case("HR-X", False, {"item": "A", "object": "h"})])
    assert exceeds(high, "high-risk") and not exceeds(high, "major-risk")
    major = doc([row("A", "h", "fail")], [case("HR-Y", True, {"item": "A", "object": "h"})])
    assert exceeds(major, "major-risk")
    with pytest.raises(InputError):
        exceeds(major, "medium")


def test_waived_results_leave_the_gate_but_others_do_not():
    waived = doc([row("A", "h", "fail", waived=True), row("B", "h", "pass")],
                 [case("HR-Y", True, {"item": "A", "object": "h"})])
    assert not exceeds(waived, "partial")
    half = doc([row("A", "h", "fail", waived=True), row("A", "g", "fail")],
               [case("HR-Y", True, {"item": "A", "object": "h"}, {"item": "A", "object": "g"})])
    assert exceeds(half, "major-risk")


def test_a_case_triggered_by_a_check_is_waived_through_the_item_it_feeds():
    by_check = [case("HR-Z", True, {"check": "c1", "object": "h"})]
    assert not exceeds(doc([row("A", "h", "partial", ["c1"], waived=True)], by_check), "major-risk")
    assert exceeds(doc([row("A", "h", "partial", ["c1"], waived=True), row("B", "h", "fail", ["c1"])], by_check),
                   "major-risk")
