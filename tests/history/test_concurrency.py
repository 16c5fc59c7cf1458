"""Two runs at once, with real processes: the second waits or exits 75 with a clear message, and the
history database stays intact (PRAGMA integrity_check)."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from assess.history import store as history

CONTROLS = Path(__file__).resolve().parent / "fixtures" / "controls"
HOLD = textwrap.dedent("""
    import sys
    from pathlib import Path
    from assess.history import lock
    with lock.exclusive(Path(sys.argv[1]), 0, "test holder"):
        print("held", flush=True)
        sys.stdin.read()  # until the test closes our stdin
""")


def _scan(tmp_path: Path, db: Path, *extra: str, out: str = "out") -> subprocess.Popen:
    args = [sys.executable, "-m", "assess", "scan", "-q", "--controls", str(CONTROLS), "--out",
            str(tmp_path / out), "--history", str(db), *extra]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _holder(path: Path) -> subprocess.Popen:
    """A process holding the lock `path` until its stdin is closed."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def _release(holder: subprocess.Popen) -> None:
    holder.communicate(timeout=60)


def _integrity(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


def test_second_run_into_the_same_directory_exits_75_naming_the_holder_or_waits(tmp_path: Path) -> None:
    """Synchronised on events: the holder holds until told, the waiting scan says that it waits."""
    db = tmp_path / "h.db"
    holder = _holder(history.run_lock_path(tmp_path / "out"))
    try:
        refused = _scan(tmp_path, db, "--wait", "0")
        out, err = refused.communicate(timeout=120)
        assert refused.returncode == 75, err
        assert "another assess run holds" in err and "test holder" in err and f"pid {holder.pid}" in err
        assert "--wait" in err and "Traceback" not in err
        assert not (tmp_path / "out").exists()  # refused before anything was collected or written
        waiting = _scan(tmp_path, db, "--wait", "300")
        assert waiting.stderr is not None
        line = waiting.stderr.readline()
        assert line.startswith("assess: waiting up to 300 s for ") and "test holder" in line, line
        assert waiting.poll() is None
        _release(holder)
        out, err = waiting.communicate(timeout=120)
        assert waiting.returncode == 0, err
    finally:
        if holder.poll() is None:
            holder.kill()
        holder.wait()
    assert len(history.runs(history.connect(db, create=False))) == 1
    assert _integrity(db) == "ok"


class HeldServer:
    """A loopback HTTP server whose answers wait until `release` is set; `asked` is set by the first request."""

    def __init__(self) -> None:
        self.asked, self.release = threading.Event(), threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                self.asked.set()
                self.release.wait(300)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 2\r\n"
                             b"Connection: close\r\n\r\nok")
            except OSError:
                pass

    def close(self) -> None:
        self.release.set()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close() alone does not
        except OSError:
            pass
        self.sock.close()
        self.thread.join()


def _web_scan(tmp_path: Path, db: Path, url: str, out: str) -> subprocess.Popen:
    """A scan of one webapp object with the shipped catalog (a different scope than the local scans)."""
    inv = tmp_path / "web.yaml"
    inv.write_text(f"objects:\n  - {{id: web, type: webapp, url: '{url}', timeout: 60, rate: 200}}\n"
                   "interview_objects: false\n")
    args = [sys.executable, "-m", "assess", "scan", "-q", "-i", str(inv), "--out", str(tmp_path / out),
            "--history", str(db), "--wait", "0"]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_scans_of_different_scopes_run_at_once_and_one_directory_refuses_a_second(tmp_path: Path) -> None:
    """A web scan held mid-collection does not stop a local scan into another directory (both recorded in
    one history); a scan into the held scan's own directory exits 75."""
    db = tmp_path / "h.db"
    server = HeldServer()
    web = _web_scan(tmp_path, db, server.url, "web-out")
    try:
        assert server.asked.wait(120), web.stderr.read() if web.poll() is not None else "no request"
        local = _scan(tmp_path, db, "--wait", "0", out="local-out")
        _, err = local.communicate(timeout=300)
        assert local.returncode == 0, err
        same = _scan(tmp_path, db, "--wait", "0", out="web-out")
        _, err = same.communicate(timeout=120)
        assert same.returncode == 75 and "another assess run holds" in err, err
        assert web.poll() is None  # it really ran all along
        server.release.set()
        _, err = web.communicate(timeout=300)
        assert web.returncode == 0, err
    finally:
        server.close()
        if web.poll() is None:
            web.kill()
            web.wait()
    runs = history.runs(history.connect(db, create=False))
    assert sorted(r["inventory_key"].split(":")[0] for r in runs) == ["file", "local"], runs
    assert _integrity(db) == "ok"


def test_two_scans_at_once_both_recorded(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    procs = [_scan(tmp_path, db, "--wait", "300") for _ in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    runs = history.runs(history.connect(db, create=False))
    assert len(runs) == 2 and runs[0]["run_id"] != runs[1]["run_id"]
    assert _integrity(db) == "ok"


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    holder = _holder(history.run_lock_path(tmp_path / "out"))
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    after = _scan(tmp_path, db, "--wait", "0")
    _, err = after.communicate(timeout=120)
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
