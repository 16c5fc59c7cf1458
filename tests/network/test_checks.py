"""Every device check against a hardened and a weak configuration per vendor, written from the vendors'
command references: each check passes on some fixture and fails on another, and the verdicts, high-risk
findings and `file:line` evidence are those an evaluator would record."""

from __future__ import annotations

import pytest

from assess.catalog import load as catalog_mod
from tests.network.conftest import DEVICES, FIXTURES, checks_of, scan

P, F, NA, E, M = "pass", "fail", "na", "error", "manual"
#: The status of every device check on each fixture (boundary devices: the policy checks apply).
EXPECTED = {
    "huawei-hardened": dict.fromkeys([
        "net.vty_per_user_auth", "net.no_weak_visible_password", "net.password_aging", "net.login_lockout",
        "net.idle_timeout", "net.mgmt_no_cleartext", "net.ssh_v2_only", "net.mgmt_source_restricted",
        "net.snmp_community_strong", "net.snmp_v3_authpriv", "net.password_storage", "net.default_account_removed",
        "net.default_password_changed", "net.admin_separation", "net.syslog_server", "net.ntp",
        "net.policy_default_deny", "net.policy_no_any_any", "net.policy_logging"], P) | {"net.password_min_length": NA},
    "huawei-weak": {
        "net.vty_per_user_auth": F, "net.no_weak_visible_password": F, "net.password_min_length": NA,
        "net.password_aging": F, "net.login_lockout": F, "net.idle_timeout": F, "net.mgmt_no_cleartext": F,
        "net.ssh_v2_only": E, "net.mgmt_source_restricted": F, "net.snmp_community_strong": F,
        "net.snmp_v3_authpriv": F, "net.password_storage": F, "net.default_account_removed": F,
        "net.default_password_changed": F, "net.admin_separation": F, "net.syslog_server": F, "net.ntp": F,
        "net.policy_default_deny": F, "net.policy_no_any_any": F, "net.policy_logging": M},
    "h3c-weak": {
        "net.vty_per_user_auth": F, "net.no_weak_visible_password": F, "net.password_min_length": F,
        "net.password_aging": F, "net.login_lockout": F, "net.idle_timeout": F, "net.mgmt_no_cleartext": F,
        "net.ssh_v2_only": F, "net.mgmt_source_restricted": F, "net.snmp_community_strong": F,
        "net.snmp_v3_authpriv": F, "net.password_storage": F, "net.default_account_removed": F,
        "net.default_password_changed": F, "net.admin_separation": F, "net.syslog_server": F, "net.ntp": F,
        "net.policy_default_deny": F, "net.policy_no_any_any": F, "net.policy_logging": M},
    "cisco-weak": {
        "net.vty_per_user_auth": F, "net.no_weak_visible_password": F, "net.password_min_length": F,
        "net.password_aging": F, "net.login_lockout": F, "net.idle_timeout": F, "net.mgmt_no_cleartext": F,
        "net.ssh_v2_only": F, "net.mgmt_source_restricted": F, "net.snmp_community_strong": F,
        "net.snmp_v3_authpriv": F, "net.password_storage": F, "net.default_account_removed": F,
        "net.default_password_changed": F, "net.admin_separation": F, "net.syslog_server": F, "net.ntp": F,
        "net.policy_default_deny": P, "net.policy_no_any_any": F, "net.policy_logging": M},
    "asa-weak": {
        "net.vty_per_user_auth": F, "net.no_weak_visible_password": P, "net.password_min_length": F,
        "net.password_aging": F, "net.login_lockout": F, "net.idle_timeout": F, "net.mgmt_no_cleartext": F,
        "net.ssh_v2_only": E, "net.mgmt_source_restricted": F, "net.snmp_community_strong": F,
        "net.snmp_v3_authpriv": F, "net.password_storage": P, "net.default_account_removed": F,
        "net.default_password_changed": P, "net.admin_separation": F, "net.syslog_server": F, "net.ntp": F,
        "net.policy_default_deny": P, "net.policy_no_any_any": F, "net.policy_logging": M},
}
for _name in ("h3c-hardened", "cisco-hardened", "asa-hardened"):
    EXPECTED[_name] = {**EXPECTED["huawei-hardened"], "net.password_min_length": P}


