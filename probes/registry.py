"""The loaded fact registry: importing this module imports every probe package, whose modules register
their facts (`assess.probes.facts.fact` / `declare`) and engine setup blocks (`assess.probes.service`).

Kept apart from `facts.py` so the probe modules can import `facts.py` to register without an import cycle."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import assess.probes.cloud  # noqa: F401  (declares the cloud-account facts)
import assess.probes.database  # noqa: F401  (registers the database facts and setup blocks)
import assess.probes.http  # noqa: F401  (declares the webapp facts)
import assess.probes.linux  # noqa: F401  (registers the Linux facts)
import assess.probes.middleware  # noqa: F401  (registers the middleware facts and setup blocks)
import assess.probes.mobile  # noqa: F401  (declares the mobile-app facts)
import assess.probes.network  # noqa: F401  (declares the network/security device facts)
from assess.probes import service
from assess.probes.facts import REGISTRY, Fact


def facts_for(object_type: str) -> dict[str, Fact]:
    """All registered facts of an object type."""
    return REGISTRY.get(object_type, {})


def all_facts() -> dict[str, dict[str, Fact]]:
    """Every registered fact, by object type."""
    return REGISTRY


def setup(object_type: str, engine: str | None, settings: Mapping[str, Any],
          environ: Mapping[str, str] | None = None) -> str:
    """The setup block for one object: its settings as variables, its password exported, the engine's helpers.

    Empty for objects that are not databases or middleware."""
    if object_type not in ("database", "middleware") or not engine:
        return ""
    environ = os.environ if environ is None else environ
    q = service.quote
    lines = [f"A_ENGINE={q(engine)}"]
    lines += [f"{var}={q(settings.get(key))}" for key, var in service.VARIABLES.items()]
    name = settings.get("password_env")
    secret = service.PASSWORD_VARIABLES.get(engine)
    if name and secret and name in environ:
        lines.append(f"{secret}={q(environ[name])}; export {secret}")
    if settings.get("passfile") and engine == "postgresql":
        lines.append('PGPASSFILE="$A_PASSFILE"; export PGPASSFILE')
    builder = service.setup_builder(engine)
    if builder is not None:
        lines.append(builder(settings).strip("\n"))
    return "\n".join(lines) + "\n"
