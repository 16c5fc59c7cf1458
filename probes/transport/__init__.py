"""Transports run the batched collector on a target and return its raw output."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


class CollectionError(Exception):
    """The collector could not run on the target (unreachable, auth, timeout, no shell)."""


@dataclass
class ScriptOutput:
    stdout: str
    stderr: str
    rc: int
    info: dict[str, Any] = field(default_factory=dict)


class Transport(Protocol):
    def run_script(self, script: str, timeout: float) -> ScriptOutput: ...
