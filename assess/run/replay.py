"""Re-evaluate a run directory offline: collect once, evaluate anywhere.

The targets come from results.json (`objects`); each object's facts are rebuilt by re-parsing the raw
sections stored in `evidence/<object>.json` (`raw[fact]["output"]`) with the current parsers, so a
parser fix or a tailored catalog applies to old evidence. Facts of non-shell collectors (HTTP/TLS) have
no section to re-parse: their recorded values are used once their transcripts match the evidence id. Facts that the catalog and profile now need
but the evidence never captured become `error` facts ("not collected"), which makes their checks
`error` (无法判定), never a pass. Nothing here touches a target.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Any

from assess.catalog.load import Catalog
from assess.catalog.profile import Profile
from assess.errors import InputError
from assess.inputs import answers, waivers
from assess.model import UNCOVERED_TYPE, FactResult, Target
from assess.probes.facts import Fact, FactUnavailable, Section
from assess.run import document as results
from assess.run import plan
from assess.run.collect import ObjectEvidence, malformed, now
from assess.run.scan import Inputs, apply_inputs, build_document, evaluate_all

NOT_COLLECTED = "not collected (the evidence has no output for this fact)"


def targets_from(doc: dict[str, Any]) -> list[Target]:
    """The inventory objects of a results document (without the `system` pseudo-object or any connection)."""
    out = []
    for o in doc.get("objects", []):
        if o.get("type") == UNCOVERED_TYPE:
            continue
        out.append(Target(id=o["id"], type=o["type"], name=o.get("name", ""), address=o.get("address", ""),
                          engine=o.get("engine"), tags=list(o.get("tags") or [])))
    return out


def evidence_path(run_dir: Path, obj: dict[str, Any]) -> Path | None:
    """Where an object's evidence file is (None for objects never collected, such as interview objects)."""
    rel = obj.get("evidence")
    if not rel:
        return None
    path = (run_dir / rel).resolve()
    if not path.is_relative_to(run_dir.resolve()):
        raise InputError(f"object {obj.get('id')}: evidence path {rel!r} leaves the run directory",
                         str(run_dir / "results.json"))
    return path


def load_evidence_file(path: Path) -> dict[str, Any]:
    data = results.read_json_object(path, "an evidence file")
    if not isinstance(data.get("raw"), dict):
        raise InputError("not an assess evidence file (no 'raw' sections)", str(path))
    return data


def reparse(stored: dict[str, Any], facts: list[Fact]) -> ObjectEvidence:
    """An ObjectEvidence from a stored evidence file, each needed fact re-parsed from its raw section."""
    if (stored.get("info") or {}).get("collector") == "assess-cloud/1":
        from assess.probes.cloud.collector import rederive

        return rederive(stored, facts)
    ev = ObjectEvidence(stored.get("object", ""), stored.get("started", ""), stored.get("finished", ""),
                        info=dict(stored.get("info") or {}), error=stored.get("error"),
                        seconds=float(stored.get("seconds") or 0.0))
    raw = stored["raw"]
    before = stored.get("facts") or {}
    for f in facts:
        section = raw.get(f.name)
        earlier = before.get(f.name) if isinstance(before.get(f.name), dict) else {}
        if isinstance(section, dict) and isinstance(section.get("output"), str):
            ev.raw[f.name] = section
            ev.facts[f.name] = _parse(f, section)
        elif not f.command and earlier.get("status") in ("ok", "error", "skipped"):
            ev.facts[f.name] = _gathered(f, earlier, section)
            if isinstance(section, dict):
                ev.raw[f.name] = section
        else:
            reason = earlier.get("reason") if earlier.get("status") == "error" and earlier.get("reason") \
                else NOT_COLLECTED
            ev.facts[f.name] = FactResult(f.name, "error", reason=reason)
    return ev


def _gathered(f: Fact, stored: dict[str, Any], section: Any) -> FactResult:
    """A fact of a non-shell collector (HTTP/TLS): its recorded value, once its transcripts check out.

    There is no section to re-parse; the value was derived from the recorded transcripts, whose sha256 is
    the evidence id (assess.probes.http.gathered).
    """
    eid = str(stored.get("evidence") or "")
    if isinstance(section, dict) and isinstance(section.get("transcripts"), list):
        actual = hashlib.sha256(json.dumps(section["transcripts"], sort_keys=True, ensure_ascii=False)
                                .encode()).hexdigest()
        if actual != section.get("id") or (eid and eid != actual):
            return FactResult(f.name, "error", reason="recorded transcripts do not match their evidence id (edited "
                              "after collection?)", evidence_id=eid)
    elif eid:
        return FactResult(f.name, "error", reason="the transcripts behind this fact are missing from the evidence",
                          evidence_id=eid)
    return FactResult(f.name, stored["status"], value=stored.get("value"), reason=str(stored.get("reason") or ""),
                      evidence_id=eid)


