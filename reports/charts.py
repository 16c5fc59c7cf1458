"""Inline SVG charts for the HTML report (no script, no network: they print and work offline)."""

from __future__ import annotations

from collections import Counter
from html import escape
from typing import Any

COLORS = {"pass": "#2e7d32", "partial": "#f9a825", "fail": "#c62828", "na": "#9e9e9e", "manual": "#1565c0",
          "error": "#6a1b9a"}
ORDER = ("pass", "partial", "fail", "error", "manual", "na")


def _text_width(text: str) -> int:
    """Rough width in pixels of 12px text: CJK characters are about twice as wide as Latin ones."""
    return sum(12 if ord(ch) > 0x2E80 else 7 for ch in text)


def verdicts_by_class(rows: list[tuple[str, Counter]], verdict_label: dict[str, str], width: int = 720) -> str:
    """One stacked horizontal bar per class: share of each verdict among its (item, object) results."""
    label_w = max([_text_width(name) for name, _c in rows] + [60]) + 14
    bar_h, gap, top = 22, 8, 4
    bar_w = width - label_w - 50
    height = top + len(rows) * (bar_h + gap) + 4
    out = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
           f'xmlns="http://www.w3.org/2000/svg">']
    for n, (name, counts) in enumerate(rows):
        y = top + n * (bar_h + gap)
        total = sum(counts.values()) or 1
        out.append(f'<text x="{label_w - 8}" y="{y + bar_h * 0.7:.1f}" text-anchor="end">{escape(name)}</text>')
        x = float(label_w)
        for v in ORDER:
            if not counts.get(v):
                continue
            w = bar_w * counts[v] / total
            out.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{COLORS[v]}">'
                       f'<title>{escape(name)} · {escape(verdict_label[v])}: {counts[v]}</title></rect>')
            x += w
        out.append(f'<text x="{label_w + bar_w + 6}" y="{y + bar_h * 0.7:.1f}" class="n">{sum(counts.values())}</text>')
    out.append("</svg>")
    return "".join(out)


def control_point_scores(scores: list[dict[str, Any]], names: dict[str, str], width: int = 720) -> str:
    """One bar per control point with its 2021-formula score out of 10; a line marks 7 (the pass line).

    `names` maps a control-point clause to its name in the report language.
    """
    shown = [s for s in scores if s["score"] is not None]
    label_w = max([_text_width(f'{s["clause"]} {names.get(s["clause"], "")}') * 10 // 12 for s in shown] + [80]) + 12
    bar_h, gap, top = 12, 4, 8
    bar_w = width - label_w - 50
    height = top + len(shown) * (bar_h + gap) + 24
    out = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
           f'xmlns="http://www.w3.org/2000/svg">']
    for n, s in enumerate(shown):
        y = top + n * (bar_h + gap)
        w = bar_w * s["score"] / 10
        color = COLORS["pass"] if s["score"] >= 9 else COLORS["partial"] if s["score"] >= 7 else COLORS["fail"]
        name = f'{s["clause"]} {names.get(s["clause"], s["control_point"])}'
        out.append(f'<text x="{label_w - 6}" y="{y + bar_h - 2}" text-anchor="end" class="small">{escape(name)}</text>'
                   f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{color}">'
                   f'<title>{escape(name)}: {s["score"]:.2f}</title></rect>'
                   f'<text x="{label_w + w + 4:.1f}" y="{y + bar_h - 2}" class="small">{s["score"]:.1f}</text>')
    line_x = label_w + bar_w * 0.7
    bottom = top + len(shown) * (bar_h + gap)
    out.append(f'<line x1="{line_x:.1f}" y1="{top}" x2="{line_x:.1f}" y2="{bottom}" stroke="#555" '
               f'stroke-dasharray="4 3"/><text x="{line_x:.1f}" y="{bottom + 14}" class="small" '
               f'text-anchor="middle">7.0</text>')
    out.append("</svg>")
    return "".join(out)
