"""Drift between two runs: a pure comparison of their (测评项 × 测评对象) verdicts, matched by fingerprint.

Classes, from the older run A to the newer run B (failing = 部分符合 or 不符合):
  regressed      pass → partial or fail, partial → fail (what was conforming and now is not: highest priority)
  new_failures   failing in B, and in A absent (a new object or item) or na / manual / error
  fixed          failing in A, pass in B (judged on collected evidence)
  no_longer_assessed  decided in A (any verdict but 无法判定), 无法判定 in B: coverage lost, not a fix; a
                 regression like `regressed`
  still_failing  failing in both (fail → partial is still failing, marked `improved`)
  unchanged      the same verdict, not failing
  changed        any other change of verdict (pass → na, fail → error, manual → pass, …)
  added/removed  rows only in B / only in A that are not failures (objects or items added or removed)
Major risks (重大风险隐患) are compared by (rule, object): new in B, cleared (B judged the results behind it on
collected evidence), or no longer assessed (a result behind it is 无法判定 in B, or its object is not in B).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from assess.model import VERDICT_ZH

SCHEMA = "assess/diff@1"
FAILING = ("fail", "partial")
_RANK = {"pass": 2, "partial": 1, "fail": 0}
CLASSES = ("regressed", "no_longer_assessed", "new_failures", "fixed", "still_failing", "changed", "added", "removed",
           "unchanged")
TITLES = {"regressed": "REGRESSED (conforming before, not now)",
          "no_longer_assessed": "NO LONGER ASSESSED (decided before, 无法判定 now: coverage lost)",
          "new_failures": "NEW FAILURES", "fixed": "FIXED (now passing on collected evidence)", "still_failing": "STILL FAILING", "changed": "OTHER CHANGES",
          "added": "ADDED", "removed": "REMOVED", "unchanged": "UNCHANGED"}


def fingerprint(item: str, object_id: str, object_type: str, address: str) -> str:
    """The stable identity of one (item, object) verdict across runs: see assess/history/store.py."""
    text = "\0".join(("assess-fp/1", item, object_id, object_type, address or ""))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@dataclass
class Snapshot:
    """One run as diff sees it: metadata, verdict rows by fingerprint, and its major risks."""

    run: dict[str, Any]
    rows: dict[str, dict[str, Any]]
    major_risks: list[dict[str, Any]] = field(default_factory=list)


def rows_from_document(doc: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The verdict rows of a results document (assess/results@1), keyed by fingerprint."""
    objects = {o["id"]: o for o in doc.get("objects") or []}
    rows: dict[str, dict[str, Any]] = {}
    for r in doc.get("results") or []:
        obj = objects.get(r["object"], {})
        otype, address = obj.get("type", "system"), obj.get("address", "") or ""
        rows[fingerprint(r["item"], r["object"], otype, address)] = {
            "item": r["item"], "object": r["object"], "object_type": otype, "address": address,
            "verdict": r["verdict"], "reason": r.get("reason", ""), "source": r.get("source"),
            "clause": r.get("clause"), "control_point": r.get("control_point"), "weight": r.get("weight"),
            "carried_from": r.get("carried_from"),
            "checks": [{"check": c["check"], "status": c["status"], "reason": c.get("reason", "")}
                       for c in r.get("checks") or []],
        }
    return rows


def snapshot_from_document(doc: Mapping[str, Any], run_dir: str | None = None) -> Snapshot:
    run = doc["run"]
    concl = doc.get("conclusion") or {}
    meta = {"run_id": run["id"], "inventory_key": (doc.get("history") or {}).get("inventory_key"),
            "started": run.get("started"), "finished": run.get("finished"),
            "profile": (run.get("profile") or {}).get("id"), "catalog_sha256": (run.get("catalog") or {}).get("sha256"),
            "conclusion": concl.get("conclusion"), "conclusion_zh": concl.get("conclusion_zh"),
            "conformance_rate": concl.get("conformance_rate"), "run_dir": run_dir}
    return Snapshot(meta, rows_from_document(doc), list(concl.get("major_risks") or []))


def _risk_key(risk: Mapping[str, Any]) -> tuple[str, str]:
    name = risk.get("rule") or risk.get("id") or risk.get("title") or "?"
    return str(name), str(risk.get("object") or ",".join(risk.get("objects") or []))


