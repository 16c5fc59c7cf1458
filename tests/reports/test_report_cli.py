"""`assess report` and the scan's reports: re-rendering, --template, --fail-on, and bad input (exit 2, nothing left)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assess import reports
from assess.errors import InputError
from assess.judge import judgement
from tests.reports.synthetic import make_run


@pytest.fixture(scope="module")
def base_run(tmp_path_factory):
    run_dir, _doc = make_run(tmp_path_factory.mktemp("base"), 6)
    return run_dir


@pytest.fixture
def run_dir(base_run, tmp_path):
    copy = tmp_path / base_run.name
    shutil.copytree(base_run, copy)
    return copy


def assess(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assess", *args], capture_output=True, text=True, timeout=300)


def report_files(run_dir: Path) -> list[str]:
    return sorted(p.name for p in run_dir.iterdir() if p.name.startswith(("report", "record", ".")))


def test_report_rerenders_every_format_and_recomputes_the_template(run_dir):
    before = (run_dir / "results.json").read_bytes()
    proc = assess("report", str(run_dir), "--format", "html,xlsx,md,json,junit,oscal", "--template", "2021")
    assert proc.returncode == 0, proc.stderr
    assert report_files(run_dir) == ["record.xlsx", "report.html", "report.json", "report.junit.xml", "report.md",
                                     "report.oscal.json"]
    assert f"report: {run_dir / 'report.html'}" in proc.stdout and "(2021 template" in proc.stdout
    rendered = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
    assert rendered["conclusion"]["template"] == "2021" and rendered["run"]["template"] == "2021"
    assert rendered["conclusion"]["conclusion_zh"] in ("优", "良", "中", "差")
    assert (run_dir / "results.json").read_bytes() == before  # the run itself is never rewritten
    proc = assess("report", str(run_dir / "results.json"), "--lang", "en")
    assert proc.returncode == 0 and (run_dir / "report.en.html").is_file()


def test_fail_on_levels(run_dir):
    doc = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    major = {"rule": "HR-CES-weak-password", "title": "弱口令", "title_en": "weak", "object": "linux-000",
             "cases": {"major": "A-18"}, "major": True, "high_risk": True, "status": "triggered",
             "triggered_by": [{"item": "L3-CES1-01", "object": "linux-000", "verdict": "fail"}],
             "compensated_by": [], "remediation": "r", "remediation_en": "r", "references": ["x"]}
    (run_dir / "results.json").write_text(json.dumps({**doc, "highrisk": [major]}), encoding="utf-8")
    assert assess("report", str(run_dir), "--fail-on", "major-risk").returncode == 1
    (run_dir / "results.json").write_text(json.dumps({**doc, "highrisk": []}), encoding="utf-8")
    assert assess("report", str(run_dir), "--fail-on", "major-risk").returncode == 0
    clean = {**doc, "highrisk": [], "results": [{**r, "verdict": "pass"} for r in doc["results"]],
             "conclusion": {"conclusion": "conform"}}
    assert not any(judgement.exceeds(clean, level) for level in judgement.FAIL_ON)
    one_partial = {**clean, "results": [{**clean["results"][0], "verdict": "partial"}] + clean["results"][1:]}
    assert [judgement.exceeds(one_partial, lv) for lv in judgement.FAIL_ON] == [False, False, False, False, True]
    high = {**clean, "highrisk": [{"status": "triggered", "major": False, "high_risk": True}]}
    assert [judgement.exceeds(high, lv) for lv in judgement.FAIL_ON] == [False, False, True, True, True]
    # nonconform: the most conservative reading's conclusion
    readings = [{"reading": "item_mean", "conclusion": "basic"}, {"reading": "pass_ratio", "conclusion": "nonconform"}]
    shaky = {**clean, "conclusion": {"conclusion": "basic", "readings": readings, "conservative": "pass_ratio"}}
    assert [judgement.exceeds(shaky, lv) for lv in judgement.FAIL_ON] == [False, True, False, False, False]
    compensated = {**clean, "highrisk": [{"status": "compensated", "major": True, "high_risk": True}]}
    assert not judgement.exceeds(compensated, "major-risk")


def _expect_clean_failure(run_dir: Path, message: str) -> None:
    proc = assess("report", str(run_dir), "--format", "html,xlsx,json")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in proc.stderr
    assert report_files(run_dir) == []


def test_other_schema_version(run_dir):
    doc = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    doc["schema"] = "assess/results@2"
    (run_dir / "results.json").write_text(json.dumps(doc), encoding="utf-8")
    _expect_clean_failure(run_dir, "unsupported results schema 'assess/results@2'")


def test_truncated_results(run_dir):
    data = (run_dir / "results.json").read_bytes()
    (run_dir / "results.json").write_bytes(data[: len(data) // 2])
    _expect_clean_failure(run_dir, "not valid JSON (truncated?)")


def test_missing_evidence_file(run_dir):
    (run_dir / "evidence" / "linux-000.json").unlink()
    _expect_clean_failure(run_dir, "evidence file evidence/linux-000.json is missing")


def test_truncated_evidence_file(run_dir):
    path = run_dir / "evidence" / "linux-000.json"
    path.write_bytes(path.read_bytes()[:100])
    _expect_clean_failure(run_dir, "evidence file evidence/linux-000.json is not valid JSON")


def test_incomplete_document_and_unknown_format(run_dir):
    doc = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    with pytest.raises(InputError, match="no valid 'highrisk' section"):
        reports.render({k: v for k, v in doc.items() if k != "highrisk"}, run_dir, ["html"])
    with pytest.raises(InputError, match="unknown report format pdf"):
        reports.parse_formats("html,pdf")
    bad = {**doc, "results": [{**doc["results"][0], "object": "ghost"}]}
    with pytest.raises(InputError, match="names object 'ghost'"):
        reports.render(bad, run_dir, ["html"])
    assert report_files(run_dir) == []


def test_a_failing_renderer_leaves_no_report_behind(run_dir, monkeypatch):
    doc = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    real = reports._renderer

    def broken(fmt):
        if fmt == "xlsx":
            def fail(_ctx):
                raise OSError(28, "No space left on device")
            return fail
        return real(fmt)

    monkeypatch.setattr(reports, "_renderer", broken)
    with pytest.raises(InputError, match="No space left on device"):
        reports.render(doc, run_dir, ["html", "xlsx", "md"])
    assert report_files(run_dir) == []  # the html rendered first was never put in place


def test_scan_writes_html_and_json_by_default_and_says_where(tmp_path):
    proc = assess("scan", "--out", str(tmp_path), "--no-history", "-q")
    assert proc.returncode in (0, 3), proc.stderr
    [run] = list(tmp_path.iterdir())
    assert (run / "results.json").is_file() and (run / "report.html").is_file()
    assert f"results: {run / 'results.json'}" in proc.stdout and f"report: {run / 'report.html'}" in proc.stdout


def test_operator_and_system_name_head_the_record(run_dir):
    import openpyxl

    proc = assess("report", str(run_dir), "--format", "xlsx", "--operator", "李工", "--system", "网约车平台")
    assert proc.returncode == 0, proc.stderr
    rows = list(openpyxl.load_workbook(run_dir / "record.xlsx", read_only=True)["linux-000"].iter_rows(
        values_only=True))
    block = {r[0]: r[3] for r in rows[:6]}
    assert block["测评人员"] == "李工" and block["被测系统名称"] == "网约车平台"
    assert "网约车平台" not in (run_dir / "results.json").read_text(encoding="utf-8")
