"""Every mobile-app check against the real APKs: a pass and a fail for each, decided on facts collected through
the real collector. The packed app's code checks are 无法判定 (error), never a pass."""

from __future__ import annotations

import pytest

from assess.catalog import load as catalog_mod
from assess.catalog import profile as profile_mod
from assess.judge.evaluate import run_check

#: check → (fixture that passes, fixture that fails)
EXPECTED = {
    "mobile.network.no_cleartext": ("hardened", "weak"),
    "mobile.network.no_trust_all": ("hardened", "weak"),
    "mobile.network.no_user_ca": ("hardened", "weak"),
    "mobile.network.no_http_endpoints": ("hardened", "weak"),
    "mobile.crypto.no_weak_cipher": ("hardened", "weak"),
    "mobile.secrets.no_cloud_keys": ("hardened", "weak"),
    "mobile.secrets.no_other_secrets": ("hardened", "weak"),
    "mobile.storage.no_backup": ("hardened", "weak"),
    "mobile.app.not_debuggable": ("hardened", "weak"),
    "mobile.components.exported_protected": ("hardened", "weak"),
    "mobile.webview.safe_settings": ("hardened", "weak"),
    "mobile.signing.v2_or_v3": ("hardened", "weak"),
    "mobile.signing.strong_key": ("hardened", "weak"),
    "mobile.signing.release_certificate": ("hardened", "weak"),
    "mobile.pi.sensitive_permissions_declared": ("hardened", "weak"),
    "mobile.pi.privacy_policy_present": ("hardened", "no_policy"),
    "mobile.pi.sdks_disclosed": ("hardened", "weak"),
}


@pytest.fixture(scope="module")
def catalog():
    cat = catalog_mod.load()
    return cat, profile_mod.load("level3", cat)


def test_every_mobile_check_has_a_pass_and_a_fail_fixture(catalog):
    cat, _ = catalog
    assert sorted(k for k, c in cat.checks.items() if c.object_type == "mobile-app") == sorted(EXPECTED)


@pytest.mark.parametrize("check_id", sorted(EXPECTED))
def test_check_passes_and_fails_on_the_real_apks(check_id, catalog, evidence):
    cat, prof = catalog
    good, bad = EXPECTED[check_id]
    passed = run_check(cat.checks[check_id], evidence[good].facts, prof.parameters)
    failed = run_check(cat.checks[check_id], evidence[bad].facts, prof.parameters)
    assert passed.status == "pass", passed
    assert failed.status == "fail", failed
    assert failed.evidence and failed.evidence[0] == evidence[bad].facts[cat.checks[check_id].facts[0]].evidence_id


def test_every_collected_value_has_its_declared_shape(evidence):
    from assess.catalog import factshapes
    from assess.catalog.schema import Problems

    shapes = catalog_mod._shapes(Problems(), strict=False)["mobile-app"]
    misfits = [f"{name} {fact}: {m}" for name, ev in evidence.items() for fact, r in ev.facts.items()
               if r.status == "ok" for m in factshapes.mismatches(shapes[fact], r.value)]
    assert not misfits, "collected values outside controls/facts/mobile-app.yaml: " + "; ".join(misfits)


def test_failures_name_where_the_problem_is(catalog, evidence):
    cat, prof = catalog
    facts = evidence["weak"].facts

    def observed(check_id):
        return str(run_check(cat.checks[check_id], facts, prof.parameters).observed)

    assert "com.example.weak.net.TrustAll.checkServerTrusted" in observed("mobile.network.no_trust_all")
    assert "com.example.weak.net.AllowAll.verify" in observed("mobile.network.no_trust_all")
    assert "com.example.weak.MainActivity.crypto" in observed("mobile.crypto.no_weak_cipher")
    assert "activity .DeepLinkActivity" in observed("mobile.components.exported_protected")
    assert "provider .DataProvider" in observed("mobile.components.exported_protected")
    assert "READ_CONTACTS" in observed("mobile.pi.sensitive_permissions_declared")
    assert "友盟" in observed("mobile.pi.sdks_disclosed") and "极光" in observed("mobile.pi.sdks_disclosed")


def test_declared_permissions_turn_the_permission_check_into_a_pass(catalog, evidence):
    cat, prof = catalog
    params = {**prof.parameters, "mobile_declared_permissions": ["READ_CONTACTS", "READ_SMS"]}
    assert run_check(cat.checks["mobile.pi.sensitive_permissions_declared"], evidence["weak"].facts,
                     params).status == "pass"


def test_secrets_are_never_shown_whole(evidence):
    from tests.mobile.specs import WEAK_SECRET

    ev = evidence["weak"]
    secrets = ev.facts["apk_secrets"].value
    assert [s["masked"] for s in secrets["cloud_keys"]] == ["LTAI…Lm (24 chars)"]
    assert [s["kind"] for s in secrets["other"]] == ["named secret"]
    dumped = str(ev.as_dict())
    assert WEAK_SECRET not in dumped and "q8ZpT3vK9xWm2LsR7nBdY4" not in dumped


def test_packed_app_code_checks_are_unknown_not_passed(catalog, evidence):
    cat, prof = catalog
    facts = evidence["packed"].facts
    assert facts["apk_packer"].value["packer"] == "360加固"
    code_checks = [k for k, c in cat.checks.items() if c.object_type == "mobile-app"
                   and c.facts[0] in ("apk_trust_all", "apk_weak_crypto", "apk_secrets", "apk_webview",
                                      "apk_endpoints", "apk_sdk_disclosure", "apk_privacy_policy")]
    assert len(code_checks) >= 8
    for check_id in code_checks:
        result = run_check(cat.checks[check_id], facts, prof.parameters)
        assert result.status == "error", (check_id, result)
        assert "packed by 360加固" in result.reason and "无法判定" in result.reason
    # the manifest and the signature are still readable
    assert run_check(cat.checks["mobile.app.not_debuggable"], facts, prof.parameters).status == "pass"
    assert run_check(cat.checks["mobile.signing.v2_or_v3"], facts, prof.parameters).status == "pass"


def test_sdk_disclosure_without_a_bundled_policy_is_left_for_review(catalog, evidence):
    cat, prof = catalog
    result = run_check(cat.checks["mobile.pi.sdks_disclosed"], evidence["no_policy"].facts, prof.parameters)
    assert result.status == "manual" and "online policy" in result.reason
