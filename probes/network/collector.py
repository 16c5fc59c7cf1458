"""The offline device collector: one ObjectEvidence per network/security device from its exported files.

Nothing is contacted. A problem with the files (unknown vendor, unreadable file, wrong dialect, no
configuration in them) is one message on the object, and all of its results are 无法判定.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

from assess.model import FactResult, Target
from assess.probes.facts import Fact
from assess.probes.network import parse
from assess.probes.network.facts import DERIVE, Unsettled
from assess.run.collect import MAX_RAW, ObjectEvidence, now

COLLECTOR = "assess-netdev-files/1"


def collect(target: Target, facts: list[Fact]) -> ObjectEvidence:
    started, t0 = now(), time.monotonic()
    evidence = ObjectEvidence(target.id, started, started)
    conn = target.connection
    evidence.info = {"collector": COLLECTOR, "vendor": conn.get("vendor"), "files": conn.get("files", [])}
    try:
        parsed = parse.parse_files(conn.get("vendor", ""), _read(conn.get("files", [])))
        if not parsed.has_config:
            raise parse.DeviceInputError("no configuration in " + ", ".join(conn.get("files", [])) +
                                         " (export `display current-configuration` or `show running-config`)")
    except parse.DeviceInputError as exc:
        evidence.error = str(exc)
        evidence.facts = {f.name: FactResult(f.name, "error", reason=str(exc)) for f in facts}
    else:
        _facts(evidence, parsed, target, facts)
    evidence.finished = now()
    evidence.seconds = time.monotonic() - t0
    return evidence


def _read(paths: list[str]) -> list[tuple[str, bytes]]:
    out = []
    for p in paths:
        try:
            size = Path(p).stat().st_size
            if size > parse.text.MAX_BYTES:
                raise parse.DeviceInputError(f"{p}: larger than {parse.text.MAX_BYTES // (1024 * 1024)} MiB")
            out.append((p, Path(p).read_bytes()))
        except OSError as exc:
            raise parse.DeviceInputError(f"{p}: cannot read the file: {exc.strerror or exc}") from None
    return out


def _digest(records: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(records, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _facts(evidence: ObjectEvidence, parsed: parse.Parsed, target: Target, facts: list[Fact]) -> None:
    """Facts with their evidence as a non-shell collector records it (assess.run.replay re-checks it): per
    fact the files it rests on (path, sha256 of the file as read, encoding); `net_parse` also carries each
    file's text with secrets redacted. The evidence id is the digest of those records."""
    ctx: dict[str, Any] = {"boundary": target.type == "security-device" or "boundary" in target.tags}
    sources = [{"file": r.path, "sha256": r.sha256, "encoding": r.encoding, "session_log": r.session}
               for r in parsed.files]
    texts = [{**src, "output": _bounded(parsed.raw[src["file"]])} for src in sources]
    evidence.info["coverage"] = [r.as_dict() for r in parsed.files]
    for f in facts:
        records = texts if f.name == "net_parse" else sources
        eid = _digest(records)
        evidence.raw[f.name] = {"id": eid, "collector": "files", "transcripts": records}
        if f.name == "net_parse":
            evidence.facts[f.name] = FactResult(f.name, "ok", {"vendor": parsed.config.vendor,
                                                               "files": evidence.info["coverage"]}, evidence_id=eid)
            continue
        derive = DERIVE.get(f.name)
        if derive is None:
            evidence.facts[f.name] = FactResult(f.name, "error", reason="no parser for this fact", evidence_id=eid)
            continue
        try:
            evidence.facts[f.name] = FactResult(f.name, "ok", derive(parsed.config, ctx), evidence_id=eid)
        except Unsettled as exc:
            evidence.facts[f.name] = FactResult(f.name, "error", reason=str(exc), evidence_id=eid)
        except Exception as exc:  # a parser bug must not stop the scan; it is reported on the checks
            evidence.facts[f.name] = FactResult(f.name, "error", reason=f"parser failed: {type(exc).__name__}: "
                                                f"{exc}", evidence_id=eid)


def _bounded(text: str) -> str:
    return text if len(text) <= MAX_RAW else text[:MAX_RAW] + "\n[truncated]"