@pytest.fixture(scope="module")
def document(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("devices")
    objects = []
    for name in EXPECTED:
        stem = name.split("-")[0]
        objects.append({"id": name, "type": "security-device" if stem == "asa" else "network-device",
                        "vendor": DEVICES[stem], "files": [str(FIXTURES / f"{name}.cfg")], "tags": ["boundary"]})
    outcome = scan(tmp, objects)
    assert outcome.collection_errors == {}
    return outcome.document


@pytest.mark.parametrize("name", list(EXPECTED))
def test_check_statuses(document, name):
    got = {cid: c["status"] for cid, c in checks_of(document, name).items()}
    assert got == EXPECTED[name], {k: (got.get(k), v) for k, v in EXPECTED[name].items() if got.get(k) != v}


def test_every_device_check_has_a_passing_and_a_failing_fixture():
    cat = catalog_mod.load()
    device_checks = {c.id for c in cat.checks.values() if c.object_type == "network-device"}
    assert device_checks == set(EXPECTED["huawei-weak"])
    for cid in device_checks:
        statuses = {EXPECTED[n][cid] for n in EXPECTED}
        # a check that only proves presence fails as 待核查 (the measure may live elsewhere)
        assert {P, M if cat.checks[cid].absent_is_unproven else F} <= statuses, cid


def test_findings_point_at_the_configuration_line(document):
    checks = checks_of(document, "cisco-weak")
    observed = str(checks["net.policy_no_any_any"]["observed"])
    assert "cisco-weak.cfg:22 access-list 101 permit ip any any" in observed
    assert "huawei-weak.cfg:4 telnet server enabled" in str(checks_of(document, "huawei-weak")[
        "net.mgmt_no_cleartext"]["observed"])


def test_hardened_devices_conform_and_weak_ones_fail_the_items(document):
    verdict = {(r["object"], r["item"]): r["verdict"] for r in document["results"]}
    for name in ("huawei-hardened", "h3c-hardened", "cisco-hardened", "asa-hardened"):
        assert verdict[(name, "L3-CES1-03")] == "pass", name
        assert verdict[(name, "L3-CES1-19")] == "manual", name  # partly automated item: interview remains
        assert verdict[(name, "L3-ABS1-05")] == "pass", name
        assert verdict[(name, "L3-CES1-01")] == "manual", name  # hashed passwords: the login test remains
    for name in ("huawei-weak", "h3c-weak", "cisco-weak", "asa-weak"):
        assert verdict[(name, "L3-CES1-19")] == "fail", name
        assert verdict[(name, "L3-ABS1-05")] in ("fail", "partial"), name
    assert verdict[("huawei-weak", "L3-CES1-03")] == "fail"  # telnet on decides it, though the SSH version is unknown
    assert verdict[("h3c-weak", "L3-CES1-03")] == "fail"


def test_device_high_risk_cases(document):
    findings = {(f["object"], f["rule"]): f["status"] for f in document["highrisk"]}
    for name in ("huawei-hardened", "h3c-hardened", "cisco-hardened", "asa-hardened"):
        assert not [k for k in findings if k[0] == name and k[1].startswith("HR-NET-")], name
    for name in ("huawei-weak", "h3c-weak", "cisco-weak", "asa-weak"):
        for rule in ("HR-NET-cleartext-management", "HR-NET-no-access-policy", "HR-NET-admin-terminal",
                     "HR-NET-risky-services"):
            assert findings.get((name, rule)) == "triggered", (name, rule)
    assert findings[("huawei-weak", "HR-NET-default-password")] == "triggered"
    assert findings[("h3c-weak", "HR-NET-weak-password")] == "triggered"
    # one case, one finding per device: the general rules leave devices to 06-devices.yaml
    cases = [(f["object"], f["cases"].get("trial")) for f in document["highrisk"]
             if f["cases"].get("trial")]
    assert len(cases) == len(set(cases))


def test_offline_re_evaluation_gives_the_same_verdicts(tmp_path):
    """The evidence of a device scan re-evaluates without the files (bundles, assess report --rebuild), and an
    edited record is refused rather than trusted."""
    import json

    from assess.catalog import profile as profile_mod
    from assess.run import replay

    outcome = scan(tmp_path, [{"id": "core", "type": "network-device", "vendor": "h3c", "tags": ["boundary"],
                               "files": [str(FIXTURES / "h3c-weak.cfg")]}])
    cat = catalog_mod.load()
    again = replay.replay(outcome.run_dir, cat, profile_mod.load("level3", cat))
    verdicts = lambda d: {(r["object"], r["item"]): r["verdict"] for r in d["results"]}  # noqa: E731
    assert verdicts(again) == verdicts(outcome.document)
    path = outcome.run_dir / "evidence" / "core.json"
    stored = json.loads(path.read_text(encoding="utf-8"))
    stored["raw"]["net_cleartext_mgmt"]["transcripts"][0]["sha256"] = "0" * 64
    path.write_text(json.dumps(stored), encoding="utf-8")
    edited = replay.replay(outcome.run_dir, cat, profile_mod.load("level3", cat))
    check = checks_of(edited, "core")["net.mgmt_no_cleartext"]
    assert check["status"] == "error" and "do not match their evidence id" in check["reason"]
