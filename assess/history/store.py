"""The run history: a SQLite database of every recorded run and every (测评项 × 测评对象) verdict.

Where: `--history PATH`, else `$ASSESS_HOME/history.db`, else `$XDG_DATA_HOME/assess/history.db`
(`~/.local/share/assess/history.db`). The database is opened in WAL mode with a busy timeout, every write
is one `BEGIN IMMEDIATE` transaction, and recording a run or pruning holds `assess.history.lock` (`history.db.lock`)
only while it writes, so runs at once never interleave and never corrupt it. Keep it on a local disk (WAL needs shared
memory, which network file systems do not provide).

Fingerprint of a verdict: the first 32 hex digits of SHA-256 over
`assess-fp/1 NUL item NUL object id NUL object type NUL object address`; the same item on the same object
(same id, type and address) has the same fingerprint in every run, so runs compare row by row. Renaming an
object or changing its address makes it a new object (its old rows show as removed).

Inventory key: which runs are "the same inventory" and compare with each other: `file:<absolute path of the
inventory file>`, or `local:<hostname>` for a scan of this machine without an inventory. Adding an object to
the inventory keeps the key, so the new object shows in the next diff as added.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sqlite3
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from assess.errors import InputError
from assess.history.diff import Snapshot, rows_from_document
from assess.history.diff import (
    fingerprint as fingerprint,  # re-exported: defined in the pure module, documented here
)

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 30_000
_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT PRIMARY KEY,
  inventory_key TEXT NOT NULL,
  started TEXT NOT NULL,
  finished TEXT NOT NULL,
  recorded TEXT NOT NULL,
  run_dir TEXT,
  trigger TEXT NOT NULL DEFAULT 'manual',
  rescan_of TEXT,
  profile TEXT,
  template TEXT,
  catalog_id TEXT,
  catalog_sha256 TEXT,
  tool_version TEXT,
  operator_host TEXT,
  conclusion TEXT,
  conclusion_zh TEXT,
  conformance_rate REAL,
  major_risks INTEGER NOT NULL DEFAULT 0,
  major_risk_list TEXT NOT NULL DEFAULT '[]',
  objects INTEGER NOT NULL DEFAULT 0,
  collection_errors INTEGER NOT NULL DEFAULT 0,
  counts TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS runs_by_inventory ON runs (inventory_key, finished);
CREATE TABLE IF NOT EXISTS verdicts (
  run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
  fingerprint TEXT NOT NULL,
  item TEXT NOT NULL,
  object_id TEXT NOT NULL,
  object_type TEXT NOT NULL,
  object_address TEXT NOT NULL DEFAULT '',
  verdict TEXT NOT NULL,
  carried_from TEXT,
  detail TEXT NOT NULL DEFAULT '{}',
  PRIMARY KEY (run_id, fingerprint)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS verdicts_by_fingerprint ON verdicts (fingerprint);
"""
_RUN_COLUMNS = ("run_id", "inventory_key", "started", "finished", "recorded", "run_dir", "trigger", "rescan_of",
                "profile", "template", "catalog_id", "catalog_sha256", "tool_version", "operator_host",
                "conclusion", "conclusion_zh", "conformance_rate", "major_risks", "major_risk_list", "objects",
                "collection_errors", "counts")


def home() -> Path:
    """assess's data directory: `$ASSESS_HOME`, else `$XDG_DATA_HOME/assess` (~/.local/share/assess)."""
    if os.environ.get("ASSESS_HOME"):
        return Path(os.environ["ASSESS_HOME"]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base).expanduser() / "assess"


def default_path() -> Path:
    return home() / "history.db"


def resolve(path: Path | None) -> Path:
    return (path or default_path()).expanduser().absolute()


def lock_path(db: Path) -> Path:
    return db.with_name(db.name + ".lock")


def run_lock_path(directory: Path) -> Path:
    """The lock of scans writing into `directory` (an output directory, or a resumed run directory).

    It lives beside the default history (`locks/<hash of the directory's path>.lock`), not in the directory,
    which keeps holding nothing but run directories."""
    digest = hashlib.sha256(str(directory.expanduser().absolute()).encode()).hexdigest()[:32]
    return default_path().parent / "locks" / f"{digest}.lock"


