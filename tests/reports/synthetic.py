"""A synthetic run over the real catalog: N objects of every type, seeded verdicts, real evidence files.

Used by the report tests and by bench/report_scale.py. Results go through the real
`assess.run.scan.build_document` (so high-risk rules, conclusion and 整改清单 are computed as in a scan);
only collection is replaced: checks get seeded statuses and evidence sections, items without a check
on the object type get seeded interview answers.
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path
from typing import Any

from assess.catalog import load as catalog_mod
from assess.catalog import profile as profile_mod
from assess.catalog.load import Catalog
from assess.inventory import load as inventory
from assess.judge import evaluate
from assess.model import CheckResult, FactResult, ItemResult, Target
from assess.run import document as results
from assess.run import scan
from assess.run.collect import ObjectEvidence

_TYPES = [("linux", None), ("linux", None), ("linux", None), ("database", "mysql"), ("database", "redis"),
          ("middleware", "nginx"), ("middleware", "tomcat"), ("webapp", None), ("network-device", None),
          ("security-device", None)]
STARTED = "2026-03-01T02:00:00Z"


def targets(n: int) -> list[Target]:
    out = []
    for i in range(n):
        otype, engine = _TYPES[i % len(_TYPES)]
        tags = ["internet-facing"] if i % 7 == 0 else []
        out.append(Target(id=f"{otype}-{i:03d}", type=otype, name=f"{otype} {i}", address=f"10.0.{i // 250}.{i % 250}",
                          engine=engine, tags=tags,
                          connection={"transport": "local"} if otype in ("linux", "database", "middleware") else {}))
    return out + inventory.interview_objects()


def _evidence_section(fact: str, object_id: str, rng: random.Random) -> dict[str, Any]:
    output = f"# {fact} on {object_id}\n" + "".join(f"KEY_{k} value-{rng.randint(0, 999)}\n" for k in range(6))
    return {"id": hashlib.sha256(output.encode()).hexdigest(), "rc": 0, "command": f"_file /etc/{fact}.conf",
            "output": output}


def _object_results(cat: Catalog, prof: profile_mod.Profile, t: Target, rng: random.Random,
                    ev: ObjectEvidence | None) -> list[ItemResult]:
    out = []
    for item in cat.items.values():
        if t.type not in item.objects:
            continue
        conv = item.convention_for(t.type, t.engine)
        if conv is not None:
            out.append(ItemResult(item.id, t.id, conv.verdict, conv.reason, "convention"))
            continue
        checks = [c for c in cat.checks_for(item.id, t.type) if not c.engines or t.engine in c.engines]
        if checks and ev is not None:
            crs = []
            for c in checks:
                status = rng.choices(["pass", "fail", "na", "error"], [70, 22, 4, 4])[0]
                eids = []
                for fact in c.facts:
                    sec = ev.raw.setdefault(fact, _evidence_section(fact, t.id, rng))
                    ev.facts.setdefault(fact, FactResult(fact, "ok", {}, evidence_id=sec["id"]))
                    eids.append(sec["id"])
                value = rng.choice([90, 99999, 8, 5, "yes", "no"])
                crs.append(CheckResult(c.id, status, f"{c.facts[0]}.VALUE = {value}" if status != "pass" else "ok",
                                       {f"{c.facts[0]}.VALUE": value}, [f"{c.facts[0]}.VALUE ≤ 90"], eids))
            verdict, reason = evaluate.aggregate(item, crs)
            out.append(ItemResult(item.id, t.id, verdict, reason, "checks", crs))
            continue
        verdict = rng.choices(["pass", "partial", "fail", "manual"], [50, 15, 10, 25])[0]
        if verdict == "manual":
            out.append(ItemResult(item.id, t.id, "manual", "interview/documents needed: " + item.questions[0],
                                  "interview"))
        else:
            answer = {"verdict": verdict, "status": "applied", "explanation": f"访谈记录：{item.summary[:40]}",
                      "respondent": "张工", "answered_at": "2026-02-20", "valid_until": "2026-08-20",
                      "attachments": [], "evidence": []}
            out.append(ItemResult(item.id, t.id, verdict, f"interview: {verdict}", "interview", answer=answer))
    return out


def make_run(out: Path, n_objects: int, seed: int = 7, template: str = "2025",
             measures: list[Any] | None = None, context: dict[str, Any] | None = None) -> tuple[Path, dict[str, Any]]:
    """Write a complete run directory (evidence files and results.json) and return it with its document."""
    rng = random.Random(seed)
    cat = catalog_mod.load()
    prof = profile_mod.load("level3", cat)
    prof.conclusion["template"] = template
    prof.context.update(context or {})
    ts = targets(n_objects)
    run_id = f"20260301T020000Z-{seed:04x}"
    run_dir = results.create_run_dir(out, run_id)
    evidence: dict[str, ObjectEvidence] = {}
    item_results: list[ItemResult] = []
    for t in ts:
        ev = ObjectEvidence(t.id, STARTED, STARTED, info={"transport": "local"}) \
            if t.connection.get("transport") else None
        item_results += _object_results(cat, prof, t, rng, ev)
        if ev is not None:
            evidence[t.id] = ev
            results.write_json(run_dir / "evidence" / f"{t.id}.json", ev.as_dict())
    system, rest = evaluate.uncovered(cat, prof, ts)
    answered = sum(1 for r in item_results if r.answer)
    sections = {"run": {"compensating_measures": list(measures or [])},
                "questionnaire": {"answered": answered, "total": answered + sum(1 for r in item_results + rest
                                                                                if r.verdict == "manual"),
                                  "expired": 0},
                "waivers": {"active": 0, "expired": 0, "results_waived": 0, "list": []}}
    doc = scan.build_document(cat, prof, ts, run_id, STARTED, evidence, item_results + rest, system, sections)
    results.write_json(run_dir / "results.json", doc)
    return run_dir, doc
