"""The offline device collector: one ObjectEvidence per network/security device from its exported files.

Nothing is contacted. A problem with the files (unknown vendor, unreadable file, wrong dialect, no
configuration in them) is one message on the object, and all of its results are 无法判定.
"""

from __future__ import annotations

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


def _facts(evidence: ObjectEvidence, parsed: parse.Parsed, target: Target, facts: list[Fact]) -> None:
    ctx: dict[str, Any] = {"boundary": target.type == "security-device" or "boundary" in target.tags}
    eid = next((r.sha256 for r in parsed.files if r.statements), parsed.files[0].sha256)
    for report in parsed.files:
        text = parsed.raw[report.path]
        evidence.raw[report.path] = {"id": report.sha256, "rc": 0, "command": f"file {report.path}",
                                     "output": text if len(text) <= MAX_RAW else text[:MAX_RAW] + "\n[truncated]"}
    evidence.info["coverage"] = [r.as_dict() for r in parsed.files]
    for f in facts:
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
