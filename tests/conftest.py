"""Shared test helpers.

Lab tests run real servers (sshd, nginx, …) on loopback. When they cannot run here (not root, a
package missing) they skip with the reason; under CI (CI=true) they fail instead, so a CI machine
that silently lacks a package cannot pass.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def lab_unavailable(reason: str) -> None:
    """Skip a lab test locally, fail it in CI."""
    if IN_CI:
        pytest.fail(f"lab test cannot run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture(autouse=True, scope="session")
def _throwaway_assess_home(tmp_path_factory: pytest.TempPathFactory):
    """Every `assess scan` records its run in the history; in tests that history is a throw-away one,
    never the user's ~/.local/share/assess (subprocesses inherit it too)."""
    saved = os.environ.get("ASSESS_HOME")
    os.environ["ASSESS_HOME"] = str(tmp_path_factory.mktemp("assess-home"))
    yield
    if saved is None:
        os.environ.pop("ASSESS_HOME", None)
    else:
        os.environ["ASSESS_HOME"] = saved
