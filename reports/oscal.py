"""OSCAL 1.1 assessment-results JSON (machine interchange; the evaluator's own format is the XLSX).

Mapping (app-tls-evidence.md §4.1): one result per run; every 测评对象 an inventory item; every
(测评项, 测评对象) an observation (methods 核查/访谈/测试 → EXAMINE/INTERVIEW/TEST) whose relevant evidence
points at the object's evidence file in back-matter (with its SHA-256); 符合 / 部分符合 / 不符合 results
are findings (satisfied / not-satisfied, the 等保 verdict kept in a prop, since OSCAL has no "partial");
不适用 / 待核查 / 无法判定 stay observations only. Triggered and compensated high-risk findings are risks
(open / deviation-approved). UUIDs are UUIDv5 of the run id and a natural key, so re-exports are identical.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from assess import __version__
from assess.model import METHODS
from assess.reports.context import Context

OSCAL_VERSION = "1.1.2"
NS = "urn:x-assess:dengbao"
_ROOT = uuid.UUID("6f1c1d1e-5b0a-4c57-9d4e-3a1f0e6d2b7c")


def _prop(name: str, value: Any) -> dict[str, str]:
    text = " ".join(str(value).split()) or "-"
    return {"name": name, "ns": NS, "value": text}


def _stamp(value: str | None, fallback: str) -> str:
    return value or fallback


def render_oscal(ctx: Context) -> bytes:
    doc, run = ctx.doc, ctx.doc["run"]
    run_id = str(run.get("id", "run"))
    base = uuid.uuid5(_ROOT, run_id)

    def uid(*key: str) -> str:
        return str(uuid.uuid5(base, "/".join(key)))

    started = _stamp(run.get("started"), "1970-01-01T00:00:00Z")
    finished = _stamp(run.get("finished"), started)
    resources = [{"uuid": uid("ap"), "title": "Assessment plan: assess profile and catalog",
                  "description": f"profile {(run.get('profile') or {}).get('id', '')}; catalog "
                                 f"{(run.get('catalog') or {}).get('id', '')} sha256 "
                                 f"{(run.get('catalog') or {}).get('sha256', '')}",
                  "rlinks": [{"href": "results.json", "media-type": "application/json"}]}]
    for oid, info in ctx.evidence_files.items():
        resources.append({"uuid": uid("evidence", oid), "title": f"Evidence of {oid}",
                          "rlinks": [{"href": info["path"], "media-type": "application/json",
                                      "hashes": [{"algorithm": "SHA-256", "value": info["sha256"]}]}]})
    inventory = []
    for o in doc["objects"]:
        props = [_prop("object-id", o["id"]), _prop("asset-type", o["type"])]
        if o.get("address"):
            props.append(_prop("address", o["address"]))
        if o.get("engine"):
            props.append(_prop("engine", o["engine"]))
        inventory.append({"uuid": uid("object", o["id"]), "description": o.get("name") or o["id"], "props": props})
    observations, findings, reviewed = [], [], []
    for r in doc["results"]:
        meta = doc["items"][r["item"]]
        key = (r["item"], r["object"])
        obs_uuid = uid("observation", *key)
        evidence = [{"href": f"#{uid('evidence', r['object'])}", "description":
                     "sha256 " + ", ".join(e for c in r.get("checks") or [] for e in c.get("evidence") or [])}
                    ] if r["object"] in ctx.evidence_files and r.get("checks") else []
        observation = {
            "uuid": obs_uuid, "title": f"{r['item']} {r['clause']} @ {r['object']}",
            "description": ctx.record(r) or r.get("reason") or r["verdict"],
            "props": [_prop("dengbao-verdict", r["verdict"]), _prop("dengbao-conformity", r.get("verdict_zh") or
                                                                    r["verdict"]),
                      _prop("clause", meta["clause"]), _prop("source", r.get("source", ""))],
            "methods": sorted({METHODS.get(m, "EXAMINE") for m in meta.get("methods") or ["核查"]}),
            "types": ["control-objective"],
            "subjects": [{"subject-uuid": uid("object", r["object"]), "type": "inventory-item"}],
            "collected": finished,
        }
        if evidence:
            observation["relevant-evidence"] = evidence
        observations.append(observation)
        if r["verdict"] in ("pass", "partial", "fail"):
            findings.append({
                "uuid": uid("finding", *key), "title": f"{r['item']} {meta['control_point']} @ {r['object']}",
                "description": r.get("reason") or r["verdict"],
                "props": [_prop("dengbao-conformity", r.get("verdict_zh") or r["verdict"]),
                          _prop("weight", f"{float(meta['weight']):.1f}")],
                "target": {"type": "objective-id", "target-id": r["item"],
                           "status": {"state": "satisfied" if r["verdict"] == "pass" else "not-satisfied"}},
                "related-observations": [{"observation-uuid": obs_uuid}],
            })
        if r["item"] not in reviewed and r["verdict"] != "na":
            reviewed.append(r["item"])
    risks = []
    for f in doc["highrisk"]:
        statement = f["remediation"] if ctx.lang == "zh" else (f.get("remediation_en") or f["remediation"])
        risk = {
            "uuid": uid("risk", f["rule"], f["object"]), "title": ctx.finding_title(f),
            "description": "; ".join(f"{k} {v}" for k, v in f["cases"].items()),
            "statement": statement,
            "props": [_prop("rule", f["rule"]), _prop("major-risk", "true" if f.get("major") else "false"),
                      _prop("object-id", f["object"])],
            "status": {"triggered": "open", "unassessed": "investigating"}.get(f["status"], "deviation-approved"),
        }
        related = [{"observation-uuid": uid("observation", n["item"], n["object"])}
                   for n in f.get("triggered_by", []) + f.get("pending", []) if "item" in n]
        if related:
            risk["related-observations"] = related
        risks.append(risk)
    concl = doc["conclusion"]
    result = {
        "uuid": uid("result"), "title": f"等保 level 3 self-assessment {run_id}",
        "description": f"{concl['label']}: {concl['conclusion_zh']} ({concl['template']} template)",
        "start": started, "end": finished,
        "props": [_prop("predicted-conclusion", concl["conclusion"]), _prop("template", concl["template"])],
        "local-definitions": {"inventory-items": inventory},
        "reviewed-controls": {"control-selections": [
            {"include-controls": [{"control-id": i} for i in reviewed]} if reviewed else {"include-all": {}}]},
        "observations": observations,
    }
    if risks:
        result["risks"] = risks
    if findings:
        result["findings"] = findings
    out = {"assessment-results": {
        "uuid": uid("assessment-results"),
        "metadata": {"title": f"assess {run_id}", "last-modified": finished, "version": __version__,
                     "oscal-version": OSCAL_VERSION},
        "import-ap": {"href": f"#{uid('ap')}"},
        "results": [result],
        "back-matter": {"resources": resources},
    }}
    return (json.dumps(out, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
