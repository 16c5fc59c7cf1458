"""Inventory fields of a `mobile-app` object: the package file to analyse and the analysis bounds.

    - {id: passenger-android, type: mobile-app, file: apps/passenger-3.2.0.apk, tags: [passenger]}

`file` is relative to the inventory. A file that does not exist is an inventory error (nothing is scanned);
a file that exists but is not a readable APK is found at collection and makes that object 无法判定.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from assess.catalog.schema import Field, Problems

FIELDS = {
    "file": Field(str),
    "platform": Field(str, required=False, choices=("android",)),
    "timeout": Field(float, required=False, check=lambda v: None if 0 < v <= 7200 else "must be 1-7200 seconds"),
    "memory_mb": Field(int, required=False, check=lambda v: None if 256 <= v <= 65536 else "must be 256-65536 MB"),
}


def connection(node: Any, resolve: Callable[[str], str], problems: Problems, file: str) -> dict[str, Any]:
    """Validate the mobile-app fields of an inventory object and return its `connection` mapping."""
    path = resolve(str(node["file"]))
    if not Path(path).is_file():
        problems.at(node, "file", f"object '{node['id']}': APK file {path} does not exist", file)
    out: dict[str, Any] = {"transport": "apk", "file": path, "platform": node.get("platform", "android")}
    for key in ("timeout", "memory_mb"):
        if key in node:
            out[key] = node[key]
    return out
