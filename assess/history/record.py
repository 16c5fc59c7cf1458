"""Recording a scan in the history: one place that `assess scan` and `assess schedule run` share.

A `Recorder` opens the history database (WAL, busy timeout: any number of runs may read and record at once)
and holds its lock (assess.history.lock) only while it writes the run, so scans of different scopes run side by
side; the lock keeps `assess history prune` and a recording apart. It adds `history` (inventory key, previous run,
trend, drift against the previous run) to the results document before it is written; then it stores the
run and returns the drift.
"""

from __future__ import annotations

import sqlite3
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from assess.errors import InputError
from assess.history import diff, lock
from assess.history import store as history
from assess.run import document as results

#: seconds a finished run waits to record itself while another writes (a write takes milliseconds; a prune longer)
STORE_WAIT = 60.0


class Recorder:
    """Records runs of one inventory in one history database (module docstring)."""

    def __init__(self, db: Path, key: str, wait: float = 0.0, trigger: str = "manual"):
        self.db = history.resolve(db)
        self.key = key
        self.wait = wait
        self.trigger = trigger
        self.conn: sqlite3.Connection | None = None
        self.drift: dict[str, Any] | None = None
        self.previous: dict[str, Any] | None = None
        self._stack = ExitStack()

    def __enter__(self) -> Recorder:
        self.conn = history.connect(self.db)
        self._stack = ExitStack()
        self._stack.callback(self.conn.close)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()
        self.conn = None

    def _connection(self) -> sqlite3.Connection:
        if self.conn is None:
            raise RuntimeError("Recorder used outside its `with` block")
        return self.conn

    def run_dir(self, ref: str) -> Path:
        """The run directory for --rescan-failed: a directory, a run id (or prefix), or "latest"."""
        conn = self._connection()
        path = Path(ref)
        if ref != "latest" and path.exists():
            return path.parent if path.is_file() else path
        run = history.latest(conn, self.key) if ref == "latest" else history.get_run(conn, ref)
        if run is None:
            what = f"no earlier run of {self.key} in {self.db}" if ref == "latest" else \
                f"no run '{ref}' in {self.db} and no such directory"
            raise InputError(what)
        if not run["run_dir"] or not Path(run["run_dir"]).is_dir():
            raise InputError(f"run {run['run_id']} was recorded, but its directory {run['run_dir']} is gone")
        return Path(run["run_dir"])

    def document(self, doc: dict[str, Any]) -> None:
        """Add `history` to the results document: trend (this run included) and drift from the previous run."""
        conn = self._connection()
        self.previous = history.latest(conn, self.key)
        concl = doc.get("conclusion") or {}
        point = {"run": doc["run"]["id"], "finished": doc["run"].get("finished"),
                 "conformance_rate": concl.get("conformance_rate"),
                 "major_risks": len(concl.get("major_risks") or [])}
        section: dict[str, Any] = {"db": str(self.db), "inventory_key": self.key,
                                   "previous_run": self.previous["run_id"] if self.previous else None,
                                   "trend": history.trend(conn, self.key, limit=49) + [point]}
        doc["history"] = section
        if self.previous:
            self.drift = diff.compare(history.snapshot(conn, self.previous), diff.snapshot_from_document(doc))
            section["drift"] = {"summary": self.drift["summary"],
                                "regressed": self.drift["regressed"],
                                "new_failures": self.drift["new_failures"],
                                "fixed": self.drift["fixed"],
                                "major_risks": self.drift["major_risks"]}

    def store(self, doc: dict[str, Any], run_dir: Path) -> dict[str, Any] | None:
        """Record the run; return the drift from the previous run of the inventory (None for the first)."""
        try:
            with lock.exclusive(history.lock_path(self.db), max(self.wait, STORE_WAIT),
                                f"assess scan ({self.trigger}) into {self.db}"):
                history.record(self._connection(), doc, run_dir, self.key, self.trigger)
        except lock.Busy as exc:
            raise lock.Busy(f"results are in {run_dir}, but not recorded: {exc}") from None
        except sqlite3.Error as exc:
            raise InputError(f"results are in {run_dir}, but recording them in {self.db} failed: {exc}") from None
        return self.drift


def load_run(ref: str, conn: sqlite3.Connection | None) -> diff.Snapshot:
    """A run to compare: a run directory (or its results.json), or a run id (or unique prefix) in the history."""
    path = Path(ref)
    if path.exists():
        doc = results.load_results(path)
        return diff.snapshot_from_document(doc, str(path if path.is_dir() else path.parent))
    if conn is None:
        raise InputError(f"'{ref}' is not a run directory, and there is no history database to look it up in")
    run = history.get_run(conn, ref)
    if run is None:
        raise InputError(f"no run '{ref}' in the history and no such directory")
    return history.snapshot(conn, run)
