"""What every dialect parser shares: recognition of the dialect, the vocabulary of statements it knows
without reading them for a fact, and the ACL rule grammar of VRP and Comware."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assess.probes.network.model import Config, Rule
from assess.probes.network.tree import Node, Tree


@dataclass(frozen=True)
class Dialect:
    """A vendor configuration language: its comment character, the statements that identify it (each a
    regular expression on one line) and the first words of statements it understands without using them."""

    vendor: str
    label: str
    comment: str
    signature: tuple[str, ...]
    vocabulary: tuple[str, ...]

    def known(self, node: Node) -> bool:
        first = node.words[0].lower() if node.words else ""
        return first in self.vocabulary or (first in ("undo", "no") and len(node.words) > 1
                                            and node.words[1].lower() in self.vocabulary)


def scores(dialects: list[Dialect], lines: list[str]) -> dict[str, int]:
    """How many of each dialect's identifying statements occur (each counted once), in one pass. A signature
    is a regular expression matched at the start of a line after its indentation, beginning with a literal
    word."""
    index: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
    for d in dialects:
        for sig in d.signature:
            index.setdefault(_first_word(sig), []).append((d.vendor, re.compile(sig)))
    found: set[tuple[str, str]] = set()
    for line in lines:
        body = line.lstrip()
        for vendor, pattern in index.get(body.split(" ", 1)[0], ()):
            if (vendor, pattern.pattern) not in found and pattern.match(body):
                found.add((vendor, pattern.pattern))
    return {d.vendor: sum(1 for v, _p in found if v == d.vendor) for d in dialects}


def _first_word(signature: str) -> str:
    m = re.match(r"[^\s\\([$]+", signature)
    return m.group(0) if m else ""


def mark_known(tree: Tree, dialect: Dialect, cfg: Config) -> None:
    """Statements of the dialect's vocabulary count as understood (not read for any fact)."""
    for node in tree.walk():
        if node.where not in cfg.understood and dialect.known(node):
            cfg.ok(node, relevant=False)


def vrp_rule(node: Node, policy: str) -> Rule | None:
    """`rule [id] permit|deny [protocol] [source A W|any] [destination A W|any] [destination-port …] [logging]`
    (VRP and Comware ACLs); a missing source or destination means any."""
    w = [x.lower() for x in node.words]
    i = 1
    if i < len(w) and w[i].isdigit():
        i += 1
    if i >= len(w) or w[i] not in ("permit", "deny"):
        return None
    action = w[i]
    rest = w[i + 1:]
    proto = rest[0] if rest and rest[0] not in ("source", "destination", "logging", "counting", "vpn-instance",
                                                "time-range", "fragment") else "ip"
    src_any = _any_after(rest, "source")
    dst_any = _any_after(rest, "destination")
    ports = any(k in rest for k in ("destination-port", "source-port", "icmp-type"))
    service_any = proto in ("ip", "any", "ipv6") and not ports
    return Rule(policy, action, src_any, dst_any, service_any, "logging" in rest, node.where, node.text)


def _any_after(words: list[str], key: str) -> bool:
    if key not in words:
        return True
    i = words.index(key)
    return i + 1 < len(words) and words[i + 1] == "any"


def minutes(words: list[str]) -> float | None:
    """`idle-timeout 5 0` / `exec-timeout 5 30` → minutes (seconds as a fraction)."""
    nums = [x for x in words if x.isdigit()]
    if not nums:
        return None
    return int(nums[0]) + (int(nums[1]) / 60 if len(nums) > 1 else 0)
