"""The inventory: which 测评对象 a scan covers and how to reach them.

Without an inventory file, a scan covers the local machine (a `linux` object reached locally), plus
the `site` (机房) and `organization` (管理制度/机构/人员) objects that physical and management items
are judged on by interview.
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

from assess import model
from assess.errors import InputError, LintErrors
from assess.model import Target
from assess.results import safe_name
from assess.schema import Field, Problems, check_mapping
from assess.yamlio import load_file, plain

_OBJECT_SPEC = {
    "id": Field(str), "type": Field(str, choices=model.OBJECT_TYPES), "name": Field(str, required=False),
    "address": Field(str, required=False), "engine": Field(str, required=False),
    "tags": Field(list, required=False), "transport": Field(str, choices=("local",), required=False),
}


def interview_objects() -> list[Target]:
    return [Target(id="site", type="site", name="机房（物理环境）"),
            Target(id="organization", type="organization", name="安全管理（制度、机构、人员、建设、运维）")]


def local_inventory() -> list[Target]:
    """The default scan: this machine, plus the interview objects."""
    if not sys.platform.startswith("linux"):
        raise InputError(f"a local scan needs Linux; this is {sys.platform}. Scan Linux hosts over SSH with "
                         "`assess scan -i inventory.yaml`")
    host = socket.gethostname() or "localhost"
    local = Target(id="local", type="linux", name=host, address="localhost", connection={"transport": "local"})
    return [local, *interview_objects()]


def load(path: Path) -> list[Target]:
    """Read an inventory file (`objects:` list); every problem is reported as file:line."""
    data = load_file(path)
    problems = Problems()
    f = str(path)
    if not check_mapping(data, {"objects": Field(list), "interview_objects": Field(bool, required=False)},
                         "inventory", problems, f):
        raise LintErrors(list(problems))
    targets: list[Target] = []
    seen: dict[str, int] = {}
    for node in data["objects"]:
        if not check_mapping(node, _OBJECT_SPEC, "object", problems, f):
            continue
        oid = node["id"]
        try:
            safe_name(oid)
        except InputError as exc:
            problems.at(node, "id", exc.message, f)
            continue
        if oid in seen or oid == "system":
            problems.at(node, "id", f"duplicate object id '{oid}'" + (f" (first at line {seen[oid]})"
                                                                     if oid in seen else " (reserved)"), f)
            continue
        seen[oid] = node.line
        engine = node.get("engine")
        if engine and engine not in model.ENGINES.get(node["type"], ()):
            problems.at(node, "engine", f"unknown engine '{engine}' for {node['type']}", f)
        connection = {"transport": node["transport"]} if "transport" in node else {}
        targets.append(Target(id=oid, type=node["type"], name=node.get("name", ""),
                              address=node.get("address", ""), engine=engine,
                              tags=[str(t) for t in plain(node.get("tags") or [])], connection=connection))
    if problems:
        raise LintErrors(list(problems))
    if data.get("interview_objects", True):
        present = {t.id for t in targets}
        targets += [t for t in interview_objects() if t.id not in present and
                    not any(x.type == t.type for x in targets)]
    return targets
