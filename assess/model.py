"""The data model: catalog items, checks, objects, facts and results (design.md, "Result model")."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

OBJECT_TYPES = (
    "linux", "database", "middleware", "webapp",
    "network-device", "security-device", "site", "organization",
    "cloud-account",
)
#: Engines (sub-types) an object type may name, used as `type:engine` keys in conventions.
ENGINES = {
    "database": ("mysql", "mariadb", "postgresql", "redis"),
    "middleware": ("nginx", "tomcat"),
}
#: The pseudo object that carries items no inventory object applies to.
UNCOVERED_TYPE = "system"

VERDICTS = ("pass", "partial", "fail", "na", "manual", "error")
VERDICT_ZH = {"pass": "符合", "partial": "部分符合", "fail": "不符合", "na": "不适用",
              "manual": "待核查", "error": "无法判定"}
#: `manual`: the check was not run by the operator's choice (a skipped fact: e.g. a state-changing HTTP test
#: without --active); its items stay 待核查 instead of passing or failing.
CHECK_STATUSES = ("pass", "fail", "na", "error", "manual")
METHODS = {"访谈": "INTERVIEW", "核查": "EXAMINE", "测试": "TEST"}
WEIGHTS = (1.0, 0.7, 0.4)
AUTOMATION = ("automated", "partial", "manual")
DISRUPTION = ("none", "reload", "restart", "reboot", "lockout-risk")


@dataclass(frozen=True)
class Convention:
    """A default verdict for an item on an object type (ZDS 默认符合 / 默认不适用)."""

    verdict: str
    reason: str


@dataclass
class Item:
    """One level-3 测评项."""

    id: str
    clause: str  # 8.1.4.1 a; a control point with one requirement has no letter: 8.1.4.5
    letter: str  # '' for a single requirement
    class_code: str
    class_name: str
    class_name_en: str
    category: str
    extension: str
    cp_clause: str
    control_point: str
    control_point_en: str
    requirement: str
    summary: str
    weight: float
    methods: list[str]
    automation: str
    objects: list[str]
    conventions: dict[str, Convention] = field(default_factory=dict)
    questions: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    note: str = ""
    file: str = ""
    line: int = 0
    #: extension items: who the item applies to under each reading ({reading: tenant|platform|conditional})
    applicability: dict[str, str] = field(default_factory=dict)

    def convention_for(self, object_type: str, engine: str | None) -> Convention | None:
        if engine and f"{object_type}:{engine}" in self.conventions:
            return self.conventions[f"{object_type}:{engine}"]
        return self.conventions.get(object_type)


@dataclass(frozen=True)
class Remediation:
    text: str
    command: str = ""
    disruption: str = "none"
    text_en: str = ""


@dataclass
class Check:
    """A rule over facts of one object type that feeds one or more items."""

    id: str
    object_type: str
    items: list[str]
    title: str
    title_en: str
    rule: Any  # assess.catalog.rules.Rule
    remediation: Remediation
    applies_when: Any = None  # assess.catalog.rules.Rule | None
    na_reason: str = ""
    engines: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    partial: bool = False  # decides only part of its items: a pass leaves them 待核查 (manual)
    # The rule only proves presence (a backup job, cluster software): when it fails, the measure may live
    # outside the host (backup server, hypervisor HA, load balancer), so the check is 待核查, not 不符合.
    absent_is_unproven: bool = False
    #: further object types the same check runs on (a checks file naming several `object_type`s)
    also_types: list[str] = field(default_factory=list)
    file: str = ""
    line: int = 0

    @property
    def facts(self) -> list[str]:
        names = list(self.rule.facts())
        if self.applies_when is not None:
            names += self.applies_when.facts()
        return list(dict.fromkeys(names))


@dataclass
class Target:
    """One 测评对象 from the inventory."""

    id: str
    type: str
    name: str = ""
    address: str = ""
    engine: str | None = None
    tags: list[str] = field(default_factory=list)
    connection: dict[str, Any] = field(default_factory=dict)

    def public(self) -> dict[str, Any]:
        """What results.json records about the object (no credentials)."""
        out: dict[str, Any] = {"id": self.id, "type": self.type, "name": self.name or self.id,
                               "address": self.address, "tags": list(self.tags)}
        if self.engine:
            out["engine"] = self.engine
        return out


@dataclass
class FactResult:
    """A parsed fact, or why it could not be obtained."""

    name: str
    status: str  # ok | error | skipped (not gathered by the operator's choice; checks on it become manual)
    value: Any = None
    reason: str = ""
    evidence_id: str = ""


@dataclass
class CheckResult:
    check: str
    status: str
    reason: str
    observed: dict[str, Any]
    expected: list[str]
    evidence: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"check": self.check, "status": self.status, "reason": self.reason,
                "observed": self.observed, "expected": self.expected, "evidence": self.evidence}


@dataclass
class ItemResult:
    """The verdict for one (测评项, 测评对象)."""

    item: str
    object: str
    verdict: str
    reason: str
    source: str  # checks | convention | interview | uncovered | collection
    checks: list[CheckResult] = field(default_factory=list)
    answer: dict[str, Any] | None = None  # the interview answer behind it (assess.inputs.answers)
    waived: dict[str, Any] | None = None  # an active waiver; the verdict stays as judged (assess.inputs.waivers)

    def as_dict(self) -> dict[str, Any]:
        out = {"item": self.item, "object": self.object, "verdict": self.verdict,
               "reason": self.reason, "source": self.source,
               "checks": [c.as_dict() for c in self.checks]}
        if self.answer is not None:
            out["answer"] = self.answer
        if self.waived is not None:
            out["waived"] = self.waived
        return out
