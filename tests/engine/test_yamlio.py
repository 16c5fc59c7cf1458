"""YAML loading with line numbers: syntax errors, duplicate keys, unreadable files."""

from __future__ import annotations

import pytest

from assess.errors import InputError
from assess.yamlio import load_file, load_text, plain


def test_lines_of_keys_and_items():
    data = load_text("# head\na: 1\nb:\n  - x\n  - {c: 2}\n", "f.yaml")
    assert data.line == 2
    assert data.line_of("b") == 3
    assert data["b"].item_lines == [4, 5]
    assert data["b"][1].line == 5
    assert plain(data) == {"a": 1, "b": ["x", {"c": 2}]}


def test_duplicate_key_is_an_error_with_its_line():
    with pytest.raises(InputError) as err:
        load_text("a: 1\nb: 2\na: 3\n", "f.yaml")
    assert str(err.value) == "f.yaml:3: duplicate key 'a'"


def test_syntax_error_names_file_and_line():
    with pytest.raises(InputError) as err:
        load_text("a: 1\nb: [1, 2\nc: 3\n", "f.yaml")
    assert str(err.value).startswith("f.yaml:")
    assert "YAML syntax error" in str(err.value)


def test_unreadable_files(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load_file(tmp_path / "missing.yaml")
    with pytest.raises(InputError, match="is a directory"):
        load_file(tmp_path)
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(b"a: \xe9\xff\n")
    with pytest.raises(InputError, match="not UTF-8"):
        load_file(bad)
