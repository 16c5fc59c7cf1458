"""Run named cloud-account checks on collected evidence (the pure evaluator, no scan)."""

from __future__ import annotations

from assess.catalog import load as catalog_load
from assess.judge.evaluate import run_check
from assess.run.collect import ObjectEvidence


def run_checks(evidence: ObjectEvidence, names: list[str]) -> dict[str, str]:
    cat = catalog_load.load()
    params = {n: p.default for n, p in cat.parameters.items()}
    return {n: run_check(cat.checks[n], evidence.facts, params).status for n in names}
