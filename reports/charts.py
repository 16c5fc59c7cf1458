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


def trend(points: list[dict[str, Any]], width: int = 720) -> str:
    """Conformance rate (line, 0–100 %) and major risks (bars) of the runs of an inventory, oldest first."""
    pts = [p for p in points if p.get("conformance_rate") is not None]
    if len(pts) < 2:
        return ""
    left, top, h = 40, 10, 140
    step = (width - left - 20) / (len(pts) - 1)
    top_risks = max([int(p.get("major_risks") or 0) for p in pts] + [1])
    out = [f'<svg class="chart" role="img" viewBox="0 0 {width} {h + 40}" width="100%" '
           f'xmlns="http://www.w3.org/2000/svg">']
    for pct in (0, 50, 100):
        y = top + h * (1 - pct / 100)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 20}" y2="{y:.1f}" stroke="#ddd"/>'
                   f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" class="small">{pct}%</text>')
    line = []
    for n, p in enumerate(pts):
        x = left + n * step
        risks = int(p.get("major_risks") or 0)
        bh = (h / 3) * risks / top_risks
        if risks:
            out.append(f'<rect x="{x - 4:.1f}" y="{top + h - bh:.1f}" width="8" height="{bh:.1f}" '
                       f'fill="{COLORS["fail"]}" opacity="0.6"><title>{escape(str(p.get("run", "")))}: '
                       f'{risks}</title></rect>')
        y = top + h * (1 - float(p["conformance_rate"]))
        line.append(f"{x:.1f},{y:.1f}")
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{COLORS["manual"]}"><title>'
                   f'{escape(str(p.get("run", "")))}: {float(p["conformance_rate"]) * 100:.1f}%</title></circle>')
    out.insert(1, f'<polyline points="{" ".join(line)}" fill="none" stroke="{COLORS["manual"]}" stroke-width="2"/>')
    first, last = pts[0].get("finished") or "", pts[-1].get("finished") or ""
    out.append(f'<text x="{left}" y="{h + 32}" class="small">{escape(str(first)[:10])}</text>'
               f'<text x="{width - 20}" y="{h + 32}" class="small" text-anchor="end">{escape(str(last)[:10])}</text>')
    out.append("</svg>")
    return "".join(out)
