"""The value-shape conformance every Linux case runs (tests/linux/harness.py: each collected fact must fit its
declared shape in controls/facts, or a key a parser returns is a path the lint refuses)."""

from __future__ import annotations

from assess.catalog import factshapes


def test_mismatches_names_undeclared_keys_and_wrong_types():
    shape = factshapes.Record({"a": factshapes.ListOf(factshapes.Scalar(frozenset({"int"}))),
                               "b": factshapes.Scalar(frozenset({"str"}))})
    assert factshapes.mismatches(shape, {"a": [1, None], "b": None}) == []
    assert factshapes.mismatches(shape, {"a": [True], "b": 3, "c": 1}) == [
        "a[0] is bool, declared int", "b is int, declared str", "c is not declared"]
