"""`mypy` is clean on assess/ (issue 13), with the strictness documented in pyproject.toml [tool.mypy]."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

from tests.conftest import lab_unavailable

ROOT = Path(__file__).resolve().parents[2]


def test_mypy_is_clean_on_assess(tmp_path: Path) -> None:
    if importlib.util.find_spec("mypy") is None:
        lab_unavailable("mypy is not installed (pip install -e '.[test]')")
    out = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache")], cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Success: no issues found" in out.stdout
