"""The rule language: every operator, paths, combinators, missing values, parse errors."""

from __future__ import annotations

import pytest

from assess.catalog.rules import Group, Leaf, RuleError, apply, parse_path, parse_rule, resolve
from assess.catalog.schema import Problems
from assess.yamlio import load_text

MISSING = resolve({}, ["nope"])


@pytest.mark.parametrize("op,actual,target,expected", [
    ("eq", 90, 90, True), ("eq", "90", 90, True), ("eq", "yes", "yes", True), ("eq", "yes", "no", False),
    ("eq", "090", "90", False),  # two strings compare as text
    ("ne", "yes", "no", True), ("ne", 5, 5, False),
    ("lt", 5, 6, True), ("lt", 6, 6, False), ("le", 6, 6, True), ("le", "7", 6, False),
    ("gt", 7, 6, True), ("gt", 6, 6, False), ("ge", 6, 6, True), ("ge", 5, 6, False),
    ("lt", "abc", 6, False),  # not a number never passes a comparison
    ("in", "no", ["no", "prohibit-password"], True), ("in", "yes", ["no"], False),
    ("not_in", "yes", ["no"], True), ("not_in", "no", ["no"], False),
    ("matches", "aes256-ctr,aes128-cbc", r"-cbc\b", True), ("matches", "aes256-ctr", r"-cbc", False),
    ("not_matches", "aes256-ctr", r"-cbc", True),
    ("contains", ["a", "b"], "b", True), ("contains", "abc", "bc", True), ("contains", ["a"], "b", False),
    ("not_contains", ["a"], "b", True), ("not_contains", ["a", "b"], "b", False),
    ("exists", 0, None, True), ("exists", None, None, False),
    ("absent", None, None, True), ("absent", "", None, False),
    ("empty", [], None, True), ("empty", ["x"], None, False), ("empty", None, None, True),
    ("not_empty", ["x"], None, True), ("not_empty", [], None, False), ("not_empty", None, None, False),
    ("disjoint", [22, 80], [21, 23], True), ("disjoint", [22, 23], [21, 23], False),
    ("disjoint", 23, [23], False),
    ("intersects", [22, 23], [21, 23], True), ("intersects", [22, 80], [21, 23], False),
    ("contains_all", ["/etc/passwd", "/etc/shadow"], ["/etc/shadow"], True),
    ("contains_all", ["/etc/passwd"], ["/etc/passwd", "/etc/shadow"], False),
    ("contains_all", ["a"], [], True),
])
def test_operators(op, actual, target, expected):
    assert apply(op, actual, target) is expected


@pytest.mark.parametrize("op,expected", [
    ("eq", False), ("ne", True), ("lt", False), ("ge", False), ("in", False), ("not_in", True),
    ("matches", False), ("not_matches", True), ("contains", False), ("not_contains", True),
    ("disjoint", True), ("exists", False), ("absent", True), ("empty", True), ("not_empty", False),
    ("intersects", False), ("contains_all", False),
])
def test_missing_value_semantics(op, expected):
    assert apply(op, MISSING, 1) is expected


def test_bad_regex_is_a_rule_error():
    with pytest.raises(RuleError):
        apply("matches", "x", "(")


def test_paths():
    assert parse_path("a.b[0].c") == ["a", "b", 0, "c"]
    assert parse_path("users[*].max_days") == ["users", "*", "max_days"]
    assert parse_path(["net.ipv4.ip_forward"]) == ["net.ipv4.ip_forward"]
    assert parse_path("") == []
    value = {"a": {"b": [{"c": 1}, {"c": 2}]}}
    assert resolve(value, ["a", "b", 1, "c"]) == 2
    assert resolve(value, ["a", "x"]) is MISSING
    assert resolve(value, ["a", "b", 5]) is MISSING