def inventory_key(inventory_path: Path | None) -> str:
    """`file:<absolute inventory path>`, or `local:<hostname>` for the default scan of this machine."""
    if inventory_path is None:
        return f"local:{socket.gethostname() or 'localhost'}"
    return f"file:{inventory_path.expanduser().resolve()}"


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def connect(path: Path, create: bool = True) -> sqlite3.Connection:
    """Open (and when asked, create) the history database, checking its schema version."""
    if not path.exists():
        if not create:
            raise InputError(f"no history database at {path} (run `assess scan` first, or give --history PATH)")
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        except OSError as exc:
            raise InputError(f"cannot create history database {path}: {exc.strerror or exc} "
                             "(choose another with --history PATH, or --no-history)") from None
    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise InputError(f"cannot switch {path} to WAL mode (journal mode is {mode})")
        conn.execute("PRAGMA synchronous = NORMAL")
        with transaction(conn):
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            row = conn.execute("SELECT version FROM schema_version").fetchone()
            if row is None:
                conn.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
            elif row[0] > SCHEMA_VERSION:
                raise InputError(f"history schema version {row[0]} is newer than this assess reads "
                                 f"({SCHEMA_VERSION}); upgrade assess", str(path))
    except sqlite3.DatabaseError as exc:
        raise InputError(f"not a usable history database: {exc}", str(path)) from None
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """One write transaction, taken up front (BEGIN IMMEDIATE) so writers queue instead of deadlocking."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _verdict_counts(rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    return dict(Counter(r["verdict"] for r in rows))


def record(conn: sqlite3.Connection, doc: Mapping[str, Any], run_dir: Path | None, key: str,
           trigger: str = "manual") -> str:
    """Store one run (its metadata, summary and every verdict) in one transaction; return its id."""
    run = doc["run"]
    concl = doc.get("conclusion") or {}
    risks = list(concl.get("major_risks") or [])
    rows = rows_from_document(doc)
    values = {
        "run_id": run["id"], "inventory_key": key, "started": run.get("started") or "",
        "finished": run.get("finished") or run.get("started") or "", "recorded": _now(),
        "run_dir": str(run_dir.absolute()) if run_dir else None, "trigger": trigger,
        "rescan_of": run.get("rescan_of"), "profile": (run.get("profile") or {}).get("id"),
        "template": run.get("template"), "catalog_id": (run.get("catalog") or {}).get("id"),
        "catalog_sha256": (run.get("catalog") or {}).get("sha256"),
        "tool_version": (run.get("tool") or {}).get("version"), "operator_host": run.get("operator_host"),
        "conclusion": concl.get("conclusion"), "conclusion_zh": concl.get("conclusion_zh"),
        "conformance_rate": concl.get("conformance_rate"), "major_risks": len(risks),
        "major_risk_list": json.dumps(risks, ensure_ascii=False), "objects": len(doc.get("objects") or []),
        "collection_errors": sum(1 for o in doc.get("objects") or [] if o.get("error")),
        "counts": json.dumps(_verdict_counts(rows.values())),
    }
    with transaction(conn):
        if conn.execute("SELECT 1 FROM runs WHERE run_id = ?", (run["id"],)).fetchone():
            raise InputError(f"run {run['id']} is already in the history")
        conn.execute(f"INSERT INTO runs ({', '.join(_RUN_COLUMNS)}) VALUES ({', '.join('?' * len(_RUN_COLUMNS))})",
                     [values[c] for c in _RUN_COLUMNS])
        conn.executemany(
            "INSERT INTO verdicts (run_id, fingerprint, item, object_id, object_type, object_address, verdict, "
            "carried_from, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(run["id"], fp, r["item"], r["object"], r["object_type"], r["address"], r["verdict"],
              r.get("carried_from"), json.dumps(_detail(r), ensure_ascii=False)) for fp, r in rows.items()])
    return run["id"]


_DETAIL_KEYS = ("reason", "source", "clause", "control_point", "weight", "checks")


def _detail(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in _DETAIL_KEYS if row.get(k) is not None}


def _run_dict(row: sqlite3.Row) -> dict[str, Any]:
    out = dict(row)
    out["counts"] = json.loads(out["counts"] or "{}")
    out["major_risk_list"] = json.loads(out["major_risk_list"] or "[]")
    return out


def runs(conn: sqlite3.Connection, key: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """Recorded runs, newest first (by finish time, then by the order they were recorded), optionally of one
    inventory."""
    sql = "SELECT rowid AS seq, * FROM runs" + (" WHERE inventory_key = ?" if key else "") + \
        " ORDER BY finished DESC, seq DESC" + (f" LIMIT {int(limit)}" if limit else "")
    return [_run_dict(r) for r in conn.execute(sql, (key,) if key else ())]


def get_run(conn: sqlite3.Connection, ref: str) -> dict[str, Any] | None:
    """A run by its id or a unique prefix of it; None when nothing matches."""
    row = conn.execute("SELECT rowid AS seq, * FROM runs WHERE run_id = ?", (ref,)).fetchone()
    if row is not None:
        return _run_dict(row)
    like = ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    found = conn.execute("SELECT rowid AS seq, * FROM runs WHERE run_id LIKE ? ESCAPE '\\' LIMIT 2",
                         (like,)).fetchall()
    if len(found) > 1:
        raise InputError(f"run '{ref}' is ambiguous (it starts more than one run id)")
    return _run_dict(found[0]) if found else None


def latest(conn: sqlite3.Connection, key: str | None = None) -> dict[str, Any] | None:
    found = runs(conn, key, limit=1)
    return found[0] if found else None


def previous(conn: sqlite3.Connection, run: Mapping[str, Any]) -> dict[str, Any] | None:
    """The run of the same inventory recorded just before `run`."""
    row = conn.execute(
        "SELECT rowid AS seq, * FROM runs WHERE inventory_key = ? AND (finished < ? OR (finished = ? AND rowid < ?)) "
        "ORDER BY finished DESC, seq DESC LIMIT 1",
        (run["inventory_key"], run["finished"], run["finished"], run["seq"])).fetchone()
    return _run_dict(row) if row else None


def snapshot(conn: sqlite3.Connection, run: Mapping[str, Any]) -> Snapshot:
    """A recorded run in the form `assess.history.diff` compares."""
    rows: dict[str, dict[str, Any]] = {}
    for r in conn.execute("SELECT * FROM verdicts WHERE run_id = ?", (run["run_id"],)):
        row = {"item": r["item"], "object": r["object_id"], "object_type": r["object_type"],
               "address": r["object_address"], "verdict": r["verdict"], "carried_from": r["carried_from"]}
        row.update(json.loads(r["detail"] or "{}"))
        rows[r["fingerprint"]] = row
    meta = {k: run[k] for k in ("run_id", "inventory_key", "started", "finished", "profile", "catalog_sha256",
                                "conclusion", "conclusion_zh", "conformance_rate", "run_dir")}
    return Snapshot(meta, rows, list(run.get("major_risk_list") or []))


def failing_since(conn: sqlite3.Connection, run: Mapping[str, Any], fingerprints: Iterable[str],
                  max_runs: int = 100) -> dict[str, str]:
    """For each fingerprint failing in `run`, the first run of its unbroken failing streak (up to `run`)."""
    wanted = set(fingerprints)
    if not wanted:
        return {}
    order = [r["run_id"] for r in conn.execute(
        "SELECT run_id FROM runs WHERE inventory_key = ? AND (finished < ? OR (finished = ? AND rowid <= ?)) "
        "ORDER BY finished DESC, rowid DESC LIMIT ?",
        (run["inventory_key"], run["finished"], run["finished"], run["seq"], max_runs))]
    since: dict[str, str] = {}
    open_streaks = set(wanted)
    for run_id in order:
        if not open_streaks:
            break
        failing = {r[0] for r in conn.execute(
            "SELECT fingerprint FROM verdicts WHERE run_id = ? AND verdict IN ('fail', 'partial')", (run_id,))}
        for fp in list(open_streaks):
            if fp in failing:
                since[fp] = run_id
            else:
                open_streaks.discard(fp)
    return since


def trend(db: Path | sqlite3.Connection, key: str, limit: int = 50) -> list[dict[str, Any]]:
    """Conformance rate and number of major risks of the last `limit` runs of an inventory, oldest first."""
    conn = connect(db, create=False) if isinstance(db, Path) else db
    try:
        found = runs(conn, key, limit)
    finally:
        if isinstance(db, Path):
            conn.close()
    return [{"run": r["run_id"], "finished": r["finished"], "conformance_rate": r["conformance_rate"],
             "major_risks": r["major_risks"]} for r in reversed(found)]


def prune(conn: sqlite3.Connection, keep: int, key: str | None = None) -> list[dict[str, Any]]:
    """Delete all but the newest `keep` runs of each inventory (or of one); return the deleted runs."""
    if keep < 1:
        raise InputError("--keep must be at least 1")
    doomed: list[dict[str, Any]] = []
    with transaction(conn):
        keys = [key] if key else [r[0] for r in conn.execute("SELECT DISTINCT inventory_key FROM runs")]
        for k in keys:
            doomed += runs(conn, k)[keep:]
        for r in doomed:
            conn.execute("DELETE FROM runs WHERE run_id = ?", (r["run_id"],))
    return doomed
