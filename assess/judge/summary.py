"""The end-of-scan summary: verdict counts per class and the worst gaps."""

from __future__ import annotations

import re
import shlex
from collections import Counter, defaultdict
from typing import Any

from assess.judge import conclusion, coverage, remediation
from assess.model import VERDICT_ZH, VERDICTS

_PRIORITY = {"major": "重大风险隐患", "high": "高风险", "normal": "一般"}
_ORDER = ["PES", "CNS", "ABS", "CES", "SMC", "PSS", "ORS", "HRS", "CMS", "MMS"]


def counts_by_class(doc: dict[str, Any]) -> dict[str, Counter]:
    table: dict[str, Counter] = defaultdict(Counter)
    for r in doc["results"]:
        table[r["class_code"]][r["verdict"]] += 1
    return table


def worst_gaps(doc: dict[str, Any], limit: int = 10) -> list[dict[str, Any]]:
    """The first entries of the 整改清单 (assess/judge/remediation.py): one order of priority everywhere."""
    plan = doc.get("remediation")
    if plan is None:
        plan = remediation.plan(doc)
    return plan[:limit]


WIDTH = 80
_WIDE = re.compile(r"[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]")
_TOKEN = re.compile(r"\s+|" + _WIDE.pattern + r"|[^\s" + _WIDE.pattern[1:-1] + r"]+")
_STYLE = {"warn": "\x1b[1;31m", "bold": "\x1b[1m"}


def display_width(text: str) -> int:
    """Terminal columns of a string: CJK and full-width characters take two."""
    return len(text) + len(_WIDE.findall(text))


def wrap(line: str, width: int = WIDTH) -> list[str]:
    """One line cut to `width` columns at spaces (or between CJK characters); continuations are indented."""
    if display_width(line) <= width:
        return [line]
    indent = " " * (len(line) - len(line.lstrip()) + 2)
    out: list[str] = []
    current = ""
    for token in _TOKEN.findall(line):
        if display_width(current + token) <= width or not current.strip():
            current += token
            while display_width(current) > width:  # one token wider than the line: cut it
                cut = width
                while display_width(current[:cut]) > width:
                    cut -= 1
                out.append(current[:cut])
                current = indent + current[cut:]
            continue
        out.append(current.rstrip())
        current = indent + token.lstrip()
    if current.strip():
        out.append(current.rstrip())
    return out


def _pad(text: str, columns: int) -> str:
    return " " * max(0, columns - display_width(text)) + text


def _objects(ids: list[str], shown: int = 3) -> str:
    return ", ".join(ids[:shown]) + (f" +{len(ids) - shown}" if len(ids) > shown else "")


def render_text(doc: dict[str, Any], width: int = WIDTH, color: bool = False) -> str:
    """The end-of-run summary: what was not assessed first, verdict counts per class, the worst gaps in
    整改清单 order, the high-risk cases and the predicted conclusion; lines fit `width` columns; `color` adds
    ANSI emphasis (warnings red, the conclusion bold)."""
    table = counts_by_class(doc)
    warning = coverage.lines(coverage.of(doc))
    styled: list[tuple[str, str | None]] = [(w, "warn") for w in warning] + ([("", None)] if warning else [])
    lines: list[str] = []
    lines.append(f"{'class':<6}" + "".join(_pad(VERDICT_ZH[v], 10) for v in VERDICTS))
    total: Counter = Counter()
    for code in sorted(table, key=lambda c: _ORDER.index(c) if c in _ORDER else 99):
        row = table[code]
        total.update(row)
        lines.append(f"{code:<6}" + "".join(f"{row.get(v, 0):>10}" for v in VERDICTS))
    lines.append(f"{'total':<6}" + "".join(f"{total.get(v, 0):>10}" for v in VERDICTS))
    gaps = worst_gaps(doc)
    if gaps:
        lines.append("")
        lines.append("worst gaps (整改清单 order):")
        for g in gaps:
            label = _PRIORITY.get(g.get("priority") or "normal", "")
            lines.append(f"  {g['rank']}. {label} {g['item']} {g['clause']} w{g['weight']:.1f} "
                         f"{VERDICT_ZH[g['verdict']]} {g['control_point']} [{_objects(g['objects'])}]")
            if g.get("gap"):
                lines.append(f"       {g['gap']}")
    risks = [f for f in doc.get("highrisk") or [] if f.get("status") in ("triggered", "unassessed")]
    if risks:
        lines.append("")
        lines.append("重大风险隐患 / high-risk cases:")
        for f in sorted(risks, key=lambda f: (f["status"] != "triggered", not f.get("major"), f["rule"], f["object"])):
            label = "重大风险隐患" if f.get("major") else "高风险"
            if f["status"] == "unassessed":
                label = f"未评估 / not assessed ({label}; 待核查, evidence undetermined: " + \
                    _objects([n.get("item") or n.get("check") for n in f.get("pending", [])]) + ")"
            lines.append(f"  {label}  {f['title']}  [{f['object']}]  ({f['rule']})")
    styled += [(line, None) for line in lines]
    c = doc["conclusion"]
    styled.append(("", None))
    if c.get("template") == "2021":
        figure = f"综合得分 {c['score']:.1f} (indicative){'; 高风险 veto' if c.get('veto') else ''}"
    else:
        figure = f"符合率 {c['conformance_rate'] * 100:.1f}%"
    styled.append((f"predicted conclusion ({c.get('template', '2025')} template, self-assessment): "
                   f"{c['conclusion_zh']}  {figure} over {c['items_counted']} decided items; "
                   f"{c['items_pending']} of {c['items_total']} items still need interview or have errors", "bold"))
    other = conclusion.uncertainty(c)
    if other:
        styled.append((f"  {c['conclusion_zh']}；{other}", "bold"))
    if warning:
        styled.append(("覆盖不完整：上述预测不包含未能采集或未评估的部分（见开头）。 / Coverage is incomplete: the "
                       "prediction leaves out what could not be collected or assessed (see the top).", "warn"))
    out = []
    for line, style in styled:
        for part in wrap(line, width):
            out.append(f"{_STYLE[style]}{part}\x1b[0m" if color and style and part else part)
    return "\n".join(out)


def next_step(doc: dict[str, Any], scope: list[str], answers: str | None) -> list[str]:
    """What to do after a scan that left results 待核查: write the questionnaire, fill it in, scan with it.
    `scope` is the scan's -i/--profile/--controls arguments, repeated in the commands shown."""
    pending = sum(1 for r in doc["results"] if r["verdict"] == "manual")
    if not pending:
        return []
    if answers:
        q = doc.get("questionnaire") or {}
        return [f"next: {pending} results are still 待核查; answer the open entries of {answers} "
                f"({q.get('answered', 0)} of {q.get('total', 0)} answered) and scan again:",
                f"  {shlex.join(['assess', 'scan', *scope, '--answers', answers])}"]
    return [f"next: {pending} results are 待核查 (interview or documents needed). Write the questionnaire, "
            "fill it in, scan with it:",
            f"  {shlex.join(['assess', 'questionnaire', 'init', *scope, '-o', 'answers.yaml'])}",
            f"  {shlex.join(['assess', 'scan', *scope, '--answers', 'answers.yaml'])}"]
