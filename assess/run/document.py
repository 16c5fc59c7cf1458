"""The run directory and the results document (schema `assess/results@1`).

Layout of a run directory:
  evidence/<object>.json   raw sections, parsed facts and collection info, written as each object finishes
  results.json             the complete results, written last and atomically (its presence = run complete)
"""

from __future__ import annotations

import json
import re
import secrets
import time
from pathlib import Path
from typing import Any

from assess import safefile
from assess.errors import InputError

SCHEMA = "assess/results@1"
_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def new_run_id() -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(2)


def safe_name(object_id: str) -> str:
    if not _SAFE.match(object_id):
        raise InputError(f"object id '{object_id}' may only use letters, digits, '.', '_' and '-'")
    return object_id


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically and privately (0600): a random new file in the same directory, fsync, rename."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))  # compact: the C encoder, ~10x faster
    try:
        safefile.write_text(path, text + "\n")
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None


def create_run_dir(out: Path, run_id: str) -> Path:
    """Make <out>/<run-id>/evidence (0700: a run holds root-only content), checking that `out` is writable."""
    run_dir = out / run_id
    try:
        out.mkdir(parents=True, exist_ok=True)
        run_dir.mkdir(mode=0o700)
    except FileExistsError:
        if not out.is_dir():
            raise InputError(f"cannot create output directory {run_dir}: {out} is not a directory") from None
        raise InputError(f"run directory {run_dir} already exists") from None
    except OSError as exc:
        raise InputError(f"cannot create output directory {run_dir}: {exc.strerror or exc}") from None
    try:
        (run_dir / "evidence").mkdir(mode=0o700)
    except OSError as exc:
        raise InputError(f"cannot create output directory {run_dir}: {exc.strerror or exc}") from None
    return run_dir


def read_json_object(path: Path, what: str, missing: str | None = None) -> dict[str, Any]:
    """A JSON object from a file; a missing file (message `missing`), an unreadable or invalid one, or anything
    but an object is one InputError naming the file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(missing or f"{what} missing", str(path)) from None
    except (OSError, ValueError) as exc:  # ValueError covers JSONDecodeError and UnicodeDecodeError
        raise InputError(f"cannot read {what}: {exc}", str(path)) from None
    if not isinstance(data, dict):
        raise InputError(f"not {what} (no JSON object)", str(path))
    return data


def load_results(path: Path) -> dict[str, Any]:
    """Read a results.json (or the one in a run directory), checking its schema version."""
    path = path / "results.json" if path.is_dir() else path
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("no results.json here (an interrupted run has only evidence/)", str(path)) from None
    except UnicodeDecodeError as exc:  # a file cut inside a multi-byte character ends this way
        raise InputError(f"not valid JSON (truncated?): not UTF-8 at byte {exc.start} ({exc.reason})",
                         str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read results: {exc}", str(path)) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON (truncated?): {exc.msg} at line {exc.lineno}", str(path)) from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        found = data.get("schema") if isinstance(data, dict) else None
        raise InputError(f"unsupported results schema {found!r} (this assess reads {SCHEMA})", str(path))
    return data
