"""Planning: which facts each object needs, from the checks that will run on it."""

from __future__ import annotations

from assess.catalog.load import Catalog
from assess.catalog.profile import Profile
from assess.model import Target
from assess.probes.facts import Fact, facts_for

#: Facts gathered on every Linux object: they identify the host in the evidence.
ALWAYS = {"linux": ("os_release", "collector"), "network-device": ("net_parse",),
          "security-device": ("net_parse",), "cloud-account": ("cloud_networks", "cloud_data_regions")}


def facts_needed(catalog: Catalog, profile: Profile, target: Target) -> list[Fact]:
    """Facts of the checks that can run on `target`, in registry order (stable scripts, stable diffs)."""
    names: set[str] = set(ALWAYS.get(target.type, ()))
    for item in catalog.items.values():
        if target.type not in item.objects or item.id in profile.tailoring:
            continue
        if item.convention_for(target.type, target.engine) is not None:
            continue
        for check in catalog.checks_for(item.id, target.type):
            if not check.engines or target.engine in check.engines:
                names.update(check.facts)
    available = facts_for(target.type)
    return [f for name, f in available.items() if name in names]
