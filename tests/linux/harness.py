"""Run the real collector snippets against a fixture root filesystem and evaluate checks on it.

A case is a directory `tests/linux/cases/<check-id>/<scenario>.<status>/` laid out like a root
filesystem (`etc/login.defs`, …) plus recorded command outputs in `.cmd/` (see probes/script.py:
`sshd -T` is recorded as `.cmd/sshd_-T.out`, with an optional `.rc`). `<status>` is the expected
check status: pass, fail, na or error.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from assess.catalog import factshapes
from assess.catalog import load as catalog_mod
from assess.catalog.schema import Problems
from assess.judge.evaluate import run_check
from assess.model import CheckResult, FactResult
from assess.probes import script
from assess.probes.facts import facts_for
from assess.run.collect import parse_sections

CASES = Path(__file__).resolve().parent / "cases"
_CATALOG: catalog_mod.Catalog | None = None


def catalog() -> catalog_mod.Catalog:
    global _CATALOG
    if _CATALOG is None:
        _CATALOG = catalog_mod.load()
    return _CATALOG


def collect_root(root: Path, names: list[str]) -> dict[str, FactResult]:
    """Collect the named Linux facts from a fixture root with the real batched script."""
    registry = facts_for("linux")
    facts = [registry[n] for n in names]
    text, token = script.build(facts, root=str(root))
    proc = subprocess.run(["/bin/sh", "-s"], input=text.encode(), capture_output=True, timeout=60, check=False)
    collected = script.split(proc.stdout.decode("utf-8", "replace"), token, names)
    results, _raw = parse_sections(facts, collected, f"collector failed: {proc.stderr.decode()[-300:]}")
    return results


def check_on_root(check_id: str, root: Path, params: dict[str, Any] | None = None) -> CheckResult:
    cat = catalog()
    check = cat.checks[check_id]
    values = {name: p.default for name, p in cat.parameters.items()}
    values.update(params or {})
    facts = collect_root(root, check.facts)
    shapes = catalog_mod._shapes(Problems(), strict=False)["linux"]
    misfits = [f"{name}: {m}" for name, r in facts.items() if r.status == "ok"
               for m in factshapes.mismatches(shapes[name], r.value)]
    assert not misfits, "collected values outside their declared shape (controls/facts/linux.yaml): " + "; ".join(misfits)
    return run_check(check, facts, values)


def cases() -> list[tuple[str, str, Path]]:
    """(check id, expected status, case directory) for every case on disk."""
    out = []
    for check_dir in sorted(p for p in CASES.iterdir() if p.is_dir()):
        for case in sorted(p for p in check_dir.iterdir() if p.is_dir()):
            out.append((check_dir.name, case.name.rsplit(".", 1)[-1], case))
    return out
