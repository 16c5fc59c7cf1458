"""The cloud-account collector: one ObjectEvidence from the account's API answers (or saved CLI output).

Every answer is kept in `raw` under its call id with its sha256; each fact names the answers it read. A call
that failed makes only the facts that need it 无法判定 (the reason names the missing permission); when no
call at all was answered (wrong or expired credentials, no network) the object is in error.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from assess.model import FactResult, Target
from assess.probes.cloud import aws_facts
from assess.probes.cloud.source import CallFailed, Memo, Recorder
from assess.probes.facts import Fact
from assess.run.collect import ObjectEvidence, now

COLLECTOR = "assess-cloud/1"


def source_for(target: Target, recorder: Recorder) -> Any:
    conn = target.connection
    regions = list(conn.get("regions") or [])
    if conn.get("offline"):
        from assess.probes.cloud.offline import OfflineSource

        return OfflineSource(Path(conn["offline"]), regions or ["cn-north-1"], recorder)
    from assess.probes.cloud.aws import AWSSource

    return AWSSource(regions, conn.get("profile"), conn.get("endpoint_url"), recorder,
                     float(conn.get("timeout") or 20))


def collect(target: Target, facts: list[Fact], at: datetime | None = None, source: Any = None) -> ObjectEvidence:
    """Gather the named facts of one cloud account; never raises for API trouble."""
    started, t0 = now(), time.monotonic()
    evidence = ObjectEvidence(target.id, started, started)
    recorder = Recorder()
    moment = at or datetime.now(timezone.utc)
    try:
        src = source or source_for(target, recorder)
    except Exception as exc:  # a broken SDK configuration (unknown profile …) is this object's error
        evidence.error = f"cannot set up the {target.connection.get('provider')} client: {exc}"
        evidence.facts = {f.name: FactResult(f.name, "error", reason=evidence.error) for f in facts}
        return evidence
    if source is not None:
        src.recorder = recorder
    memo = Memo(src)
    for f in facts:
        derive = aws_facts.FACTS.get(f.name)
        memo.touched = []
        if derive is None:
            evidence.facts[f.name] = FactResult(f.name, "error", reason="no collector for this fact")
            continue
        try:
            value = derive[0](memo, moment)
        except CallFailed as exc:
            evidence.facts[f.name] = FactResult(f.name, "error", reason=str(exc))
        except Exception as exc:  # an unexpected answer shape: this fact cannot be trusted
            evidence.facts[f.name] = FactResult(f.name, "error",
                                                reason=f"unexpected API answer: {type(exc).__name__}: {exc}")
        else:
            evidence.facts[f.name] = FactResult(f.name, "ok", value=value)
        read = [c for c in dict.fromkeys(memo.touched) if c in recorder.snapshots]
        evidence.facts[f.name].evidence_id = ",".join(recorder.snapshots[c]["id"] for c in read)
    evidence.raw = {cid: snap for cid, snap in sorted(recorder.snapshots.items())}
    answered = [s for s in recorder.snapshots.values() if "answer" in s]
    if facts and not answered:
        reasons = [s["reason"] for s in recorder.snapshots.values() if "reason" in s]
        evidence.error = "no API call was answered" + (f": {reasons[0]}" if reasons else "")
    evidence.info = {"collector": COLLECTOR, "provider": target.connection.get("provider"),
                     "source": getattr(src, "origin", ""), "regions": list(src.regions), "calls": src.calls,
                     "answered": len(answered), "failed": len(recorder.snapshots) - len(answered)}
    evidence.finished = now()
    evidence.seconds = time.monotonic() - t0
    return evidence


def rederive(stored: dict[str, Any], facts: list[Fact]) -> ObjectEvidence:
    """Re-judge stored cloud evidence: every fact derived again from the recorded API answers, as of the
    time they were collected (assess.run.replay). Answers that were edited or never recorded are 无法判定."""
    from assess.probes.cloud.source import SnapshotSource

    info = stored.get("info") or {}
    src = SnapshotSource(stored.get("raw") or {}, list(info.get("regions") or ["cn-north-1"]))
    try:
        at = datetime.fromisoformat(str(stored.get("started", "")).replace("Z", "+00:00"))
    except ValueError:
        at = datetime.now(timezone.utc)
    target = Target(str(stored.get("object", "")), "cloud-account", connection={"provider": info.get("provider")})
    ev = collect(target, facts, at=at, source=src)
    ev.started, ev.finished = str(stored.get("started", "")), str(stored.get("finished", ""))
    ev.info = {**info, "rederived": True}
    ev.error = stored.get("error")
    return ev
