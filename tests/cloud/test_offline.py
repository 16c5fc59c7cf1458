"""Offline mode: the AWS CLI's JSON for the same calls, produced by the real `aws` CLI against the moto server,
yields the same facts as the SDK; a missing file is 无法判定, never a pass; a saved denial names the permission."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from assess.model import Target
from assess.probes.cloud.collector import collect
from assess.probes.cloud.offline import cli_command, file_name
from assess.probes.facts import facts_for
from tests.cloud import accounts
from tests.cloud.conftest import CREDS, lab_unavailable
from tests.cloud.evaluate import run_checks

AT = datetime.now(timezone.utc)


def _split(cid: str) -> tuple[str, str, str | None, str | None]:
    head, _, key = cid.partition("#")
    call, _, region = head.partition("@")
    service, _, op = call.partition(".")
    return service, op, region or None, key or None


_RUN_CLI = """
import contextlib, io, json, sys
from awscli.clidriver import create_clidriver
for argv, out in json.load(sys.stdin):
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        rc = create_clidriver().main(argv)
    with open(out if rc == 0 else out + ".err", "w", encoding="utf-8") as f:
        f.write(stdout.getvalue() if rc == 0 else stderr.getvalue())
"""


def save_with_cli(online, url: str, region: str, directory: Path) -> None:
    """Run the AWS CLI (its own driver, one process for all commands) for every call the SDK made, saving
    stdout, or stderr as .err when the command failed, as the operator would."""
    try:
        import awscli  # noqa: F401
    except ImportError:
        lab_unavailable("the AWS CLI (pip install awscli) is needed to produce offline files")
    jobs = []
    for cid in online.raw:
        service, op, reg, key = _split(cid)
        path = directory / file_name(service, op, reg or region, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        argv = cli_command(service, op, reg or region, key)[1:] + ["--endpoint-url", url]
        if service in ("iam", "s3"):
            argv += ["--region", region]
        jobs.append((argv, str(path)))
    subprocess.run([sys.executable, "-c", _RUN_CLI], input=json.dumps(jobs), text=True, check=True, timeout=600,
                   env={**os.environ, **CREDS})


def offline_target(directory: Path, region: str) -> Target:
    return Target("acct", "cloud-account", connection={"transport": "cloud", "provider": "aws",
                                                       "regions": [region], "offline": str(directory)})


def online_target(url: str, region: str) -> Target:
    return Target("acct", "cloud-account", connection={"transport": "cloud", "provider": "aws",
                                                       "regions": [region], "endpoint_url": url})


def _saved(name: str, moto_process, tmp_path_factory):
    """(online evidence, directory of CLI output, region) of one account state."""
    build, region = {"conforming": (accounts.conforming, accounts.MAINLAND),
                     "failing": (accounts.failing, accounts.ABROAD)}[name]
    moto_process.reset()
    build(moto_process)
    directory = tmp_path_factory.mktemp(f"offline-{name}")
    with pytest.MonkeyPatch.context() as env:
        for k, v in {**CREDS, "AWS_CONFIG_FILE": str(directory / "none"),
                     "AWS_SHARED_CREDENTIALS_FILE": str(directory / "none")}.items():
            env.setenv(k, v)
        online = collect(online_target(moto_process.url, region), list(facts_for("cloud-account").values()), at=AT)
        assert online.error is None and online.info["failed"] == 0, online.error
        save_with_cli(online, moto_process.url, region, directory)
    return online, directory, region


@pytest.fixture(scope="module")
def saved_conforming(moto_process, tmp_path_factory):
    return _saved("conforming", moto_process, tmp_path_factory)


@pytest.fixture(scope="module")
def saved_failing(moto_process, tmp_path_factory):
    return _saved("failing", moto_process, tmp_path_factory)


@pytest.fixture
def conforming_files(saved_conforming, tmp_path):
    shutil.copytree(saved_conforming[1], tmp_path / "saved")
    return tmp_path / "saved"


@pytest.mark.parametrize("state", ["saved_conforming", "saved_failing"])
def test_cli_json_gives_the_same_facts(request, state):
    online, directory, region = request.getfixturevalue(state)
    facts = list(facts_for("cloud-account").values())
    offline = collect(offline_target(directory, region), facts, at=AT)
    assert offline.error is None and offline.info["source"] == "cli-json"
    for name in online.facts:
        assert offline.facts[name].status == "ok", offline.facts[name].reason
        assert offline.facts[name].value == online.facts[name].value, name
    assert all(s["id"].startswith("sha256:") for s in offline.raw.values())


def test_missing_file_is_not_collected_and_saved_denial_names_permission(conforming_files):
    tmp_path = conforming_files
    facts = facts_for("cloud-account")
    (tmp_path / file_name("cloudtrail", "DescribeTrails", accounts.MAINLAND, None)).unlink()
    sg = tmp_path / file_name("ec2", "DescribeSecurityGroups", accounts.MAINLAND, None)
    sg.unlink()
    sg.with_name(sg.name + ".err").write_text(
        "\nAn error occurred (UnauthorizedOperation) when calling the DescribeSecurityGroups operation: You are "
        "not authorized to perform this operation.\n", encoding="utf-8")
    ev = collect(offline_target(tmp_path, accounts.MAINLAND), list(facts.values()), at=AT)
    assert ev.facts["cloud_trail"].status == "error" and "not collected" in ev.facts["cloud_trail"].reason
    assert "ec2:DescribeSecurityGroups" in ev.facts["cloud_security_groups"].reason
    status = run_checks(ev, ["cloud.trail.multi-region-logging", "cloud.sg.no-world-all-ports",
                             "cloud.rds.automated-backups"])
    assert status == {"cloud.trail.multi-region-logging": "error", "cloud.sg.no-world-all-ports": "error",
                      "cloud.rds.automated-backups": "pass"}


def test_root_access_keys_pass_and_fail(conforming_files):
    """moto cannot give the root user keys; the saved CLI answer of an account with root keys can."""
    tmp_path = conforming_files
    facts = [facts_for("cloud-account")["cloud_iam_users"]]
    ev = collect(offline_target(tmp_path, accounts.MAINLAND), facts, at=AT)
    assert run_checks(ev, ["cloud.iam.no-root-access-keys"]) == {"cloud.iam.no-root-access-keys": "pass"}
    summary = tmp_path / file_name("iam", "GetAccountSummary", None, None)
    data = json.loads(summary.read_text(encoding="utf-8"))
    data["SummaryMap"]["AccountAccessKeysPresent"] = 1
    summary.write_text(json.dumps(data), encoding="utf-8")
    ev = collect(offline_target(tmp_path, accounts.MAINLAND), facts, at=AT)
    assert run_checks(ev, ["cloud.iam.no-root-access-keys"]) == {"cloud.iam.no-root-access-keys": "fail"}
