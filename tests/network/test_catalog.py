"""Catalog wiring of the device checks: one checks file serves both device object types, its items must
apply to each, and every high-risk case is judged once per device type (no device case reported twice)."""

from __future__ import annotations

from collections import Counter

import pytest

from assess.catalog import load as catalog_mod
from assess.errors import LintErrors


def test_device_checks_feed_both_device_types():
    cat = catalog_mod.load()
    for otype in ("network-device", "security-device"):
        ids = {c.id for c in cat.checks_for("L3-CES1-03", otype)}
        assert {"net.mgmt_no_cleartext", "net.ssh_v2_only"} <= ids, otype
    assert not cat.checks_for("L3-CES1-03", "linux") or all(
        not c.id.startswith("net.") for c in cat.checks_for("L3-CES1-03", "linux"))


def test_each_high_risk_case_is_judged_once_per_device_type():
    """(6.4.3.2 has an Internet and an internal rule by design; they exclude each other by the tag.)"""
    cat = catalog_mod.load()
    seen: Counter[tuple[str, str]] = Counter()
    for rule in cat.highrisk:
        case = rule.cases.get("trial") or rule.cases.get("iseaa")
        for otype in set(rule.objects) & {"network-device", "security-device"}:
            if case != "6.4.3.2":
                seen[(otype, case)] += 1
    assert [k for k, n in seen.items() if n > 1] == []


def test_a_multi_type_checks_file_must_fit_every_type(tmp_path):
    root = tmp_path / "controls"
    import shutil

    shutil.copytree(catalog_mod.default_root(), root)
    bad = root / "checks" / "network" / "extra.yaml"
    bad.write_text("object_type: [network-device, security-device]\nchecks:\n  - id: net.extra\n"
                   "    items: [L3-SMC1-09]\n    title: t\n    title_en: t\n    fact: net_ntp\n"
                   "    rule: {path: servers, op: not_empty}\n    remediation: {text: x}\n", encoding="utf-8")
    with pytest.raises(LintErrors) as exc:
        catalog_mod.load(root)
    assert "item L3-SMC1-09 does not apply to object type network-device" in str(exc.value)


def test_interview_only_device_keeps_its_high_risk_cases_and_compensations():
    """A device judged by interview alone (no files): the item answers still fire the device cases, and an
    answer that management terminals are restricted still compensates risky services."""
    from assess.catalog import highrisk

    cat = catalog_mod.load()
    doc = {"objects": [{"id": "sw", "type": "network-device", "tags": []}], "run": {},
           "results": [{"object": "sw", "item": "L3-CES1-18", "verdict": "fail", "checks": []},
                       {"object": "sw", "item": "L3-CES1-19", "verdict": "pass", "checks": []},
                       {"object": "sw", "item": "L3-CES1-03", "verdict": "fail", "checks": []}]}
    found = {f["rule"]: f["status"] for f in highrisk.evaluate(cat.highrisk, doc, 3, {})}
    assert found == {"HR-NET-risky-services": "compensated", "HR-NET-cleartext-management": "triggered"}
