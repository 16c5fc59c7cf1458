"""Evidence ids: the sha256 that results cite for the evidence behind a fact, computed here only.

- a shell fact: its section's normalised raw output, as UTF-8 (bytes that are not UTF-8 kept by
  surrogateescape), so `sha256sum` over the stored `output` reproduces it;
- a fact of a non-shell collector (HTTP/TLS): the canonical JSON (sorted keys, not ASCII-escaped) of the
  transcript records it was derived from;
- one transcript record: its canonical JSON without its own `id` field.

`evidence/<object>.json` stores the output or transcripts under each id; replay recomputes the id to detect
evidence edited after collection.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def of_output(text: str) -> str:
    """The id of a shell fact's raw output."""
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def of_records(records: list[Any]) -> str:
    """The id of the transcript records behind a gathered fact."""
    return _canonical(records)


def of_record(record: dict[str, Any]) -> str:
    """The id of one transcript record (its own `id` field left out)."""
    return _canonical({k: v for k, v in record.items() if k != "id"})


def _canonical(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
