"""Helpers for the device tests: scan inventories of device objects whose files are the fixtures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from assess.catalog import load as catalog_mod
from assess.catalog import profile as profile_mod
from assess.inventory import load as inventory
from assess.run import scan as scan_mod

FIXTURES = Path(__file__).resolve().parent / "fixtures"
#: fixture stem → (object type, vendor)
DEVICES = {"huawei": "huawei", "h3c": "h3c", "cisco": "cisco", "asa": "cisco-asa"}


def scan(tmp_path: Path, objects: list[dict[str, Any]]) -> scan_mod.ScanOutcome:
    path = tmp_path / "inventory.yaml"
    path.write_text(yaml.safe_dump({"objects": objects, "interview_objects": False}, allow_unicode=True),
                    encoding="utf-8")
    cat = catalog_mod.load()
    return scan_mod.run(cat, profile_mod.load("level3", cat), inventory.load(path, ssh_config=False),
                        tmp_path / "out")


def checks_of(document: dict[str, Any], object_id: str) -> dict[str, dict[str, Any]]:
    """check id → its result on the object (first one; a check feeding several items has one status)."""
    out: dict[str, dict[str, Any]] = {}
    for row in document["results"]:
        if row["object"] == object_id:
            for c in row["checks"]:
                out.setdefault(c["check"], c)
    return out