def test_wildcard_must_hold_for_every_element_and_reports_the_offenders():
    leaf = Leaf("accounts", ["users", "*", "max_days"], "le", value=90)
    facts = {"accounts": {"users": [{"name": "a", "max_days": 90}, {"name": "b", "max_days": 99999}]}}
    out = leaf.evaluate(facts, {})
    assert not out.ok
    assert out.observed == {"accounts.users[*].max_days": [99999]}
    assert leaf.evaluate({"accounts": {"users": []}}, {}).ok  # vacuous truth


def test_param_and_expected_text():
    leaf = Leaf("login_defs", ["PASS_MAX_DAYS"], "le", param="max_days")
    out = leaf.evaluate({"login_defs": {"PASS_MAX_DAYS": 99999}}, {"max_days": 90})
    assert not out.ok
    assert out.expected == ["login_defs.PASS_MAX_DAYS ≤ 90"]
    assert "99999" in out.failures[0]
    with pytest.raises(RuleError):
        leaf.evaluate({"login_defs": {}}, {})


def test_combinators():
    t = Leaf("f", ["x"], "eq", value=1)
    f = Leaf("f", ["x"], "eq", value=2)
    facts = {"f": {"x": 1}}
    assert Group("all", [t, t]).evaluate(facts, {}).ok
    assert not Group("all", [t, f]).evaluate(facts, {}).ok
    assert Group("any", [f, t]).evaluate(facts, {}).ok
    assert not Group("any", [f, f]).evaluate(facts, {}).ok
    assert Group("none", [f, f]).evaluate(facts, {}).ok
    assert not Group("none", [f, t]).evaluate(facts, {}).ok


def _parse(text: str):
    problems = Problems()
    rule = parse_rule(load_text(text, "r.yaml"), problems, "dflt", "r.yaml")
    return rule, problems


def test_parse_rule_ok_and_default_fact():
    rule, problems = _parse("all:\n  - {path: a, op: eq, value: 1}\n  - {fact: other, op: exists}\n")
    assert not problems
    assert rule.facts() == ["dflt", "other"]


@pytest.mark.parametrize("text,message", [
    ("{path: a, op: bogus, value: 1}", "r.yaml:1: unknown operator 'bogus'"),
    ("{path: a, value: 1}", "r.yaml:1: rule is missing 'op'"),
    ("{path: a, op: eq}", "needs 'value' or 'param'"),
    ("{path: a, op: eq, value: 1, param: p}", "either 'value' or 'param'"),
    ("{path: a, op: matches, value: '('}", "invalid regular expression"),
    ("{path: a, op: eq, value: 1, extra: 2}", "unknown key 'extra'"),
    ("all: []", "needs a non-empty list"),
    ("\nall:\n  - {path: a, op: eq, value: 1}\nany: []", "r.yaml:2: 'all' must be the only key"),
])
def test_parse_rule_problems(text, message):
    _rule, problems = _parse(text)
    assert any(message in p for p in problems), problems


def test_set_operators_report_the_deciding_members():
    leaf = Leaf("packages", ["installed"], "disjoint", param="risky")
    out = leaf.evaluate({"packages": {"installed": ["bash", "gcc", "telnetd", "zsh"]}}, {"risky": ["gcc", "telnetd"]})
    assert not out.ok
    assert out.observed == {"packages.installed ∩ risky": ["gcc", "telnetd"]}
    assert "[gcc, telnetd]" in out.failures[0]
    hit = Leaf("processes", ["names"], "intersects", value=["clamd"]).evaluate({"processes": {"names": ["clamd"]}}, {})
    assert hit.ok and hit.observed == {"processes.names ∩ value": ["clamd"]}
    need = Leaf("audit", ["watched"], "contains_all", value=["/etc/passwd", "/etc/shadow"])
    out = need.evaluate({"audit": {"watched": ["/etc/passwd"]}}, {})
    assert not out.ok and out.failures == ["audit.watched lacks [/etc/shadow]"]
