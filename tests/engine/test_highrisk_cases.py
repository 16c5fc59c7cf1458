"""High-risk cases of issue 17.15/17.16: A-20 on services running as root, A-22 needing a known exploitable
high-risk vulnerability (with WAF / virtual patching as compensation), and the added T/ISEAA and 2025 综合类
cases, each judged from results assess already has."""

from __future__ import annotations

import pytest

from assess.catalog import highrisk
from assess.catalog import load as catalog_mod
from assess.catalog.schema import Problems
from assess.yamlio import load_text


@pytest.fixture(scope="module")
def cat():
    return catalog_mod.load()


def judge(cat, rule, obj, rows, measures=()):
    doc = {"run": {"compensating_measures": list(measures)}, "objects": [obj],
           "results": [{"item": i, "object": obj["id"], "verdict": v,
                        "checks": [{"check": c, "status": s} for c, s in checks]} for i, v, checks in rows]}
    return [(f["status"], f["triggered_by"]) for f in highrisk.evaluate([r for r in cat.highrisk if r.id == rule],
                                                                       doc, 3, {})]


HOST = {"id": "h", "type": "linux", "tags": []}
WEB_HOST = {"id": "h", "type": "linux", "tags": ["internet-facing"]}
TOMCAT = {"id": "t", "type": "middleware", "engine": "tomcat", "tags": []}


def test_a20_a_database_or_middleware_running_as_root_is_the_case(cat):
    root = [("L3-CES1-09", "partial", [("linux.services.not_run_as_root", "fail"), ("linux.access.x", "pass")])]
    [(status, by)] = judge(cat, "HR-CES-privilege-escalation", HOST, root)
    assert status == "triggered" and by == [{"check": "linux.services.not_run_as_root", "object": "h",
                                              "status": "fail"}]
    tomcat = [("L3-CES1-09", "fail", [("tomcat.not_root", "fail"), ("tomcat.manager_restricted", "pass")])]
    assert [s for s, _ in judge(cat, "HR-CES-privilege-escalation", TOMCAT, tomcat)] == ["triggered"]
    # a hardening gap alone (an unrestricted manager) is still not an escalation
    gap = [("L3-CES1-09", "fail", [("tomcat.not_root", "pass"), ("tomcat.manager_restricted", "fail")])]
    assert judge(cat, "HR-CES-privilege-escalation", TOMCAT, gap) == []
    local = judge(cat, "HR-CES-privilege-escalation", HOST, root, ["local-access-audited"])
    assert [s for s, _ in local] == ["compensated"]


def test_a22_needs_a_known_exploitable_vulnerability_and_admits_waf_or_virtual_patching(cat):
    pending_only = [("L3-CES1-21", "fail", [("linux.software.security_updates", "fail")])]
    assert judge(cat, "HR-CES-vuln-internet", WEB_HOST, pending_only) == []
    scanned = [("L3-CES1-21", "fail", [("linux.software.security_updates", "pass")])]  # the answer: CVEs rated high
    [(status, by)] = judge(cat, "HR-CES-vuln-internet", WEB_HOST, scanned)
    assert status == "triggered" and by == [{"item": "L3-CES1-21", "object": "h", "verdict": "fail"}]
    for measure in ("waf", "virtual-patching"):
        assert [s for s, _ in judge(cat, "HR-CES-vuln-internet", WEB_HOST, scanned, [measure])] == ["compensated"]
    severe = [("L3-CES1-21", "fail", [("linux.software.security_updates", "fail"),
                                      ("linux.software.no_severe_security_updates", "fail")])]
    [(status, by)] = judge(cat, "HR-CES-vuln-internet", WEB_HOST, severe)
    assert status == "triggered" and by == [{"check": "linux.software.no_severe_security_updates", "object": "h",
                                              "status": "fail"}]
    unrated = [("L3-CES1-21", "fail", [("linux.software.security_updates", "fail"),
                                       ("linux.software.no_severe_security_updates", "na")])]
    assert judge(cat, "HR-CES-vuln-internet", WEB_HOST, unrated) == []
    device = {"id": "fw", "type": "security-device", "tags": ["internet-facing"]}
    assert [s for s, _ in judge(cat, "HR-CES-vuln-internet", device, [("L3-CES1-21", "fail", [])])] == ["triggered"]
    assert judge(cat, "HR-CES-vuln-internet", HOST, scanned) == []  # not internet-facing


