"""`assess scan --answers/--waivers` end to end on this machine, and the xlsx round trip."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from openpyxl import load_workbook

from assess.catalog import load as catalog_mod
from assess.catalog import profile as profile_mod
from assess.cli import main
from assess.inputs import questionnaire
from assess.inventory import load as inventory
from tests.answers.common import write

TODAY = date.today()
INVENTORY = """
    objects:
      - {id: host, type: linux, transport: local}
"""


def invoke(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output + result.stderr, result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def scan(tmp_path: Path, *extra: str) -> tuple[dict, Path, str]:
    out = tmp_path / "out"
    before = set(out.iterdir()) if out.exists() else set()
    result = invoke("scan", "-i", str(tmp_path / "inv.yaml"), "--out", str(out), "-q", *extra)
    assert result.exit_code in (0, 3), result.stderr
    (run_dir,) = set(out.iterdir()) - before
    return json.loads((run_dir / "results.json").read_text(encoding="utf-8")), run_dir, result.stderr


def rows(doc: dict) -> dict[tuple[str, str], dict]:
    return {(r["item"], r["object"]): r for r in doc["results"]}


@pytest.fixture
def setup(tmp_path):
    write(tmp_path / "inv.yaml", INVENTORY)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "门禁记录.pdf").write_bytes(b"%PDF access log")
    (tmp_path / "docs" / "policy.docx").write_bytes(b"policy text")
    return tmp_path


def fill(entry: dict, answer: str, days_ago: int, valid_for: int | None, *attachments: str) -> None:
    entry.update(answer=answer, explanation=f"{answer}: 已现场核查", respondent="李工（安全管理员）",
                 answered_at=TODAY - timedelta(days=days_ago), attachments=list(attachments))
    if valid_for is not None:
        entry["valid_until"] = TODAY - timedelta(days=days_ago) + timedelta(days=valid_for)


def test_yaml_answers_and_waivers_end_to_end(setup):
    tmp = setup
    init = invoke("questionnaire", "init", "-i", str(tmp / "inv.yaml"), "-o", str(tmp / "answers.yaml"))
    assert init.exit_code == 0, init.stderr
    data = yaml.safe_load((tmp / "answers.yaml").read_text(encoding="utf-8"))
    entries = {(e["item"], e["object"]): e for e in data["answers"]}
    uncovered = next(k for k, e in entries.items() if e["kind"] == "uncovered")
    assert uncovered[1] == "system"
    fill(entries[("L3-PES1-03", "site")], "pass", 10, 30, "docs/门禁记录.pdf")
    fill(entries[("L3-PES1-01", "site")], "fail", 400, 399)       # expired yesterday
    fill(entries[("L3-PSS1-01", "organization")], "部分符合", 3, None, "docs/policy.docx", "docs/门禁记录.pdf")
    fill(entries[uncovered], "na", 0, None)
    (tmp / "answers.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    write(tmp / "waivers.yaml", f"""
        waivers:
          - id: W-1
            item: L3-CES1-01
            objects: [host]
            justification: 口令策略改造排期中
            approver: 张三
            expires: {TODAY + timedelta(days=60)}
            compensating_measure: {{id: mfa-bastion, description: 经堡垒机双因素登录}}
          - id: W-2
            item: L3-PES1-02
            justification: 机房搬迁
            approver: 张三
            expires: {TODAY - timedelta(days=1)}
    """)
    doc, run_dir, stderr = scan(tmp, "--answers", str(tmp / "answers.yaml"), "--waivers", str(tmp / "waivers.yaml"))
    by = rows(doc)

    r = by[("L3-PES1-03", "site")]
    assert (r["verdict"], r["source"], r["verdict_zh"]) == ("pass", "interview", "符合")
    digest = hashlib.sha256(b"%PDF access log").hexdigest()
    assert r["answer"]["evidence"] == [digest]
    assert r["answer"]["respondent"] == "李工（安全管理员）" and r["answer"]["status"] == "applied"
    copied = run_dir / r["answer"]["attachments"][0]["path"]
    assert copied.name == "门禁记录.pdf" and copied.read_bytes() == b"%PDF access log"
    assert by[("L3-PSS1-01", "organization")]["verdict"] == "partial"
    assert len(by[("L3-PSS1-01", "organization")]["answer"]["evidence"]) == 2
    assert sorted(p.name for p in (run_dir / "attachments").rglob("*") if p.is_file()) == \
        ["policy.docx", "门禁记录.pdf"]  # the PDF attached twice is stored once
    assert by[uncovered]["verdict"] == "na"

    expired = by[("L3-PES1-01", "site")]
    assert (expired["verdict"], expired["answer"]["status"]) == ("manual", "expired")
    assert "expired on" in stderr and "re-confirm it" in stderr

    waived = by[("L3-CES1-01", "host")]
    assert waived["source"] == "checks" and waived["verdict"] in ("pass", "partial", "fail")
    assert waived["waived"]["id"] == "W-1" and waived["waived"]["approver"] == "张三"
    assert "waived" not in by[("L3-PES1-02", "site")]
    assert "waiver 'W-2' (L3-PES1-02) expired on" in stderr
    assert doc["run"]["compensating_measures"] == [
        {"id": "mfa-bastion", "description": "经堡垒机双因素登录", "waiver": "W-1", "item": "L3-CES1-01",
         "objects": ["host"], "expires": str(TODAY + timedelta(days=60))}]
    assert len(doc["run"]["warnings"]) == 2
    assert doc["waivers"]["active"] == 1 and doc["waivers"]["expired"] == 1
    assert doc["waivers"]["results_waived"] == 1

    q = doc["questionnaire"]
    assert q["total"] == len(entries) and q["answered"] == 3 and q["expired"] == 1
    assert q["pending"] == q["total"] - 3
    assert q["by_class"]["PES"]["answered"] == 1 and q["by_class"]["PSS"]["answered"] == 1
    assert q["sha256"] == hashlib.sha256((tmp / "answers.yaml").read_bytes()).hexdigest()

    # a waiver never changes the predicted conclusion
    plain, _d, _s = scan(tmp, "--answers", str(tmp / "answers.yaml"))
    assert plain["conclusion"] == doc["conclusion"]
    assert "waived" not in rows(plain)[("L3-CES1-01", "host")]


def test_a_scan_without_answers_reports_the_questionnaire_as_unanswered(setup):
    doc, _run_dir, _stderr = scan(setup)
    q = doc["questionnaire"]
    assert q["answered"] == 0 and q["total"] > 150 and q["pending"] == q["total"]
    manual = [r for r in doc["results"] if r["verdict"] == "manual"]
    assert len(manual) <= q["total"]
    assert doc["run"]["compensating_measures"] == [] and doc["waivers"]["list"] == []


def test_xlsx_round_trip(setup):
    tmp = setup
    form = tmp / "answers.xlsx"
    assert invoke("questionnaire", "init", "-i", str(tmp / "inv.yaml"), "-o", str(form)).exit_code == 0
    wb = load_workbook(form)
    ws = wb[questionnaire.SHEET]
    col = {cell.value.split()[-1]: cell.column for cell in ws[1]}
    where = {(ws.cell(row=r, column=col["item"]).value, ws.cell(row=r, column=col["object"]).value): r
             for r in range(2, ws.max_row + 1)}
    r1, r2 = where[("L3-PES1-03", "site")], where[("L3-HRS1-01", "organization")]
    for r, value in ((r1, "符合"), (r2, "fail")):
        ws.cell(row=r, column=col["answer"]).value = value
        ws.cell(row=r, column=col["explanation"]).value = "门禁系统运行正常，记录保存 6 个月"
        ws.cell(row=r, column=col["respondent"]).value = "王五"
        ws.cell(row=r, column=col["answered_at"]).value = datetime.combine(TODAY - timedelta(days=1),
                                                                           datetime.min.time())
    ws.cell(row=r1, column=col["attachments"]).value = "docs/门禁记录.pdf\ndocs/policy.docx"
    ws.cell(row=r2, column=col["valid_until"]).value = str(TODAY + timedelta(days=5))
    wb.save(form)

    check = invoke("questionnaire", "check", str(form), "-i", str(tmp / "inv.yaml"))
    assert check.exit_code == 0 and "2 of" in check.stdout
    doc, run_dir, _stderr = scan(tmp, "--answers", str(form))
    by = rows(doc)
    assert by[("L3-PES1-03", "site")]["verdict"] == "pass"
    assert by[("L3-PES1-03", "site")]["answer"]["answered_at"] == str(TODAY - timedelta(days=1))
    assert [a["name"] for a in by[("L3-PES1-03", "site")]["answer"]["attachments"]] == ["门禁记录.pdf",
                                                                                       "policy.docx"]
    assert by[("L3-PES1-03", "site")]["answer"]["from"] == f"{form}:{r1}"
    assert by[("L3-HRS1-01", "organization")]["verdict"] == "fail"
    assert by[("L3-HRS1-01", "organization")]["answer"]["valid_until"] == str(TODAY + timedelta(days=5))
    assert doc["questionnaire"]["answered"] == 2
    assert (run_dir / by[("L3-PES1-03", "site")]["answer"]["attachments"][1]["path"]).is_file()

    ws.cell(row=r2, column=col["answer"]).value = "maybe"
    ws.cell(row=r1, column=col["object"]).value = "web-9"
    wb.save(form)
    bad = invoke("scan", "-i", str(tmp / "inv.yaml"), "--out", str(tmp / "out2"), "-q", "--answers", str(form))
    assert bad.exit_code == 2
    assert f"{form}:{r1}: unknown object 'web-9'" in bad.stderr
    assert f"{form}:{r2}: unknown answer 'maybe'" in bad.stderr
    assert not (tmp / "out2").exists()  # validation happens before anything is collected


def automated_item_on_host(tmp: Path) -> str:
    cat = catalog_mod.load()
    pairs = questionnaire.scope(cat, profile_mod.load("level3", cat), inventory.load(tmp / "inv.yaml"))
    return next(i for (i, o), p in pairs.items() if o == "host" and p.kind == "automated")


def test_bad_answers_or_waivers_stop_the_scan_with_file_line(setup):
    tmp = setup
    item = automated_item_on_host(tmp)
    write(tmp / "a.yaml", f"""
        answers:
          - item: {item}
            object: host
            answer: pass
            explanation: x
            respondent: y
            answered_at: 2026-01-01
    """)
    result = invoke("scan", "-i", str(tmp / "inv.yaml"), "--out", str(tmp / "out"), "--answers", str(tmp / "a.yaml"))
    assert result.exit_code == 2
    assert f"{tmp / 'a.yaml'}:2: {item} on 'host' is fully automated" in result.stderr
    write(tmp / "w.yaml", "waivers:\n  - {id: W, item: L3-PES1-01, objects: [nowhere], justification: j, "
                          "approver: a, expires: 2030-01-01}\n")
    result = invoke("scan", "-i", str(tmp / "inv.yaml"), "--out", str(tmp / "out"), "--waivers", str(tmp / "w.yaml"))
    assert result.exit_code == 2 and f"{tmp / 'w.yaml'}:2: unknown object 'nowhere'" in result.stderr
    result = invoke("questionnaire", "check", str(tmp / "a.yaml"), "-i", str(tmp / "inv.yaml"))
    assert result.exit_code == 2 and "fully automated" in result.stderr
    assert not (tmp / "out").exists()


def test_the_summary_shows_questionnaire_and_waiver_counts(setup):
    result = invoke("scan", "-i", str(setup / "inv.yaml"), "--out", str(setup / "out"))
    assert result.exit_code in (0, 3), result.stderr
    assert "questionnaire: 0 of " in result.stdout and "waivers: 0 active (0 results), 0 expired" in result.stdout
