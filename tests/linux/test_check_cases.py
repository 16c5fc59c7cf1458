"""Every Linux check against its pass/fail fixture roots (ComplianceAsCode-style scenarios)."""

from __future__ import annotations

import pytest

from tests.linux.harness import cases, catalog, check_on_root

CASES = cases()


@pytest.mark.parametrize("check_id,expected,root", CASES, ids=[f"{c}/{r.name}" for c, _e, r in CASES])
def test_case(check_id, expected, root):
    assert check_id in catalog().checks, f"case directory names unknown check {check_id}"
    result = check_on_root(check_id, root)
    assert result.status == expected, f"{result.reason} (observed {result.observed})"


def test_every_linux_check_has_a_passing_and_a_failing_case():
    have: dict[str, set[str]] = {}
    for check_id, expected, _root in CASES:
        have.setdefault(check_id, set()).add(expected)
    linux = [c for c in catalog().checks.values() if c.object_type == "linux"]
    # a presence-only check never fails: its negative case is 待核查 (manual)
    missing = [c.id for c in linux
               if not {"pass", "manual" if c.absent_is_unproven else "fail"} <= have.get(c.id, set())]
    assert not missing, f"checks without both a .pass and a .fail (or .manual) case: {missing}"
