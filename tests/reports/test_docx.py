"""The Word 自评估报告: chapters of the 2025 template, tables, East-Asian fonts, TOC and page fields (read
back with python-docx), and the CJK text LibreOffice prints from it (its PDF export as the oracle)."""

from __future__ import annotations

import re
import subprocess
import zipfile

import pytest
from docx import Document

from assess import reports
from tests.reports import office
from tests.reports.synthetic import make_run

CHAPTERS = ["1 测评项目概述", "2 被测对象描述", "3 单项测评结果分析", "4 整体测评", "5 安全问题风险分析", "6 测评结论",
            "7 问题处置建议", "附录 测评结果明细（按测评对象）"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    measures = ["host-ips-av", "bastion-only", "central-log-server", "waf", "host-acl-all-servers"]
    run_dir, doc = make_run(tmp_path_factory.mktemp("docx"), 12, measures=measures)
    (path,) = reports.render(doc, run_dir, ["docx"])
    (en,) = reports.render(doc, run_dir, ["docx"], "en")
    return doc, path, en


def test_chapters_and_tables(run):
    doc, path, _en = run
    word = Document(str(path))
    headings = [(p.style.name, p.text) for p in word.paragraphs if p.style.name.startswith("Heading")]
    assert [text for style, text in headings if style == "Heading 1"] == CHAPTERS
    classes = [text for style, text in headings if style == "Heading 2" and text.startswith("3.")]
    assert classes[0] == "3.1 安全物理环境" and len(classes) == 10
    assert [text for style, text in headings if text.startswith("4.")] == [
        "4.1 高风险分析", "4.2 补偿措施", "4.3 无法排除的高风险（证据无法判定）"]
    with_results = [o for o in doc["objects"] if any(r["object"] == o["id"] for r in doc["results"])]
    appendix = [text for style, text in headings if text.startswith("A.")]
    assert len(appendix) == len(with_results)
    tables = word.tables
    objects_table = tables[1]
    assert [c.text for c in objects_table.rows[0].cells][:3] == ["测评对象", "测评对象名称", "类型"]
    assert len(objects_table.rows) == len(doc["objects"]) + 1
    details = tables[-len(with_results):]
    for obj, table in zip(with_results, details, strict=True):
        mine = [r for r in doc["results"] if r["object"] == obj["id"]]
        assert len(table.rows) == len(mine) + 1
        assert [row.cells[0].text for row in table.rows[1:]] == [r["item"] for r in mine]
    compensated = [f for f in doc["highrisk"] if f["status"] == "compensated"]
    assert compensated
    measures = next(t for t in tables if len(t.columns) == 5 and t.rows[0].cells[4].text == "补偿措施")
    assert any(compensated[0]["compensated_by"][0]["title"] in row.cells[4].text for row in measures.rows[1:])
    advice = next(t for t in tables if t.rows[0].cells[1].text == "优先级")
    assert len(advice.rows) == len(doc["remediation"]) + 1
    text = "\n".join(p.text for p in word.paragraphs)
    assert f"预测测评结论：{doc['conclusion']['conclusion_zh']}" in text and "自评预测，非测评机构结论" in text
    en = Document(str(run[2]))
    assert [p.text for p in en.paragraphs if p.style.name == "Heading 1"][0] == "1 Assessment overview"


def test_fonts_toc_page_numbers_and_header(run):
    _doc, path, _en = run
    with zipfile.ZipFile(path) as z:
        styles = z.read("word/styles.xml").decode()
        body = z.read("word/document.xml").decode()
        footers = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("word/footer"))
        headers = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("word/header"))
        settings = z.read("word/settings.xml").decode()

    def east_asian(style_id: str) -> str:
        block = re.search(rf'<w:style [^>]*w:styleId="{style_id}".*?</w:style>', styles, re.S).group(0)
        return re.search(r'w:eastAsia="([^"]+)"', block).group(1)

    assert east_asian("Normal") == "宋体" and east_asian("Heading1") == "黑体" and east_asian("Heading2") == "黑体"
    assert 'w:lang w:val="zh-CN" w:eastAsia="zh-CN"' in styles
    assert re.search(r"<w:instrText[^>]*> TOC \\o &quot;1-2&quot;|<w:instrText[^>]*> TOC \\o \"1-2\"", body)
    assert "> PAGE <" in footers and "> NUMPAGES <" in footers
    assert "自评估报告" in headers and "w:updateFields" in settings


@pytest.mark.lab
def test_libreoffice_prints_the_cjk_text(run, tmp_path):
    doc, path, _en = run
    pdf = office.convert(path, "pdf", tmp_path)
    texts = office.page_texts(pdf)
    whole = office.squeeze("".join(texts))
    for needle in CHAPTERS + ["网络安全等级保护第三级自评估报告", f"预测测评结论：{doc['conclusion']['conclusion_zh']}",
                              "安全计算环境", "身份鉴别"]:
        assert office.squeeze(needle) in whole, needle
    assert re.search(r"1/\d+", office.squeeze(texts[0]))  # the page-number field was laid out
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    # every glyph came from an embedded font that has CJK (no tofu boxes from a Latin-only fallback)
    assert "WenQuanYi" in fonts or "Noto" in fonts or "Song" in fonts, fonts
    png = tmp_path / "page1"
    subprocess.run(["pdftoppm", "-f", "1", "-l", "1", "-r", "40", "-png", str(pdf), str(png)], check=True)
    assert any(p.name.startswith("page1") and p.stat().st_size > 2000 for p in tmp_path.iterdir())
