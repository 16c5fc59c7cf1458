"""The XLSX 测评记录 as an evaluator keeps it: header block, columns, scores, evaluator-style records, the
汇总 sheet, and print-readiness proven by LibreOffice's own PDF export."""

from __future__ import annotations

import re

import openpyxl
import pytest

from assess import reports
from assess.judge.conclusion import verdict_score
from assess.reports.xlsx import lines_needed, row_height, score_config
from tests.reports import office
from tests.reports.synthetic import make_run

HEADINGS = ("序号", "扩展标准", "安全类", "控制点", "测评项", "测评方法", "结果记录", "符合情况", "分值", "权重", "编号")
COL = {h: i for i, h in enumerate(HEADINGS)}
HEAD_ROWS = 7


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    run_dir, doc = make_run(tmp_path_factory.mktemp("record"), 2)
    doc["run"]["operator"] = "王工（安全部）"
    (path,) = reports.render(doc, run_dir, ["xlsx"])
    return run_dir, doc, path


def _sheet_rows(path, name):
    wb = openpyxl.load_workbook(path, read_only=True)
    return list(wb[name].iter_rows(values_only=True))


def test_header_block_and_columns(run):
    _run_dir, doc, path = run
    rows = _sheet_rows(path, "linux-000")
    block = {r[0]: r[3] for r in rows[:HEAD_ROWS - 1]}
    assert block["被测系统名称"] == doc["run"]["profile"]["title"]
    assert block["测评对象名称"] == "linux 0（linux-000）"
    assert block["IP / 版本 / 用途"] == "10.0.0.0 / linux / internet-facing"
    assert block["测评人员"] == "王工（安全部）"
    assert block["测评日期"] == "2026-03-01"
    assert "自评估" in block["说明"] and "不是测评机构" in block["说明"]
    assert rows[HEAD_ROWS - 1] == HEADINGS
    mine = [r for r in doc["results"] if r["object"] == "linux-000"]
    body = rows[HEAD_ROWS:]
    assert [r[0] for r in body] == list(range(1, len(mine) + 1))
    assert [r[COL["编号"]] for r in body] == [m["item"] for m in mine]
    assert body[0][COL["安全类"]] == "安全物理环境" or body[0][COL["安全类"]] == doc["items"][mine[0]["item"]]["class_name"]


def test_score_is_the_verdict_score_and_weight_has_its_own_column(run):
    """分值 used to hold the item's weight, so a 不符合 row showed 0.70 or 1.00."""
    _run_dir, doc, path = run
    config = score_config(doc)
    mine = [r for r in doc["results"] if r["object"] == "linux-000"]
    body = _sheet_rows(path, "linux-000")[HEAD_ROWS:]
    seen = set()
    for values, result in zip(body, mine, strict=True):
        assert values[COL["符合情况"]] == {"pass": "符合", "partial": "部分符合", "fail": "不符合", "na": "不适用",
                             "manual": "待核查", "error": "无法判定"}[result["verdict"]]
        assert values[COL["分值"]] == verdict_score(result["verdict"], config)
        assert values[COL["权重"]] == float(doc["items"][result["item"]]["weight"])
        seen.add(result["verdict"])
    assert {"pass", "partial", "fail"} <= seen
    fail = next(v for v, r in zip(body, mine, strict=True) if r["verdict"] == "fail")
    assert fail[COL["分值"]] == 0
    partial = next(v for v, r in zip(body, mine, strict=True) if r["verdict"] == "partial")
    assert partial[COL["分值"]] == config["partial_credit"] == 0.5
    na = [v for v, r in zip(body, mine, strict=True) if r["verdict"] == "na"]
    assert na and all(v[COL["分值"]] is None for v in na)


def test_record_reads_as_an_evaluator_writes_it(run):
    _run_dir, doc, path = run
    mine = [r for r in doc["results"] if r["object"] == "linux-000"]
    body = _sheet_rows(path, "linux-000")[HEAD_ROWS:]
    checked = [(v, r) for v, r in zip(body, mine, strict=True) if r["checks"]]
    assert checked
    for values, result in checked:
        record = values[COL["结果记录"]]
        assert record.startswith("经核查，")
        ids = list(dict.fromkeys(e for c in result["checks"] for e in c.get("evidence") or []))
        assert record.endswith("（证据编号：" + "、".join(i[:12] for i in ids) + "）")
        if any(c["status"] not in ("pass", "fail") for c in result["checks"]):
            continue  # 不适用 / 无法判定 quote the check's own reason
        # words, not rule syntax: no operator symbols, no fact-qualified paths
        assert not re.search(r"[≤≥≠∈∉∋∌]", record), record
        assert not re.search(r"\b[a-z_]+\.VALUE\b", record), record
        assert values[COL["测评方法"]] in ("核查", "核查、测试", "测试", "核查、访谈", "核查、测试、访谈")
    failed = next(v for v, r in checked if any(c["status"] == "fail" for c in r["checks"]))
    assert "不符合要求" in failed[COL["结果记录"]] and "要求VALUE不大于90" in failed[COL["结果记录"]]
    interviewed = next(v for v, r in zip(body, mine, strict=True) if r.get("answer") and not r["checks"])
    assert interviewed[COL["测评方法"]] == "访谈" and interviewed[COL["结果记录"]].startswith("经访谈（张工，2026-02-20）：")


