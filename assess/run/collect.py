"""Collection: run one batched collector per object and turn its sections into facts and evidence."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any

from assess.model import FactResult
from assess.probes import redact, script
from assess.probes.facts import Fact, FactUnavailable
from assess.probes.transport import CollectionError, Transport

DEFAULT_TIMEOUT = 300.0
MAX_RAW = 2 * 1024 * 1024


@dataclass
class ObjectEvidence:
    """Everything collected from one object: parsed facts, raw sections, and how the run went."""

    object_id: str
    started: str
    finished: str
    facts: dict[str, FactResult] = field(default_factory=dict)
    raw: dict[str, dict[str, Any]] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"object": self.object_id, "started": self.started, "finished": self.finished,
                "seconds": round(self.seconds, 3), "error": self.error, "info": self.info,
                "facts": {n: {"status": f.status, "value": f.value, "reason": f.reason, "evidence": f.evidence_id}
                          for n, f in self.facts.items()},
                "raw": self.raw}


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def malformed(problem: str) -> str:
    """The reason shown on the checks of a fact whose section is malformed."""
    return f"the collector's output for this fact is malformed ({problem}): not trusted"


def parse_sections(facts: list[Fact], collected: script.Collected, stopped_reason: str
                   ) -> tuple[dict[str, FactResult], dict[str, dict[str, Any]]]:
    """Parse each fact's section; a parser problem makes that fact an error, never a crash. Secrets the host
    left in a section (an older emitted collector, a source the filter missed) are redacted again here."""
    results: dict[str, FactResult] = {}
    raw: dict[str, dict[str, Any]] = {}
    for f in facts:
        section = collected.sections.get(f.name)
        if section is None:
            results[f.name] = FactResult(f.name, "error", reason=f"no output: {stopped_reason}")
            continue
        section = dataclasses.replace(section, text=redact.text(section.text))  # keeps `problem`
        eid = script.evidence_id(section)
        text = section.text if len(section.text) <= MAX_RAW else section.text[:MAX_RAW] + "\n[truncated]"
        raw[f.name] = {"id": eid, "rc": section.rc, "command": f.command, "output": text}
        if section.problem:
            raw[f.name]["problem"] = section.problem
            results[f.name] = FactResult(f.name, "error", reason=malformed(section.problem), evidence_id=eid)
            continue
        try:
            value = f.parse(section)
        except FactUnavailable as exc:
            results[f.name] = FactResult(f.name, "error", reason=str(exc), evidence_id=eid)
        except Exception as exc:  # a parser bug must not stop the scan; it is reported on the checks
            results[f.name] = FactResult(f.name, "error", reason=f"parser failed: {type(exc).__name__}: {exc}",
                                         evidence_id=eid)
        else:
            results[f.name] = FactResult(f.name, "ok", value=value, evidence_id=eid)
    return results, raw


def collect(object_id: str, transport: Transport, facts: list[Fact],
            timeout: float = DEFAULT_TIMEOUT, setup: str = "") -> ObjectEvidence:
    """One exec of the batched script on the object; failures become `error` on the evidence.
    `setup`: shell run before the facts, kept out of evidence (assess.probes.service)."""
    started, t0 = now(), time.monotonic()
    text, token = script.build(facts, setup=setup)
    evidence = ObjectEvidence(object_id, started, started)
    try:
        out = transport.run_script(text, timeout)
    except CollectionError as exc:
        evidence.error = str(exc)
        evidence.facts = {f.name: FactResult(f.name, "error", reason=str(exc)) for f in facts}
    else:
        evidence.info = out.info
        collected = script.split(out.stdout, token, [f.name for f in facts])
        stopped = f"the collector stopped early (exit {out.rc}): {out.stderr.strip()[-300:] or 'no message'}"
        evidence.facts, evidence.raw = parse_sections(facts, collected, stopped)
        if collected.missing and len(collected.missing) == len(facts):
            evidence.error = stopped
    evidence.finished = now()
    evidence.seconds = time.monotonic() - t0
    return evidence
