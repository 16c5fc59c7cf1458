"""Load and validate the declarative controls: catalog items, checks and profile parameters.

`load(root)` returns a Catalog or raises LintErrors listing every problem as `file:line: message`.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assess import model
from assess.catalog import factshapes, highrisk
from assess.catalog.highrisk import HighRiskRule
from assess.catalog.rules import Group, Leaf, parse_rule
from assess.catalog.schema import Field, Problems, check_mapping
from assess.errors import InputError, LintErrors
from assess.model import Check, Convention, Item, Remediation
from assess.yamlio import Node, load_file, plain

CATALOG_ID = "gbt22239-2019-level3-general"
_ID = re.compile(r"^L3-[A-Z]{3}[1-5]-\d{2}$")
_CHECK_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


def default_root() -> Path:
    """The controls shipped with assess (installed, or next to the source tree)."""
    import assess

    here = Path(assess.__file__).resolve().parent
    for candidate in (here / "controls", here.parent / "controls"):
        if (candidate / "catalog").is_dir():
            return candidate
    raise InputError("the shipped controls directory is missing; reinstall assess", str(here))


@dataclass
class ClassInfo:
    code: str
    name: str
    name_en: str
    clause: str
    category: str
    extension: str


@dataclass
class Parameter:
    name: str
    default: Any
    description: str
    file: str = ""
    line: int = 0


@dataclass
class Catalog:
    root: Path
    items: dict[str, Item]
    checks: dict[str, Check]
    classes: dict[str, ClassInfo]
    parameters: dict[str, Parameter]
    sha256: str
    id: str = CATALOG_ID
    by_item: dict[tuple[str, str], list[Check]] = field(default_factory=dict)
    highrisk: list[HighRiskRule] = field(default_factory=list)
    #: items of the extensions (云计算 …), by extension; in `items` only once a profile enables them
    extension_items: dict[str, dict[str, Item]] = field(default_factory=dict)
    general: dict[str, Item] = field(default_factory=dict)

    def enable(self, extensions: list[str]) -> None:
        """Make `items` the general items plus exactly these extensions' items (a profile's `extensions`)."""
        if not self.general:
            self.general = dict(self.items)
        items = dict(self.general)
        for ext in extensions:
            items.update(self.extension_items.get(ext, {}))
        self.items = items

    def checks_for(self, item_id: str, object_type: str) -> list[Check]:
        return self.by_item.get((item_id, object_type), [])

    def checks_decide(self, item_id: str, object_type: str) -> bool:
        """Whether the checks alone can decide the item on this object type: the item is `automated` and no
        check decides only part of it, proves only presence, or rests on a fact gathered on request."""
        from assess.probes.facts import facts_for

        checks = self.by_item.get((item_id, object_type), [])
        if not checks or self.items[item_id].automation != "automated":
            return False
        facts = facts_for(object_type)
        return not any(c.partial or c.absent_is_unproven or any(facts[f].optional for f in c.facts if f in facts)
                       for c in checks)

    def object_types_with_checks(self, item_id: str) -> list[str]:
        return sorted({t for (i, t) in self.by_item if i == item_id})


_CLASS_SPEC = {
    "code": Field(str), "name": Field(str), "name_en": Field(str), "clause": Field(str),
    "category": Field(str, choices=("technical", "management")),
    "extension": Field(str, choices=("general", "cloud", "mobile", "iot", "ics")),
    "note": Field(str, required=False),
}
_CP_SPEC = {"clause": Field(str), "name": Field(str), "name_en": Field(str), "items": Field(list)}
_ITEM_SPEC = {
    "id": Field(str, check=lambda v: None if _ID.match(v) else "must look like L3-CES1-01"),
    "letter": Field(str, required=False,
                    check=lambda v: None if re.fullmatch(r"[a-z]", v) else "must be one letter a-z"),
    "requirement": Field(str), "summary": Field(str),
    "weight": Field(float, check=lambda v: None if v in model.WEIGHTS else "must be 1.0, 0.7 or 0.4"),
    "methods": Field(list, choices=tuple(model.METHODS)),
    "automation": Field(str, choices=model.AUTOMATION),
    "objects": Field(list, choices=model.OBJECT_TYPES),
    "conventions": Field(dict, required=False),
    "interview": Field(dict),
    "note": Field(str, required=False),
    "applicability": Field(dict, required=False),
}
APPLICABILITY = ("tenant", "platform", "conditional")
_INTERVIEW_SPEC = {"questions": Field(list), "documents": Field(list)}
_CONVENTION_SPEC = {"verdict": Field(str, choices=("pass", "na")), "reason": Field(str)}
_CHECKS_FILE_SPEC = {"object_type": Field((str, list), choices=model.OBJECT_TYPES), "checks": Field(list),
                     "note": Field(str, required=False)}
_CHECK_SPEC = {
    "id": Field(str, check=lambda v: None if _CHECK_ID.match(v) else "must be lower-case words joined by . _ -"),
    "items": Field(list), "title": Field(str), "title_en": Field(str),
    "fact": Field(str, required=False), "rule": Field(dict),
    "applies_when": Field(dict, required=False), "na_reason": Field(str, required=False),
    "engines": Field(list, required=False), "references": Field(list, required=False),
    "partial": Field(bool, required=False), "absent_is_unproven": Field(bool, required=False),
    "remediation": Field(dict),
}
_REMEDIATION_SPEC = {"text": Field(str), "text_en": Field(str, required=False), "command": Field(str, required=False),
                     "disruption": Field(str, choices=model.DISRUPTION, required=False)}
_PARAMS_FILE_SPEC = {"parameters": Field(dict)}
_PARAM_SPEC = {"default": Field((str, int, float, bool, list)), "description": Field(str)}


def _files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def _load(path: Path, problems: Problems) -> Any:
    try:
        return load_file(path)
    except InputError as exc:
        problems.append(str(exc) if exc.line else f"{path}:1: {exc.message}")
        return None


def _digest(root: Path, paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        name = p.relative_to(root) if p.is_relative_to(root) else Path("extra") / p.name
        h.update(str(name).encode() + b"\0")
        h.update(p.read_bytes() + b"\0")
    return h.hexdigest()


def load(root: Path | None = None, extra: list[Path] | None = None) -> Catalog:
    """Load the controls under `root` (default: the shipped ones); raise LintErrors on any problem.

    Loading for a scan skips the coverage rule of `lint` (an automated item without checks is evaluated
    as 待核查, which is safe); `assess controls lint` enforces it.
    """
    catalog, problems = load_with_problems(root, extra, strict=False)
    if problems:
        raise LintErrors(list(problems))
    assert catalog is not None
    return catalog


def load_with_problems(root: Path | None = None, extra: list[Path] | None = None, strict: bool = True
                       ) -> tuple[Catalog | None, Problems]:
    root = Path(root) if root else default_root()
    problems = Problems()
    if not root.is_dir():
        problems.add(str(root), 1, "controls directory not found")
        return None, problems
    catalog_files = _files(root / "catalog")
    check_files = _files(root / "checks")
    param_files = _files(root / "parameters")
    highrisk_files = _files(root / "highrisk")
    for path in extra or []:
        kind = _kind_of(path)
        {"catalog": catalog_files, "checks": check_files, "parameters": param_files,
         "highrisk": highrisk_files}.get(kind, check_files).append(path)
    if not catalog_files:
        problems.add(str(root / "catalog"), 1, "no catalog files (*.yaml) found")
    items: dict[str, Item] = {}
    classes: dict[str, ClassInfo] = {}
    declared: set[str] = set()  # ids of items that are present but invalid (no cascade of "unknown item")
    informs: list[tuple[Any, str, list[str], str]] = []
    for path in catalog_files:
        _load_catalog_file(path, _load(path, problems), items, classes, declared, problems, informs)
    _apply_informs(informs, items, problems)
    parameters: dict[str, Parameter] = {}
    for path in param_files:
        _load_parameters(path, _load(path, problems), parameters, problems)
    shapes = _shapes(problems, strict)
    checks: dict[str, Check] = {}
    for path in check_files:
        _load_checks_file(path, _load(path, problems), items, declared, parameters, shapes, checks, problems)
    by_item: dict[tuple[str, str], list[Check]] = {}
    for check in checks.values():
        for item_id in check.items:
            for otype in (check.object_type, *check.also_types):
                by_item.setdefault((item_id, otype), []).append(check)
    fed = {i for (i, _t) in by_item}
    for item in items.values() if strict else ():
        if item.automation != "manual" and item.id not in fed:
            problems.add(item.file, item.line, f"item {item.id} is '{item.automation}' but no check feeds it")
    rules = highrisk.load_files(highrisk_files, items, checks, problems, _load)
    digest = "" if problems else _digest(root, catalog_files + check_files + param_files + highrisk_files)
    general = {k: v for k, v in items.items() if v.extension == "general"}
    extensions: dict[str, dict[str, Item]] = {}
    for item in items.values():
        if item.extension != "general":
            extensions.setdefault(item.extension, {})[item.id] = item
    catalog = Catalog(root, general, checks, classes, parameters, digest, by_item=by_item, highrisk=rules,
                      extension_items=extensions)
    return catalog, problems


_SHAPES_CACHE: dict[str, Any] = {}


def _shapes(problems: Problems, strict: bool) -> dict[str, dict[str, factshapes.Shape]]:
    """The declared value shape of every fact: shipped with the probes, so read from the shipped controls
    whatever tree is loaded. `lint` also requires every fact to declare one and no shape without a fact."""
    from assess.probes.facts import all_facts

    directory = default_root() / "facts"
    files = sorted(directory.glob("*.yaml")) if directory.is_dir() else []
    key = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in files)
    if _SHAPES_CACHE.get("key") != key:
        found = Problems()
        _SHAPES_CACHE.update(key=key, shapes=factshapes.load(directory, found, _load), problems=list(found))
    shapes: dict[str, dict[str, factshapes.Shape]] = _SHAPES_CACHE["shapes"]
    problems.extend(_SHAPES_CACHE["problems"])
    if strict:
        registry = all_facts()
        for otype, facts in sorted(registry.items()):
            for name in sorted(set(facts) - set(shapes.get(otype, {}))):
                problems.add(str(directory / f"{otype}.yaml"), 1, f"fact '{name}' ({otype}) declares no value shape")
        for otype, declared in sorted(shapes.items()):
            for name in sorted(set(declared) - set(registry.get(otype, {}))):
                problems.add(str(directory / f"{otype}.yaml"), 1,
                             f"a value shape is declared for '{name}', which is no {otype} fact")
    return shapes


def _apply_informs(informs: list[tuple[Any, str, list[str], str]], items: dict[str, Item],
                   problems: Problems) -> None:
    """`informs:` of an extension file: general items that objects of the extension's types also evidence
    (e.g. security groups for 8.1.3.2), added to those items' object types."""
    for node, item_id, types, f in informs:
        if item_id not in items or items[item_id].extension != "general":
            problems.at(node, item_id, f"'informs' names unknown general item '{item_id}'", f)
            continue
        for otype in types:
            if otype not in model.OBJECT_TYPES:
                problems.at(node, item_id, f"'informs' names unknown object type '{otype}'", f)
            elif otype not in items[item_id].objects:
                items[item_id].objects.append(otype)


