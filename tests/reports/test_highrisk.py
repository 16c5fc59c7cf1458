"""High-risk rules: lint with file:line, and the pure evaluator (trigger, compensation, context, naming)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from assess.catalog import highrisk
from assess.catalog import load as catalog_mod
from assess.catalog.schema import Problems
from assess.yamlio import load_text


@pytest.fixture(scope="module")
def cat():
    return catalog_mod.load()


def test_shipped_rules_lint_clean_and_cover_the_cases(cat):
    _c, problems = catalog_mod.load_with_problems()
    assert not [p for p in problems if "/highrisk/" in p]
    rules = {r.id: r for r in cat.highrisk}
    assert len(rules) >= 40
    majors = {r.cases["major"] for r in rules.values() if r.major}
    assert {"A-18", "A-19", "A-21", "A-22", "A-24", "A-25", "A-26"} <= majors
    trial = {r.cases.get("trial") for r in rules.values()}
    assert {"6.4.1.1", "6.4.1.3", "6.4.3.2", "6.4.6.1", "6.5.1.2", "6.10.1.2"} <= trial
    # Internet-facing high vuln: only a WAF or virtual patching the operator declares mitigates it (issue 17.15)
    [waf] = rules["HR-CES-vuln-internet"].compensated_by
    assert {leaf.value for leaf in waf.when.leaves()} == {"waf", "virtual-patching"}


BAD = """\
rules:
  - id: HR-CES-one
    title: t
    title_en: t
    cases: {trial: "6.4.1.1"}
    min_level: 2
    objects: [linux]
    when: {item: L3-CES1-99, op: eq, value: fail}
    remediation: r
    references: [x]
  - id: HR-CES-two
    title: t
    title_en: t
    cases: {major: A-18}
    min_level: 2
    objects: [linux]
    when:
      all:
        - {check: no.such.check, op: eq, value: fail}
        - {item: L3-CES1-01, op: roughly, value: fail}
        - {item: L3-CES1-01, op: eq, value: broken}
    remediation: r
    references: [x]
  - id: bad-id
    title: t
    title_en: t
    cases: {major: A18}
    min_level: 2
    objects: [mainframe]
    when: {tag: internet-facing}
    colour: red
    remediation: r
    references: []
