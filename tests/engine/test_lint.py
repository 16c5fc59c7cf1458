"""`assess controls lint` on broken controls trees: each fault is one `file:line: message`, exit 2."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from assess.cli import main
from tests.conftest import FIXTURES

MINI = FIXTURES / "controls-mini"


def lint(path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["controls", "lint", str(path)])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    dest = tmp_path / "controls"
    shutil.copytree(MINI, dest)
    return dest


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture changed: {old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_mini_tree_is_clean(tree):
    code, out = lint(tree)
    assert code == 0, out
    assert out.startswith("ok: 3 items, 2 checks")


@pytest.mark.parametrize("file,old,new,message", [
    ("catalog/ces.yaml", "        weight: 0.7\n        methods: [访谈, 核查]",
     "        weight: 0.5\n        methods: [访谈, 核查]", "catalog/ces.yaml:17: 'weight' must be 1.0, 0.7 or 0.4"),
    ("catalog/ces.yaml", "        automation: automated\n", "        automation: automated\n        colour: red\n",
     "catalog/ces.yaml:20: unknown key 'colour' in item"),
    ("catalog/ces.yaml", "        summary: Failed-login handling.\n", "",
     "catalog/ces.yaml:26: item is missing required key 'summary'"),
    ("catalog/ces.yaml", "id: L3-CES1-02", "id: L3-CES1-01", "duplicate item id L3-CES1-01"),
    ("catalog/ces.yaml", "objects: [linux, database]", "objects: [linux, mainframe]",
     "'objects' has invalid value 'mainframe'"),
    ("catalog/ces.yaml", "name: 身份鉴别\n", "name: 身份鉴别\n    name: again\n", "catalog/ces.yaml:11: duplicate key 'name'"),
    ("catalog/ces.yaml", "    items:\n", "    items: [\n", "catalog/ces.yaml:"),
    ("checks/linux.yaml", "fact: login_defs\n    rule: {path: PASS_MAX_DAYS",
     "fact: logins_defs\n    rule: {path: PASS_MAX_DAYS", "unknown fact 'logins_defs'"),
    ("checks/linux.yaml", "op: le", "op: lte", "checks/linux.yaml:8: unknown operator 'lte'"),
    ("checks/linux.yaml", "param: max_days", "param: max_dayz", "unknown parameter 'max_dayz'"),
    ("checks/linux.yaml", "items: [L3-CES1-01]", "items: [L3-CES1-99]", "feeds unknown item 'L3-CES1-99'"),
    ("checks/linux.yaml", "id: t.min_len", "id: t.max_days", "duplicate check id t.max_days"),
    ("catalog/ces.yaml", "        letter: b\n", "", "catalog/ces.yaml:26: item 2 of control point 8.1.4.1 needs letter 'b'"),
    ("catalog/ces.yaml", "        letter: c\n", "        letter: d\n",
     "catalog/ces.yaml:38: item 3 of control point 8.1.4.1 needs letter 'c'"),
    ("checks/linux.yaml", "remediation: {text: fix it}", "remediation: {text: fix it, disruption: maybe}",
     "'disruption' has invalid value 'maybe'"),
])
def test_each_fault_is_reported_with_file_and_line(tree, file, old, new, message):
    edit(tree / file, old, new)
    code, out = lint(tree)
    assert code == 2, out
    assert message in out, out
    assert f"{tree}/" in out


def test_automated_item_without_checks_is_a_lint_error(tree):
    edit(tree / "catalog/ces.yaml", "automation: partial", "automation: automated")
    edit(tree / "checks/linux.yaml", "items: [L3-CES1-01, L3-CES1-02]", "items: [L3-CES1-01]")
    code, out = lint(tree)
    assert code == 2
    assert "item L3-CES1-02 is 'automated' but no check feeds it" in out


def test_missing_directory_and_single_file(tmp_path):
    code, out = lint(tmp_path / "nope")
    assert code == 2 and "no such file or directory" in out
    bad = tmp_path / "extra.yaml"
    bad.write_text("object_type: linux\nchecks:\n  - id: x.y\n", encoding="utf-8")
    code, out = lint(bad)
    assert code == 2
    assert f"{bad}:3: check is missing required key 'items'" in out


def test_shipped_catalog_counts():
    from assess import catalog

    cat = catalog.load()
    stats = catalog.stats(cat)
    assert stats["items"] == 211
    assert stats["by_class"] == {"PES": 22, "CNS": 8, "ABS": 20, "CES": 34, "SMC": 12,
                                 "PSS": 7, "ORS": 14, "HRS": 12, "CMS": 34, "MMS": 48}
    assert stats["by_weight"] == {1.0: 39, 0.7: 107, 0.4: 65}
    assert "L3-CES1-16" not in cat.items
    assert sum(1 for i in cat.items.values() if i.category == "technical") == 96


def test_physical_item_weights_follow_the_workbooks():
    """The ten 安全物理环境 weights real 测评记录 workbooks record (issue 17.13); the class keeps 3/13/6."""
    from assess import catalog

    items = catalog.load().items
    recorded = {"01": 0.4, "04": 0.4, "08": 0.7, "09": 0.7, "10": 0.4, "11": 0.7, "13": 0.4, "16": 0.7,
                "20": 1.0, "22": 0.7, "03": 1.0, "19": 1.0}
    assert {n: items[f"L3-PES1-{n}"].weight for n in recorded} == recorded
    pes = [i.weight for i in items.values() if i.class_code == "PES"]
    assert (pes.count(1.0), pes.count(0.7), pes.count(0.4)) == (3, 13, 6)


def test_a_single_requirement_has_no_letter(tree):
    """8.1.4.5 恶意代码防范 has one requirement: the standard cites it as 8.1.4.5, never 8.1.4.5 a (issue 17.14)."""
    from assess import catalog

    cat = catalog.load()
    singles = {i.id: i.clause for i in cat.items.values()
               if sum(1 for j in cat.items.values() if j.cp_clause == i.cp_clause) == 1}
    assert singles == {"L3-PES1-03": "8.1.1.2", "L3-PES1-17": "8.1.1.8", "L3-CNS1-08": "8.1.2.3",
                       "L3-ABS1-20": "8.1.3.6", "L3-CES1-23": "8.1.4.5", "L3-CES1-24": "8.1.4.6",
                       "L3-PSS1-01": "8.1.6.1", "L3-PSS1-07": "8.1.6.4"}
    assert cat.items["L3-CES1-01"].clause == "8.1.4.1 a"
    text = (tree / "catalog/ces.yaml").read_text(encoding="utf-8")
    cut = text.index("      - id: L3-CES1-02")
    (tree / "catalog/ces.yaml").write_text(text[:cut], encoding="utf-8")
    edit(tree / "checks/linux.yaml", "items: [L3-CES1-01, L3-CES1-02]", "items: [L3-CES1-01]")
    code, out = lint(tree)
    assert code == 2 and "control point 8.1.4.1 has a single requirement, which the standard does not letter" in out
    edit(tree / "catalog/ces.yaml", "        letter: a\n", "")
    code, out = lint(tree)
    assert code == 0, out
