"""Reports cite a single-requirement control point by its clause alone (8.1.4.5, not 8.1.4.5 a)."""

from __future__ import annotations

import re

from openpyxl import load_workbook

from assess import reports
from tests.reports.synthetic import make_run

SINGLE = ("8.1.1.2", "8.1.1.8", "8.1.2.3", "8.1.3.6", "8.1.4.5", "8.1.4.6", "8.1.6.1", "8.1.6.4")
LETTERED = re.compile(r"(?<![\d.])(" + "|".join(re.escape(c) for c in SINGLE) + r")\s*a\b")


def test_results_and_reports_cite_single_requirements_without_a_letter(tmp_path):
    run_dir, doc = make_run(tmp_path, 2)
    rows = {r["item"]: r["clause"] for r in doc["results"]}
    assert rows["L3-CES1-23"] == "8.1.4.5" and rows["L3-PSS1-01"] == "8.1.6.1"
    assert doc["items"]["L3-CES1-24"]["clause"] == "8.1.4.6"
    paths = {p.name: p for p in reports.render(doc, run_dir, ["html", "md", "xlsx", "junit", "oscal"])}
    for name in ("report.html", "report.md", "report.junit.xml", "report.oscal.json"):
        text = paths[name].read_text(encoding="utf-8")
        assert "8.1.4.5" in text and not LETTERED.search(text), name
    cells = [str(c) for ws in load_workbook(paths["record.xlsx"]).worksheets
             for row in ws.iter_rows(values_only=True) for c in row if c]
    assert any(c.startswith("8.1.4.5 ") for c in cells)
    assert not [c for c in cells if LETTERED.search(c)]
