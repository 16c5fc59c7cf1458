"""What every renderer reads: the checked results document, its evidence files, and derived tables.

Reports are a pure function of results.json and the evidence files next to it: no catalog and no
target is consulted, so a run re-renders anywhere (an evaluator's laptop included).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import cached_property
from pathlib import Path
from typing import Any

from assess.catalog.profile import CONCLUSION_DEFAULTS
from assess.errors import InputError
from assess.judge import conclusion, coverage
from assess.model import VERDICTS
from assess.reports import labels
from assess.run.document import SCHEMA

CLASS_ORDER = ["PES", "CNS", "ABS", "CES", "SMC", "PSS", "ORS", "HRS", "CMS", "MMS"]
EVIDENCE_EXCERPT = 1500
_SECTIONS = {"run": dict, "objects": list, "results": list, "conclusion": dict, "items": dict,
             "highrisk": list, "remediation": list}


def check_document(doc: Any) -> None:
    """One clear InputError when a document cannot be rendered (wrong schema, missing sections)."""
    if not isinstance(doc, dict):
        raise InputError("the results document is not a JSON object")
    if doc.get("schema") != SCHEMA:
        raise InputError(f"unsupported results schema {doc.get('schema')!r} (this assess renders {SCHEMA})")
    for key, kind in _SECTIONS.items():
        if not isinstance(doc.get(key), kind):
            raise InputError(f"the results document has no valid '{key}' section (incomplete, or written by an "
                             "older assess: run the scan again)")
    ids = set()
    for n, obj in enumerate(doc["objects"]):
        if not isinstance(obj, dict) or not isinstance(obj.get("id"), str) or not isinstance(obj.get("type"), str):
            raise InputError(f"objects[{n}] has no id or type")
        ids.add(obj["id"])
    for n, r in enumerate(doc["results"]):
        if not isinstance(r, dict):
            raise InputError(f"results[{n}] is not an object")
        missing = [k for k in ("item", "object", "verdict", "clause", "class_code", "control_point", "weight")
                   if k not in r]
        if missing:
            raise InputError(f"results[{n}] lacks {', '.join(missing)}")
        if r["verdict"] not in VERDICTS:
            raise InputError(f"results[{n}] has an unknown verdict {r['verdict']!r}")
        if r["object"] not in ids:
            raise InputError(f"results[{n}] names object {r['object']!r}, which is not in 'objects'")
        if r["item"] not in doc["items"]:
            raise InputError(f"results[{n}] names item {r['item']!r}, which is not in 'items'")


@dataclass
class Evidence:
    """One raw section of an object's evidence file."""

    id: str
    object: str
    fact: str
    command: str
    rc: Any
    excerpt: str
    truncated: bool


def load_evidence(doc: dict[str, Any], run_dir: Path
                  ) -> tuple[dict[tuple[str, str], Evidence], dict[str, dict[str, Any]]]:
    """Evidence sections by (object, id), and each evidence file's path, size and sha256.

    Two objects with identical output share an evidence id (it is the sha256 of the output), hence the
    object in the key.
    """
    sections: dict[tuple[str, str], Evidence] = {}
    files: dict[str, dict[str, Any]] = {}
    root = run_dir.resolve()
    for obj in doc["objects"]:
        rel = obj.get("evidence")
        if not rel:
            continue
        path = (run_dir / rel).resolve()
        if not path.is_relative_to(root):
            raise InputError(f"object {obj['id']}: evidence path {rel!r} leaves the run directory")
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise InputError(f"evidence file {rel} is missing (results.json lists it for object {obj['id']}); "
                             "the run directory is incomplete", str(run_dir)) from None
        except OSError as exc:
            raise InputError(f"cannot read evidence file {rel}: {exc.strerror or exc}", str(run_dir)) from None
        try:
            ev = json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"evidence file {rel} is not valid JSON (truncated?): {exc}", str(run_dir)) from None
        files[obj["id"]] = {"path": rel, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        raw = ev.get("raw") if isinstance(ev, dict) else None
        for fact, sec in (raw or {}).items():
            if not isinstance(sec, dict) or not sec.get("id"):
                continue
            out = str(sec.get("output", ""))
            sections[(obj["id"], sec["id"])] = Evidence(sec["id"], obj["id"], fact, str(sec.get("command", "")), sec.get("rc"),
                                           out[:EVIDENCE_EXCERPT], len(out) > EVIDENCE_EXCERPT)
    return sections, files


_SHANGHAI = timezone(timedelta(hours=8), "CST")


def local_time(stamp: str | None) -> str:
    """An RFC 3339 UTC stamp shown in Asia/Shanghai (UTC+8, no daylight saving)."""
    if not stamp:
        return ""
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(_SHANGHAI).strftime("%Y-%m-%d %H:%M:%S (UTC+8)")


def show_value(value: Any) -> str:
    """A compact, readable rendering of an observed value."""
    if value is None:
        return "（未设置）"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value if value.strip() == value and value else repr(value)
    if isinstance(value, list):
        shown = ", ".join(show_value(v) for v in value[:12])
        return f"[{shown}{', …' if len(value) > 12 else ''}]"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)[:300]
    return str(value)