def _kind_of(path: Path) -> str:
    try:
        data = load_file(path)
    except InputError:
        return "checks"
    if isinstance(data, dict):
        if "control_points" in data:
            return "catalog"
        if "rules" in data and "checks" not in data:
            return "highrisk"
        if "parameters" in data and "checks" not in data:
            return "parameters"
    return "checks"


def _load_catalog_file(path: Path, data: Any, items: dict[str, Item], classes: dict[str, ClassInfo],
                       declared: set[str], problems: Problems,
                       informs: list[tuple[Any, str, list[str], str]]) -> None:
    if data is None:
        return
    f = str(path)
    if not check_mapping(data, {"class": Field(dict), "control_points": Field(list),
                                "informs": Field(dict, required=False)}, "catalog file", problems, f):
        return
    cls = data.get("class")
    if not isinstance(cls, dict) or not check_mapping(cls, _CLASS_SPEC, "class", problems, f):
        return
    info = ClassInfo(cls["code"], cls["name"], cls["name_en"], cls["clause"], cls["category"], cls["extension"])
    key = info.code if info.extension == "general" else f"{info.code}:{info.extension}"
    if key in classes:
        problems.at(cls, "code", f"class {info.code} is defined twice", f)
    classes[key] = info
    if "informs" in data and info.extension == "general":
        problems.at(data, "informs", "'informs' belongs in an extension's catalog file", f)
    for item_id, types in (data.get("informs") or {}).items():
        informs.append((data["informs"], item_id, list(types) if isinstance(types, list) else [types], f))
    ext_digit = {"general": "1", "cloud": "2", "mobile": "3", "iot": "4", "ics": "5"}[info.extension]
    for cp in data.get("control_points") or []:
        if not check_mapping(cp, _CP_SPEC, "control point", problems, f):
            continue
        if not str(cp["clause"]).startswith(info.clause + "."):
            problems.at(cp, "clause", f"control point clause {cp['clause']} is not under {info.clause}", f)
        _check_letters(cp, problems, f)
        for node in cp.get("items") or []:
            item = _item(node, info, cp, ext_digit, problems, f)
            if item is None:
                if isinstance(node, dict) and isinstance(node.get("id"), str):
                    declared.add(node["id"])
                continue
            if item.id in items:
                problems.at(node, "id", f"duplicate item id {item.id} (first at {items[item.id].file}:"
                                        f"{items[item.id].line})", f)
                continue
            items[item.id] = item


