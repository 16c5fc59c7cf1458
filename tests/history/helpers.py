"""Hand-made results documents for the history tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from assess.run import document as results

CATALOG_SHA = "c" * 64


def row(item: str, obj: str, verdict: str, reason: str = "", weight: float = 0.7,
        checks: list[dict[str, Any]] | None = None, source: str = "checks") -> dict[str, Any]:
    return {"item": item, "object": obj, "verdict": verdict, "reason": reason or f"{item} is {verdict}",
            "source": source, "clause": "8.1.4.1 a", "control_point": "身份鉴别", "weight": weight,
            "checks": checks or []}


def doc(run_id: str, rows: list[dict[str, Any]], finished: str = "2026-01-01T00:00:00Z",
        rate: float | None = 0.5, major: list[dict[str, Any]] | None = None,
        objects: list[dict[str, Any]] | None = None, catalog_sha: str = CATALOG_SHA) -> dict[str, Any]:
    ids = sorted({r["object"] for r in rows})
    return {
        "schema": results.SCHEMA,
        "run": {"id": run_id, "started": finished, "finished": finished,
                "tool": {"name": "assess", "version": "0"},
                "catalog": {"id": "test", "sha256": catalog_sha, "items": 3},
                "profile": {"id": "level3"}, "template": "2025", "operator_host": "test"},
        "objects": objects or [{"id": i, "type": "linux", "address": f"{i}.example"} for i in ids],
        "results": rows,
        "conclusion": {"conclusion": "basic", "conclusion_zh": "基本符合", "conformance_rate": rate,
                       "major_risks": major or []},
    }


def write_run(out: Path, document: dict[str, Any]) -> Path:
    run_dir = out / document["run"]["id"]
    (run_dir / "evidence").mkdir(parents=True)
    results.write_json(run_dir / "results.json", document)
    return run_dir


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))
