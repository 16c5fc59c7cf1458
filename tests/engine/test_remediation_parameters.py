"""Parameters reach the remediation text (issue 13): a profile with PASS_MAX_DAYS 60 gets a fix that says 60,
as ComplianceAsCode templates its remediations from the rule's variables."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assess.catalog import load as catalog_mod
from assess.catalog import profile as profile_mod
from assess.errors import LintErrors
from assess.model import ItemResult, Target
from assess.run import scan
from tests.linux.harness import CASES, catalog, check_on_root

CHECK = "linux.login_defs.pass_max_days"


def _fix_for(days: int | None, tmp_path: Path) -> dict:
    cat = catalog()
    if days is None:
        prof = profile_mod.load("level3", cat)
    else:
        path = tmp_path / "p.yaml"
        path.write_text(f"id: strict\ntitle: strict\nlevel: 3\nextends: level3\nparameters: {{password_max_days: {days}}}\n",
                        encoding="utf-8")
        prof = profile_mod.load(str(path), cat)
    result = check_on_root(CHECK, CASES / CHECK / "debian-default.fail", prof.parameters)
    assert result.status == "fail"
    host = Target("h1", "linux")
    row = ItemResult("L3-CES1-01", "h1", "fail", "", "checks", [result])
    system = Target("system", "system")
    doc = scan.build_document(cat, prof, [host], "r1", "2026-01-01T00:00:00Z", {}, [row], system)
    (fix,) = [f for f in doc["results"][0]["remediation"] if f["check"] == CHECK]
    return fix


def test_a_profile_with_60_days_gets_a_fix_that_says_60(tmp_path: Path) -> None:
    fix = _fix_for(60, tmp_path)
    for text in (fix["text"], fix["text_en"], fix["command"]):
        assert re.search(r"\b60\b", text) and not re.search(r"\b90\b", text), text


def test_the_default_profile_keeps_90(tmp_path: Path) -> None:
    fix = _fix_for(None, tmp_path)
    assert "PASS_MAX_DAYS 90" in fix["text_en"] and "chage -M 90" in fix["text"]


def test_an_unknown_parameter_in_a_remediation_is_a_catalog_error(tmp_path: Path) -> None:
    root = tmp_path / "controls"
    import shutil

    shutil.copytree(catalog_mod.default_root(), root)
    path = root / "checks" / "linux" / "login-defs.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("{{password_max_days}}", "{{password_max_dayz}}", 1), encoding="utf-8")
    with pytest.raises(LintErrors) as exc:
        catalog_mod.load(root)
    assert any("login-defs.yaml" in p and "password_max_dayz" in p for p in exc.value.problems)