"""


def test_lint_reports_each_problem_at_its_line(tmp_path, cat):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD, encoding="utf-8")
    problems = Problems()
    rules = highrisk.load_files([path], cat.items, cat.checks, problems, lambda p, _pr: load_text(p.read_text(), str(p)))
    assert rules == []
    text = "\n".join(problems)
    assert f"{path}:8: unknown item 'L3-CES1-99'" in text
    assert f"{path}:19: unknown check 'no.such.check'" in text
    assert f"{path}:20: unknown operator 'roughly'" in text
    assert f"{path}:21: unknown verdict 'broken'" in text
    assert f"{path}:24: 'id' must look like HR-CES-weak-password" in text
    assert f"{path}:27: 'major' must look like A-18" in text
    assert f"{path}:29: 'objects' has invalid value 'mainframe'" in text
    assert f"{path}:30: unknown key 'tag' in condition" in text
    assert f"{path}:31: unknown key 'colour' in high-risk rule" in text
    assert "needs at least one reference" in text


def test_controls_lint_command_covers_highrisk_files(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD, encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "assess", "controls", "lint", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert f"{path}:8: unknown item 'L3-CES1-99'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_duplicate_rule_ids_are_reported(tmp_path, cat):
    one = "rules:\n" + "\n".join(BAD.splitlines()[1:11]) + "\n"
    good = one.replace("L3-CES1-99", "L3-CES1-01")
    path = tmp_path / "dup.yaml"
    path.write_text(good + "\n".join(good.splitlines()[1:]) + "\n", encoding="utf-8")
    problems = Problems()
    highrisk.load_files([path], cat.items, cat.checks, problems, lambda p, _pr: load_text(p.read_text(), str(p)))
    assert any("duplicate high-risk rule id HR-CES-one" in p and ":12:" in p for p in problems)


def _doc(objects, rows, measures=None):
    return {"run": {"compensating_measures": measures or []}, "objects": objects,
            "results": [{"item": i, "object": o, "verdict": v, "checks": c} for i, o, v, c in rows]}


def _rules(cat, *ids):
    return [r for r in cat.highrisk if r.id in ids]


def test_weak_password_triggers_and_names_the_result(cat):
    doc = _doc([{"id": "h1", "type": "linux", "tags": []}],
               [("L3-CES1-01", "h1", "fail", []), ("L3-CES1-04", "h1", "fail", [])])
    [f] = highrisk.evaluate(_rules(cat, "HR-CES-weak-password"), doc, 3, {})
    assert f["status"] == "triggered" and f["major"] and f["high_risk"]
    assert f["triggered_by"] == [{"item": "L3-CES1-01", "object": "h1", "verdict": "fail"}]
    assert f["cases"]["major"] == "A-18" and f["compensated_by"] == []


def test_compensation_by_another_result_and_by_a_declared_measure(cat):
    rules = _rules(cat, "HR-CES-weak-password")
    mfa = _doc([{"id": "h1", "type": "linux"}], [("L3-CES1-01", "h1", "fail", []), ("L3-CES1-04", "h1", "pass", [])])
    [f] = highrisk.evaluate(rules, mfa, 3, {})
    assert f["status"] == "compensated"
    assert f["compensated_by"][0]["results"] == [{"item": "L3-CES1-04", "object": "h1", "verdict": "pass"}]
    # a waiver's measure scoped to another object does not cancel the case here; unscoped or matching does
    weak = [("L3-CES1-01", "h1", "fail", []), ("L3-CES1-01", "h2", "fail", [])]
    objects = [{"id": "h1", "type": "linux"}, {"id": "h2", "type": "linux"}]
    scoped = highrisk.evaluate(rules, _doc(objects, weak, [{"id": "local-login-only", "objects": ["h2"]}]), 3, {})
    assert {f["object"]: f["status"] for f in scoped} == {"h1": "triggered", "h2": "compensated"}
    everywhere = highrisk.evaluate(rules, _doc(objects, weak), 3, {"compensating_measures": ["local-login-only"]})
    assert {f["status"] for f in everywhere} == {"compensated"}


def test_object_tags_context_and_level(cat):
    vuln = _rules(cat, "HR-CES-vuln-internet", "HR-CES-vuln-internal")
    objects = [{"id": "web", "type": "linux", "tags": ["internet-facing"]}, {"id": "db", "type": "linux", "tags": []}]
    rows = [("L3-CES1-21", "web", "fail", []), ("L3-CES1-21", "db", "fail", [])]
    found = {(f["rule"], f["object"]) for f in highrisk.evaluate(vuln, _doc(objects, rows), 3, {})}
    # pending security updates: a case on the Internet; inside, not without a vulnerability shown exploitable
    assert found == {("HR-CES-vuln-internet", "web")}
    exposed = [("L3-CES1-21", "db", "partial", [{"check": "redis.exposure", "status": "fail"}])]
    found = {(f["rule"], f["object"]) for f in highrisk.evaluate(vuln, _doc(objects, exposed), 3, {})}
    assert found == {("HR-CES-vuln-internal", "db")}
    # nginx with server_tokens and autoindex on: a banner and a listing, no exploitable vulnerability
    ngx = [{"id": "ngx", "type": "middleware", "tags": ["internet-facing"]}]
    hygiene = [("L3-CES1-21", "ngx", "fail", [{"check": "nginx.server_tokens", "status": "fail"},
                                              {"check": "nginx.autoindex", "status": "fail"}])]
    assert highrisk.evaluate(vuln, _doc(ngx, hygiene), 3, {}) == []
    # an answer of 不符合 (a vulnerability found by a scan) over passing checks is the case
    answered = [("L3-CES1-21", "ngx", "fail", [{"check": "nginx.server_tokens", "status": "pass"},
                                               {"check": "nginx.autoindex", "status": "pass"}])]
    assert [f["rule"] for f in highrisk.evaluate(vuln, _doc(ngx, answered), 3, {})] == ["HR-CES-vuln-internet"]
    ghost = [("L3-CES1-21", "ngx", "fail", [{"check": "tomcat.ajp_secret", "status": "fail"}])]
    assert [f["rule"] for f in highrisk.evaluate(vuln, _doc(ngx, ghost), 3, {})] == ["HR-CES-vuln-internet"]
    # a leaked stack trace is not missing input validation; a scan's finding given as the answer is
    validation = _rules(cat, "HR-CES-input-validation")
    leak = [("L3-CES1-20", "ngx", "fail", [{"check": "webapp.exposure.error_details", "status": "fail"}])]
    assert highrisk.evaluate(validation, _doc([{"id": "ngx", "type": "webapp", "tags": []}], leak), 3, {}) == []
    sqli = [("L3-CES1-20", "ngx", "fail", [{"check": "webapp.exposure.error_details", "status": "pass"}])]
    assert highrisk.evaluate(validation, _doc([{"id": "ngx", "type": "webapp", "tags": []}], sqli), 3, {})
    # MariaDB's sample test schema is not an escalation; an answer over a passing check is
    escalation = _rules(cat, "HR-CES-privilege-escalation")
    db = [{"id": "db", "type": "database", "tags": []}]
    sample = [("L3-CES1-09", "db", "fail", [{"check": "mysql.test_database", "status": "fail"}])]
    assert highrisk.evaluate(escalation, _doc(db, sample), 3, {}) == []
    found = [("L3-CES1-09", "db", "fail", [{"check": "mysql.test_database", "status": "pass"}])]
    assert highrisk.evaluate(escalation, _doc(db, found), 3, {})[0]["status"] == "triggered"
    web = _doc([{"id": "w", "type": "webapp", "tags": []}], [("L3-CES1-09", "w", "fail", [])])
    assert highrisk.evaluate(escalation, web, 3, {})[0]["status"] == "triggered"
    # a cleartext `password` line in pg_hba is not a weak password; a trust line is no authentication
    weak = _rules(cat, "HR-CES-weak-password")
    pg = [{"id": "pg", "type": "database", "tags": []}]
    cleartext = [("L3-CES1-01", "pg", "partial", [{"check": "pg.hba_methods", "status": "fail"},
                                                 {"check": "pg.hba_trust", "status": "pass"}])]
    assert highrisk.evaluate(weak, _doc(pg, cleartext), 3, {}) == []
    trust = [("L3-CES1-01", "pg", "partial", [{"check": "pg.hba_trust", "status": "fail"}])]
    assert highrisk.evaluate(weak, _doc(pg, trust), 3, {})[0]["status"] == "triggered"
    capacity = _rules(cat, "HR-CNS-device-capacity")
    dev = _doc([{"id": "sw", "type": "network-device"}], [("L3-CNS1-01", "sw", "fail", [])])
    assert highrisk.evaluate(capacity, dev, 3, {}) == []
    assert highrisk.evaluate(capacity, dev, 3, {"high_continuity": True})[0]["status"] == "triggered"
    assert highrisk.evaluate(capacity, dev, 2, {"high_continuity": True}) == []  # a level-3 case
    # the rule's object types bound it: the same verdict on a linux object is not this case
    other = _doc([{"id": "h", "type": "linux"}], [("L3-CES1-21", "h", "pass", [])])
    assert highrisk.evaluate(capacity, other, 3, {"high_continuity": True}) == []


def test_check_conditions_name_the_check(tmp_path, cat):
    check_id = next(iter(cat.checks))
    path = tmp_path / "c.yaml"
    path.write_text(f"""rules:
  - id: HR-CES-check
    title: t
    title_en: t
    cases: {{iseaa: x}}
    min_level: 2
    objects: [linux]
    when:
      all:
        - {{check: {check_id}, op: eq, value: fail}}
        - none:
            - {{item: L3-CES1-04, op: eq, value: pass}}
    remediation: r
    references: [x]
