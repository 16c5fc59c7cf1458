"""`assess controls list` and `show`."""

from __future__ import annotations

import json

from click.testing import CliRunner

from assess.cli import main


def invoke(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output
    return result


def test_list_filters_and_json():
    result = invoke("controls", "list", "--class", "ces", "--format", "json")
    assert result.exit_code == 0
    items = json.loads(result.stdout)
    assert len(items) == 34
    assert all(i["class"] == "CES" for i in items)
    table = invoke("controls", "list", "--object-type", "site")
    assert table.exit_code == 0
    assert len(table.stdout.strip().splitlines()) == 22


def test_show_by_id_and_by_clause():
    by_id = invoke("controls", "show", "L3-CES1-01")
    assert by_id.exit_code == 0
    assert "8.1.4.1 a" in by_id.stdout and "linux.login_defs.pass_max_days" in by_id.stdout
    by_clause = invoke("controls", "show", "8.1.4.1 a", "--format", "json")
    assert json.loads(by_clause.stdout)["id"] == "L3-CES1-01"


def test_unknown_ids_are_exit_2():
    assert invoke("controls", "show", "L3-XXX1-01").exit_code == 2
    assert invoke("controls", "list", "--class", "nope").exit_code == 2