def _parse(f: Fact, stored: dict[str, Any]) -> FactResult:
    text = stored["output"]
    eid = str(stored.get("id") or "")
    actual = hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()
    if eid and actual != eid and not text.endswith("\n[truncated]"):
        return FactResult(f.name, "error", reason="raw output does not match its evidence id (edited after "
                          "collection?)", evidence_id=eid)
    if stored.get("problem"):
        return FactResult(f.name, "error", reason=malformed(str(stored["problem"])), evidence_id=eid)
    rc = stored.get("rc")
    section = Section(f.name, text, rc if isinstance(rc, int) else -1)
    try:
        value = f.parse(section)
    except FactUnavailable as exc:
        return FactResult(f.name, "error", reason=str(exc), evidence_id=eid)
    except Exception as exc:  # a parser bug must not stop the evaluation; it shows on the checks
        return FactResult(f.name, "error", reason=f"parser failed: {type(exc).__name__}: {exc}", evidence_id=eid)
    return FactResult(f.name, "ok", value=value, evidence_id=eid)


def rebuild(run_dir: Path, catalog: Catalog, profile: Profile, doc: dict[str, Any] | None = None
            ) -> tuple[dict[str, Any], list[Target], dict[str, ObjectEvidence]]:
    """(results document read, targets, evidence re-parsed for `catalog` and `profile`)."""
    doc = doc if doc is not None else results.load_results(run_dir)
    targets = targets_from(doc)
    by_id = {o["id"]: o for o in doc.get("objects", [])}
    evidence: dict[str, ObjectEvidence] = {}
    for t in targets:
        path = evidence_path(run_dir, by_id[t.id])
        if path is None:
            continue
        stored = load_evidence_file(path)
        evidence[t.id] = reparse(stored, plan.facts_needed(catalog, profile, t))
        evidence[t.id].object_id = t.id
    return doc, targets, evidence


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def inputs_from(doc: dict[str, Any], run_dir: Path, today: date | None = None) -> Inputs:
    """The interview answers and waivers a run applied, rebuilt from its results document.

    Answers are carried whole on the rows they applied to (attachments stored in the run directory);
    waivers by their listing plus the record on each waived row.
    """
    rows = doc.get("results", [])
    given: dict[tuple[str, str], answers.Answer] = {}
    for r in rows:
        a = r.get("answer")
        if not isinstance(a, dict) or _day(a.get("answered_at")) is None or _day(a.get("valid_until")) is None:
            continue
        atts = tuple(answers.Attachment(run_dir / x["path"], x["name"], x["sha256"], int(x.get("size") or 0))
                     for x in a.get("attachments") or [])
        given[(r["item"], r["object"])] = answers.Answer(
            r["item"], r["object"], a["verdict"], a.get("explanation", ""), a.get("respondent", ""),
            _day(a["answered_at"]), _day(a["valid_until"]), atts, a.get("from", "results.json"))
    q = doc.get("questionnaire") or {}
    answer_set = answers.AnswerSet(q.get("file", "results.json"), q.get("sha256", ""), given,
                                   q.get("entries", len(given))) if given or q.get("file") else None
    listing = (doc.get("waivers") or {}).get("list") or []
    records = {r["waived"]["id"]: r["waived"] for r in rows if isinstance(r.get("waived"), dict)}
    kept = []
    for w in listing:
        expires = _day(w.get("expires"))
        if expires is None:
            continue
        rec = records.get(w["id"], {})
        scope = w.get("objects")
        objects = sorted({r["object"] for r in rows if r["item"] == w["item"]}) if scope == "all" else list(scope or [])
        measure = rec.get("compensating_measure") or (
            {"id": w["compensating_measure"], "description": ""} if w.get("compensating_measure") else None)
        kept.append(waivers.Waiver(w["id"], w["item"], tuple(objects), scope == "all", rec.get("justification", ""),
                                   w.get("approver", ""), _day(rec.get("approved_at")), expires, measure,
                                   w.get("from", "results.json")))
    wfile = doc.get("waivers") or {}
    waiver_set = waivers.WaiverSet(wfile.get("file", "results.json"), wfile.get("sha256", ""), kept) \
        if listing else None
    return Inputs(answers=answer_set, waivers=waiver_set, today=today or date.today())


def replay(run_dir: Path, catalog: Catalog, profile: Profile, *, run_id: str | None = None,
           doc: dict[str, Any] | None = None, today: date | None = None) -> dict[str, Any]:
    """A new results document for the evidence of `run_dir` under `catalog` and `profile`.

    Interview answers and waivers recorded in the run are applied again, as of `today` (default: now),
    so an answer that has expired since the run no longer counts.
    """
    doc, targets, evidence = rebuild(run_dir, catalog, profile, doc)
    item_results, system = evaluate_all(catalog, profile, targets, evidence)
    inputs = inputs_from(doc, run_dir, today)
    if inputs.answers:  # an item the profile now tailors out stays 不适用, whatever was answered
        tailored = {(r.item, r.object) for r in item_results if r.source == "profile"}
        inputs.answers.answers = {k: a for k, a in inputs.answers.answers.items() if k not in tailored}
    item_results, sections = apply_inputs(catalog, item_results, inputs)
    original = doc["run"]
    out = build_document(catalog, profile, targets, run_id or original["id"], original["started"], evidence,
                         item_results, system, sections)
    out["run"]["finished"] = original.get("finished", out["run"]["finished"])
    out["run"]["operator_host"] = original.get("operator_host")
    if "seconds" in original:
        out["run"]["seconds"] = original["seconds"]
    out["run"]["replay"] = {"of_run": original["id"], "evaluated": now(),
                            "original_catalog": original.get("catalog"),
                            "original_profile": (original.get("profile") or {}).get("id")}
    return out
