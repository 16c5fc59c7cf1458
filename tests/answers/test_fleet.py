"""The questionnaire at fleet scale: 20 hosts and 2 web applications over the shipped catalog. Entries are
grouped per item and objects of identical applicability, answers may name a group, `all` or a selector, a
one-object entry overrides its group, every answer is still validated per object, the checks that already
failed are shown, and the xlsx form survives a round trip through LibreOffice."""

from __future__ import annotations

import shutil
from datetime import date

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from assess.catalog import load as catalog_mod
from assess.catalog import profile as profile_mod
from assess.cli import main
from assess.errors import LintErrors
from assess.inputs import answers, questionnaire
from assess.inventory.load import interview_objects
from assess.model import Target
from tests.answers.common import write
from tests.reports import office

TODAY = date(2026, 6, 15)
INVENTORY = "objects:\n" + "".join(
    f"  - {{id: host{i:02d}, type: linux, transport: local, tags: [{'prod' if i < 15 else 'test'}]}}\n"
    for i in range(20)) + "".join(f"  - {{id: app{i}, type: webapp, url: 'https://app{i}.example.cn/'}}\n"
                                  for i in range(2))


@pytest.fixture(scope="module")
def fleet():
    cat = catalog_mod.load()
    prof = profile_mod.load("level3", cat)
    targets = [Target(id=f"host{i:02d}", type="linux", tags=["prod" if i < 15 else "test"],
                      connection={"transport": "local"}) for i in range(20)]
    targets += [Target(id=f"app{i}", type="webapp", connection={"url": f"https://app{i}.example.cn/"})
                for i in range(2)]
    pairs = questionnaire.scope(cat, prof, targets + interview_objects())
    return cat, pairs


def test_grouping_drops_the_row_count(fleet):
    _cat, pairs = fleet
    asked = questionnaire.asked(pairs)
    assert len(asked) == 772
    entries = questionnaire.group(asked)
    assert len(entries) == len({(p.item.id, p.kind, p.checks) for p in asked}) == 227
    covered = [(p.item.id, p.target.id) for e in entries for p in e.pairs]
    assert sorted(covered) == sorted((p.item.id, p.target.id) for p in asked)  # nothing lost, nothing twice
    for e in entries:
        assert len({(p.item.id, p.kind, p.checks) for p in e.pairs}) == 1
    hosts = next(e for e in entries if len(e.pairs) == 20)
    assert {p.target.type for p in hosts.pairs} == {"linux"}


def _answer(item: str, objects: str, verdict: str = "符合") -> str:
    return (f"  - item: {item}\n    {objects}\n    answer: {verdict}\n    explanation: 已查看制度文件\n"
            "    respondent: 王工\n    answered_at: 2026-06-01\n")


def _interview_item(pairs, otype: str) -> str:
    return next(i for (i, o), p in pairs.items() if p.kind == "interview" and p.target.type == otype)


def test_group_answers_selectors_and_overrides(fleet, tmp_path):
    cat, pairs = fleet
    item = _interview_item(pairs, "linux")
    text = "answers:\n" + _answer(item, "objects: {type: linux, tags: [prod]}") + \
        _answer(item, "objects: [host15, host16]", "部分符合") + _answer(item, "object: host03", "不符合")
    got = answers.load(write(tmp_path / "a.yaml", text), cat, pairs, TODAY).answers
    assert {o for (i, o) in got if i == item} == {f"host{i:02d}" for i in range(17)}
    assert got[(item, "host00")].verdict == "pass" and got[(item, "host15")].verdict == "partial"
    assert got[(item, "host03")].verdict == "fail"  # the one-object entry overrides the group
    everyone = answers.load(write(tmp_path / "b.yaml", "answers:\n" + _answer(item, "objects: all")), cat, pairs,
                            TODAY).answers
    asked_on = {o for (i, o), p in pairs.items() if i == item and p.kind in questionnaire.ASKED}
    assert {f"host{i:02d}" for i in range(20)} <= asked_on
    assert {o for (i, o) in everyone if i == item} == asked_on


