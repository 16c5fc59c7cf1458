"""Fact values as the HTTP collector gathers them, each with the transcripts it was derived from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assess import evidence
from assess.model import FactResult

#: raw key of the transcripts no fact rests on (redirect hops, login-form fetches, CORS probes …).
OTHER = "other_requests"


@dataclass
class Gathered:
    """ok / error / skipped per fact name, plus the transcript ids behind each."""

    wanted: set[str]
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    sources: dict[str, list[str]] = field(default_factory=dict)

    def want(self, *names: str) -> bool:
        return any(n in self.wanted for n in names)

    def ok(self, name: str, value: Any, sources: list[str] | tuple[str, ...] = ()) -> None:
        if name in self.wanted and name not in self.errors:
            self.values[name] = value
            self.sources.setdefault(name, []).extend(s for s in sources if s)

    def error(self, name: str, reason: str, sources: list[str] | tuple[str, ...] = ()) -> None:
        if name in self.wanted:
            self.values.pop(name, None)
            if name in self.errors:
                if reason not in self.errors[name]:
                    self.errors[name] += f"; {reason}"
            else:
                self.errors[name] = reason
            self.sources.setdefault(name, []).extend(s for s in sources if s)

    def skip(self, name: str, reason: str) -> None:
        if name in self.wanted and name not in self.values and name not in self.errors:
            self.skipped[name] = reason

    def results(self, transcripts: dict[str, dict[str, Any]]) -> tuple[dict[str, FactResult], dict[str, Any]]:
        """FactResults and the raw evidence: per fact, the transcripts it rests on and their digest."""
        facts: dict[str, FactResult] = {}
        raw: dict[str, Any] = {}
        for name in sorted(self.wanted):
            ids = list(dict.fromkeys(self.sources.get(name, [])))
            records = [transcripts[i] for i in ids if i in transcripts]
            eid = ""
            if records:
                eid = evidence.of_records(records)
                raw[name] = {"id": eid, "collector": "http", "transcripts": records}
            if name in self.errors:
                facts[name] = FactResult(name, "error", reason=self.errors[name], evidence_id=eid)
            elif name in self.values:
                facts[name] = FactResult(name, "ok", value=self.values[name], evidence_id=eid)
            elif name in self.skipped:
                facts[name] = FactResult(name, "skipped", reason=self.skipped[name])
            else:
                facts[name] = FactResult(name, "error", reason="not gathered: the probe stopped before it")
        used = {i for ids in self.sources.values() for i in ids}
        rest = [r for i, r in transcripts.items() if i not in used]
        if rest:  # every other request and handshake the probe made, so the evidence logs all of them
            raw[OTHER] = {"id": evidence.of_records(rest), "collector": "http", "transcripts": rest}
        return facts, raw
