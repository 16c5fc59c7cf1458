"""The mobile-app collector: analyse one APK in a child process bounded in time and memory.

The child (`python -m assess.probes.mobile.analyse APK MEMORY_MB`) is killed at `timeout` seconds and limits itself to
`memory_mb` of address space, so a huge or hostile package cannot stall or exhaust the scan. A file that is
not a readable APK, a child that dies or overruns: every fact of that object is an error with one clear
reason (its items 无法判定) and the other objects go on.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from assess.model import FactResult, Target
from assess.probes.facts import Fact
from assess.run.collect import ObjectEvidence, now

COLLECTOR = "assess-apk/1"
DEFAULT_TIMEOUT = 600.0
DEFAULT_MEMORY_MB = 3072


def run_analysis(path: Path, timeout: float, memory_mb: int, cancel: threading.Event | None = None
                 ) -> dict[str, Any]:
    """The analysis document of one APK, or RuntimeError with the reason it could not be had; setting
    `cancel` (Ctrl-C / SIGTERM of the scan) kills the child."""
    if not path.is_file():
        raise RuntimeError(f"{path} does not exist or is not a file")
    if importlib.util.find_spec("androguard") is None:
        raise RuntimeError("androguard is not installed: pip install 'assess[mobile]'")
    proc = subprocess.Popen([sys.executable, "-m", "assess.probes.mobile.analyse", str(path), str(memory_mb)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    try:
        while True:
            if cancel is not None and cancel.is_set():
                raise RuntimeError("interrupted")
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"APK analysis did not finish within {timeout:g} s (raise `timeout` for this "
                                   "object in the inventory)")
            try:
                out, raw_err = proc.communicate(timeout=min(left, 0.2))
                break
            except subprocess.TimeoutExpired:
                continue
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    err = raw_err.decode("utf-8", "replace").strip().splitlines()
    if proc.returncode == 3:
        raise RuntimeError(err[-1] if err else "not a readable APK")
    if proc.returncode != 0:
        last = err[-1] if err else "no message"
        if "MemoryError" in last or "Cannot allocate" in last:
            raise RuntimeError(f"APK analysis exceeded its memory limit of {memory_mb} MB (raise `memory_mb`)")
        raise RuntimeError(f"APK analysis failed (exit {proc.returncode}): {last[-300:]}")
    return json.loads(out)


def collect(target: Target, facts: list[Fact], cancel: threading.Event | None = None) -> ObjectEvidence:
    """Analyse the object's APK for the named facts; never raises for a bad file."""
    started, t0 = now(), time.monotonic()
    conn = target.connection
    path = Path(conn["file"])
    evidence = ObjectEvidence(target.id, started, started)
    wanted = [f.name for f in facts]
    try:
        doc = run_analysis(path, float(conn.get("timeout") or DEFAULT_TIMEOUT),
                           int(conn.get("memory_mb") or DEFAULT_MEMORY_MB), cancel)
    except RuntimeError as exc:
        evidence.error = str(exc)
        evidence.facts = {n: FactResult(n, "error", reason=str(exc)) for n in wanted}
    else:
        apk_sha = doc["info"]["sha256"]
        for name in wanted:
            got = doc["facts"].get(name, {"status": "error", "reason": "not produced by the analysis"})
            if got["status"] == "ok":
                record = {"collector": "apk", "file": str(path), "apk_sha256": apk_sha, "value": got["value"]}
                eid = hashlib.sha256(json.dumps(record, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
                evidence.raw[name] = {"id": eid, **record}
                evidence.facts[name] = FactResult(name, "ok", value=got["value"], evidence_id=eid)
            else:
                evidence.facts[name] = FactResult(name, got["status"], reason=got["reason"])
        evidence.info = doc["info"]
    evidence.info = {"collector": COLLECTOR, "file": str(path), **evidence.info}
    evidence.finished = now()
    evidence.seconds = time.monotonic() - t0
    return evidence