def test_tally_sheet_counts_and_conclusion(run):
    _run_dir, doc, path = run
    wb = openpyxl.load_workbook(path, read_only=True)
    assert wb.sheetnames[0] == "汇总" and wb.sheetnames[-1] == "结论与整改"
    rows = list(wb["汇总"].iter_rows(values_only=True))
    assert rows[1][:9] == ("安全类", "控制点", "结果数", "符合", "部分符合", "不符合", "不适用", "待核查", "无法判定")
    subtotals = [r for r in rows if len(r) > 2 and r[1] == "小计"]
    assert sum(r[2] for r in subtotals) == len(doc["results"])
    for n, verdict in enumerate(("pass", "partial", "fail", "na", "manual", "error"), start=3):
        assert sum(r[n] for r in subtotals) == sum(1 for r in doc["results"] if r["verdict"] == verdict)
    cp_rows = [r for r in rows[2:] if len(r) > 2 and r[1] and re.match(r"8\.1\.\d+\.\d+ ", str(r[1]))]
    assert sum(r[2] for r in cp_rows) == len(doc["results"])
    labels = {r[0]: r[1] for r in rows if len(r) > 1 and r[0]}
    assert labels["预测测评结论"] == doc["conclusion"]["conclusion_zh"]
    assert labels["符合率"] == doc["conclusion"]["conformance_rate"]


def test_print_setup(run):
    _run_dir, _doc, path = run
    wb = openpyxl.load_workbook(path)
    for name in ("汇总", "linux-000", "site"):
        ws = wb[name]
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize in (9, "9")
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert int(ws.page_setup.fitToWidth) == 1 and int(ws.page_setup.fitToHeight) == 0
    ws = wb["linux-000"]
    assert ws.freeze_panes == "A8" and ws.print_title_rows.replace("$", "") == "7:7"
    for row in ws.iter_rows(min_row=HEAD_ROWS + 1):
        record = row[COL["结果记录"]]
        assert record.alignment.wrap_text
        height = ws.row_dimensions[record.row].height
        assert height >= 16.5 * lines_needed(record.value, 58)


def test_row_height_counts_wide_characters_twice():
    assert lines_needed("a" * 20, 22) == 1 and lines_needed("甲" * 20, 22) == 2
    assert lines_needed("甲\n乙\n丙", 40) == 3
    assert row_height([("甲" * 100, 22), ("short", 5)]) == pytest.approx(10 * 16.5 + 4)


@pytest.mark.lab
def test_libreoffice_prints_every_cell_on_a4_landscape(run, tmp_path):
    _run_dir, doc, path = run
    pdf = office.convert(path, "pdf", tmp_path)
    sizes = office.pages(pdf)
    assert sizes and all(w == pytest.approx(841.89, abs=1) and h == pytest.approx(595.3, abs=1) for w, h in sizes)
    texts = office.page_texts(pdf)
    assert len(texts) == len(sizes)
    whole = office.squeeze("".join(texts))
    wb = openpyxl.load_workbook(path, read_only=True)
    object_sheets = [n for n in wb.sheetnames if n not in ("汇总", "结论与整改")]
    data_rows = 0
    for name in ["汇总"] + object_sheets:
        for row in wb[name].iter_rows(values_only=True):
            data_rows += 1
            for value in row:
                if isinstance(value, str) and value.strip():
                    assert office.squeeze(value) in whole, f"{name}: cell text not printed: {value[:80]}"
    record_pages = [t for t in texts if "测评方法" in t]
    # the heading row repeats on every page of an object sheet, and every page holds all columns
    assert len(record_pages) >= len(object_sheets)
    for text in record_pages:
        assert all(h in text for h in ("序号", "结果记录", "分值", "权重", "编号"))
    for text in texts:
        if "经核查" in text or "经访谈" in text:
            assert "测评方法" in text, "a page of an object sheet lacks the heading row (not fitted to width?)"
    # several rows per page: row heights are those of the text, not inflated
    assert len(sizes) < data_rows / 4


def test_record_of_a_real_check_names_the_file_the_setting_and_the_requirement_in_words():
    from assess.reports.context import Context, Evidence
    from assess.reports.record import record_text, with_evidence

    eid = "ab" * 32
    ctx = Context({"checks": {"linux.login_defs.pass_max_days": {"title": "口令最长使用期限不超过 90 天"}}}, None, "zh",
                  {("web01", eid): Evidence(eid, "web01", "login_defs", "_file /etc/login.defs", 0, "", False)})
    row = {"item": "L3-CES1-01", "object": "web01", "verdict": "fail", "source": "checks", "reason": "",
           "checks": [{"check": "linux.login_defs.pass_max_days", "status": "fail",
                       "observed": {"login_defs.PASS_MAX_DAYS": 99999},
                       "expected": ["login_defs.PASS_MAX_DAYS ≤ 90"], "evidence": [eid]}]}
    assert record_text(row, ctx) == ("经核查，口令最长使用期限不超过 90 天：查看/etc/login.defs，PASS_MAX_DAYS为99999，"
                                     "要求PASS_MAX_DAYS不大于90，不符合要求。")
    assert with_evidence(row, ctx).endswith("（证据编号：abababababab）")
    row["checks"][0].update(status="pass", observed={"login_defs.PASS_MAX_DAYS": 90})
    assert record_text(row, ctx) == "经核查，口令最长使用期限不超过 90 天：查看/etc/login.defs，PASS_MAX_DAYS为90，符合要求。"
