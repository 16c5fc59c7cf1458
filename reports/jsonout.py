"""JSON: the results document as rendered (schema `assess/results@1`, see schemas/results-1.json)."""

from __future__ import annotations

import json
from pathlib import Path

from assess.reports.context import Context

SCHEMA_FILE = Path(__file__).resolve().parent / "schemas" / "results-1.json"


def render_json(ctx: Context) -> bytes:
    return (json.dumps(ctx.doc, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