@dataclass
class Context:
    """A checked document plus everything renderers derive from it."""

    doc: dict[str, Any]
    run_dir: Path
    lang: str = "zh"
    evidence: dict[tuple[str, str], Evidence] = field(default_factory=dict)
    evidence_files: dict[str, dict[str, Any]] = field(default_factory=dict)
    records: dict[int, str] = field(default_factory=dict, repr=False)  # assess.reports.record.record_of

    @property
    def t(self) -> dict[str, str]:
        return labels.text(self.lang)

    @property
    def verdict_label(self) -> dict[str, str]:
        return labels.VERDICT[self.lang]

    def item_text(self, item_id: str, key: str) -> str:
        """An item's field in the report language (`control_point`, `class_name`, `requirement`)."""
        meta = self.doc["items"].get(item_id, {})
        if self.lang == "en":
            alt = {"control_point": "control_point_en", "class_name": "class_name_en",
                   "requirement": "summary"}.get(key)
            if alt and meta.get(alt):
                return meta[alt]
        return meta.get(key, "")

    def check_title(self, check_id: str) -> str:
        meta = (self.doc.get("checks") or {}).get(check_id, {})
        return (meta.get("title_en") if self.lang == "en" else meta.get("title")) or meta.get("title") or check_id

    @cached_property
    def objects(self) -> dict[str, dict[str, Any]]:
        return {o["id"]: o for o in self.doc["objects"]}

    @cached_property
    def classes(self) -> list[tuple[str, str]]:
        """(code, name) of the classes present in the catalog, in standard order."""
        names: dict[str, str] = {}
        for item_id, meta in self.doc["items"].items():
            names.setdefault(meta["class_code"], self.item_text(item_id, "class_name"))
        return sorted(names.items(), key=lambda kv: CLASS_ORDER.index(kv[0]) if kv[0] in CLASS_ORDER else 99)

    @cached_property
    def by_class(self) -> dict[str, Counter]:
        table: dict[str, Counter] = defaultdict(Counter)
        for r in self.doc["results"]:
            table[r["class_code"]][r["verdict"]] += 1
        return table

    @cached_property
    def by_object(self) -> dict[str, Counter]:
        table: dict[str, Counter] = defaultdict(Counter)
        for r in self.doc["results"]:
            table[r["object"]][r["verdict"]] += 1
        return table

    @cached_property
    def by_item(self) -> dict[str, dict[str, Any]]:
        table: dict[str, dict[str, Any]] = {}
        for r in self.doc["results"]:
            entry = table.setdefault(r["item"], {"counts": Counter(), "gaps": []})
            entry["counts"][r["verdict"]] += 1
            if r["verdict"] in ("fail", "partial"):
                entry["gaps"].append(r["object"])
        return table

    @cached_property
    def totals(self) -> Counter:
        total: Counter = Counter()
        for row in self.by_class.values():
            total.update(row)
        return total

    @cached_property
    def scores_2021(self) -> dict[str, Any]:
        """Control-point and class scores (shown whatever the template; the 2021 formula)."""
        profile = self.doc["run"].get("profile") or {}
        config = {**CONCLUSION_DEFAULTS, **(profile.get("conclusion") or {})}
        return conclusion.conclude_2021(self.doc["results"], self.doc["items"], config, [], len(self.doc["items"]))

    @cached_property
    def findings(self) -> dict[str, list[dict[str, Any]]]:
        """High-risk findings grouped by rule: triggered, compensated and unassessed (never hidden)."""
        out: dict[str, list[dict[str, Any]]] = {"triggered": [], "compensated": [], "unassessed": []}
        grouped: dict[tuple[str, str], dict[str, Any]] = {}
        for f in self.doc["highrisk"]:
            key = (f["status"], f["rule"])
            g = grouped.get(key)
            if g is None:
                g = grouped[key] = {**f, "objects": [], "evidence": []}
                out[f["status"]].append(g)
            g["objects"].append(f["object"])
            g["evidence"] += f.get("triggered_by", []) + f.get("pending", [])
        for groups in out.values():
            groups.sort(key=lambda g: (not g["major"], g["rule"]))
        return out

    @cached_property
    def coverage(self) -> dict[str, Any]:
        """What the run could not assess (assess.judge.coverage), recomputed from the document."""
        return coverage.of(self.doc)

    @cached_property
    def uncertainty(self) -> str | None:
        """The other verdicts when the readings of the unverified rate formula disagree."""
        return conclusion.uncertainty(self.doc["conclusion"], self.lang)

    @cached_property
    def coverage_lines(self) -> list[str]:
        return coverage.lines(self.coverage, self.lang)

    def finding_title(self, f: dict[str, Any]) -> str:
        return (f.get("title_en") if self.lang == "en" else f.get("title")) or f.get("title", "")
