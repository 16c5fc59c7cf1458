"""`pip install .` (not only -e) ships one `assess` namespace with probes, reports and the controls data."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

MAPPED = {"assess": "assess", "assess.probes": "probes", "assess.reports": "reports"}


def test_every_package_directory_is_listed_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = set()
    for prefix, directory in MAPPED.items():
        for init in (ROOT / directory).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / directory)
            found.add(".".join([prefix, *rel.parts]) if rel.parts else prefix)
    assert found - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"


def test_wheel_installs_and_loads_the_catalog(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                    "-w", str(wheels), str(ROOT)], check=True, capture_output=True, timeout=300)
    wheel = next(wheels.glob("assess-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "assess/probes/linux/login.py" in names
    assert "assess/controls/catalog/04-ces.yaml" in names
    assert "assess/controls/profiles/level3.yaml" in names
    assert not [n for n in names if n.split("/")[0] in ("probes", "reports", "controls", "tests")]
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
                    str(wheel)], check=True, capture_output=True, timeout=300)
    env = dict(os.environ, PYTHONPATH=str(target))
    code = ("import assess.catalog.load as c, assess.probes.registry as f; cat = c.load(); "
            "assert len(cat.items) == 211, len(cat.items); assert f.facts_for('linux'); print(cat.root)")
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert Path(out.stdout.strip()).is_relative_to(target)
