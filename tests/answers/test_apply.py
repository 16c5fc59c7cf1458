"""Applying answers after evaluation: verdicts, the partial-automation rule, expiry, coverage."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from assess.inputs import answers
from assess.inputs.answers import Answer, AnswerSet, Attachment
from assess.judge import evaluate
from assess.model import ItemResult
from tests.answers.common import TODAY, login_defs, mini, targets

ATT = Attachment(source=None, name="policy.pdf", sha256="a" * 64, size=3)  # type: ignore[arg-type]


def answer(item: str, obj: str, verdict: str = "pass", valid_until: date = date(2026, 12, 31)) -> Answer:
    return Answer(item, obj, verdict, "制度已发布并执行", "李经理", date(2026, 6, 1), valid_until, (ATT,),
                  "answers.yaml:7")


def evaluated(min_len: int = 8) -> list[ItemResult]:
    cat, prof = mini()
    web, db = targets()
    out = evaluate.evaluate_target(cat, prof, web, login_defs(min_len=min_len))
    out += evaluate.evaluate_target(cat, prof, db, {})
    _system, rest = evaluate.uncovered(cat, prof, targets())
    return out + rest


def run(results, *given: Answer, today: date = TODAY):
    cat, _prof = mini()
    return answers.apply(results, cat, AnswerSet("answers.yaml", "f" * 64, {(a.item, a.object): a for a in given}),
                         today)


def by_key(results):
    return {(r.item, r.object): r for r in results}


def test_without_answers_everything_is_as_evaluated_and_coverage_is_zero():
    cat, _prof = mini()
    before = evaluated()
    after, coverage, warnings = answers.apply(before, cat, None, TODAY)
    assert after == before and warnings == []
    # L3-CES1-02 × web-1 (partial automation) and L3-CES1-03 × system (uncovered) need answers
    assert coverage == {"answered": 0, "total": 2, "expired": 0, "pending": 2,
                        "by_class": {"CES": {"answered": 0, "total": 2}}}


def test_an_answer_decides_an_interview_only_result():
    after, coverage, warnings = run(evaluated(), answer("L3-CES1-03", "system", "partial"))
    r = by_key(after)[("L3-CES1-03", "system")]
    assert (r.verdict, r.source) == ("partial", "interview")
    assert r.reason.startswith("interview: partial (李经理, 2026-06-01): 制度已发布并执行")
    assert r.answer == {
        "verdict": "partial", "verdict_zh": "部分符合", "status": "applied", "explanation": "制度已发布并执行",
        "respondent": "李经理", "answered_at": "2026-06-01", "valid_until": "2026-12-31",
        "attachments": [{"name": "policy.pdf", "sha256": "a" * 64, "size": 3,
                         "path": "attachments/aaaaaaaaaaaaaaaa/policy.pdf"}],
        "evidence": ["a" * 64], "from": "answers.yaml:7"}
    assert r.as_dict()["answer"]["evidence"] == ["a" * 64]
    assert coverage["answered"] == 1 and coverage["total"] == 2 and coverage["pending"] == 1
    assert warnings == []


@pytest.mark.parametrize("today, applies", [
    (date(2026, 12, 30), True), (date(2026, 12, 31), True), (date(2027, 1, 1), False), (date(2027, 6, 1), False)])
def test_expiry_around_today(today, applies):
    after, coverage, warnings = run(evaluated(), answer("L3-CES1-03", "system", "pass"), today=today)
    r = by_key(after)[("L3-CES1-03", "system")]
    if applies:
        assert (r.verdict, r.source, r.answer["status"]) == ("pass", "interview", "applied")
        assert coverage["expired"] == 0 and warnings == []
    else:
        assert (r.verdict, r.source, r.answer["status"]) == ("manual", "uncovered", "expired")
        assert "expired on 2026-12-31" in r.reason
        assert coverage["expired"] == 1 and coverage["answered"] == 0
        assert warnings == ["answers.yaml:7: the answer for L3-CES1-03 on 'system' expired on 2026-12-31 "
                            "(valid_until); it no longer counts, re-confirm it"]


def test_partial_item_checks_pass_then_the_answer_decides():
    after, _c, _w = run(evaluated(min_len=8), answer("L3-CES1-02", "web-1", "fail"))
    r = by_key(after)[("L3-CES1-02", "web-1")]
    assert (r.verdict, r.source) == ("fail", "interview")
    assert [c.status for c in r.checks] == ["pass"]  # the automated evidence stays on the result
    assert "checks conform or do not apply; the answer decides" in r.reason


def test_partial_item_a_failed_check_cannot_be_answered_away():
    before = by_key(evaluated(min_len=4))[("L3-CES1-02", "web-1")]
    assert before.verdict == "fail"
    after, coverage, _w = run(evaluated(min_len=4), answer("L3-CES1-02", "web-1", "pass"))
    r = by_key(after)[("L3-CES1-02", "web-1")]
    assert (r.verdict, r.source) == ("fail", "interview")
    assert "failing checks cap the verdict at 不符合 (fail)" in r.reason
    assert coverage["answered"] == 1


@pytest.mark.parametrize("checks, said, verdict", [
    ("manual", "pass", "pass"), ("manual", "partial", "partial"), ("manual", "na", "na"),
    ("na", "pass", "pass"),
    ("partial", "pass", "partial"), ("partial", "partial", "partial"), ("partial", "fail", "fail"),
    ("partial", "na", "partial"),
    ("fail", "pass", "fail"), ("fail", "na", "fail"),
    ("error", "pass", "error"),
])
def test_partial_automation_rule(checks, said, verdict):
    base = ItemResult("L3-CES1-02", "web-1", checks, "from the checks", "checks")
    r = answers.combine(base, answer("L3-CES1-02", "web-1", said))
    assert r.verdict == verdict
    assert r.source == ("checks" if checks == "error" else "interview")
    assert r.answer["status"] == "applied"


def test_collection_error_on_a_partial_item_stays_error():
    base = ItemResult("L3-CES1-02", "web-1", "error", "collection failed: timeout", "collection")
    r = answers.combine(base, answer("L3-CES1-02", "web-1", "pass"))
    assert (r.verdict, r.source) == ("error", "collection")
    assert "could not be decided" in r.reason


def test_an_answer_overrides_a_convention_but_is_not_counted_as_questionnaire():
    after, coverage, _w = run(evaluated(), answer("L3-CES1-01", "db-1", "fail"))
    r = by_key(after)[("L3-CES1-01", "db-1")]
    assert (r.verdict, r.source) == ("fail", "interview")
    assert coverage["answered"] == 0 and coverage["total"] == 2


def test_apply_is_pure():
    before = evaluated()
    snapshot = [replace(r) for r in before]
    run(before, answer("L3-CES1-03", "system"), answer("L3-CES1-02", "web-1", "fail"))
    assert before == snapshot



def test_answers_never_replace_a_checks_only_or_tailored_verdict():
    """load() rejects these; apply() holds the line too (e.g. a replay under a changed catalog)."""
    results = evaluated()
    tailored = ItemResult("L3-CES1-03", "system", "na", "tailored out by profile t: x", "profile")
    results = [tailored if (r.item, r.object) == ("L3-CES1-03", "system") else r for r in results]
    after, coverage, warnings = run(results, answer("L3-CES1-01", "web-1", "pass"),
                                    answer("L3-CES1-03", "system", "fail"))
    assert after == results
    assert warnings == ["answers.yaml:7: the answer for L3-CES1-01 on 'web-1' is not used: the checks alone decide it",
                        "answers.yaml:7: the answer for L3-CES1-03 on 'system' is not used: the profile tailors "
                        "the item out"]


def test_an_automated_item_left_open_by_a_check_not_run_takes_an_answer():
    """8.1.4.1 b on a webapp scanned without --active: the lockout test did not run, the item is 待核查, and the
    interview answer decides it; the questionnaire lists the pair."""
    from assess.catalog import load as catalog
    from assess.catalog.profile import load as load_profile
    from assess.inputs import questionnaire
    from assess.model import CheckResult, Target

    cat = catalog.load()
    assert cat.items["L3-CES1-02"].automation == "automated"
    base = ItemResult("L3-CES1-02", "app", "manual", "not run", "checks",
                      [CheckResult("webapp.auth.lockout", "manual", "--active not given", {}, [], [])])
    assert answers.needs_answer(base, cat)
    done = answers.combine(base, answer("L3-CES1-02", "app", "pass"))
    assert (done.verdict, done.source) == ("pass", "interview")
    failed = replace(base, verdict="fail", checks=[CheckResult("webapp.auth.lockout", "fail", "no lock", {}, [], [])])
    assert not answers.needs_answer(failed, cat)
    pairs = questionnaire.scope(cat, load_profile("level3", cat), [Target(id="app", type="webapp")])
    assert pairs[("L3-CES1-02", "app")].kind == "partial"
