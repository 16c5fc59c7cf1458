"""复测 end to end on this machine: `assess scan --rescan-failed` collects again only what failed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from assess.cli import main
from assess.history import store as history

CONTROLS = Path(__file__).resolve().parent / "fixtures" / "controls"


@pytest.fixture
def setup(tmp_path: Path) -> dict[str, Path]:
    inv = tmp_path / "inventory.yaml"
    inv.write_text("objects:\n  - {id: alpha, type: linux, transport: local}\n"
                   "  - {id: beta, type: linux, transport: local}\ninterview_objects: false\n", encoding="utf-8")
    fixed = tmp_path / "fixed.yaml"  # the 整改: the expected uid is now the one the collector runs as
    fixed.write_text(f"id: fixed\ntitle: fixed\nlevel: 3\nparameters:\n  expected_uid: {os.getuid()}\n",
                     encoding="utf-8")
    return {"inv": inv, "fixed": fixed, "out": tmp_path / "out", "db": tmp_path / "h.db"}


def _scan(s: dict[str, Path], *extra: str) -> tuple[int, str, dict]:
    args = ["scan", "-q", "-i", str(s["inv"]), "--controls", str(CONTROLS), "--out", str(s["out"]),
            "--history", str(s["db"]), *extra]
    result = CliRunner().invoke(main, args)
    line = next(x for x in result.output.splitlines() if x.startswith("results: "))
    return result.exit_code, result.output, json.loads(Path(line.split(" ", 1)[1]).read_text(encoding="utf-8"))


def _verdicts(doc: dict) -> dict[tuple[str, str], tuple[str, str | None]]:
    return {(r["item"], r["object"]): (r["verdict"], r.get("carried_from")) for r in doc["results"]}


def _evidence_ids_resolve(run_dir: Path, doc: dict) -> None:
    for obj in doc["objects"]:
        if not obj.get("evidence"):
            continue
        ev = json.loads((run_dir / obj["evidence"]).read_text(encoding="utf-8"))
        ids = {section["id"] for section in ev["raw"].values()}
        for r in doc["results"]:
            if r["object"] == obj["id"]:
                for c in r["checks"]:
                    assert set(c["evidence"]) <= ids, (r["item"], obj["id"])


def test_rescan_failed_carries_passes_and_records_the_fix(setup: dict[str, Path]) -> None:
    code, _, first = _scan(setup)
    assert code == 0
    run1 = first["run"]["id"]
    assert _verdicts(first)[("L3-CES1-02", "alpha")] == ("fail", None)
    assert _verdicts(first)[("L3-CES1-01", "alpha")] == ("pass", None)

    code, output, second = _scan(setup, "--profile", str(setup["fixed"]), "--rescan-failed")
    assert code == 0, output
    run2 = second["run"]["id"]
    assert second["run"]["rescan_of"] == run1
    # only the facts behind the failed item (plus the identification facts) were collected again
    assert second["run"]["rescan"]["collected"] == {"alpha": ["collector", "os_release"],
                                                    "beta": ["collector", "os_release"]}
    v = _verdicts(second)
    assert v[("L3-CES1-02", "alpha")] == ("pass", None) and v[("L3-CES1-02", "beta")] == ("pass", None)
    assert v[("L3-CES1-01", "alpha")] == ("pass", run1)  # carried: it read only login.defs, not re-read
    assert v[("L3-CES1-03", "alpha")] == ("manual", None)
    run_dir = setup["out"] / run2
    ev = json.loads((run_dir / "evidence" / "alpha.json").read_text(encoding="utf-8"))
    assert ev["info"]["carried_facts"] == ["login_defs"] and ev["info"]["carried_from"] == run1
    assert set(ev["facts"]) == {"collector", "os_release", "login_defs"}
    _evidence_ids_resolve(run_dir, second)

    conn = history.connect(setup["db"], create=False)
    assert history.get_run(conn, run2)["rescan_of"] == run1
    fixed = CliRunner().invoke(main, ["diff", "--history", str(setup["db"]), "--format", "json"])
    assert fixed.exit_code == 0, fixed.output
    drift = json.loads(fixed.output)
    assert sorted((e["item"], e["object"]) for e in drift["fixed"]) == [("L3-CES1-02", "alpha"),
                                                                        ("L3-CES1-02", "beta")]
    assert second["history"]["previous_run"] == run1
    assert [p["run"] for p in second["history"]["trend"]] == [run1, run2]

    # nothing failed any more: a rescan contacts no object and carries everything
    code, output, third = _scan(setup, "--profile", str(setup["fixed"]), "--rescan-failed")
    assert code == 0, output
    assert third["run"]["rescan"]["collected"] == {}
    assert sorted(third["run"]["rescan"]["carried_objects"]) == ["alpha", "beta"]
    assert {o["id"]: o.get("carried_from") for o in third["objects"]} == {"alpha": run2, "beta": run2}
    v3 = _verdicts(third)
    assert v3[("L3-CES1-01", "alpha")] == ("pass", run1) and v3[("L3-CES1-02", "alpha")] == ("pass", run2)
    _evidence_ids_resolve(setup["out"] / third["run"]["id"], third)

    # back to the old profile: a full scan regresses, and `assess diff` says so with exit 1
    code, output, _ = _scan(setup)
    assert "2 regressed" in output
    regressed = CliRunner().invoke(main, ["diff", "--history", str(setup["db"])])
    assert regressed.exit_code == 1
    assert "REGRESSED (conforming before, not now): 2" in regressed.output


def test_rescan_of_a_run_directory_without_history(setup: dict[str, Path]) -> None:
    _, _, first = _scan(setup, "--no-history")
    assert "history" not in first
    assert not setup["db"].exists()
    code, output, second = _scan(setup, "--no-history", "--rescan-failed", str(setup["out"] / first["run"]["id"]))
    assert code == 0, output
    assert second["run"]["rescan_of"] == first["run"]["id"]


def test_rescan_bad_input(setup: dict[str, Path]) -> None:
    runner = CliRunner()
    base = ["scan", "-q", "-i", str(setup["inv"]), "--controls", str(CONTROLS), "--out", str(setup["out"]),
            "--history", str(setup["db"])]
    nothing = runner.invoke(main, [*base, "--rescan-failed"])
    assert nothing.exit_code == 2 and "no earlier run of file:" in nothing.output
    unknown = runner.invoke(main, [*base, "--rescan-failed", "20990101T000000Z-zzzz"])
    assert unknown.exit_code == 2 and "no run '20990101T000000Z-zzzz'" in unknown.output
    no_hist = runner.invoke(main, [*base, "--no-history", "--rescan-failed"])
    assert no_hist.exit_code == 2 and "needs the history" in no_hist.output
    assert "Traceback" not in nothing.output + unknown.output + no_hist.output
