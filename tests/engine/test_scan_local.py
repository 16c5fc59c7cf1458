"""`assess scan` end to end on this machine, and its bad-input paths."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES


def run_assess(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assess", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.fixture(scope="module")
def local_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    cwd = tmp_path_factory.mktemp("scan")
    proc = run_assess("scan", cwd=cwd)
    return proc, cwd


def test_default_scan_writes_a_complete_run(local_run):
    proc, cwd = local_run
    assert proc.returncode in (0, 3), proc.stderr
    assert "Traceback" not in proc.stderr
    runs = list((cwd / "assess-out").iterdir())
    assert len(runs) == 1
    doc = json.loads((runs[0] / "results.json").read_text(encoding="utf-8"))
    assert doc["schema"] == "assess/results@1"
    assert {"run", "objects", "results", "conclusion"} <= set(doc)
    assert f"results: assess-out/{runs[0].name}/results.json" in proc.stdout
    assert "predicted conclusion" in proc.stdout


def test_every_item_appears_at_least_once(local_run):
    from assess.catalog import load as catalog

    _proc, cwd = local_run
    doc = json.loads(next((cwd / "assess-out").glob("*/results.json")).read_text(encoding="utf-8"))
    seen = {r["item"] for r in doc["results"]}
    assert seen == set(catalog.load().items)
    by_object = {}
    for r in doc["results"]:
        by_object.setdefault(r["object"], set()).add(r["item"][:6])
    assert by_object["site"] == {"L3-PES"}
    assert by_object["organization"] == {"L3-PSS", "L3-ORS", "L3-HRS", "L3-CMS", "L3-MMS"}
    assert "L3-CES" in by_object["local"]
    for r in doc["results"]:
        if r["object"] in ("site", "organization"):
            assert r["verdict"] == "manual"


def test_checks_cite_evidence_that_exists(local_run):
    _proc, cwd = local_run
    run_dir = next((cwd / "assess-out").iterdir())
    doc = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    evidence = json.loads((run_dir / "evidence" / "local.json").read_text(encoding="utf-8"))
    ids = {raw["id"] for raw in evidence["raw"].values()}
    checked = [c for r in doc["results"] for c in r["checks"]]
    assert checked, "the local object ran no check"
    for c in checked:
        assert c["status"] in ("pass", "fail", "na", "error", "manual")
        assert set(c["evidence"]) <= ids
        if c["status"] in ("pass", "fail"):
            assert c["evidence"], c


def test_unknown_profile_is_one_line_and_exit_2(tmp_path):
    proc = run_assess("scan", "--profile", "level9", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()]
    assert "unknown profile 'level9'" in proc.stderr
    assert not (tmp_path / "assess-out").exists()


def test_unreadable_catalog_is_exit_2(tmp_path):
    proc = run_assess("scan", "--controls", str(tmp_path / "nowhere"), cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr


def test_broken_profile_file_names_file_and_line(tmp_path):
    prof = tmp_path / "p.yaml"
    prof.write_text("id: mine\ntitle: t\nlevel: 3\nextends: level3\nparameters:\n  password_max_dayz: 60\n",
                    encoding="utf-8")
    proc = run_assess("scan", "--profile", str(prof), cwd=tmp_path)
    assert proc.returncode == 2
    assert f"{prof.resolve()}:6: unknown parameter 'password_max_dayz'" in proc.stderr


@pytest.mark.skipif(os.geteuid() == 0 and not Path("/proc/self/ns/mnt").exists(), reason="needs namespaces")
def test_read_only_output_directory_is_exit_2_with_nothing_left(tmp_path):
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o500)
    if os.access(out, os.W_OK):  # root ignores permission bits: use a file where a directory is needed
        out.chmod(0o700)
        out = tmp_path / "file"
        out.write_text("x")
    proc = run_assess("scan", "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 2
    assert "cannot create output directory" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_profile_parameter_changes_the_verdict(tmp_path):
    from assess.catalog import load as catalog
    from assess.catalog import profile
    from assess.judge import evaluate
    from assess.model import FactResult, Target

    cat = catalog.load(FIXTURES / "controls-mini")
    prof = profile.load("level3", cat)
    target = Target(id="h", type="linux")
    facts = {"login_defs": FactResult("login_defs", "ok", {"PASS_MAX_DAYS": 120, "PASS_MIN_LEN": 8,
                                                           "present": True})}
    before = evaluate.evaluate_target(cat, prof, target, facts)[0]
    prof.parameters["max_days"] = 180
    after = evaluate.evaluate_target(cat, prof, target, facts)[0]
    assert (before.verdict, after.verdict) == ("partial", "pass")