def test_group_answers_are_validated_per_object(fleet, tmp_path):
    cat, pairs = fleet
    item = _interview_item(pairs, "linux")
    automated = next(i for (i, o), p in pairs.items() if p.kind == "automated" and o == "host00")
    cases = {
        "objects: [host00, nohost]": "unknown object 'nohost'",
        "objects: [host00, site]": "does not apply to object 'site'",
        "objects: {type: linux, tags: [nosuchtag]}": "selects no object",
        "objects: {kind: linux}": "a selector takes type and tags",
        "objects: some": "'objects' is a list of ids",
    }
    for spec, message in cases.items():
        path = write(tmp_path / "c.yaml", "answers:\n" + _answer(item, spec))
        with pytest.raises(LintErrors) as err:
            answers.load(path, cat, pairs, TODAY)
        assert message in str(err.value), (spec, err.value)
    path = write(tmp_path / "d.yaml", "answers:\n" + _answer(automated, "objects: [host00, host01]"))
    with pytest.raises(LintErrors, match="fully automated"):
        answers.load(path, cat, pairs, TODAY)
    path = write(tmp_path / "e.yaml", "answers:\n" + _answer(item, "objects: [host01]") +
                 _answer(item, "objects: {type: linux}"))
    with pytest.raises(LintErrors, match="duplicate answer for .* on 'host01'"):
        answers.load(path, cat, pairs, TODAY)
    path = write(tmp_path / "f.yaml", "answers:\n" + _answer(item, "object: host01\n    objects: all"))
    with pytest.raises(LintErrors, match="not both"):
        answers.load(path, cat, pairs, TODAY)


def test_init_groups_shows_failed_checks_and_reads_back(tmp_path):
    from tests.reports.synthetic import make_run

    inventory = write(tmp_path / "inv.yaml", INVENTORY)
    run_dir, doc = make_run(tmp_path / "runs", 2)
    # the earlier run scanned the same host names: rename its objects onto this inventory's
    for r in doc["results"]:
        r["object"] = {"linux-000": "host00", "linux-001": "host01"}.get(r["object"], r["object"])
    (run_dir / "results.json").write_text(__import__("json").dumps(doc), encoding="utf-8")
    runner = CliRunner()
    out = tmp_path / "answers.yaml"
    result = runner.invoke(main, ["questionnaire", "init", "-i", str(inventory), "-o", str(out), "--run",
                                  str(run_dir)])
    assert result.exit_code == 0, result.output
    assert "772 item × object pairs" in result.stdout
    from assess.yamlio import load_file

    entries = load_file(out)["answers"]
    assert len(entries) == 227
    grouped = [e for e in entries if "objects" in e]
    assert grouped and all("object" not in e for e in grouped)
    failed = {(r["item"], r["object"]): [c["check"] for c in r["checks"] if c["status"] == "fail"]
              for r in doc["results"] if r["object"] in ("host00", "host01")}
    shown = [e for e in entries if e.get("failed_checks")]
    assert shown
    for e in shown:
        for line in e["failed_checks"]:
            oid, checks = line.split(": ", 1)
            assert checks.split(", ") == failed[(e["item"], oid)]
    per_object = tmp_path / "per-object.yaml"
    assert runner.invoke(main, ["questionnaire", "init", "-i", str(inventory), "-o", str(per_object),
                                "--per-object"]).exit_code == 0
    assert len(load_file(per_object)["answers"]) == 772


@pytest.mark.lab
def test_xlsx_form_survives_libreoffice(fleet, tmp_path):
    cat, pairs = fleet
    entries = questionnaire.group(questionnaire.asked(pairs))
    form = tmp_path / "form" / "answers.xlsx"
    form.parent.mkdir()
    questionnaire.to_xlsx(entries, {"format": questionnaire.FORMAT}, form)
    wb = load_workbook(form)
    ws = wb[questionnaire.SHEET]
    assert ws.max_row == len(entries) + 1
    assert "填写说明" in wb["说明"]["A1"].value and "all 表示全部对象" in "".join(
        c.value or "" for c in wb["说明"]["A"])
    keys = [str(c.value).split()[-1] for c in ws[1]]
    group_row = next(r for r in range(2, ws.max_row + 1) if "\n" in str(ws.cell(r, keys.index("objects") + 1).value))
    ws.cell(group_row, keys.index("answer") + 1).value = "符合"
    ws.cell(group_row, keys.index("explanation") + 1).value = "已查看《安全管理制度》第3版"
    ws.cell(group_row, keys.index("respondent") + 1).value = "王工"
    ws.cell(group_row, keys.index("answered_at") + 1).value = "2026-06-01"
    filled = tmp_path / "filled.xlsx"
    wb.save(filled)
    back = office.convert(filled, "xlsx:Calc MS Excel 2007 XML", tmp_path / "lo")
    shutil.move(back, tmp_path / "roundtrip.xlsx")
    got = answers.load(tmp_path / "roundtrip.xlsx", cat, pairs, TODAY)
    ids = str(ws.cell(group_row, keys.index("objects") + 1).value).split("\n")
    item = ws.cell(group_row, 1).value
    assert len(ids) > 1 and set(got.answers) == {(item, oid) for oid in ids}
    assert all(a.verdict == "pass" and a.answered_at == date(2026, 6, 1) for a in got.answers.values())
