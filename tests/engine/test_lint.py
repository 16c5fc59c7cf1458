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
    ("checks/linux.yaml", "path: PASS_MAX_DAYS", "path: PASS_MAX_DAY",
     "checks/linux.yaml:8: check t.max_days: no linux fact produces login_defs.PASS_MAX_DAY: no key 'PASS_MAX_DAY' "
     "in the value (did you mean 'PASS_MAX_DAYS'?)"),
    ("checks/linux.yaml", "path: present", 'path: "present[*]"',
     "no linux fact produces login_defs.present[*]: 'present' is not a list, so '[*]' selects nothing"),
    ("checks/linux.yaml", "path: present", "path: present.value",
     "no linux fact produces login_defs.present.value: 'present' is bool, it has no 'value'"),
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
    from assess.catalog import load as catalog

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
    from assess.catalog import load as catalog

    items = catalog.load().items
    recorded = {"01": 0.4, "04": 0.4, "08": 0.7, "09": 0.7, "10": 0.4, "11": 0.7, "13": 0.4, "16": 0.7,
                "20": 1.0, "22": 0.7, "03": 1.0, "19": 1.0}
    assert {n: items[f"L3-PES1-{n}"].weight for n in recorded} == recorded
    pes = [i.weight for i in items.values() if i.class_code == "PES"]
    assert (pes.count(1.0), pes.count(0.7), pes.count(0.4)) == (3, 13, 6)


def test_a_single_requirement_has_no_letter(tree):
    """8.1.4.5 恶意代码防范 has one requirement: the standard cites it as 8.1.4.5, never 8.1.4.5 a (issue 17.14)."""
    from assess.catalog import load as catalog

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


TYPO_CHECKS = """object_type: linux
checks:
  - id: t.no_uid0_others
    items: [L3-CES1-01]
    title: only root has uid 0
    title_en: only root has uid 0
    fact: accounts
    rule: {path: uid0_others, op: empty}
    remediation: {text: fix it}
  - id: t.no_nopasswd
    items: [L3-CES1-01]
    title: no NOPASSWD
    title_en: no NOPASSWD
    fact: sudoers
    applies_when: {path: instaled, op: ne, value: false}
    na_reason: sudo is not installed
    rule: {path: "grants[*].nopaswd", op: ne, value: true}
    remediation: {text: fix it}
"""


def test_a_path_no_fact_produces_is_refused_by_lint_and_by_every_load(tree):
    """With `empty` or `ne`, a misspelt path reads "not set" and passes (issue 17): it must never load."""
    from assess.catalog import load as catalog
    from assess.catalog.rules import parse_path
    from assess.errors import LintErrors
    from assess.model import FactResult

    extra = tree / "checks" / "typos.yaml"
    extra.write_text(TYPO_CHECKS, encoding="utf-8")
    code, out = lint(tree)
    assert code == 2
    assert "typos.yaml:8: check t.no_uid0_others: no linux fact produces accounts.uid0_others" in out
    assert "typos.yaml:15: check t.no_nopasswd: no linux fact produces sudoers.instaled: no key 'instaled' " \
           "in the value (did you mean 'installed'?)" in out
    assert "no linux fact produces sudoers.grants[*].nopaswd: no key 'nopaswd' in grants[*] " \
           "(did you mean 'nopasswd'?)" in out
    with pytest.raises(LintErrors):
        catalog.load(tree)
    # what the typo would have done: a host with a second uid-0 account passes
    from assess.catalog.rules import Leaf
    facts = {"accounts": FactResult("accounts", "ok", {"uid0": ["root", "toor"]}).value}
    assert Leaf("accounts", parse_path("uid0_others"), "empty").evaluate(facts, {}).ok


def test_every_fact_declares_its_value_shape():
    from assess.catalog import factshapes
    from assess.catalog import load as catalog
    from assess.catalog.schema import Problems
    from assess.probes.facts import all_facts

    problems = Problems()
    shapes = catalog._shapes(problems, strict=True)
    assert not problems
    assert {t: set(f) for t, f in shapes.items()} == {t: set(f) for t, f in all_facts().items()}
    sshd = shapes["linux"]["sshd"]
    assert factshapes.check_path(sshd, ["permitrootlogin"]) is None
    assert factshapes.check_path(sshd, ["match", "*", "settings", "passwordauthentication"]) is None
    assert "did you mean 'permitrootlogin'" in factshapes.check_path(sshd, ["permitrootlogins"])
    assert factshapes.check_path(shapes["linux"]["file_modes"], ["files", "/etc/shadow", "mode"]) is None


def test_fact_shape_grammar_errors_name_file_and_line(tmp_path):
    from assess.catalog import factshapes
    from assess.catalog import load as catalog
    from assess.catalog.schema import Problems

    (tmp_path / "linux.yaml").write_text(
        "object_type: linux\nkeywords: {opts: [a, b]}\nfacts:\n  one:\n    x: string\n  two: [int, str]\n"
        "  three:\n    <nope>: int\n  four:\n    <opts>: int\n", encoding="utf-8")
    problems = Problems()
    shapes = factshapes.load(tmp_path, problems, catalog._load)
    text = "\n".join(problems)
    assert f"{tmp_path}/linux.yaml:5: unknown type 'string'" in text
    assert f"{tmp_path}/linux.yaml:6: a list shape has exactly one element" in text
    assert f"{tmp_path}/linux.yaml:8: no keywords list named 'nope'" in text
    assert set(shapes["linux"]) == {"four"}
    assert factshapes.check_path(shapes["linux"]["four"], ["b"]) is None
    assert "did you mean 'a'" in factshapes.check_path(shapes["linux"]["four"], ["aa"])
