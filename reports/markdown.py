"""Markdown: the conclusion, high-risk findings, verdict counts, the 整改清单 and every gap per object."""

from __future__ import annotations

from typing import Any

from assess.reports import charts, labels
from assess.reports.context import Context, local_time
from assess.reports.record import record_of


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def _table(head: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(_cell(h) for h in head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return out + [""]


def render_markdown(ctx: Context) -> bytes:
    t, doc, V = ctx.t, ctx.doc, ctx.verdict_label
    run, concl = doc["run"], doc["conclusion"]
    P, D, C = labels.PRIORITY[ctx.lang], labels.DISRUPTION[ctx.lang], labels.CASES[ctx.lang]
    out = [f"# {t['title']}", "",
           f"{t['run']} `{run.get('id', '')}` · {t['started']} {local_time(run.get('started'))} · "
           f"{t['template']} {concl['template']} · {t['catalog']} {run.get('catalog', {}).get('id', '')}", ""]
    if ctx.coverage_lines:
        out += [f"> **{t['coverage']}**", ">"] + [f"> {line.strip()}  " for line in ctx.coverage_lines] + [""]
    if run.get("warnings"):
        out += [f"**{t['warnings']}**", "", *(f"- {w}" for w in run["warnings"]), ""]
    out += [f"## {t['conclusion']}", "", f"> {t['prediction']}", ""]
    value = concl["conclusion_zh"] if ctx.lang == "zh" else concl["conclusion_en"]
    out.append(f"**{value}**")
    out.append("")
    if ctx.uncertainty:
        out += [f"{t['readings']}: {ctx.uncertainty}", ""]
    if concl["template"] == "2025":
        out.append(f"- {t['conformance_rate']}: {concl['conformance_rate'] * 100:.1f}%")
    else:
        out.append(f"- {t['score']}: {concl['score']:.1f}")
        if concl.get("veto"):
            out.append(f"- {t['veto']}")
    out += [f"- {t['items_counted']}: {concl['items_counted']} / {concl['items_total']}",
            f"- {t['items_pending']}: {concl['items_pending']}",
            f"- {t['formula']}: `{concl.get('formula')}`"]
    q, w = doc.get("questionnaire"), doc.get("waivers")
    if isinstance(q, dict) and q.get("total"):
        out.append(f"- {t['questionnaire']}: {q.get('answered', 0)} / {q['total']}")
    if isinstance(w, dict) and (w.get("active") or w.get("expired")):
        out.append(f"- {t['waivers_active']}: {w.get('active', 0)} ({w.get('results_waived', 0)})")
    out.append("")
    if concl.get("score_note"):
        out += [concl["score_note"], ""]
    out += [f"## {t['major_risks']} / {t['high_risks']}", ""]
    triggered = ctx.findings["triggered"]
    if triggered:
        out += _table([t["priority"], t["gap"], t["object"], t["triggered_by"], t["fix"]], [
            [P["major"] if f["major"] else P["high"],
             f"{ctx.finding_title(f)} ({'; '.join(f'{C[k]} {v}' for k, v in f['cases'].items())})",
             ", ".join(f["objects"]),
             ", ".join(f"{n.get('item') or n.get('check')}@{n['object']}" for n in f["evidence"]),
             f["remediation_en"] if ctx.lang == "en" and f.get("remediation_en") else f["remediation"]]
            for f in triggered])
    for f in ctx.findings["unassessed"]:
        pending = ", ".join(f"{n.get('item') or n.get('check')}@{n['object']}" for n in f["evidence"])
        out.append(f"- {t['not_assessed']}: {P['major'] if f['major'] else P['high']} {ctx.finding_title(f)} — "
                   f"{', '.join(f['objects'])} — {t['unassessed']} ({t['pending']}: {pending})")
    if ctx.findings["unassessed"]:
        out.append("")
    elif not triggered:
        out += [t["none_found"], ""]
    for f in ctx.findings["compensated"]:
        measures = "; ".join(m["title_en"] if ctx.lang == "en" else m["title"] for m in f["compensated_by"])
        out.append(f"- {t['compensated']}: {ctx.finding_title(f)} — {', '.join(f['objects'])} — {measures}")
    if ctx.findings["compensated"]:
        out.append("")
    out += [f"## {t['by_class']}", ""]
    out += _table([t["class"]] + [V[v] for v in charts.ORDER],
                  [[name] + [ctx.by_class.get(code, {}).get(v, 0) for v in charts.ORDER]
                   for code, name in ctx.classes if ctx.by_class.get(code)])
    out += [f"## {t['remediation']}", ""]
    rows = []
    for e in doc["remediation"]:
        fixes = []
        for f in e.get("fixes") or []:
            text = f.get("text_en") if ctx.lang == "en" and f.get("text_en") else f.get("text", "")
            fixes.append(text + (f" `{f['command']}`" if f.get("command") else ""))
        rows.append([e["rank"], P[e["priority"]], f"{e['item']} {e['clause']}",
                     e["gap_en"] if ctx.lang == "en" else e["gap"], ", ".join(e["objects"]), "\n".join(fixes),
                     D.get(e.get("disruption") or "", "—")])
    out += _table([t["rank"], t["priority"], t["item"], t["gap"], t["objects_affected"], t["fix"], t["disruption"]],
                  rows)
    out += [f"## {t['objects']}", ""]
    out += _table([t["object"], t["type"], t["address"]] + [V[v] for v in charts.ORDER],
                  [[o["id"], o["type"], o.get("address", "")] + [ctx.by_object.get(o["id"], {}).get(v, 0)
                                                                  for v in charts.ORDER] for o in doc["objects"]])
    out += [f"## {t['details']}", ""]
    by_object: dict[str, list[dict[str, Any]]] = {}
    for r in doc["results"]:
        if r["verdict"] in ("fail", "partial", "error"):
            by_object.setdefault(r["object"], []).append(r)
    for o in doc["objects"]:
        gaps = by_object.get(o["id"])
        if not gaps:
            continue
        out += [f"### {o['id']}", ""]
        out += _table([t["item"], t["control_point"], t["verdict"], t["record"]],
                      [[f"{r['item']} {r['clause']}", ctx.item_text(r["item"], "control_point"), V[r["verdict"]],
                        record_of(r, ctx)] for r in gaps])
    out += ["---", "", concl["label"], ""]
    return "\n".join(out).encode("utf-8")
