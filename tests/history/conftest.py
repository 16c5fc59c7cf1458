"""Every history test gets its own ASSESS_HOME, so nothing touches the real ~/.local/share/assess."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def assess_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "assess-home"
    monkeypatch.setenv("ASSESS_HOME", str(home))
    monkeypatch.delenv("ASSESS_NOTIFY_SECRET", raising=False)
    return home