def _check_letters(cp: Node, problems: Problems, f: str) -> None:
    """The standard letters the items of a control point a), b), c)…; a control point with one requirement
    has no letter (8.1.4.5, not 8.1.4.5 a)."""
    nodes = [n for n in cp.get("items") or [] if isinstance(n, dict)]
    if len(nodes) == 1:
        if "letter" in nodes[0]:
            problems.at(nodes[0], "letter", f"control point {cp['clause']} has a single requirement, which the "
                                            "standard does not letter: remove 'letter'", f)
        return
    for n, node in enumerate(nodes):
        want = chr(ord("a") + n)
        if node.get("letter") != want:
            problems.at(node, "letter" if "letter" in node else None,
                        f"item {n + 1} of control point {cp['clause']} needs letter '{want}'", f)


def _item(node: Any, info: ClassInfo, cp: Node, ext_digit: str, problems: Problems, f: str) -> Item | None:
    before = len(problems)
    if not check_mapping(node, _ITEM_SPEC, "item", problems, f):
        return None
    prefix = f"L3-{info.code}{ext_digit}-"
    if isinstance(node.get("id"), str) and not node["id"].startswith(prefix):
        problems.at(node, "id", f"item id {node['id']} does not belong to class {info.code} ({prefix}nn)", f)
    conventions: dict[str, Convention] = {}
    for key, conv in (node.get("conventions") or {}).items():
        otype, _, engine = str(key).partition(":")
        if otype not in model.OBJECT_TYPES:
            problems.at(node["conventions"], key, f"convention for unknown object type '{otype}'", f)
            continue
        if engine and engine not in model.ENGINES.get(otype, ()):
            problems.at(node["conventions"], key, f"unknown engine '{engine}' for {otype}", f)
            continue
        if check_mapping(conv, _CONVENTION_SPEC, f"convention {key}", problems, f):
            conventions[key] = Convention(conv["verdict"], conv["reason"])
    for reading, side in (node.get("applicability") or {}).items():
        if side not in APPLICABILITY:
            problems.at(node["applicability"], reading, f"applicability must be one of {', '.join(APPLICABILITY)}", f)
    if info.extension != "general" and not node.get("applicability"):
        problems.at(node, None, "an extension item needs 'applicability' (tenant / platform / conditional)", f)
    interview = node.get("interview")
    if isinstance(interview, dict) and check_mapping(interview, _INTERVIEW_SPEC, "interview", problems, f):
        for key in ("questions", "documents"):
            if not interview[key]:
                problems.at(interview, key, f"interview '{key}' must not be empty", f)
    if len(problems) > before:
        return None
    return Item(
        id=node["id"], clause=f"{cp['clause']} {node['letter']}" if "letter" in node else str(cp["clause"]),
        letter=node.get("letter", ""),
        class_code=info.code, class_name=info.name, class_name_en=info.name_en, category=info.category,
        extension=info.extension, cp_clause=str(cp["clause"]), control_point=cp["name"],
        control_point_en=cp["name_en"], requirement=node["requirement"].strip(), summary=node["summary"].strip(),
        weight=float(node["weight"]), methods=list(node["methods"]), automation=node["automation"],
        objects=list(node["objects"]), conventions=conventions,
        questions=[str(q) for q in interview["questions"]], documents=[str(d) for d in interview["documents"]],
        note=node.get("note", ""), file=f, line=node.line, applicability=dict(plain(node.get("applicability") or {})),
    )


