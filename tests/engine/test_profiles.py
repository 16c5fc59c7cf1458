"""Profiles: the shipped ones load; extends, overrides, tailoring and their errors."""

from __future__ import annotations

import pytest

from assess.catalog import load as catalog
from assess.catalog import profile
from assess.errors import InputError, LintErrors


@pytest.fixture(scope="module")
def cat():
    return catalog.load()


def test_every_shipped_profile_loads(cat):
    names = profile.available(cat)
    assert {"level3", "ride-hailing"} <= set(names)
    for name in names:
        assert profile.load(name, cat).level == 3


def test_ride_hailing_extends_level3(cat):
    base, rh = profile.load("level3", cat), profile.load("ride-hailing", cat)
    assert rh.chain == ["ride-hailing", "level3"]
    assert rh.context["high_continuity"] is True
    assert "email" in rh.parameters["webapp_pii_forbidden_kinds"]
    assert rh.parameters["webapp_session_idle_max_seconds"] < base.parameters["webapp_session_idle_max_seconds"]
    untouched = {k for k in base.parameters if base.parameters[k] == rh.parameters[k]}
    assert "password_max_days" in untouched


def test_tailoring_and_its_errors(cat, tmp_path):
    good = tmp_path / "t.yaml"
    good.write_text("id: t\ntitle: t\nlevel: 3\nextends: level3\ntailoring:\n  L3-CES1-31: 无热冗余要求的单机系统\n",
                    encoding="utf-8")
    assert profile.load(str(good), cat).tailoring == {"L3-CES1-31": "无热冗余要求的单机系统"}
    bad = tmp_path / "b.yaml"
    bad.write_text("id: b\ntitle: b\nlevel: 3\ntailoring:\n  L3-CES1-99: x\n  L3-CES1-31: ''\n", encoding="utf-8")
    with pytest.raises(LintErrors) as err:
        profile.load(str(bad), cat)
    assert any(":5: tailoring names unknown item 'L3-CES1-99'" in p for p in err.value.problems)
    assert any(":6: tailoring needs a reason" in p for p in err.value.problems)


def test_extends_loop_and_wrong_kinds(cat, tmp_path):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(f"id: a\ntitle: a\nlevel: 3\nextends: {b}\n", encoding="utf-8")
    b.write_text(f"id: b\ntitle: b\nlevel: 3\nextends: {a}\n", encoding="utf-8")
    with pytest.raises(InputError, match="loops back"):
        profile.load(str(a), cat)
    c = tmp_path / "c.yaml"
    c.write_text("id: c\ntitle: c\nlevel: 3\nparameters:\n  password_max_days: ninety\n", encoding="utf-8")
    with pytest.raises(LintErrors, match="must be like its default"):
        profile.load(str(c), cat)
