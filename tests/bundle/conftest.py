"""Fixtures for bundle tests: a real run of `assess scan` on this machine, SSH keys made by ssh-keygen."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import pytest

from assess.bundle import archive, create, sshsig
from assess.catalog import load as catalog_mod

OPERATOR = "operator@example.com"


@pytest.fixture(scope="session", autouse=True)
def controls(tmp_path_factory) -> Path:
    """A snapshot of the shipped controls, used as "the shipped controls" by every bundle test.

    Runs and bundles must be evaluated with the very controls they name (by sha256); the snapshot keeps
    that true while the shipped tree is being edited during a local test session.
    """
    snapshot = tmp_path_factory.mktemp("controls") / "controls"
    shutil.copytree(catalog_mod.default_root(), snapshot, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(catalog_mod, "default_root", lambda: snapshot)
        yield snapshot


def scan(out: Path, controls: Path, *extra: str) -> Path:
    """A real run directory from `assess scan --controls CONTROLS` (the local machine)."""
    proc = subprocess.run([sys.executable, "-m", "assess", "scan", "--out", str(out), "-q", "--controls",
                           str(controls), *extra],
                          capture_output=True, text=True, timeout=120)
    runs = [p for p in out.iterdir() if (p / "results.json").is_file()] if out.is_dir() else []
    assert len(runs) == 1, f"scan failed ({proc.returncode}): {proc.stderr}"
    return runs[0]


def need_ssh_keygen() -> str:
    path = shutil.which("ssh-keygen")
    if path is None:
        from tests.conftest import lab_unavailable

        lab_unavailable("ssh-keygen (Debian openssh-client) is not installed")
    return path


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory, controls) -> Path:
    return scan(tmp_path_factory.mktemp("scan"), controls)


@pytest.fixture(scope="session")
def answered_run(tmp_path_factory, controls) -> Path:
    """A run with one interview answer and its attachment."""
    base = tmp_path_factory.mktemp("answered")
    (base / "policy.txt").write_text("网络安全总体方针（摘要）\n", encoding="utf-8")
    (base / "answers.yaml").write_text(
        "answers:\n"
        "  - item: L3-PSS1-01\n    object: organization\n    answer: pass\n"
        "    explanation: 《网络安全总体方针》2026 版已发布\n"
        "    attachments: [policy.txt]\n    respondent: 张三（运维）\n"
        f"    answered_at: {date.today().isoformat()}\n", encoding="utf-8")
    return scan(base / "out", controls, "--answers", str(base / "answers.yaml"))


@pytest.fixture(scope="session")
def keys(tmp_path_factory) -> dict[str, Path]:
    """Private key files by kind, made by ssh-keygen, and an allowed_signers file listing them."""
    keygen = need_ssh_keygen()
    d = tmp_path_factory.mktemp("keys")
    out = {}
    for kind, args in {"ed25519": ["-t", "ed25519"], "ecdsa": ["-t", "ecdsa", "-b", "256"],
                       "rsa": ["-t", "rsa", "-b", "3072"], "stranger": ["-t", "ed25519"]}.items():
        subprocess.run([keygen, "-q", *args, "-N", "", "-C", kind, "-f", str(d / kind)], check=True, timeout=60)
        out[kind] = d / kind
    lines = [f"{OPERATOR} {' '.join((d / f'{k}.pub').read_text().split()[:2])}" for k in ("ed25519", "ecdsa", "rsa")]
    (d / "allowed_signers").write_text("\n".join(lines) + "\n")
    out["allowed"] = d / "allowed_signers"
    return out


@pytest.fixture(scope="session")
def signed_zip(run_dir, keys, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bundles") / "run.zip"
    create.create(run_dir, out, signer=sshsig.load_key_file(keys["ed25519"]), operator=OPERATOR)
    return out


def extract(bundle: Path, dest: Path) -> Path:
    """The bag root of a bundle, extracted with our safe extractor."""
    return archive.bag_root(archive.extract(bundle, dest))


def zip_names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as zf:
        return zf.namelist()
