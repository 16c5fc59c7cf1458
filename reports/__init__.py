"""Renderers of a run's results: html, xlsx (测评记录), docx (Word 自评估报告), md, json, junit, oscal.

`render(document, run_dir, formats, lang)` is the one entry point (scan, report, bundle import and
schedules call it). It checks the document and the evidence files first, renders every format into
temporary files, and renames them into place only when all succeeded: a failure leaves no partial
report behind.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assess.errors import InputError

FORMATS = ("html", "xlsx", "docx", "md", "json", "junit", "oscal")
LANGS = ("zh", "en")
_NAMES = {"html": "report{lang}.html", "xlsx": "record{lang}.xlsx", "docx": "report{lang}.docx", "md": "report{lang}.md",
          "json": "report.json", "junit": "report.junit.xml", "oscal": "report.oscal.json"}


def output_name(fmt: str, lang: str = "zh") -> str:
    """The file a format is written to inside the run directory (English human formats get `.en`)."""
    return _NAMES[fmt].format(lang="" if lang == "zh" else f".{lang}")


def parse_formats(text: str) -> list[str]:
    """`html,xlsx` → ['html', 'xlsx']; unknown names are an InputError."""
    wanted = [f.strip().lower() for f in text.split(",") if f.strip()]
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown or not wanted:
        raise InputError(f"unknown report format {', '.join(unknown) or repr(text)} (known: {', '.join(FORMATS)})")
    return list(dict.fromkeys(wanted))


def _renderer(fmt: str) -> Callable[[Any], bytes]:
    if fmt == "html":
        from assess.reports.html import render_html as fn
    elif fmt == "xlsx":
        from assess.reports.xlsx import render_xlsx as fn
    elif fmt == "docx":
        from assess.reports.docx import render_docx as fn
    elif fmt == "md":
        from assess.reports.markdown import render_markdown as fn
    elif fmt == "json":
        from assess.reports.jsonout import render_json as fn
    elif fmt == "junit":
        from assess.reports.junit import render_junit as fn
    else:
        from assess.reports.oscal import render_oscal as fn
    return fn


def render(document: dict[str, Any], run_dir: Path, formats: list[str], lang: str = "zh") -> list[Path]:
    """Write the requested formats of `document` into `run_dir`; return the paths written."""
    from assess.reports.context import Context, check_document, load_evidence

    if lang not in LANGS:
        raise InputError(f"unknown language '{lang}' (known: {', '.join(LANGS)})")
    for fmt in formats:
        if fmt not in FORMATS:
            raise InputError(f"unknown report format '{fmt}' (known: {', '.join(FORMATS)})")
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise InputError("run directory not found", str(run_dir))
    check_document(document)
    evidence, files = load_evidence(document, run_dir)
    ctx = Context(document, run_dir, lang, evidence, files)
    staged: list[tuple[Path, Path]] = []
    try:
        for fmt in dict.fromkeys(formats):
            final = run_dir / output_name(fmt, lang)
            tmp = run_dir / f".{final.name}.{secrets.token_hex(4)}.tmp"
            staged.append((tmp, final))
            data = _renderer(fmt)(ctx)
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        for tmp, final in staged:
            os.replace(tmp, final)
    except OSError as exc:
        raise InputError(f"cannot write the report: {exc.strerror or exc}", str(run_dir)) from None
    finally:
        for tmp, _final in staged:
            tmp.unlink(missing_ok=True)
    return [final for _tmp, final in staged]
