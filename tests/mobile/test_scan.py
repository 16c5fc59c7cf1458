"""mobile-app objects in a scan: inventory, collection, verdicts per item, high-risk cases, and bad input (a
truncated APK, a file that is not an APK, a ZIP without a manifest, a missing file)."""

from __future__ import annotations

import shutil
import zipfile

import pytest

from assess.catalog import load as catalog_mod
from assess.catalog import profile as profile_mod
from assess.errors import LintErrors
from assess.inventory import load as inventory
from assess.run import scan as scan_mod
from tests.http.conftest import write_inventory


@pytest.fixture(scope="module")
def scanned(apks, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mobile-scan")
    for name in ("hardened", "weak", "packed"):
        shutil.copy(apks[name], tmp / f"{name}.apk")
    data = apks["weak"].read_bytes()
    (tmp / "truncated.apk").write_bytes(data[: len(data) // 2])
    (tmp / "notes.apk").write_text("这不是安装包\n", encoding="utf-8")
    with zipfile.ZipFile(tmp / "plain.apk", "w") as zf:
        zf.writestr("readme.txt", "a zip, not an apk")
    objects = [{"id": n, "type": "mobile-app", "file": f"{n}.apk"}
               for n in ("hardened", "weak", "packed", "truncated", "notes", "plain")]
    targets = inventory.load(write_inventory(tmp / "inv.yaml", objects))
    cat = catalog_mod.load()
    outcome = scan_mod.run(cat, profile_mod.load("level3", cat), targets, tmp / "out")
    return outcome, cat


def _verdicts(doc, oid):
    return {r["item"]: r for r in doc["results"] if r["object"] == oid}


def test_every_computing_environment_item_is_judged_for_the_app(scanned):
    outcome, cat = scanned
    hardened = _verdicts(outcome.document, "hardened")
    ces = [i for i in cat.items if i.startswith("L3-CES1-")]
    assert sorted(hardened) == sorted(ces)
    assert hardened["L3-CES1-23"]["verdict"] == "na" and "APP" in hardened["L3-CES1-23"]["reason"]
    assert hardened["L3-CES1-29"]["verdict"] == "na"


def test_hardened_app_has_no_failure_and_stays_pending_where_static_analysis_is_not_enough(scanned):
    outcome, _ = scanned
    hardened = _verdicts(outcome.document, "hardened")
    assert not [i for i, r in hardened.items() if r["verdict"] in ("fail", "partial", "error")]
    for item in ("L3-CES1-03", "L3-CES1-21", "L3-CES1-25", "L3-CES1-27", "L3-CES1-28", "L3-CES1-34", "L3-CES1-35"):
        assert hardened[item]["verdict"] == "manual", item
        assert all(c["status"] == "pass" for c in hardened[item]["checks"]), item


def test_weak_app_fails_the_items_its_package_shows(scanned):
    outcome, _ = scanned
    weak = _verdicts(outcome.document, "weak")
    for item in ("L3-CES1-03", "L3-CES1-21", "L3-CES1-25", "L3-CES1-27", "L3-CES1-28"):
        assert weak[item]["verdict"] == "fail", (item, weak[item]["reason"])
    assert weak["L3-CES1-34"]["verdict"] == "partial"  # a policy link is there; permissions and SDKs fail
    assert weak["L3-CES1-35"]["verdict"] == "fail"


def test_high_risk_cases_fire_for_the_weak_app_only(scanned):
    outcome, _ = scanned
    fired = {(h["rule"], h["object"]) for h in outcome.document["highrisk"] if h["status"] == "triggered"}
    app_rules = {"HR-APP-cleartext-transport", "HR-APP-exploitable", "HR-APP-pi-collection"}
    assert {(r, "weak") for r in app_rules} <= fired
    assert not {r for r, o in fired if o == "hardened"}


@pytest.mark.parametrize("oid,words", [
    ("truncated", "damaged"), ("notes", "not an APK (not a ZIP archive)"), ("plain", "no AndroidManifest.xml")])
def test_bad_packages_are_one_clear_error_and_the_scan_goes_on(scanned, oid, words):
    outcome, _ = scanned
    reason = outcome.collection_errors[oid]
    assert words in reason and "\n" not in reason and "Traceback" not in reason
    rows = _verdicts(outcome.document, oid)
    assert rows and all(r["verdict"] in ("error", "manual", "na") for r in rows.values())
    assert rows["L3-CES1-21"]["verdict"] == "error"
    assert _verdicts(outcome.document, "weak")["L3-CES1-21"]["verdict"] == "fail"


@pytest.mark.parametrize("oid", ["truncated", "packed"])
def test_high_risk_cases_an_app_could_not_show_are_unassessed_not_cleared(scanned, oid):
    outcome, _ = scanned
    status = {h["rule"]: h["status"] for h in outcome.document["highrisk"] if h["object"] == oid}
    assert status.get("HR-APP-cleartext-transport") == "unassessed", status
    assert status.get("HR-APP-exploitable") == "unassessed", status


def test_missing_apk_is_an_inventory_error(tmp_path):
    path = write_inventory(tmp_path / "inv.yaml", [{"id": "gone", "type": "mobile-app", "file": "gone.apk"}])
    with pytest.raises(LintErrors) as err:
        inventory.load(path)
    assert "APK file" in str(err.value) and "gone.apk" in str(err.value) and "does not exist" in str(err.value)


def test_unknown_field_of_a_mobile_app_is_an_inventory_error(tmp_path, apks):
    path = write_inventory(tmp_path / "inv.yaml", [{"id": "a", "type": "mobile-app", "file": str(apks["weak"]),
                                                    "url": "https://x/"}])
    with pytest.raises(LintErrors) as err:
        inventory.load(path)
    assert "unknown key 'url'" in str(err.value)


def test_analysis_is_bounded_in_time_and_stops_when_the_scan_is_cancelled(apks):
    import threading

    from assess.model import Target
    from assess.probes.mobile import collector
    from assess.probes.registry import facts_for

    facts = [facts_for("mobile-app")["apk_manifest"]]
    slow = collector.collect(Target(id="a", type="mobile-app", connection={
        "transport": "apk", "file": str(apks["weak"]), "timeout": 0.001}), facts)
    assert "did not finish within 0.001 s" in slow.error and slow.facts["apk_manifest"].status == "error"
    stop = threading.Event()
    stop.set()
    cancelled = collector.collect(Target(id="a", type="mobile-app", connection={
        "transport": "apk", "file": str(apks["weak"])}), facts, cancel=stop)
    assert cancelled.error == "interrupted"


def test_memory_limit_is_one_clear_error(apks):
    from assess.model import Target
    from assess.probes.mobile import collector
    from assess.probes.registry import facts_for

    ev = collector.collect(Target(id="a", type="mobile-app", connection={
        "transport": "apk", "file": str(apks["weak"]), "memory_mb": 40}), [facts_for("mobile-app")["apk_manifest"]])
    assert ev.error and "\n" not in ev.error
    assert "memory limit of 40 MB" in ev.error, ev.error
