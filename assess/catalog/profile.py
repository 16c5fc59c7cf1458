"""Profiles: scope and parameter values for a scan (e.g. `level3`, `ride-hailing`).

A profile names the parameters it changes (thresholds differ between evaluators), items it
tailors out (each with a reason, reported as 不适用), and how the conclusion is computed. A profile
may `extends:` another one; values are merged, the child winning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assess.catalog.load import Catalog
from assess.catalog.schema import Field, Problems, check_mapping
from assess.errors import InputError, LintErrors
from assess.yamlio import load_file, plain

_SPEC = {
    "id": Field(str), "title": Field(str), "title_en": Field(str, required=False),
    "level": Field(int, choices=(3,)), "extends": Field(str, required=False),
    "description": Field(str, required=False),
    "parameters": Field(dict, required=False), "tailoring": Field(dict, required=False),
    "conclusion": Field(dict, required=False), "context": Field(dict, required=False),
    "extensions": Field(list, choices=("cloud",), required=False), "cloud": Field(dict, required=False),
}
#: The tenant's cloud context (extension `cloud`). `applicability` picks the reading of the catalog items'
#: `applicability`; `selected` lists the conditional items (选择性适用) the tenant's use makes applicable.
_CLOUD_SPEC = {
    "provider": Field(str, required=False), "platform_level": Field(int, choices=(1, 2, 3, 4), required=False),
    "platform_certificate": Field(str, required=False),
    "applicability": Field(str, choices=("ga_t_2347_2025", "zds_2025"), required=False),
    "selected": Field(list, required=False),
}
CLOUD_DEFAULTS = {"applicability": "ga_t_2347_2025", "selected": []}
_NOT_TENANT = {
    "ga_t_2347_2025": "此项主要针对云服务商/云计算平台，云租户不涉及（GA/T 2347-2025 测评实践：该项指标测评对象不涉及云租户）",
    "zds_2025": "此项主要针对云服务商/云计算平台，云租户不涉及（ZDS 2025 适用性参考：租户侧不适用）",
}
_NOT_SELECTED = "选择性适用：仅当租户有相应使用（自建镜像、自管密钥、自带安全产品等）时适用，profile 的 cloud.selected 未列出"
_CONCLUSION_SPEC = {
    "template": Field(str, choices=("2025", "2021"), required=False),
    "partial_credit": Field(float, required=False),
    "manual": Field(str, choices=("exclude", "fail"), required=False),
    "error": Field(str, choices=("exclude", "fail"), required=False),
    "conform_rate": Field(float, required=False), "basic_rate": Field(float, required=False),
}
CONCLUSION_DEFAULTS = {"template": "2025", "partial_credit": 0.5, "manual": "exclude", "error": "fail",
                       "conform_rate": 0.9, "basic_rate": 0.6}


@dataclass
class Profile:
    id: str
    title: str
    path: Path
    level: int = 3
    parameters: dict[str, Any] = field(default_factory=dict)
    tailoring: dict[str, str] = field(default_factory=dict)
    conclusion: dict[str, Any] = field(default_factory=lambda: dict(CONCLUSION_DEFAULTS))
    context: dict[str, Any] = field(default_factory=dict)
    chain: list[str] = field(default_factory=list)
    extensions: list[str] = field(default_factory=list)
    cloud: dict[str, Any] = field(default_factory=dict)

    def public(self) -> dict[str, Any]:
        out = {"id": self.id, "title": self.title, "level": self.level, "parameters": self.parameters,
               "tailoring": self.tailoring, "conclusion": self.conclusion, "context": self.context,
               "extends": self.chain[1:]}
        if self.extensions:
            out.update(extensions=self.extensions, cloud=self.cloud)
        return out


def profile_dir(catalog: Catalog) -> Path:
    return catalog.root / "profiles"


def available(catalog: Catalog) -> list[str]:
    return sorted(p.stem for p in profile_dir(catalog).glob("*.yaml"))


def resolve_path(name_or_path: str, catalog: Catalog) -> Path:
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") or "/" in name_or_path:
        if not candidate.is_file():
            raise InputError("profile file not found", name_or_path)
        return candidate
    shipped = profile_dir(catalog) / f"{name_or_path}.yaml"
    if not shipped.is_file():
        known = ", ".join(available(catalog)) or "none"
        raise InputError(f"unknown profile '{name_or_path}' (shipped profiles: {known}; or give a path to a "
                         "YAML file)")
    return shipped


def load(name_or_path: str, catalog: Catalog) -> Profile:
    """Load a profile by shipped name or path, with its `extends` chain; raise on any problem."""
    problems = Problems()
    layers: list[tuple[Path, dict]] = []
    seen: set[Path] = set()
    current: str | None = name_or_path
    while current:
        path = resolve_path(current, catalog).resolve()
        if path in seen:
            raise InputError(f"profile 'extends' loops back to {path.name}", str(path))
        seen.add(path)
        data = load_file(path)
        if not check_mapping(data, _SPEC, "profile", problems, str(path)):
            raise LintErrors(list(problems))
        layers.append((path, data))
        current = data.get("extends")
    params = {name: p.default for name, p in catalog.parameters.items()}
    tailoring: dict[str, str] = {}
    conclusion = dict(CONCLUSION_DEFAULTS)
    context: dict[str, Any] = {}
    extensions: list[str] = []
    cloud: dict[str, Any] = {}
    for path, data in reversed(layers):
        f = str(path)
        for name, value in (data.get("parameters") or {}).items():
            if name not in catalog.parameters:
                problems.at(data["parameters"], name, f"unknown parameter '{name}' (see `assess controls params`)", f)
            elif not _same_kind(value, catalog.parameters[name].default):
                problems.at(data["parameters"], name, f"parameter '{name}' must be like its default "
                                                      f"{catalog.parameters[name].default!r}", f)
            else:
                params[name] = plain(value)
        for item_id, reason in (data.get("tailoring") or {}).items():
            if item_id not in catalog.items and not any(item_id in e for e in catalog.extension_items.values()):
                problems.at(data["tailoring"], item_id, f"tailoring names unknown item '{item_id}'", f)
            elif not isinstance(reason, str) or not reason.strip():
                problems.at(data["tailoring"], item_id, "tailoring needs a reason (why the item does not apply)", f)
            else:
                tailoring[item_id] = reason.strip()
        if "conclusion" in data and check_mapping(data["conclusion"], _CONCLUSION_SPEC, "conclusion", problems, f):
            conclusion.update({k: plain(v) for k, v in data["conclusion"].items()})
        context.update(plain(data.get("context") or {}))
        if "extensions" in data:
            extensions = list(plain(data["extensions"]))
        if "cloud" in data and check_mapping(data["cloud"], _CLOUD_SPEC, "cloud", problems, f):
            cloud.update(plain(data["cloud"]))
            for item_id in cloud.get("selected") or []:
                if item_id not in catalog.extension_items.get("cloud", {}):
                    problems.at(data["cloud"], "selected", f"cloud.selected names unknown cloud item '{item_id}'", f)
    if cloud and "cloud" not in extensions:
        problems.add(str(layers[0][0]), 1, "a 'cloud' context needs 'extensions: [cloud]'")
    if problems:
        raise LintErrors(list(problems))
    catalog.enable(extensions)
    if "cloud" in extensions:
        cloud = {**CLOUD_DEFAULTS, **cloud}
        tailoring = {**_cloud_tailoring(catalog, cloud), **tailoring}
        context.update({f"cloud_{k}": v for k, v in cloud.items() if k in ("provider", "platform_level",
                                                                              "platform_certificate")})
    top_path, top = layers[0]
    return Profile(id=top["id"], title=top["title"], path=top_path, level=top["level"], parameters=params,
                   tailoring=tailoring, conclusion=conclusion, context=context,
                   chain=[d["id"] for _p, d in layers], extensions=extensions, cloud=cloud)


def _cloud_tailoring(catalog: Catalog, cloud: dict[str, Any]) -> dict[str, str]:
    """不适用 with its reason for the cloud items a tenant is not assessed on under the chosen reading."""
    reading = cloud["applicability"]
    out = {}
    for item in catalog.extension_items.get("cloud", {}).values():
        side = item.applicability.get(reading, "platform")
        if side == "platform":
            others = [r for r, v in item.applicability.items() if r != reading and v == "tenant"]
            out[item.id] = _NOT_TENANT[reading] + "".join(
                f"；另一读法 {r} 认为租户侧适用（cloud.applicability: {r} 时判定此项）" for r in others)
        elif side == "conditional" and item.id not in cloud["selected"]:
            out[item.id] = _NOT_SELECTED
    return out


def _same_kind(value: Any, default: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(default, bool)
    if isinstance(default, (int, float)):
        return isinstance(value, (int, float))
    return isinstance(value, type(default))