def test_transfer_integrity_case_from_8_1_4_7_a(cat):
    rule = next(r for r in cat.highrisk if r.id == "HR-CES-transfer-integrity")
    assert rule.cases == {"iseaa": "重要数据传输完整性保护措施缺失"} and rule.min_level == 3
    cleartext = [("L3-CES1-25", "fail", [("linux.services.cleartext_transfer", "fail")])]
    assert [s for s, _ in judge(cat, "HR-CES-transfer-integrity", HOST, cleartext)] == ["triggered"]
    assert judge(cat, "HR-CES-transfer-integrity", HOST, [("L3-CES1-25", "pass", [])]) == []


def test_a29_internet_exposure(cat):
    web = {"id": "w", "type": "webapp", "tags": ["internet-facing"]}
    consoles = [("L3-CES1-21", "fail", [("webapp.exposure.sensitive_paths", "fail")])]
    [(status, by)] = judge(cat, "HR-CMP-internet-exposure", web, consoles)
    assert status == "triggered" and by[0]["check"] == "webapp.exposure.sensitive_paths"
    assert judge(cat, "HR-CMP-internet-exposure", {**web, "tags": []}, consoles) == []
    db = {"id": "d", "type": "database", "engine": "mysql", "tags": ["internet-facing"]}
    assert [s for s, _ in judge(cat, "HR-CMP-internet-exposure", db, [("L3-CES1-01", "pass", [])])] == ["triggered"]


def test_a30_data_management(cat):
    web = {"id": "w", "type": "webapp", "tags": []}
    unmasked = [("L3-CES1-35", "partial", [("webapp.pii.anonymous_responses_masked", "fail")])]
    assert [s for s, _ in judge(cat, "HR-CMP-data-management", web, unmasked)] == ["triggered"]
    assert [s for s, _ in judge(cat, "HR-CMP-data-management", web, [("L3-CES1-34", "fail", [])])] == ["triggered"]
    misuse_in_clear = [("L3-CES1-35", "fail", []), ("L3-CES1-28", "fail", [])]
    assert [s for s, _ in judge(cat, "HR-CMP-data-management", web, misuse_in_clear)] == ["triggered"]
    # unauthorised use alone is the trial case 6.4.7.2; cleartext storage alone is A-25
    assert judge(cat, "HR-CMP-data-management", web, [("L3-CES1-35", "fail", [])]) == []
    assert judge(cat, "HR-CMP-data-management", web, [("L3-CES1-28", "fail", []), ("L3-CES1-35", "pass", [])]) == []


def test_every_added_case_marks_its_source(cat):
    for rid, source in (("HR-CES-transfer-integrity", "T/ISEAA 001-2020"), ("HR-CMP-internet-exposure", "附录G A-29"),
                        ("HR-CMP-data-management", "附录G A-30")):
        rule = next(r for r in cat.highrisk if r.id == rid)
        assert any(source in ref for ref in rule.references), rid


def test_an_unknown_context_key_is_a_lint_error(tmp_path, cat):
    text = ("rules:\n  - id: HR-CES-x\n    title: x\n    title_en: x\n    cases: {trial: '6.4.6.2'}\n"
            "    min_level: 3\n    objects: [linux]\n    when: {context: high_continuty, op: ne, value: true}\n"
            "    remediation: x\n    references: [x]\n")
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    problems = Problems()
    highrisk.load_files([path], cat.items, cat.checks, problems, lambda p, _pr: load_text(p.read_text(), str(p)))
    assert any(":8: unknown context key 'high_continuty'" in p for p in problems), problems
