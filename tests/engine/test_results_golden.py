"""`assess/results@1` is a published format: the same evidence gives byte-for-byte the same results.json
(issue 13). The stored run in tests/fixtures/golden-run (evidence collected from tests/linux/roots/debian12,
evaluated on tests/fixtures/controls-mini) is replayed, and its results.json, written the way a scan writes
it, must equal expected-results.json; the fields that differ by run (evaluation time, tool version, host) are
fixed by the test. A deliberate format change regenerates the file: `python -m tests.engine.test_results_golden`
— and says so in the commit.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from assess.catalog import load as catalog_mod
from assess.catalog import profile as profile_mod
from assess.run import document, replay

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RUN = FIXTURES / "golden-run"
EXPECTED = RUN / "expected-results.json"


def _results_json(tmp: Path) -> bytes:
    cat = catalog_mod.load(FIXTURES / "controls-mini")
    prof = profile_mod.load("level3", cat)
    doc: dict[str, Any] = replay.replay(RUN, cat, prof, today=date(2026, 1, 2))
    doc["run"]["replay"]["evaluated"] = "2026-01-02T00:00:00Z"
    doc["run"]["tool"]["version"] = "0.0.0"
    doc["run"]["operator_host"] = "golden"
    document.write_json(tmp / "results.json", doc)
    return (tmp / "results.json").read_bytes()


def test_results_json_is_byte_for_byte_unchanged(tmp_path: Path) -> None:
    got = _results_json(tmp_path)
    assert got == EXPECTED.read_bytes(), "results.json changed for the same evidence (assess/results@1)"


def test_the_golden_document_covers_the_format() -> None:
    """Guard: the golden file holds verdicts, checks with evidence ids, and remediation."""
    doc = json.loads(EXPECTED.read_text(encoding="utf-8"))
    assert doc["schema"] == document.SCHEMA
    assert {r["verdict"] for r in doc["results"]} >= {"fail", "manual"}
    assert any(c["evidence"] for r in doc["results"] for c in r["checks"])
    assert any(r["remediation"] for r in doc["results"])


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        EXPECTED.write_bytes(_results_json(Path(d)))
