"""Evaluation: a pure function of (facts, catalog, profile) → check results and item verdicts.

No I/O here: a bundle can be re-evaluated offline, and tests evaluate fixture facts directly.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from assess.catalog.load import Catalog
from assess.catalog.profile import Profile
from assess.catalog.rules import Group, RuleError
from assess.model import UNCOVERED_TYPE, Check, CheckResult, FactResult, Item, ItemResult, Target


def run_check(check: Check, facts: dict[str, FactResult], params: dict[str, Any]) -> CheckResult:
    """One check against one object's facts: pass, fail, na (does not apply) or error (cannot tell)."""
    needed = check.facts
    evidence = [facts[n].evidence_id for n in needed if n in facts and facts[n].evidence_id]
    skipped = [n for n in needed if n in facts and facts[n].status == "skipped"]
    if skipped:
        return CheckResult(check.id, "manual", "; ".join(f"{n}: {facts[n].reason}" for n in skipped), {}, [],
                           evidence)
    broken = [n for n in needed if n not in facts or facts[n].status != "ok"]
    if broken:
        decided = _any_branch_passes(check, facts, params, broken, evidence)
        if decided is not None:
            return decided
        reasons = [f"{n}: {facts[n].reason}" if n in facts else f"{n}: not collected" for n in broken]
        return CheckResult(check.id, "error", "; ".join(reasons), {}, [], evidence)
    values = {n: facts[n].value for n in needed}
    try:
        if check.applies_when is not None:
            gate = check.applies_when.evaluate(values, params)
            if not gate.ok:
                return CheckResult(check.id, "na", check.na_reason, gate.observed, gate.expected, evidence)
        outcome = check.rule.evaluate(values, params)
    except RuleError as exc:
        return CheckResult(check.id, "error", f"rule error: {exc}", {}, [], evidence)
    if outcome.ok:
        return CheckResult(check.id, "pass", "; ".join(outcome.expected), outcome.observed, outcome.expected,
                           evidence)
    if check.absent_is_unproven:
        return CheckResult(check.id, "manual", "not seen on this host; it may be provided elsewhere, confirm by "
                           "interview: " + "; ".join(outcome.failures), outcome.observed, outcome.expected, evidence)
    return CheckResult(check.id, "fail", "; ".join(outcome.failures), outcome.observed, outcome.expected,
                       evidence)


def _any_branch_passes(check: Check, facts: dict[str, FactResult], params: dict[str, Any], broken: list[str],
                       evidence: list[str]) -> CheckResult | None:
    """An `any` rule passes when one branch whose facts were all collected passes, whatever the facts of the
    other branches (TMOUT within its limit passes 8.1.4.1 b even where sshd's configuration is unreadable).
    None when no such branch passes: the check is then in error."""
    rule = check.rule
    if check.applies_when is not None or not isinstance(rule, Group) or rule.kind != "any":
        return None
    values = {n: facts[n].value for n in check.facts if n not in broken}
    for branch in rule.children:
        if any(f in broken for f in branch.facts()):
            continue
        try:
            outcome = branch.evaluate(values, params)
        except RuleError:
            continue
        if outcome.ok:
            unread = "; ".join(f"{n}: {facts[n].reason}" if n in facts else f"{n}: not collected" for n in broken)
            return CheckResult(check.id, "pass", "; ".join(outcome.expected) + f" (not needed: {unread})",
                               outcome.observed, outcome.expected, evidence)
    return None


def aggregate(item: Item, results: list[CheckResult], partial: Iterable[str] = ()) -> tuple[str, str]:
    """Item verdict from its checks on one object (design.md result model). `partial` names checks that
    decide only part of the item: their pass leaves it 待核查. Checks not run (status manual) do too."""
    pending = [r for r in results if r.status == "manual"]
    counted = [r for r in results if r.status not in ("na", "manual")]
    if not counted and not pending:
        return "na", "; ".join(dict.fromkeys(r.reason for r in results)) or "no check applies"
    passed = [r for r in counted if r.status == "pass"]
    failed = [r for r in counted if r.status == "fail"]
    errors = [r for r in counted if r.status == "error"]
    summary = f"{len(passed)}/{len(counted)} checks passed"
    if failed:
        names = ", ".join(r.check for r in failed)
        verdict = "partial" if passed else "fail"
        extra = f"; {len(errors)} could not be decided" if errors else ""
        return verdict, f"{summary}; failed: {names}{extra}"
    if errors:
        return "error", f"{summary}; cannot decide: " + "; ".join(f"{r.check}: {r.reason}" for r in errors)
    if pending:
        return "manual", f"{summary}; not run: " + "; ".join(f"{r.check}: {r.reason}" for r in pending)
    partial_ids = set(partial)
    if any(r.check in partial_ids for r in passed):
        return "manual", f"{summary}; the probes cover only part of this item, interview/documents still " \
            "needed: " + item.questions[0]
    if item.automation == "partial":
        return "manual", f"{summary}; the automated part conforms, interview/documents still needed: " + \
            item.questions[0]
    return "pass", summary


def evaluate_target(catalog: Catalog, profile: Profile, target: Target, facts: dict[str, FactResult] | None,
                    collection_error: str | None = None) -> list[ItemResult]:
    """Every item that applies to this object's type, in catalog order."""
    results = []
    for item in catalog.items.values():
        if target.type not in item.objects:
            continue
        results.append(_evaluate_item(catalog, profile, item, target, facts or {}, collection_error))
    return results


def _evaluate_item(catalog: Catalog, profile: Profile, item: Item, target: Target,
                   facts: dict[str, FactResult], collection_error: str | None) -> ItemResult:
    if item.id in profile.tailoring:
        return ItemResult(item.id, target.id, "na", f"tailored out by profile {profile.id}: "
                          f"{profile.tailoring[item.id]}", "profile")
    convention = item.convention_for(target.type, target.engine)
    if convention is not None:
        return ItemResult(item.id, target.id, convention.verdict, convention.reason, "convention")
    checks = [c for c in catalog.checks_for(item.id, target.type) if not c.engines or target.engine in c.engines]
    if not checks:
        return ItemResult(item.id, target.id, "manual", "interview/documents needed: " + item.questions[0],
                          "interview")
    if collection_error:
        return ItemResult(item.id, target.id, "error", f"collection failed: {collection_error}", "collection")
    check_results = [run_check(c, facts, profile.parameters) for c in checks]
    verdict, reason = aggregate(item, check_results, {c.id for c in checks if c.partial})
    return ItemResult(item.id, target.id, verdict, reason, "checks", check_results)


def uncovered(catalog: Catalog, profile: Profile, targets: Iterable[Target]) -> tuple[Target, list[ItemResult]]:
    """Items that no inventory object applies to, held against a `system` pseudo-object as manual."""
    present = {t.type for t in targets}
    system = Target(id="system", type=UNCOVERED_TYPE, name="被测系统（清单未覆盖的测评对象）")
    results = []
    for item in catalog.items.values():
        if present & set(item.objects):
            continue
        if item.id in profile.tailoring:
            results.append(ItemResult(item.id, system.id, "na", f"tailored out by profile {profile.id}: "
                                      f"{profile.tailoring[item.id]}", "profile"))
            continue
        wanted = ", ".join(item.objects)
        results.append(ItemResult(item.id, system.id, "manual", f"no object of type {wanted} in the inventory; "
                                  "add one or answer by interview: " + item.questions[0], "uncovered"))
    return system, results
