"""JUnit XML for CI gates: one testsuite per 测评对象, one testcase per (测评项, 测评对象).

不符合 and 部分符合 are failures, 无法判定 an error, 不适用 and 待核查 skipped. Triggered high-risk
findings form one more suite, so a gate can key on them.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from typing import Any

from assess.reports.context import Context


def _suite(parent: ET.Element, name: str, cases: list[ET.Element]) -> None:
    counts = {"failures": 0, "errors": 0, "skipped": 0}
    for case in cases:
        for kind, key in (("failure", "failures"), ("error", "errors"), ("skipped", "skipped")):
            if case.find(kind) is not None:
                counts[key] += 1
    suite = ET.SubElement(parent, "testsuite", name=name, tests=str(len(cases)),
                          **{k: str(v) for k, v in counts.items()})
    suite.extend(cases)


def _case(ctx: Context, row: dict[str, Any]) -> ET.Element:
    item = ctx.doc["items"][row["item"]]
    case = ET.Element("testcase", classname=f"{row['object']}.{row['class_code']}",
                      name=f"{row['item']} {row['clause']} {ctx.item_text(row['item'], 'control_point')}")
    verdict = row["verdict"]
    message = f"{ctx.verdict_label[verdict]}: {row.get('reason', '')}"
    if verdict in ("fail", "partial"):
        el = ET.SubElement(case, "failure", message=message, type=verdict)
        el.text = ctx.record(row) + "\n" + "\n".join(
            f"fix: {f.get('text', '')}" + (f"\n  $ {f['command']}" if f.get("command") else "")
            for f in row.get("remediation") or [])
    elif verdict == "error":
        ET.SubElement(case, "error", message=message, type="error")
    elif verdict in ("na", "manual"):
        ET.SubElement(case, "skipped", message=message)
    props = ET.SubElement(case, "properties")
    ET.SubElement(props, "property", name="weight", value=f"{item['weight']:.1f}")
    ET.SubElement(props, "property", name="verdict", value=verdict)
    return case


def render_junit(ctx: Context) -> bytes:
    per_object: dict[str, list[ET.Element]] = defaultdict(list)
    for row in ctx.doc["results"]:
        per_object[row["object"]].append(_case(ctx, row))
    root = ET.Element("testsuites", name=f"assess {ctx.doc['run'].get('id', '')}")
    for obj in ctx.doc["objects"]:
        if per_object.get(obj["id"]):
            _suite(root, obj["id"], per_object[obj["id"]])
    risk_cases = []
    for f in ctx.doc["highrisk"]:
        case = ET.Element("testcase", classname=f"highrisk.{f['object']}", name=f"{f['rule']} {ctx.finding_title(f)}")
        if f["status"] == "triggered":
            kind = "major-risk" if f.get("major") else "high-risk"
            el = ET.SubElement(case, "failure", message=ctx.finding_title(f), type=kind)
            el.text = "; ".join(f"{n.get('item') or n.get('check')}@{n['object']}" for n in f.get("triggered_by", []))
        elif f["status"] == "unassessed":
            el = ET.SubElement(case, "error", message="unassessed: its evidence is undetermined", type="unassessed")
            el.text = "; ".join(f"{n.get('item') or n.get('check')}@{n['object']}" for n in f.get("pending", []))
        else:
            ET.SubElement(case, "skipped", message="compensated: " + "; ".join(
                m["title"] for m in f.get("compensated_by", [])))
        risk_cases.append(case)
    if risk_cases:
        _suite(root, "highrisk", risk_cases)
    tests = failures = errors = skipped = 0
    for suite in root:
        tests += int(suite.get("tests", 0))
        failures += int(suite.get("failures", 0))
        errors += int(suite.get("errors", 0))
        skipped += int(suite.get("skipped", 0))
    root.set("tests", str(tests))
    root.set("failures", str(failures))
    root.set("errors", str(errors))
    root.set("skipped", str(skipped))
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
