"""The history store: record, list, prune, trend, fingerprints, schema version; `assess history`."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from assess.cli import main
from assess.errors import InputError
from assess.history import store as history
from tests.history.helpers import doc, row


def _db(tmp_path: Path) -> sqlite3.Connection:
    return history.connect(tmp_path / "h.db")


def test_fingerprint_is_stable_and_distinguishes_objects() -> None:
    a = history.fingerprint("L3-CES1-01", "web1", "linux", "10.0.0.1")
    assert a == history.fingerprint("L3-CES1-01", "web1", "linux", "10.0.0.1")
    assert len(a) == 32
    assert a != history.fingerprint("L3-CES1-01", "web1", "linux", "10.0.0.2")
    assert a != history.fingerprint("L3-CES1-02", "web1", "linux", "10.0.0.1")
    assert a != history.fingerprint("L3-CES1-01", "web1", "database", "10.0.0.1")


def test_default_path_follows_assess_home(assess_home: Path) -> None:
    assert history.default_path() == assess_home / "history.db"


def test_inventory_key(tmp_path: Path) -> None:
    inv = tmp_path / "inv.yaml"
    assert history.inventory_key(inv) == f"file:{inv.resolve()}"
    assert history.inventory_key(None).startswith("local:")


def test_record_and_read_back(tmp_path: Path) -> None:
    conn = _db(tmp_path)
    d = doc("r1", [row("L3-CES1-01", "web1", "pass"), row("L3-CES1-02", "web1", "fail")], rate=0.5,
            major=[{"rule": "HR-CES-x", "object": "web1", "status": "triggered"}])
    history.record(conn, d, tmp_path / "r1", "file:/inv.yaml", "schedule:nightly")
    run = history.get_run(conn, "r1")
    assert run is not None
    assert run["counts"] == {"pass": 1, "fail": 1}
    assert run["major_risks"] == 1 and run["trigger"] == "schedule:nightly"
    assert run["run_dir"] == str((tmp_path / "r1").absolute())
    snap = history.snapshot(conn, run)
    assert {r["verdict"] for r in snap.rows.values()} == {"pass", "fail"}
    fp = history.fingerprint("L3-CES1-02", "web1", "linux", "web1.example")
    assert snap.rows[fp]["reason"] == "L3-CES1-02 is fail"
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT version FROM schema_version").fetchone()[0] == history.SCHEMA_VERSION
    with pytest.raises(InputError, match="already in the history"):
        history.record(conn, d, None, "file:/inv.yaml")


def test_latest_previous_prefix_and_trend(tmp_path: Path) -> None:
    conn = _db(tmp_path)
    for i, rate in enumerate((0.5, 0.6, 0.7)):
        history.record(conn, doc(f"2026010{i}-aaa{i}", [row("L3-CES1-01", "w", "pass")],
                                 finished=f"2026-01-0{i + 1}T00:00:00Z", rate=rate), None, "K")
    history.record(conn, doc("other", [row("L3-CES1-01", "w", "pass")], finished="2026-02-01T00:00:00Z"), None, "K2")
    newest = history.latest(conn, "K")
    assert newest["run_id"] == "20260102-aaa2"
    assert history.previous(conn, newest)["run_id"] == "20260101-aaa1"
    assert history.latest(conn)["run_id"] == "other"
    assert history.get_run(conn, "20260100")["run_id"] == "20260100-aaa0"
    with pytest.raises(InputError, match="ambiguous"):
        history.get_run(conn, "2026010")
    assert history.get_run(conn, "nope") is None
    trend = history.trend(tmp_path / "h.db", "K")
    assert [t["conformance_rate"] for t in trend] == [0.5, 0.6, 0.7]
    assert set(trend[0]) == {"run", "finished", "conformance_rate", "major_risks"}


def test_prune_keeps_newest_per_inventory_and_cascades(tmp_path: Path) -> None:
    conn = _db(tmp_path)
    for i in range(5):
        history.record(conn, doc(f"a{i}", [row("L3-CES1-01", "w", "pass")], finished=f"2026-01-0{i + 1}T00:00:00Z"),
                       None, "A")
    history.record(conn, doc("b0", [row("L3-CES1-01", "w", "pass")]), None, "B")
    gone = history.prune(conn, 2)
    assert sorted(r["run_id"] for r in gone) == ["a0", "a1", "a2"]
    assert [r["run_id"] for r in history.runs(conn)] == ["a4", "a3", "b0"]
    assert conn.execute("SELECT count(*) FROM verdicts WHERE run_id IN ('a0','a1','a2')").fetchone()[0] == 0
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with pytest.raises(InputError):
        history.prune(conn, 0)


def test_failing_since_follows_the_unbroken_streak(tmp_path: Path) -> None:
    conn = _db(tmp_path)
    verdicts = ["fail", "pass", "fail", "partial", "fail"]
    for i, v in enumerate(verdicts):
        history.record(conn, doc(f"r{i}", [row("L3-CES1-01", "w", v)], finished=f"2026-01-0{i + 1}T00:00:00Z"),
                       None, "K")
    fp = history.fingerprint("L3-CES1-01", "w", "linux", "w.example")
    assert history.failing_since(conn, history.get_run(conn, "r4"), [fp]) == {fp: "r2"}


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    conn = _db(tmp_path)
    conn.execute("UPDATE schema_version SET version = 99")
    conn.close()
    with pytest.raises(InputError, match="newer than this assess reads"):
        history.connect(tmp_path / "h.db")


def test_not_a_database_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "h.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    result = CliRunner().invoke(main, ["history", "--history", str(bad)])
    assert result.exit_code == 2
    assert "not a usable history database" in result.output
    assert "Traceback" not in result.output


def test_history_cli_table_json_and_prune(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    conn = history.connect(db)
    for i in range(3):
        history.record(conn, doc(f"run{i}", [row("L3-CES1-01", "w", "pass"), row("L3-CES1-02", "w", "fail")],
                                 finished=f"2026-01-0{i + 1}T00:00:00Z"), None, "file:/srv/inv.yaml")
    runner = CliRunner()
    table = runner.invoke(main, ["history", "--history", str(db)])
    assert table.exit_code == 0, table.output
    lines = table.output.splitlines()
    assert lines[0].startswith("RUN") and "Asia/Shanghai" in lines[0]
    assert lines[1].split()[0] == "run2" and "2026-01-03 08:00" in lines[1]  # UTC+8
    data = json.loads(runner.invoke(main, ["history", "--history", str(db), "--format", "json"]).output)
    assert [r["run_id"] for r in data["runs"]] == ["run2", "run1", "run0"]
    pruned = runner.invoke(main, ["history", "--history", str(db), "prune", "--keep", "1"])
    assert pruned.exit_code == 0, pruned.output
    assert "2 run(s) pruned" in pruned.output
    assert [r["run_id"] for r in history.runs(conn)] == ["run2"]
    missing = runner.invoke(main, ["history", "--history", str(tmp_path / "none.db")])
    assert missing.exit_code == 2 and "no history database" in missing.output


def test_uncreatable_database_says_what_to_do(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["scan", "-q", "--out", str(tmp_path / "out"), "--history",
                                       "/proc/assess-no-such-dir/history.db"])
    assert result.exit_code == 2
    assert "cannot create history database" in result.output and "--no-history" in result.output
    assert not (tmp_path / "out").exists()