""", encoding="utf-8")
    problems = Problems()
    rules = highrisk.load_files([path], cat.items, cat.checks, problems, lambda p, _pr: load_text(p.read_text(), str(p)))
    assert not problems
    checks = [{"check": check_id, "status": "fail"}]
    doc = _doc([{"id": "h", "type": "linux"}], [("L3-CES1-01", "h", "fail", checks), ("L3-CES1-04", "h", "fail", [])])
    [f] = highrisk.evaluate(rules, doc, 3, {})
    assert f["triggered_by"] == [{"check": check_id, "object": "h", "status": "fail"}]
    doc["results"][0]["checks"] = [{"check": check_id, "status": "pass"}]
    assert highrisk.evaluate(rules, doc, 3, {}) == []



def test_the_check_showing_the_case_triggers_it_on_a_partial_item(cat):
    rules = _rules(cat, "HR-CES-weak-password")
    checks = [{"check": "linux.accounts.no_empty_password", "status": "fail"},
              {"check": "linux.login_defs.pass_max_days", "status": "pass"}]
    doc = _doc([{"id": "h", "type": "linux"}], [("L3-CES1-01", "h", "partial", checks)])
    [f] = highrisk.evaluate(rules, doc, 3, {})
    assert f["status"] == "triggered"
    assert f["triggered_by"] == [{"check": "linux.accounts.no_empty_password", "object": "h", "status": "fail"}]
    checks[0]["status"] = "pass"
    assert highrisk.evaluate(rules, doc, 3, {}) == []


def test_a_case_whose_evidence_is_in_error_is_not_assessed_never_absent(cat):
    """Issue 16.1: an error hides no high-risk case. Weak password in error (unreachable host) → unassessed
    (未评估), naming the result in error in `pending`; a case that a passing result rules out, or that a measure would cancel anyway,
    is not reported as not assessed."""
    rules = _rules(cat, "HR-CES-weak-password")
    objects = [{"id": "h1", "type": "linux"}]
    [f] = highrisk.evaluate(rules, _doc(objects, [("L3-CES1-01", "h1", "error", []),
                                                  ("L3-CES1-04", "h1", "error", [])]), 3, {})
    assert f["status"] == "unassessed" and f["major"] and f["triggered_by"] == []
    assert {"item": "L3-CES1-01", "object": "h1", "verdict": "error"} in f["pending"]
    assert highrisk.evaluate(rules, _doc(objects, [("L3-CES1-01", "h1", "pass", []),
                                                   ("L3-CES1-04", "h1", "error", [])]), 3, {}) == []
    # the measure (L3-CES1-04 passes: a second factor) would cancel it even if L3-CES1-01 failed
    assert highrisk.evaluate(rules, _doc(objects, [("L3-CES1-01", "h1", "error", []),
                                                   ("L3-CES1-04", "h1", "pass", [])]), 3, {}) == []
    # a check in error on an item that partly passed
    https = _rules(cat, "HR-CES-cleartext-data")
    rows = [("L3-CES1-27", "h1", "partial", [{"check": "linux.services.cleartext_transfer", "status": "error"}])]
    [g] = highrisk.evaluate(https, _doc(objects, rows), 3, {})
    assert g["status"] == "unassessed"
    assert g["pending"] == [{"check": "linux.services.cleartext_transfer", "object": "h1", "status": "error"}]
