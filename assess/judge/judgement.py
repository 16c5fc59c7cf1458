"""After evaluation: high-risk findings, the predicted conclusion and the 整改清单, as document sections.

`judge` fills a fresh results document from the catalog's rules and the profile; `rejudge` recomputes
the conclusion of a saved document under another template without the catalog (reports re-render
from results.json alone).
"""

from __future__ import annotations

import copy
from typing import Any

from assess.catalog import highrisk
from assess.catalog.load import Catalog
from assess.catalog.profile import CONCLUSION_DEFAULTS, Profile
from assess.errors import InputError
from assess.judge import conclusion, coverage, remediation

EXTENSION_ZH = {"general": "安全通用要求", "cloud": "云计算安全扩展要求", "mobile": "移动互联安全扩展要求",
                "iot": "物联网安全扩展要求", "ics": "工业控制系统安全扩展要求"}


def item_meta(catalog: Catalog) -> dict[str, dict[str, Any]]:
    """What reports need to know about every item, keyed by id, in catalog order."""
    return {
        i.id: {"clause": i.clause, "cp_clause": i.cp_clause, "class_code": i.class_code,
               "class_name": i.class_name, "class_name_en": i.class_name_en, "category": i.category,
               "extension": i.extension, "extension_zh": EXTENSION_ZH.get(i.extension, i.extension),
               "control_point": i.control_point, "control_point_en": i.control_point_en,
               "requirement": i.requirement, "summary": i.summary, "weight": i.weight,
               "methods": i.methods, "automation": i.automation}
        for i in catalog.items.values()
    }


def check_meta(catalog: Catalog) -> dict[str, dict[str, Any]]:
    """Titles of the checks, so that reports can name every check result (passing ones too)."""
    return {c.id: {"title": c.title, "title_en": c.title_en, "object_type": c.object_type, "engines": c.engines}
            for c in catalog.checks.values()}


def judge(document: dict[str, Any], catalog: Catalog, profile: Profile) -> None:
    """Add `checks`, `highrisk`, `coverage`, `conclusion` and `remediation` to a results document (in place)."""
    document["checks"] = check_meta(catalog)
    findings = highrisk.evaluate(catalog.highrisk, document, profile.level, profile.context)
    document["highrisk"] = findings
    document["coverage"] = coverage.of(document)
    template = str(profile.conclusion.get("template", "2025"))
    document["conclusion"] = conclusion.conclude(template, document["results"], document["items"],
                                                 profile.conclusion, findings)
    document["remediation"] = remediation.plan(document)


def rejudge(document: dict[str, Any], template: str) -> dict[str, Any]:
    """A copy of a saved document with its conclusion recomputed under `template` (2025 or 2021)."""
    if template not in conclusion.TEMPLATES:
        raise InputError(f"unknown template '{template}' (known: {', '.join(conclusion.TEMPLATES)})")
    if "items" not in document or "highrisk" not in document:
        raise InputError("this results file has no item metadata or high-risk findings (written by an older "
                         "assess); run the scan again to change its template")
    doc = copy.copy(document)
    profile = (document.get("run") or {}).get("profile") or {}
    config = {**CONCLUSION_DEFAULTS, **(profile.get("conclusion") or {})}
    doc["conclusion"] = conclusion.conclude(template, document["results"], document["items"], config,
                                            document["highrisk"])
    doc["run"] = {**document["run"], "template": template}
    return doc


#: `--fail-on` levels, strictest last: what makes a CI gate fail.
FAIL_ON = ("major-risk", "nonconform", "high-risk", "fail", "partial")


def conservative_conclusion(concl: dict[str, Any]) -> str:
    """The worst predicted conclusion over the readings of an unverified formula (the conclusion itself when
    the document has no readings)."""
    chosen = next((r for r in concl.get("readings") or [] if r["reading"] == concl.get("conservative")), None)
    return chosen["conclusion"] if chosen else concl["conclusion"]


def exceeds(document: dict[str, Any], level: str) -> bool:
    """Whether a results document has a finding at or above a `--fail-on` level.

    major-risk: a triggered 重大风险隐患; nonconform: that, or a predicted 不符合 (2025) / 差 (2021) under the
    most conservative reading of the rate; high-risk: any triggered high-risk case (major ones included);
    fail: that, or any 不符合 result; partial: that, or any 部分符合 result.
    An approved, unexpired waiver takes its results out of the gate (as InSpec does), and a case that only
    waived results trigger: the exception was accepted. The predicted conclusion still counts them.
    """
    if level not in FAIL_ON:
        raise InputError(f"unknown --fail-on level '{level}' (known: {', '.join(FAIL_ON)})")
    waived = {(r["item"], r["object"]) for r in document["results"] if r.get("waived")}
    fed: dict[tuple[str, str], set[tuple[str, str]]] = {}  # (check, object) → the (item, object) it feeds
    for r in document["results"]:
        for c in r.get("checks") or []:
            fed.setdefault((c["check"], r["object"]), set()).add((r["item"], r["object"]))
    triggered = [f for f in document.get("highrisk") or [] if f.get("status") == "triggered"
                 and not _only_waived(f, waived, fed)]
    if any(f.get("major") for f in triggered):
        return True
    if level == "major-risk":
        return False
    if level == "nonconform":
        return conservative_conclusion(document["conclusion"]) in ("nonconform", "poor")
    if triggered:
        return True
    verdicts = {"high-risk": (), "fail": ("fail",), "partial": ("fail", "partial")}[level]
    return any(r["verdict"] in verdicts and not r.get("waived") for r in document["results"])


def _only_waived(finding: dict[str, Any], waived: set[tuple[str, str]],
                 fed: dict[tuple[str, str], set[tuple[str, str]]]) -> bool:
    """Whether every result that triggered a high-risk case sits on a waived item × object (a check result
    through the items it feeds on that object)."""
    pairs: set[tuple[str, str]] = set()
    for r in finding.get("triggered_by") or []:
        if r.get("item"):
            pairs.add((r["item"], r["object"]))
        elif r.get("check"):
            pairs |= fed.get((r["check"], r["object"]), {("", r["object"])})
    return bool(pairs) and pairs <= waived