def _active(risks: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], Mapping[str, Any]]:
    return {_risk_key(r): r for r in risks if r.get("status", "triggered") == "triggered"}


def _entry(fp: str, a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> dict[str, Any]:
    ref = b or a
    assert ref is not None
    entry = {"fingerprint": fp, "item": ref["item"], "object": ref["object"], "clause": ref.get("clause"),
             "control_point": ref.get("control_point"), "weight": ref.get("weight"),
             "from": a["verdict"] if a else None, "to": b["verdict"] if b else None,
             "reason": ref.get("reason", ""), "previous_reason": a.get("reason", "") if a and b else None}
    if b and b.get("carried_from"):
        entry["carried_from"] = b["carried_from"]
    before = {c["check"]: c for c in (a or {}).get("checks") or []}
    checks = []
    for c in (b or {}).get("checks") or []:
        old = before.get(c["check"])
        if c["status"] in ("fail", "error") or (old and old["status"] != c["status"]):
            checks.append({"check": c["check"], "from": old["status"] if old else None, "to": c["status"],
                           "reason": c.get("reason", "")})
    if checks:
        entry["checks"] = checks
    return entry


def _classify(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> tuple[str, bool]:
    if a is None:
        return ("new_failures" if b and b["verdict"] in FAILING else "added"), False
    if b is None:
        return "removed", False
    va, vb = a["verdict"], b["verdict"]
    if va == vb:
        return ("still_failing" if vb in FAILING else "unchanged"), False
    if vb == "error":
        return "no_longer_assessed", False
    if va in _RANK and vb in _RANK and _RANK[vb] < _RANK[va]:
        return "regressed", False
    if va in FAILING and vb == "pass":
        return "fixed", False
    if va == "fail" and vb == "partial":
        return "still_failing", True
    if vb in FAILING:
        return "new_failures", False
    return "changed", False


def compare(a: Snapshot, b: Snapshot) -> dict[str, Any]:
    """The drift from run A (older) to run B (newer), as a JSON-ready document (schema assess/diff@1)."""
    out: dict[str, list[dict[str, Any]]] = {c: [] for c in CLASSES}
    for fp in sorted(set(a.rows) | set(b.rows)):
        ra, rb = a.rows.get(fp), b.rows.get(fp)
        cls, improved = _classify(ra, rb)
        entry = _entry(fp, ra, rb)
        if improved:
            entry["improved"] = True
        out[cls].append(entry)
    for entries in out.values():
        entries.sort(key=lambda e: (-(e["weight"] or 0), e["item"], e["object"]))
    risks_a, risks_b = _active(a.major_risks), _active(b.major_risks)
    gone = sorted(set(risks_a) - set(risks_b))
    unassessed = [k for k in gone if _unassessed(risks_a[k], b.rows)]
    notes = []
    if a.run.get("catalog_sha256") != b.run.get("catalog_sha256"):
        notes.append("the catalog changed between the runs: added or removed items may be catalogue changes, "
                     "not drift")
    if a.run.get("profile") != b.run.get("profile"):
        notes.append(f"the profile changed between the runs ({a.run.get('profile')} → {b.run.get('profile')})")
    rate_a, rate_b = a.run.get("conformance_rate"), b.run.get("conformance_rate")
    return {
        "schema": SCHEMA, "a": a.run, "b": b.run,
        "summary": {c: len(out[c]) for c in CLASSES},
        "conformance_rate": {"a": rate_a, "b": rate_b,
                             "delta": round(rate_b - rate_a, 4) if rate_a is not None and rate_b is not None
                             else None},
        "conclusion": {"a": a.run.get("conclusion_zh"), "b": b.run.get("conclusion_zh")},
        "major_risks": {"new": [dict(risks_b[k]) for k in sorted(set(risks_b) - set(risks_a))],
                        "cleared": [dict(risks_a[k]) for k in gone if k not in unassessed],
                        "no_longer_assessed": [dict(risks_a[k]) for k in unassessed]},
        "notes": notes,
        **out,
    }


def _unassessed(risk: Mapping[str, Any], rows: Mapping[str, Mapping[str, Any]]) -> bool:
    """Whether a major risk of run A is gone from B only because B could not assess it: a result behind it
    (an item verdict or a check status) is in error in B or missing from B while the object has results in
    error, or the object has no results in B. A risk recorded without its results (older runs) counts as
    unassessed when anything on its object is in error."""
    mine = [r for r in rows.values() if r["object"] == risk.get("object")]
    if not mine:
        return True
    items = {r["item"]: r["verdict"] for r in mine}
    checks = {c["check"]: c["status"] for r in mine for c in r.get("checks") or []}
    any_error = "error" in items.values()
    named = risk.get("triggered_by") or []
    if not named:
        return any_error
    for n in named:
        status = items.get(n["item"]) if n.get("item") else checks.get(n.get("check") or "")
        if status == "error" or (status is None and any_error):
            return True
    return False


def has_regressions(drift: Mapping[str, Any]) -> bool:
    """Something that conformed does not now, or coverage was lost (results or major risks no longer assessed)."""
    return bool(drift["regressed"] or drift["no_longer_assessed"]
                or (drift["major_risks"].get("no_longer_assessed")))


def headline(drift: Mapping[str, Any]) -> str:
    """One line: the counts that matter."""
    s = drift["summary"]
    parts = [f"{s['regressed']} regressed", f"{s['new_failures']} new failures", f"{s['fixed']} fixed",
             f"{s['still_failing']} still failing"]
    if s.get("no_longer_assessed"):
        parts.insert(1, f"{s['no_longer_assessed']} no longer assessed (coverage lost)")
    if drift["major_risks"]["new"]:
        parts.append(f"{len(drift['major_risks']['new'])} new major risks")
    return ", ".join(parts)


def _v(verdict: str | None) -> str:
    return f"{VERDICT_ZH[verdict]}({verdict})" if verdict in VERDICT_ZH else "—"


def _line(e: Mapping[str, Any], since: Mapping[str, str]) -> list[str]:
    head = f"  {e['item']} {e['clause'] or '':<10} {e['object']}: {_v(e['from'])} → {_v(e['to'])}"
    if e.get("control_point"):
        head += f"  {e['control_point']}"
    if e.get("carried_from"):
        head += f"  [carried from {e['carried_from']}]"
    if e["fingerprint"] in since:
        head += f"  [failing since {since[e['fingerprint']]}]"
    lines = [head]
    if e.get("reason"):
        lines.append(f"      now: {e['reason']}")
    if e.get("previous_reason") and e["previous_reason"] != e.get("reason"):
        lines.append(f"      was: {e['previous_reason']}")
    for c in e.get("checks") or []:
        lines.append(f"      - {c['check']}: {c['from'] or '—'} → {c['to']}: {c['reason']}")
    return lines


def render_text(drift: Mapping[str, Any], since: Mapping[str, str] | None = None,
                show: Iterable[str] = ("regressed", "no_longer_assessed", "new_failures", "fixed", "still_failing",
                                       "changed")) -> str:
    """A human-readable drift report; unchanged rows are counted, not listed."""
    since = since or {}
    a, b = drift["a"], drift["b"]
    rate = drift["conformance_rate"]
    lines = [f"assess diff: {a['run_id']} → {b['run_id']}" +
             (f"  ({b['inventory_key']})" if b.get("inventory_key") else ""),
             headline(drift)]
    if rate["a"] is not None and rate["b"] is not None:
        lines.append(f"符合率 {rate['a'] * 100:.1f}% → {rate['b'] * 100:.1f}%;  predicted conclusion "
                     f"{drift['conclusion']['a'] or '—'} → {drift['conclusion']['b'] or '—'}")
    for note in drift["notes"]:
        lines.append(f"note: {note}")
    for key, title in (("new", "NEW MAJOR RISKS (重大风险隐患)"),
                       ("no_longer_assessed", "MAJOR RISKS NO LONGER ASSESSED (evidence missing, not cleared)"),
                       ("cleared", "MAJOR RISKS CLEARED")):
        risks = drift["major_risks"].get(key) or []
        if risks:
            lines += ["", f"{title}: {len(risks)}"]
            lines += [f"  {r.get('rule') or r.get('id')} {r.get('object', '')}  {r.get('title', '')}" for r in risks]
    for cls in show:
        entries = drift[cls]
        if not entries:
            continue
        lines += ["", f"{TITLES[cls]}: {len(entries)}"]
        for e in entries:
            lines += _line(e, since)
    rest = [f"{drift['summary'][c]} {c}" for c in ("added", "removed", "unchanged") if drift["summary"][c]]
    if rest:
        lines += ["", "also: " + ", ".join(rest)]
    return "\n".join(lines)
