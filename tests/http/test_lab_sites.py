"""The strong and the weak lab site through the whole scan pipeline: expected check statuses and item
verdicts, passive and with --active (real nginx, real TLS handshakes, real HTTP)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assess.catalog import load as catalog_mod
from assess.catalog import profile as profile_mod
from assess.inventory import load as inventory
from assess.run import scan as scan_mod
from tests.http.conftest import TEST_PASSWORD_ENV, check_statuses, site_object, verdicts, write_inventory
from tests.lab.demoapp import TEST_PASSWORD

pytestmark = pytest.mark.lab

PASSIVE = {
    # check id: (strong, weak)
    "webapp.transport.https_only": ("pass", "fail"),
    "webapp.tls.no_legacy_protocols": ("pass", "fail"),
    "webapp.tls.no_insecure_ciphers": ("pass", "fail"),
    "webapp.tls.certificate_valid": ("pass", "fail"),
    "webapp.tls.grade": ("pass", "fail"),
    "webapp.tls.hsts": ("pass", "fail"),
    "webapp.tls.mozilla_intermediate": ("pass", "fail"),
    "webapp.auth.protected_endpoints": ("pass", "fail"),
    "webapp.auth.login_over_https": ("pass", "fail"),
    "webapp.auth.admin_consoles_hidden": ("pass", "fail"),
    "webapp.cookies.secure": ("pass", "fail"),
    "webapp.cookies.httponly": ("pass", "fail"),
    "webapp.exposure.sensitive_paths": ("pass", "fail"),
    "webapp.exposure.directory_listing": ("pass", "fail"),
    "webapp.exposure.error_details": ("pass", "fail"),
    "webapp.exposure.version_banners": ("pass", "fail"),
    "webapp.headers.cors_no_credentialed_reflection": ("pass", "fail"),
    "webapp.headers.observatory_score": ("pass", "fail"),
    "webapp.pii.anonymous_responses_masked": ("pass", "fail"),
    "webapp.pii.privacy_policy": ("pass", "fail"),
    # state-changing: not run without --active
    "webapp.auth.plaintext_login_refused": ("manual", "manual"),
    "webapp.auth.lockout": ("manual", "manual"),
    "webapp.auth.idle_timeout": ("manual", "manual"),
    "webapp.auth.second_factor": ("manual", "manual"),
    "webapp.auth.default_accounts": ("manual", "manual"),
    "webapp.session.logout_invalidates": ("manual", "manual"),
    "webapp.session.no_store": ("manual", "manual"),
    "webapp.pii.authenticated_responses_masked": ("manual", "manual"),
}
ACTIVE = {
    "webapp.auth.plaintext_login_refused": ("pass", "fail"),
    "webapp.auth.lockout": ("pass", "fail"),
    "webapp.auth.idle_timeout": ("pass", "fail"),
    "webapp.auth.second_factor": ("fail", "fail"),
    "webapp.auth.default_accounts": ("pass", "fail"),
    "webapp.session.logout_invalidates": ("pass", "fail"),
    "webapp.session.no_store": ("pass", "fail"),
    "webapp.pii.authenticated_responses_masked": ("pass", "fail"),
}
ITEMS_PASSIVE = {
    # item: (strong, weak)
    "L3-CES1-01": ("manual", "fail"), "L3-CES1-02": ("manual", "manual"), "L3-CES1-03": ("manual", "fail"),
    "L3-CES1-04": ("manual", "manual"), "L3-CES1-06": ("manual", "fail"), "L3-CES1-18": ("pass", "fail"),
    "L3-CES1-20": ("manual", "fail"), "L3-CES1-21": ("manual", "fail"), "L3-CES1-25": ("manual", "fail"),
    "L3-CES1-27": ("manual", "fail"), "L3-CES1-32": ("manual", "manual"), "L3-CES1-34": ("manual", "fail"),
    "L3-CES1-35": ("manual", "fail"), "L3-CNS1-06": ("manual", "fail"), "L3-CNS1-07": ("manual", "fail"),
}
ITEMS_ACTIVE = {
    "L3-CES1-02": ("pass", "fail"), "L3-CES1-03": ("pass", "fail"), "L3-CES1-04": ("fail", "fail"),
    "L3-CES1-06": ("manual", "fail"), "L3-CES1-32": ("manual", "fail"), "L3-CES1-35": ("manual", "fail"),
}


def _scan(weblab, tmp_path: Path, active: bool, idle_wait: float = 0) -> dict:
    objects = [site_object(weblab, weblab.strong, idle_wait=idle_wait),
               site_object(weblab, weblab.weak, idle_wait=idle_wait)]
    targets = inventory.load(write_inventory(tmp_path / "inventory.yaml", objects))
    cat = catalog_mod.load()
    prof = profile_mod.load("level3", cat)
    weblab.reset()
    outcome = scan_mod.run(cat, prof, targets, tmp_path / "out", concurrency=2,
                           collection=scan_mod.Collection(active=active))
    assert outcome.collection_errors == {}
    return outcome.document


@pytest.fixture(scope="module")
def passive_doc(weblab, tmp_path_factory) -> dict:
    return _scan(weblab, tmp_path_factory.mktemp("passive"), active=False)


@pytest.fixture(scope="module")
def active_doc(weblab, tmp_path_factory) -> dict:
    mp = pytest.MonkeyPatch()
    mp.setenv(TEST_PASSWORD_ENV, TEST_PASSWORD)
    try:
        return _scan(weblab, tmp_path_factory.mktemp("active"), active=True, idle_wait=3)
    finally:
        mp.undo()


@pytest.mark.parametrize("check_id", sorted(PASSIVE))
def test_passive_check_status(passive_doc, check_id):
    strong, weak = PASSIVE[check_id]
    assert check_statuses(passive_doc, "strong-portal")[check_id] == strong
    assert check_statuses(passive_doc, "weak-portal")[check_id] == weak


@pytest.mark.parametrize("check_id", sorted(ACTIVE))
def test_active_check_status(active_doc, check_id):
    strong, weak = ACTIVE[check_id]
    assert check_statuses(active_doc, "strong-portal")[check_id] == strong
    assert check_statuses(active_doc, "weak-portal")[check_id] == weak


def test_item_verdicts(passive_doc, active_doc):
    for doc, expected in ((passive_doc, ITEMS_PASSIVE), (active_doc, {**ITEMS_PASSIVE, **ITEMS_ACTIVE})):
        strong, weak = verdicts(doc, "strong-portal"), verdicts(doc, "weak-portal")
        for item, (want_strong, want_weak) in expected.items():
            assert (item, strong[item]) == (item, want_strong)
            assert (item, weak[item]) == (item, want_weak)


def test_not_run_checks_say_how_to_run_them(passive_doc):
    row = next(r for r in passive_doc["results"] if r["object"] == "strong-portal" and r["item"] == "L3-CES1-02")
    assert "--active" in row["reason"]


def test_weak_site_facts(weblab, tmp_path):
    """The facts behind the weak verdicts, as a tester would read them in the evidence file."""
    doc = _scan(weblab, tmp_path, active=False)
    ev = json.loads(next((tmp_path / "out").glob("*/evidence/weak-portal.json")).read_text())
    facts = {n: f["value"] for n, f in ev["facts"].items() if f["status"] == "ok"}
    assert facts["tls_protocols"]["legacy"] == ["TLSv1.0", "TLSv1.1"]
    cert = facts["tls_certificate"]["by_origin"][0]
    assert cert["expired"] and cert["self_signed"] and cert["key_bits"] == 1024 and not cert["hostname_match"]
    assert facts["tls_rating"]["worst_grade"] == "T"
    assert any(s.startswith("AECDH") for s in facts["tls_ciphers"]["insecure"])
    assert "Server: nginx/1.22.1" in facts["version_disclosure"]["disclosed"] or any(
        d.startswith("Server: nginx/") for d in facts["version_disclosure"]["disclosed"])
    assert {e["path"] for e in facts["sensitive_paths"]["exposed"]} >= {".git/HEAD", ".git/config",
                                                                        "druid/index.html"}
    assert any(u.endswith("/files/") for u in facts["directory_listing"]["listings"])
    assert "java-stack-trace" in facts["error_disclosure"]["kinds"]
    pi = facts["personal_info"]
    assert pi["counts"]["phone"] >= 2 and pi["counts"]["id_number"] >= 2 and pi["counts"]["bank_card"] >= 2
    assert "138****5678" in pi["samples"]["phone"]
    text = json.dumps(ev, ensure_ascii=False)
    for secret in ("13812345678", "11010519491231002X", "6222021234567890128"):
        assert secret not in text, f"unmasked {secret} reached the evidence"
    assert doc["objects"]


def test_strong_site_grades_a_plus(weblab, tmp_path):
    _scan(weblab, tmp_path, active=False)
    ev = json.loads(next((tmp_path / "out").glob("*/evidence/strong-portal.json")).read_text())
    facts = {n: f["value"] for n, f in ev["facts"].items()}
    assert facts["tls_rating"]["worst_grade"] == "A+"
    assert facts["tls_protocols"]["offered"] == ["TLSv1.2", "TLSv1.3"]
    assert facts["security_headers"]["worst_grade"] == "A+"
    assert facts["tls_mozilla"]["deviations"] == []


def test_active_evidence_redacts_credentials(active_doc, tmp_path_factory):
    """Every active request is in the evidence; the password, cookies and session tokens are not."""
    run_dirs = [p for p in tmp_path_factory.getbasetemp().glob("active*/out/*") if p.is_dir()]
    ev_text = "".join(p.read_text() for d in run_dirs for p in (d / "evidence").glob("*.json"))
    assert TEST_PASSWORD not in ev_text
    assert "failed login 6/6" in ev_text and "replay of the pre-logout session" in ev_text
    ev = json.loads(next(p for d in run_dirs for p in (d / "evidence").glob("strong-portal.json")).read_text())
    records = [t for f in ev["raw"].values() for t in f.get("transcripts", []) if t.get("kind") == "http"]
    cookies = [v for t in records for k, v in t.get("request_headers", []) if k == "Cookie"]
    assert cookies and all(v == "[redacted]" for v in cookies)
    set_cookies = [v for t in records for k, v in t.get("response_headers", []) if k.lower() == "set-cookie"]
    assert set_cookies and all(v.startswith("SESSION=[redacted]") for v in set_cookies)
    assert ev["info"]["active"] is True
    logged = {t["id"] for f in ev["raw"].values() for t in f.get("transcripts", [])}
    assert len(logged) == ev["info"]["transcripts"], "every request and handshake is in the evidence"


def test_documents_match_the_results_schema(passive_doc, active_doc):
    jsonschema = pytest.importorskip("jsonschema")
    from assess.reports.jsonout import SCHEMA_FILE

    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
    for doc in (passive_doc, active_doc):
        assert not [e.message for e in validator.iter_errors(json.loads(json.dumps(doc)))]