def _load_parameters(path: Path, data: Any, parameters: dict[str, Parameter], problems: Problems) -> None:
    if data is None:
        return
    f = str(path)
    if not check_mapping(data, _PARAMS_FILE_SPEC, "parameters file", problems, f):
        return
    for name, spec in data["parameters"].items():
        if not check_mapping(spec, _PARAM_SPEC, f"parameter {name}", problems, f):
            continue
        if name in parameters:
            problems.at(data["parameters"], name, f"parameter '{name}' is defined twice", f)
            continue
        parameters[name] = Parameter(name, plain(spec["default"]), spec["description"], f,
                                     data["parameters"].line_of(name))


def _load_checks_file(path: Path, data: Any, items: dict[str, Item], declared: set[str],
                      parameters: dict[str, Parameter], shapes: dict[str, dict[str, factshapes.Shape]],
                      checks: dict[str, Check], problems: Problems) -> None:
    from assess.probes.facts import facts_for

    if data is None:
        return
    f = str(path)
    if not check_mapping(data, _CHECKS_FILE_SPEC, "checks file", problems, f):
        return
    # one type, or several that share the checks (network-device and security-device)
    otypes = [data["object_type"]] if isinstance(data["object_type"], str) else [str(t) for t in data["object_type"]]
    otype = otypes[0]
    known_facts = {name: f for t in otypes for name, f in facts_for(t).items()
                   if all(name in facts_for(o) for o in otypes)}
    for node in data.get("checks") or []:
        before = len(problems)
        if not check_mapping(node, _CHECK_SPEC, "check", problems, f) or len(problems) > before:
            continue
        default_fact = node.get("fact")
        rule = parse_rule(node["rule"], problems, default_fact, f)
        applies = parse_rule(node["applies_when"], problems, default_fact, f) if "applies_when" in node else None
        if applies is not None and not node.get("na_reason"):
            problems.at(node, "applies_when", "'applies_when' needs an 'na_reason'", f)
        remediation = node["remediation"]
        if not check_mapping(remediation, _REMEDIATION_SPEC, "remediation", problems, f) or "text" not in remediation:
            continue
        for item_id in node["items"]:
            if item_id in declared:
                continue
            if item_id not in items:
                problems.at(node, "items", f"check {node['id']} feeds unknown item '{item_id}'", f)
            elif any(t not in items[item_id].objects for t in otypes):
                wrong = next(t for t in otypes if t not in items[item_id].objects)
                problems.at(node, "items", f"item {item_id} does not apply to object type {wrong} "
                                           f"(its objects: {', '.join(items[item_id].objects)})", f)
        for engine in node.get("engines") or []:
            if any(engine not in model.ENGINES.get(t, ()) for t in otypes):
                problems.at(node, "engines", f"unknown engine '{engine}' for {otype}", f)
        for r in (rule, applies):
            for leaf in _leaves(r):
                if leaf.fact not in known_facts:
                    problems.at(node, "rule", f"check {node['id']} names unknown fact '{leaf.fact}' "
                                              f"for {otype}", f)
                elif leaf.fact in shapes.get(otype, {}):
                    why = factshapes.check_path(shapes[otype][leaf.fact], leaf.path)
                    if why:
                        problems.at(node, "rule" if r is rule else "applies_when",
                                    f"check {node['id']}: no {otype} fact produces {leaf.label}: {why}", f)
                if leaf.param and leaf.param not in parameters:
                    problems.at(node, "rule", f"check {node['id']} names unknown parameter '{leaf.param}'", f)
        if node["id"] in checks:
            first = checks[node["id"]]
            problems.at(node, "id", f"duplicate check id {node['id']} (first at {first.file}:{first.line})", f)
            continue
        if len(problems) > before or rule is None:
            continue
        checks[node["id"]] = Check(
            id=node["id"], object_type=otype, items=list(node["items"]), title=node["title"],
            title_en=node["title_en"], rule=rule, applies_when=applies, na_reason=node.get("na_reason", ""),
            engines=list(node.get("engines") or []), references=[str(r) for r in node.get("references") or []],
            partial=bool(node.get("partial", False)),
            absent_is_unproven=bool(node.get("absent_is_unproven", False)), also_types=otypes[1:],
            remediation=Remediation(remediation["text"].strip(), remediation.get("command", "").strip(),
                                    remediation.get("disruption", "none"), remediation.get("text_en", "").strip()),
            file=f, line=node.line,
        )


def _leaves(rule: Any) -> list[Leaf]:
    if rule is None:
        return []
    if isinstance(rule, Group):
        return list(rule.leaves())
    return [rule]



def stats(catalog: Catalog) -> dict[str, Any]:
    """Counts for `controls list` and tests: items per class and weight."""
    return {"items": len(catalog.items), "checks": len(catalog.checks),
            "by_class": dict(Counter(i.class_code for i in catalog.items.values())),
            "by_weight": dict(Counter(i.weight for i in catalog.items.values()))}
