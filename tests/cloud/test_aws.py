"""The AWS adapter end to end against moto's server mode: every cloud-account check passes on a conforming
account and fails on a failing one, through `assess scan` with the cloud-tenant profile."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from assess.cli import main
from tests.cloud import accounts

CHECKS = ("cloud.sg.no-world-sensitive-ports", "cloud.sg.no-world-all-ports", "cloud.iam.console-mfa",
          "cloud.trail.multi-region-logging", "cloud.trail.delivered-retained", "cloud.rds.automated-backups",
          "cloud.rds.storage-encrypted", "cloud.s3.no-public-buckets", "cloud.s3.default-encryption",
          "cloud.regions.data-in-mainland", "cloud.iam.no-root-access-keys", "cloud.iam.access-keys-rotated-used")


def write_profile(tmp: Path, applicability: str = "zds_2025", **cloud) -> Path:
    path = tmp / "profile.yaml"
    path.write_text(yaml.safe_dump({"id": "t", "title": "t", "level": 3, "extends": "cloud-tenant",
                                    "cloud": {"applicability": applicability, **cloud}}), encoding="utf-8")
    return path


def scan(tmp: Path, obj: dict, profile: Path) -> dict:
    inv = tmp / "inventory.yaml"
    inv.write_text(yaml.safe_dump({"objects": [{"id": "acct", "type": "cloud-account", "provider": "aws", **obj}]}),
                   encoding="utf-8")
    out = tmp / "out"
    result = CliRunner().invoke(main, ["scan", "-i", str(inv), "--profile", str(profile), "--out", str(out)])
    assert result.exit_code in (0, 1, 3), result.output
    (run,) = out.iterdir()
    doc = json.loads((run / "results.json").read_text(encoding="utf-8"))
    doc["_evidence"] = json.loads((run / "evidence" / "acct.json").read_text(encoding="utf-8"))
    doc["_run"] = str(run)
    return doc


def check_status(doc: dict) -> dict[str, str]:
    out: dict[str, str] = {}
    for row in doc["results"]:
        if row["object"] == "acct":
            for c in row.get("checks") or []:
                out[c["check"]] = c["status"]
    return out


def verdicts(doc: dict, obj: str = "acct") -> dict[str, str]:
    return {r["item"]: r["verdict"] for r in doc["results"] if r["object"] == obj}


@pytest.fixture
def good(moto, tmp_path) -> dict:
    moto.reset()
    accounts.conforming(moto)
    (tmp_path / "good").mkdir()
    return scan(tmp_path / "good", {"regions": [accounts.MAINLAND], "endpoint_url": moto.url},
                write_profile(tmp_path / "good", platform_level=3))


@pytest.fixture
def bad(moto, tmp_path) -> dict:
    moto.reset()
    accounts.failing(moto)
    (tmp_path / "bad").mkdir()
    return scan(tmp_path / "bad", {"regions": [accounts.ABROAD], "endpoint_url": moto.url},
                write_profile(tmp_path / "bad", platform_level=2))


def test_conforming_account_passes_every_check(good):
    status = check_status(good)
    assert {c: status.get(c) for c in CHECKS} == {c: "pass" for c in CHECKS}
    v = verdicts(good)
    # API evidence covers only the cloud side: a pass leaves the items to interview/documents, never 符合
    assert v["L3-ABS2-01"] == v["L3-CES2-01"] == v["L3-ABS1-05"] == "manual"


def test_failing_account_fails_each_check(bad):
    status = check_status(bad)
    expected_fail = set(CHECKS) - {"cloud.iam.no-root-access-keys", "cloud.iam.access-keys-rotated-used"}
    assert {c: status.get(c) for c in expected_fail} == {c: "fail" for c in expected_fail}
    v = verdicts(bad)
    assert v["L3-ABS2-01"] == v["L3-CES2-01"] == v["L3-CES2-10"] == v["L3-ABS1-05"] == v["L3-CES1-29"] == "fail"
    ev = bad["_evidence"]["facts"]
    assert ev["cloud_security_groups"]["value"]["world_sensitive"][0]["sensitive"] == ["22/ssh"]
    assert ev["cloud_data_regions"]["value"]["scanned_outside_mainland"] == [accounts.ABROAD]


def test_old_and_unused_access_keys_fail_later(moto, tmp_path):
    """Key age is judged at collection time: the same key, collected 200 days on, is over age and unused."""
    from datetime import datetime, timedelta, timezone

    from assess.model import Target
    from assess.probes.cloud.collector import collect
    from assess.probes.facts import facts_for

    accounts.conforming(moto)
    target = Target("acct", "cloud-account", connection={"transport": "cloud", "provider": "aws",
                                                         "regions": [accounts.MAINLAND], "endpoint_url": moto.url})
    facts = [facts_for("cloud-account")["cloud_iam_users"]]
    later = collect(target, facts, at=datetime.now(timezone.utc) + timedelta(days=200))
    keys = later.facts["cloud_iam_users"].value["active_keys"]
    assert keys and keys[0]["age_days"] >= 199 and keys[0]["unused_days"] >= 199
    from tests.cloud.evaluate import run_checks

    assert run_checks(later, ["cloud.iam.access-keys-rotated-used"]) == {"cloud.iam.access-keys-rotated-used": "fail"}


def test_every_answer_is_kept_hashed_and_no_secret_is(good, bad):
    for doc in (good, bad):
        ev = doc["_evidence"]
        text = json.dumps(ev)
        assert "testing" not in text and "SecretAccessKey" not in text
        assert ev["raw"] and all(s["id"].startswith("sha256:") and "answer" in s for s in ev["raw"].values())
        assert "ec2.DescribeSecurityGroups@" + ev["info"]["regions"][0] in ev["raw"]
        for name, fact in ev["facts"].items():
            ids = [i for i in fact["evidence"].split(",") if i]
            assert ids, name
            assert all(any(s["id"] == i for s in ev["raw"].values()) for i in ids), name


def test_cloud_high_risk_cases(good, bad):
    def found(doc):
        return {(f["rule"], f["status"]) for f in doc["highrisk"] if f["rule"].startswith("HR-CLD-")}

    assert found(good) == set()
    assert {("HR-CLD-platform-level", "triggered"), ("HR-CLD-data-outside-china", "triggered"),
            ("HR-CLD-no-boundary-control", "triggered"), ("HR-CLD-no-own-backup", "triggered")} <= found(bad)
    assert sum(1 for f in bad["highrisk"] if f["rule"] == "HR-CLD-platform-level") == 1


def test_ga_t_2347_reading_keeps_11_tenant_items(moto, tmp_path):
    accounts.conforming(moto)
    doc = scan(tmp_path, {"regions": [accounts.MAINLAND], "endpoint_url": moto.url},
               write_profile(tmp_path, applicability="ga_t_2347_2025"))
    cloud = {r["item"]: r for r in doc["results"] if doc["items"][r["item"]]["extension"] == "cloud"}
    assert len(cloud) == 46
    assessed = {i for i, r in cloud.items() if r["verdict"] != "na"}
    assert assessed == {"L3-ABS2-01", "L3-ABS2-02", "L3-CES2-01", "L3-CES2-14", "L3-SMC2-03", "L3-SMC2-04",
                        "L3-CMS2-01", "L3-CMS2-02", "L3-CMS2-03", "L3-CMS2-04", "L3-CMS2-05"}
    assert "此项主要针对云服务商" in cloud["L3-CNS2-02"]["reason"]
    assert {doc["items"][i]["extension_zh"] for i in cloud} == {"云计算安全扩展要求"}


def test_conclusion_counts_the_extension_and_the_record_labels_it(good):
    """The conclusion engine counts the 46 extension items; the XLSX 测评记录 shows them as 云计算安全扩展要求."""
    from openpyxl import load_workbook

    from assess.reports import render

    assert good["conclusion"]["items_total"] == 211 + 46
    doc = {k: v for k, v in good.items() if not k.startswith("_")}
    (path,) = render(doc, Path(good["_run"]), ["xlsx"])
    rows = [r for ws in load_workbook(path).worksheets for r in ws.iter_rows(values_only=True)]
    by_item = {r[-1]: r[1] for r in rows if r and isinstance(r[-1], str) and r[-1].startswith("L3-")}
    assert by_item["L3-ABS2-01"] == "云计算安全扩展要求" and by_item["L3-ABS1-05"] == "安全通用要求"


def test_stored_answers_are_rejudged_offline_and_edits_detected(bad):
    """assess.run.replay derives the facts again from the hashed answers in the evidence file."""
    from assess.probes.facts import facts_for
    from assess.run.replay import reparse

    stored = bad["_evidence"]
    facts = list(facts_for("cloud-account").values())
    again = reparse(stored, facts)
    for name, fact in stored["facts"].items():
        assert again.facts[name].status == fact["status"] and again.facts[name].value == fact["value"], name
    cid = next(c for c in stored["raw"] if c.startswith("ec2.DescribeSecurityGroups"))
    stored["raw"][cid]["answer"]["SecurityGroups"] = []  # hide the open groups after collection
    edited = reparse(stored, facts)
    assert edited.facts["cloud_security_groups"].status == "error"
    assert "does not match its sha256" in edited.facts["cloud_security_groups"].reason


def test_declared_measures_compensate_only_the_cases_that_allow_it(bad):
    from assess.catalog import highrisk
    from assess.catalog import load as catalog_load

    rules = [r for r in catalog_load.load().highrisk if r.id.startswith("HR-CLD-")]
    context = {**bad["run"]["profile"]["context"],
               "compensating_measures": ["host-acl-all-servers", "backup-other-region-or-cloud"]}
    status = {f["rule"]: f["status"] for f in highrisk.evaluate(rules, bad, 3, context)}
    assert status == {"HR-CLD-platform-level": "triggered", "HR-CLD-data-outside-china": "triggered",
                      "HR-CLD-no-boundary-control": "compensated", "HR-CLD-no-own-backup": "compensated"}
