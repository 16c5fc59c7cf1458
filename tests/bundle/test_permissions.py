"""Run directories, reports written later, history and bundles are private to the user who ran assess."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from tests.bundle.conftest import OPERATOR, scan


def modes(root: Path) -> dict[str, int]:
    return {p.relative_to(root).as_posix() or ".": stat.S_IMODE(p.stat().st_mode)
            for p in [root, *root.rglob("*")]}


def loose(root: Path) -> dict[str, str]:
    """Every entry below `root` that group or others may read, write or enter."""
    return {name: oct(mode) for name, mode in modes(root).items() if mode & 0o077}


def assess_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assess", *args], capture_output=True, text=True, timeout=120,
                          preexec_fn=lambda: os.umask(0o022))  # a usual login umask: assess must not rely on it


def test_a_real_run_its_later_reports_and_history_are_private(controls, tmp_path):
    history = tmp_path / "state" / "history.db"
    os.umask(old := os.umask(0o022))
    try:
        run = scan(tmp_path / "out", controls, "--history", str(history))
    finally:
        os.umask(old)
    assert stat.S_IMODE(run.stat().st_mode) == 0o700
    assert stat.S_IMODE((run / "results.json").stat().st_mode) == 0o600
    assert loose(run) == {}
    later = assess_cli("report", str(run), "--format", "html,xlsx,md,json")
    assert later.returncode == 0, later.stderr
    assert loose(run) == {} and (run / "record.xlsx").is_file()
    assert stat.S_IMODE(history.stat().st_mode) & 0o077 == 0


def test_bundles_and_imports_are_private(run_dir, tmp_path):
    bundle = tmp_path / "b.tar.gz"
    made = assess_cli("bundle", "create", str(run_dir), "-o", str(bundle), "--operator", OPERATOR)
    assert made.returncode == 0, made.stderr
    assert stat.S_IMODE(bundle.stat().st_mode) == 0o600
    imported = assess_cli("bundle", "import", str(bundle), "-o", str(tmp_path / "imp"), "--accept-unsigned",
                          "--format", "html,json")
    assert imported.returncode == 0, imported.stderr
    assert loose(tmp_path / "imp") == {}
    assert (tmp_path / "imp" / "bundle" / "data" / "run" / "results.json").is_file()
