"""Shared fixtures for the answers/waivers tests: the mini controls tree and a small scan scope."""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

from assess.catalog import load as catalog_mod
from assess.catalog import profile as profile_mod
from assess.inputs import questionnaire
from assess.model import FactResult, Target
from tests.conftest import FIXTURES

MINI = FIXTURES / "controls-mini"
TODAY = date(2026, 6, 15)


def mini():
    cat = catalog_mod.load(MINI)
    return cat, profile_mod.load("level3", cat)


def targets() -> list[Target]:
    """A Linux host and a database; no webapp, so L3-CES1-03 lands on the `system` pseudo-object."""
    return [Target(id="web-1", type="linux"), Target(id="db-1", type="database")]


def scope(profile=None):
    cat, prof = mini()
    return cat, questionnaire.scope(cat, profile or prof, targets())


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def login_defs(max_days: int = 90, min_len: int = 8) -> dict[str, FactResult]:
    value = {"PASS_MAX_DAYS": max_days, "PASS_MIN_LEN": min_len, "present": True}
    return {"login_defs": FactResult("login_defs", "ok", value, evidence_id="e" * 64)}
