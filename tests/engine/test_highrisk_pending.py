"""An error never hides a high-risk case (issue 12.2): a case whose evidence is in error on an object is
reported as 待核查 (`unassessed`) there, in results.json and in every report, never dropped."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from assess import reports
from assess.catalog import highrisk
from assess.catalog import load as catalog_mod
from assess.catalog import profile as profile_mod
from assess.judge import evaluate, judgement
from assess.model import FactResult, Target
from assess.run import document as results
from assess.run import scan
from tests.linux.harness import collect_root

ROOTS = Path(__file__).resolve().parents[1] / "linux" / "roots"

TELNET = {"listeners": [{"proto": "tcp", "address": "0.0.0.0", "port": 23, "process": "xinetd", "public": True}],
          "public_tcp_ports": [23], "public_udp_ports": [], "rpcbind_public": False, "source": "ss"}


@pytest.fixture(scope="module")
def setup():
    cat = catalog_mod.load()
    prof = profile_mod.load("level3", cat)
    from assess.probes.registry import facts_for

    facts = collect_root(ROOTS / "debian12", sorted(n for n, f in facts_for("linux").items() if f.command))
    return cat, prof, facts


def _document(tmp_path, cat, prof, facts):
    host = Target(id="web01", type="linux", tags=["internet-facing"])
    rows = evaluate.evaluate_target(cat, prof, host, facts)
    system, rest = evaluate.uncovered(cat, prof, [host])
    doc = scan.build_document(cat, prof, [host], "20260301T020000Z-0001", "2026-03-01T02:00:00Z", {},
                              rows + rest, system)
    judgement.judge(doc, cat, prof)
    run_dir = results.create_run_dir(tmp_path, doc["run"]["id"])
    results.write_json(run_dir / "results.json", doc)
    return run_dir, doc


def _case(doc, rule):
    return [f for f in doc["highrisk"] if f["rule"] == rule and f["object"] == "web01"]


def test_a_fact_in_error_makes_the_case_it_would_trigger_unassessed(setup, tmp_path):
    cat, prof, facts = setup
    open_telnet = {**facts, "listening": FactResult("listening", "ok", TELNET, evidence_id="e1")}
    _run, seen = _document(tmp_path / "a", cat, prof, open_telnet)
    [case] = _case(seen, "HR-CES-risky-services")
    assert case["status"] == "triggered"

    cut = {**facts, "listening": FactResult("listening", "error", reason="the section looks cut (marker forged?)")}
    run_dir, doc = _document(tmp_path / "b", cat, prof, cut)
    [case] = _case(doc, "HR-CES-risky-services")
    assert case["status"] == "unassessed" and case["triggered_by"] == []
    assert {"check": "linux.services.high_risk_ports", "object": "web01", "status": "error"} in case["pending"]
    assert case["major"] and doc["conclusion"]["major_risks"] == [
        m for m in doc["conclusion"]["major_risks"] if m["rule"] != "HR-CES-risky-services"]

    paths = {p.name: p for p in reports.render(doc, run_dir, ["html", "md", "junit", "json", "oscal", "xlsx"])}
    html = paths["report.html"].read_text(encoding="utf-8")
    block = html[html.index('class="risks unassessed"'):]
    assert "开启多余的服务、默认共享或高危端口" in block[:block.index("</ul>")]
    assert "未评估" in block[:block.index("</ul>")] and "待核查" in block[:block.index("</ul>")]
    md = paths["report.md"].read_text(encoding="utf-8")
    assert any(line.startswith("- 未评估（证据缺失）: 重大风险隐患 开启多余的服务") and "linux.services.high_risk_ports@web01" in line
               for line in md.splitlines())
    junit = ET.parse(paths["report.junit.xml"]).getroot()
    [tc] = [c for c in junit.iter("testcase") if c.get("name", "").startswith("HR-CES-risky-services")]
    assert tc.find("error") is not None and tc.find("error").get("type") == "unassessed"
    oscal = json.loads(paths["report.oscal.json"].read_text(encoding="utf-8"))
    risks = oscal["assessment-results"]["results"][0]["risks"]
    assert any(r["status"] == "investigating" and r["title"].startswith("开启多余的服务") for r in risks)
    jsonschema = pytest.importorskip("jsonschema")
    from assess.reports.jsonout import SCHEMA_FILE

    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
    assert not list(validator.iter_errors(json.loads(paths["report.json"].read_text(encoding="utf-8"))))


def test_only_errors_that_could_trigger_the_case_make_it_unassessed(setup):
    cat, _prof, _facts = setup
    vuln = [r for r in cat.highrisk if r.id == "HR-CES-vuln-internet"]
    internal = {"run": {}, "objects": [{"id": "h", "type": "linux", "tags": []}],
                "results": [{"item": "L3-CES1-21", "object": "h", "verdict": "error", "checks": []}]}
    assert highrisk.evaluate(vuln, internal, 3, {}) == []  # not internet-facing: no outcome could trigger it
    weak = [r for r in cat.highrisk if r.id == "HR-CES-weak-password"]
    doc = {"run": {}, "objects": [{"id": "h", "type": "linux", "tags": []}],
           "results": [{"item": "L3-CES1-01", "object": "h", "verdict": "pass",
                        "checks": [{"check": "linux.sshd.permit_empty_passwords", "status": "error"}]},
                       {"item": "L3-CES1-04", "object": "h", "verdict": "pass", "checks": []}]}
    # a second factor (L3-CES1-04 passes) would cancel the case whatever the check in error turns out to be
    assert highrisk.evaluate(weak, doc, 3, {}) == []
    doc["results"][1]["verdict"] = "fail"
    [f] = highrisk.evaluate(weak, doc, 3, {})
    assert f["status"] == "unassessed" and f["compensated_by"] == []
    assert f["pending"] == [{"check": "linux.sshd.permit_empty_passwords", "object": "h", "status": "error"}]
    doc["results"][0]["checks"][0]["status"] = "pass"
    assert highrisk.evaluate(weak, doc, 3, {}) == []


def test_an_object_that_could_not_be_collected_leaves_its_check_based_cases_unassessed(setup, tmp_path):
    """Ghostcat (tomcat.ajp_secret) is a case of its own check: an unreachable Tomcat has no check results at
    all, and the case was dropped; its checks are in error, so the case is 待核查 there."""
    cat, prof, _facts = setup
    tomcat = Target(id="tc", type="middleware", engine="tomcat", tags=["internet-facing"])
    redis = Target(id="rd", type="database", engine="redis", tags=[])
    rows = evaluate.evaluate_target(cat, prof, tomcat, None, collection_error="connection refused") + \
        evaluate.evaluate_target(cat, prof, redis, None, collection_error="connection refused")
    system, rest = evaluate.uncovered(cat, prof, [tomcat, redis])
    doc = scan.build_document(cat, prof, [tomcat, redis], "20260301T020000Z-0002", "2026-03-01T02:00:00Z", {},
                              rows + rest, system)
    judgement.judge(doc, cat, prof)
    found = {(f["rule"], f["object"]): f for f in doc["highrisk"]}
    ghostcat = found[("HR-CES-vuln-internet", "tc")]
    assert ghostcat["status"] == "unassessed"
    assert {"check": "tomcat.ajp_secret", "object": "tc", "status": "error"} in ghostcat["pending"]
    assert found[("HR-CES-vuln-internal", "rd")]["status"] == "unassessed"  # redis.exposure
    assert ("HR-CES-vuln-internal", "tc") not in found  # Internet-facing: the internal case cannot hold
    assert not [f for f in doc["highrisk"] if f["status"] == "triggered"]
    assert not any(p.get("check", "").startswith(("mysql.", "pg.")) for f in doc["highrisk"]
                   for p in f.get("pending", []))  # other engines' checks do not apply
