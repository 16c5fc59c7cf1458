"""Two runs at once, with real processes: the second waits or exits 75 with a clear message, and the
history database stays intact (PRAGMA integrity_check)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from assess.history import store as history

CONTROLS = Path(__file__).resolve().parent / "fixtures" / "controls"
HOLD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from assess.history import lock
    with lock.exclusive(Path(sys.argv[1]), 0, "test holder"):
        print("held", flush=True)
        time.sleep(float(sys.argv[2]))
""")


def _scan(tmp_path: Path, db: Path, *extra: str) -> subprocess.Popen:
    args = [sys.executable, "-m", "assess", "scan", "-q", "--controls", str(CONTROLS), "--out",
            str(tmp_path / "out"), "--history", str(db), *extra]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _holder(db: Path, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(history.lock_path(db)), str(seconds)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def _integrity(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


def test_second_run_exits_75_naming_the_holder_or_waits(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    holder = _holder(db, 2.0)
    try:
        refused = _scan(tmp_path, db, "--wait", "0")
        out, err = refused.communicate(timeout=60)
        assert refused.returncode == 75, err
        assert "another assess run holds" in err and "test holder" in err and f"pid {holder.pid}" in err
        assert "--wait" in err and "Traceback" not in err
        assert not (tmp_path / "out").exists()  # refused before anything was collected or written
        t0 = time.monotonic()
        waiting = _scan(tmp_path, db, "--wait", "30")
        out, err = waiting.communicate(timeout=90)
        assert waiting.returncode == 0, err
        assert time.monotonic() - t0 >= 0.5  # it did wait for the holder
    finally:
        holder.kill()
        holder.wait()
    assert len(history.runs(history.connect(db, create=False))) == 1
    assert _integrity(db) == "ok"


def test_two_scans_at_once_both_recorded(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    procs = [_scan(tmp_path, db, "--wait", "60") for _ in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    runs = history.runs(history.connect(db, create=False))
    assert len(runs) == 2 and runs[0]["run_id"] != runs[1]["run_id"]
    assert _integrity(db) == "ok"


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    holder = _holder(db, 60)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    after = _scan(tmp_path, db, "--wait", "0")
    _, err = after.communicate(timeout=60)
    assert after.returncode == 0, err


WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from assess.history import store as history
    from tests.history.helpers import doc, row
    conn = history.connect(Path(sys.argv[1]))
    for i in range(25):
        rows = [row(f"L3-CES1-{j:02d}", f"o{k}", "pass") for j in range(1, 11) for k in range(10)]
        history.record(conn, doc(f"{sys.argv[2]}-{i}", rows), None, "K")
""")


def test_concurrent_writers_without_the_lock_do_not_corrupt(tmp_path: Path) -> None:
    """Even bypassing assess.history.lock, WAL + busy timeout + BEGIN IMMEDIATE keep every write whole."""
    db = tmp_path / "h.db"
    root = Path(__file__).resolve().parents[2]
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(db), name], cwd=root,
                                stderr=subprocess.PIPE, text=True) for name in ("a", "b")]
    for w in writers:
        _, err = w.communicate(timeout=120)
        assert w.returncode == 0, err
    conn = history.connect(db, create=False)
    assert len(history.runs(conn)) == 50
    assert conn.execute("SELECT count(*) FROM verdicts").fetchone()[0] == 50 * 100
    assert _integrity(db) == "ok"
