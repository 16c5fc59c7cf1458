"""Drift between two runs: every class, text and JSON, and `assess diff` on run ids and run directories."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from assess.cli import main
from assess.history import diff
from assess.history import store as history
from tests.history.helpers import doc, row, write_run

CHECK_FAIL = [{"check": "linux.x", "status": "fail", "reason": "X = 5, expected ≤ 3"}]
CHECK_PASS = [{"check": "linux.x", "status": "pass", "reason": "X ≤ 3"}]

A_ROWS = [
    row("L3-CES1-01", "w", "pass", checks=CHECK_PASS),      # → fail: regressed
    row("L3-CES1-02", "w", "partial"),                      # → fail: regressed
    row("L3-CES1-03", "w", "fail"),                         # → pass: fixed
    row("L3-CES1-04", "w", "fail"),                         # → fail: still failing
    row("L3-CES1-05", "w", "fail"),                         # → partial: still failing, improved
    row("L3-CES1-06", "w", "manual"),                       # → fail: new failure
    row("L3-CES1-07", "w", "pass"),                         # → pass: unchanged
    row("L3-CES1-08", "w", "pass"),                         # → na: changed
    row("L3-CES1-09", "w", "pass"),                         # removed
]
B_ROWS = [
    row("L3-CES1-01", "w", "fail", weight=1.0, checks=CHECK_FAIL),
    row("L3-CES1-02", "w", "fail"),
    row("L3-CES1-03", "w", "pass"),
    row("L3-CES1-04", "w", "fail"),
    row("L3-CES1-05", "w", "partial"),
    row("L3-CES1-06", "w", "fail"),
    row("L3-CES1-07", "w", "pass"),
    row("L3-CES1-08", "w", "na"),
    row("L3-CES1-10", "w", "fail"),                         # new item, failing: new failure
    row("L3-CES1-11", "w", "pass"),                         # new item, passing: added
]
RISK = {"rule": "HR-CES-weak", "object": "w", "title": "弱口令", "status": "triggered"}


def _drift() -> dict:
    a = diff.snapshot_from_document(doc("A", A_ROWS, rate=0.6))
    b = diff.snapshot_from_document(doc("B", B_ROWS, rate=0.4, major=[RISK]))
    return diff.compare(a, b)


def test_every_class() -> None:
    d = _drift()
    by = {c: sorted(e["item"] for e in d[c]) for c in diff.CLASSES}
    assert by["regressed"] == ["L3-CES1-01", "L3-CES1-02"]
    assert by["fixed"] == ["L3-CES1-03"]
    assert by["still_failing"] == ["L3-CES1-04", "L3-CES1-05"]
    assert by["new_failures"] == ["L3-CES1-06", "L3-CES1-10"]
    assert by["unchanged"] == ["L3-CES1-07"]
    assert by["changed"] == ["L3-CES1-08"]
    assert by["removed"] == ["L3-CES1-09"]
    assert by["added"] == ["L3-CES1-11"]
    improved = [e for e in d["still_failing"] if e.get("improved")]
    assert [e["item"] for e in improved] == ["L3-CES1-05"]
    assert d["regressed"][0]["item"] == "L3-CES1-01"  # heaviest first
    assert d["regressed"][0]["checks"] == [{"check": "linux.x", "from": "pass", "to": "fail",
                                            "reason": "X = 5, expected ≤ 3"}]
    assert d["major_risks"]["new"][0]["rule"] == "HR-CES-weak" and d["major_risks"]["cleared"] == []
    assert d["conformance_rate"] == {"a": 0.6, "b": 0.4, "delta": -0.2}
    assert diff.has_regressions(d)


def test_identical_runs_have_no_drift() -> None:
    a = diff.snapshot_from_document(doc("A", A_ROWS))
    b = diff.snapshot_from_document(doc("B", A_ROWS))
    d = diff.compare(a, b)
    assert not diff.has_regressions(d)
    assert d["summary"]["unchanged"] + d["summary"]["still_failing"] == len(A_ROWS)
    assert d["notes"] == []


def test_catalog_change_is_noted() -> None:
    a = diff.snapshot_from_document(doc("A", A_ROWS))
    b = diff.snapshot_from_document(doc("B", A_ROWS, catalog_sha="d" * 64))
    assert any("catalog changed" in n for n in diff.compare(a, b)["notes"])


def test_text_report() -> None:
    text = diff.render_text(_drift())
    assert "REGRESSED (conforming before, not now): 2" in text
    assert "L3-CES1-01 8.1.4.1 a  w: 符合(pass) → 不符合(fail)" in text
    assert "- linux.x: pass → fail: X = 5, expected ≤ 3" in text
    assert "NEW MAJOR RISKS" in text and "HR-CES-weak" in text
    assert "符合率 60.0% → 40.0%" in text
    assert "1 unchanged" in text


def _record(db: Path, out: Path, documents: list[dict]) -> list[Path]:
    conn = history.connect(db)
    dirs = []
    for d in documents:
        run_dir = write_run(out, d)
        history.record(conn, d, run_dir, "file:/srv/inv.yaml")
        dirs.append(run_dir)
    return dirs


def test_cli_default_is_last_two_runs_and_exits_1_on_regression(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    _record(db, tmp_path / "out", [doc("A", A_ROWS, finished="2026-01-01T00:00:00Z"),
                                   doc("B", B_ROWS, finished="2026-01-02T00:00:00Z")])
    result = CliRunner().invoke(main, ["diff", "--history", str(db)])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("assess diff: A → B  (file:/srv/inv.yaml)")
    data = json.loads(CliRunner().invoke(main, ["diff", "--history", str(db), "--format", "json"]).output)
    assert data["schema"] == "assess/diff@1" and data["summary"]["regressed"] == 2


def test_cli_no_regression_exits_0_and_shows_failing_since(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    rows = [row("L3-CES1-04", "w", "fail")]
    _record(db, tmp_path / "out", [doc("A", rows, finished="2026-01-01T00:00:00Z"),
                                   doc("B", rows, finished="2026-01-02T00:00:00Z"),
                                   doc("C", rows, finished="2026-01-03T00:00:00Z")])
    result = CliRunner().invoke(main, ["diff", "--history", str(db)])
    assert result.exit_code == 0, result.output
    assert "B → C" in result.output and "[failing since A]" in result.output
    one = CliRunner().invoke(main, ["diff", "A", "--history", str(db)])  # A against the latest (C)
    assert one.exit_code == 0 and "A → C" in one.output


def test_cli_run_directories_without_history(tmp_path: Path) -> None:
    a = write_run(tmp_path, doc("A", A_ROWS))
    b = write_run(tmp_path, doc("B", B_ROWS))
    result = CliRunner().invoke(main, ["diff", str(a), str(b / "results.json"), "--history",
                                       str(tmp_path / "none.db")])
    assert result.exit_code == 1, result.output
    back = CliRunner().invoke(main, ["diff", str(b), str(a), "--history", str(tmp_path / "none.db")])
    assert back.exit_code == 1  # B → A: what was fixed regresses
    assert "L3-CES1-03" in back.output


def test_cli_bad_input(tmp_path: Path) -> None:
    runner = CliRunner()
    no_db = runner.invoke(main, ["diff", "--history", str(tmp_path / "none.db")])
    assert no_db.exit_code == 2 and "no history database" in no_db.output
    db = tmp_path / "h.db"
    _record(db, tmp_path / "out", [doc("A", A_ROWS)])
    only_one = runner.invoke(main, ["diff", "--history", str(db)])
    assert only_one.exit_code == 2 and "only one run" in only_one.output
    unknown = runner.invoke(main, ["diff", "nope", "A", "--history", str(db)])
    assert unknown.exit_code == 2 and "no run 'nope'" in unknown.output
    truncated = tmp_path / "t"
    truncated.mkdir()
    (truncated / "results.json").write_text('{"schema": "assess/results@1", "run": ', encoding="utf-8")
    bad = runner.invoke(main, ["diff", str(truncated), "A", "--history", str(db)])
    assert bad.exit_code == 2 and "not valid JSON" in bad.output
    assert "Traceback" not in bad.output


def test_no_longer_assessed_is_not_fixed_and_is_a_regression() -> None:
    """Issue 16.1: fail → 无法判定 is coverage lost, not a fix; a major risk whose results are now in error is
    'no longer assessed', not 'cleared'; either makes `assess diff` exit 1. A risk gone on collected evidence
    is cleared."""
    risk = {"rule": "HR-CES-weak-password", "object": "w", "title": "弱口令",
            "triggered_by": [{"item": "L3-CES1-01", "object": "w"}]}
    other = {"rule": "HR-CES-audit", "object": "w", "title": "审计", "triggered_by": [{"item": "L3-CES1-02",
                                                                                      "object": "w"}]}
    a = doc("A", [row("L3-CES1-01", "w", "fail"), row("L3-CES1-02", "w", "fail"), row("L3-CES1-03", "w", "pass")],
            major=[risk, other])
    b = doc("B", [row("L3-CES1-01", "w", "error"), row("L3-CES1-02", "w", "pass"), row("L3-CES1-03", "w", "error")])
    drift = diff.compare(diff.snapshot_from_document(a), diff.snapshot_from_document(b))
    assert [(e["item"], e["from"]) for e in drift["no_longer_assessed"]] == [("L3-CES1-01", "fail"),
                                                                            ("L3-CES1-03", "pass")]
    assert [e["item"] for e in drift["fixed"]] == ["L3-CES1-02"] and not drift["changed"]
    assert [r["rule"] for r in drift["major_risks"]["no_longer_assessed"]] == ["HR-CES-weak-password"]
    assert [r["rule"] for r in drift["major_risks"]["cleared"]] == ["HR-CES-audit"]
    assert diff.has_regressions(drift)
    text = diff.render_text(drift)
    assert "MAJOR RISKS NO LONGER ASSESSED" in text and "NO LONGER ASSESSED" in text
    assert "2 no longer assessed" in diff.headline(drift)
