"""Issue 16.1, the issue's own scenario through the CLI: a web application is scanned while it is up (a real
loopback server, weak enough to trigger a 重大风险隐患), then again after the server is stopped. The second
run must say first, in every output, that the object could not be collected and why; a major-risk case
whose evidence is missing is "未评估", never "未发现"; `assess diff` reports the lost coverage as a
regression, not "MAJOR RISKS CLEARED"."""

from __future__ import annotations

import io
import json
import re

from click.testing import CliRunner
from openpyxl import load_workbook

from assess.cli import main
from tests.http.conftest import write_inventory
from tests.http.loopback import Answer, serve


def _weak_api(path: str) -> Answer:
    if path == "/api/orders":
        return Answer(body=json.dumps({"orders": [], "contact": "13812345678"}), ctype="application/json",
                      server="nginx/1.22.1")
    if path == "/druid/index.html":
        return Answer(body="<html><head><title>Druid Stat Index</title></head></html>", server="nginx/1.22.1")
    return Answer(status=404, body="not found", server="nginx/1.22.1")


def _scan(tmp_path, inv, db):
    result = CliRunner().invoke(main, ["scan", "-i", str(inv), "--out", str(tmp_path / "out"), "--history", str(db),
                                       "--format", "html,md,xlsx,json"])
    run_dir = next(p for p in (tmp_path / "out").iterdir() if p.name not in _seen)
    _seen.add(run_dir.name)
    return result, run_dir


_seen: set[str] = set()


def test_web_app_down_is_not_good_news(tmp_path):
    _seen.clear()
    db = tmp_path / "history.db"
    with serve(_weak_api) as base:
        inv = write_inventory(tmp_path / "inv.yaml", [
            {"id": "api", "type": "webapp", "url": base, "tags": ["internet-facing"], "rate": 1000, "timeout": 5,
             "endpoints": ["/api/orders"]}])
        up, up_dir = _scan(tmp_path, inv, db)
    assert up.exit_code == 0, up.output
    doc_up = json.loads((up_dir / "results.json").read_text())
    assert any(f["status"] == "triggered" and f["major"] and f["object"] == "api" for f in doc_up["highrisk"])
    assert doc_up["coverage"]["complete"] is True

    down, down_dir = _scan(tmp_path, inv, db)  # the same URL, nothing listening any more
    assert down.exit_code == 3, down.output
    doc = json.loads((down_dir / "results.json").read_text())
    cov = doc["coverage"]
    assert cov["complete"] is False
    assert [o["id"] for o in cov["objects_not_collected"]] == ["api"]
    not_assessed = [f for f in doc["highrisk"] if f["object"] == "api" and f["status"] == "unassessed"]
    assert any(f["major"] for f in not_assessed)
    assert not any(f["status"] == "triggered" and f["object"] == "api" for f in doc["highrisk"])

    # terminal: the summary opens with the coverage warning, names the object and why
    summary = down.stdout
    first = summary.lstrip().splitlines()[0]
    assert "未能采集" in first and "api" in summary
    assert "未评估" in summary and "未发现" not in summary

    # HTML: the warning is on the first screen, before the verdict card; no "未发现" for the risks
    html = (down_dir / "report.html").read_text()
    first_screen = html[html.index('<section id="summary"'):html.index("</section>")]
    assert first_screen.index('class="coverage"') < first_screen.index("verdict-card")
    assert "api" in first_screen[:first_screen.index("verdict-card")]
    assert "未评估" in first_screen and "未发现" not in first_screen

    # Markdown: the warning comes before the conclusion
    md = (down_dir / "report.md").read_text()
    assert md.index("未能采集") < md.index("## 预测测评结论")
    assert "未发现" not in md and "未评估" in md

    # XLSX: the conclusion sheet's first rows carry the warning
    wb = load_workbook(io.BytesIO((down_dir / "record.xlsx").read_bytes()), read_only=True)
    sheet = wb["结论与整改"]
    top = " ".join(str(c) for row in sheet.iter_rows(max_row=4, values_only=True) for c in row if c)
    assert "未能采集" in top and "api" in top
    cells = " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c)
    assert "未评估" in cells

    # diff: no longer assessed is not fixed, and coverage lost is a regression
    drift = CliRunner().invoke(main, ["diff", "--history", str(db)])
    assert drift.exit_code == 1, drift.output
    assert "MAJOR RISKS CLEARED" not in drift.output
    assert re.search(r"NO LONGER ASSESSED.*: \d+", drift.output)
    data = json.loads(CliRunner().invoke(main, ["diff", "--history", str(db), "--format", "json"]).output)
    assert data["summary"]["fixed"] == 0 and data["summary"]["no_longer_assessed"] > 0
    assert data["major_risks"]["cleared"] == [] and data["major_risks"]["no_longer_assessed"]


def test_summary_fits_80_columns_and_honours_no_color(tmp_path, monkeypatch):
    """Issue 16.6: every summary line fits 80 terminal columns (CJK counted as two), long object lists are
    cut with a count; colour on a terminal, none with NO_COLOR."""
    from assess.judge import summary
    from tests.reports.synthetic import make_run

    _run_dir, doc = make_run(tmp_path, 12)
    doc["objects"][0]["error"] = "connection refused: " + "a very long reason " * 8
    text = summary.render_text(doc)
    assert max(summary.display_width(line) for line in text.splitlines()) <= 80
    assert "+" in text[text.index("worst gaps"):]  # objects beyond the third are counted, not listed
    inv = tmp_path / "inv.yaml"
    inv.write_text("objects:\n  - {id: alpha, type: linux, transport: local}\ninterview_objects: false\n")
    args = ["scan", "-i", str(inv), "--no-history", "--out", str(tmp_path / "o")]
    coloured = CliRunner().invoke(main, args, color=True)
    assert "\x1b[1m" in coloured.stdout
    monkeypatch.setenv("NO_COLOR", "1")
    plain = CliRunner().invoke(main, args, color=True)
    assert "\x1b[" not in plain.stdout and "predicted conclusion" in plain.stdout
