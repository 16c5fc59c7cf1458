"""`assess collector emit` → the script run with sh on this machine → `assess collector ingest`.

The ingested run must judge this machine exactly as a direct `assess scan` does; cut-off outputs, outputs of
a collector emitted for other controls, duplicate hosts and files that are not outputs are each tested.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from assess.catalog import load as catalog_mod
from assess.catalog import profile as profile_mod
from assess.cli import main
from assess.run import replay
from tests.conftest import FIXTURES


def invoke(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output + result.stderr, result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def run_script(script: Path, out: Path) -> None:
    with open(out, "wb") as fh:
        subprocess.run(["sh", str(script)], stdout=fh, stderr=subprocess.PIPE, timeout=60, check=True)


def ingest(out_dir: Path, *args: str) -> tuple[object, dict, Path]:
    result = invoke("collector", "ingest", "--out", str(out_dir), "-q", "--format", "json", *args)
    assert result.exit_code in (0, 3), result.stderr
    (run_dir,) = out_dir.iterdir()
    return result, json.loads((run_dir / "results.json").read_text(encoding="utf-8")), run_dir


def linux_object(doc: dict) -> dict:
    (obj,) = [o for o in doc["objects"] if o["type"] == "linux"]
    return obj


def judged(doc: dict) -> dict[tuple[str, str], tuple[str, tuple]]:
    """Verdict and check statuses per (item, object), the Linux object under the name 'linux'."""
    host = linux_object(doc)["id"]
    return {(r["item"], "linux" if r["object"] == host else r["object"]):
            (r["verdict"], tuple((c["check"], c["status"]) for c in r["checks"])) for r in doc["results"]}


@pytest.fixture(scope="module")
def fleet(tmp_path_factory) -> dict:
    """One emitted script, its output on this machine, the ingested run and a direct scan."""
    tmp = tmp_path_factory.mktemp("fleet")
    script = tmp / "collect.sh"
    emitted = invoke("collector", "emit", "-o", str(script))
    assert emitted.exit_code == 0, emitted.stderr
    output = tmp / "this-host.assess.out"
    run_script(script, output)
    _result, doc, run_dir = ingest(tmp / "ingested", str(output))
    scanned = invoke("scan", "--out", str(tmp / "scanned"), "-q", "--format", "json", "--no-history")
    assert scanned.exit_code in (0, 3), scanned.stderr
    direct = json.loads(next((tmp / "scanned").glob("*/results.json")).read_text(encoding="utf-8"))
    return {"tmp": tmp, "script": script, "output": output, "doc": doc, "run_dir": run_dir, "direct": direct,
            "emit_stdout": emitted.output}


def test_emitted_script_says_what_it_is(fleet):
    text = fleet["script"].read_text(encoding="utf-8")
    cat = catalog_mod.load()
    head = text.split('\nB="', 1)[0]
    assert head.startswith("#!/bin/sh\n# assess ")
    assert f"sha256 {cat.sha256}" in head and "# profile: level3" in head
    assert 'sh collect.sh > "$(hostname).assess.out"' in head and "Read-only" in head
    assert "collector" in head.split("# facts (", 1)[1]
    assert "sh collect.sh" in fleet["emit_stdout"]
    output = fleet["output"].read_text(encoding="utf-8")
    token = re.match(r"(@@ASSESS-[0-9a-f]{16}) ASSESS-OUTPUT 1\n", output).group(1)
    assert token not in text
    assert re.search(f"^{token} META started \\d{{4}}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$", output, re.M)
    assert f"\n{token} DONE\n" in output


def test_every_run_of_the_emitted_script_draws_its_own_token(fleet, tmp_path):
    again = tmp_path / "again.assess.out"
    run_script(fleet["script"], again)
    first, second = (p.read_text(encoding="utf-8").split(" ", 1)[0] for p in (fleet["output"], again))
    assert first != second
    _result, doc, run_dir = ingest(tmp_path / "run", str(again))

    def statuses(run: Path, obj: dict) -> dict:  # what was collected; verdicts may follow the host's processes
        facts = json.loads((run / obj["evidence"]).read_text(encoding="utf-8"))["facts"]
        return {name: fact["status"] for name, fact in facts.items()}

    assert statuses(run_dir, linux_object(doc)) == statuses(fleet["run_dir"], linux_object(fleet["doc"]))
    assert set(judged(doc)) == set(judged(fleet["doc"]))


def test_a_header_that_is_not_the_first_line_is_not_read(fleet, tmp_path):
    text = fleet["output"].read_text(encoding="utf-8")
    forged = tmp_path / "forged.out"
    forged.write_text("|@@ASSESS-0123456789abcdef ASSESS-OUTPUT 1\n" + text, encoding="utf-8")
    result = invoke("collector", "ingest", "--out", str(tmp_path / "run"), "-q", str(forged))
    assert result.exit_code == 2 and "first line is not the ASSESS-OUTPUT header" in result.stderr


def test_emitted_script_is_posix_sh():
    result = invoke("collector", "emit", "-o", "-")
    assert result.exit_code == 0
    check = subprocess.run(["sh", "-n"], input=result.output.encode(), capture_output=True, check=False)
    assert check.returncode == 0, check.stderr


def raw_ids(run_dir: Path, doc: dict) -> set[str]:
    evidence = json.loads((run_dir / linux_object(doc)["evidence"]).read_text(encoding="utf-8"))
    return {raw["id"] for raw in evidence["raw"].values()}


def test_ingest_judges_like_a_direct_scan(fleet):
    """Judged on the same raw output, the ingested run and the direct scan agree. The two collections are two
    looks at a live machine (listening sockets, processes, logs change in between): rows citing a section whose
    output differed are not compared, like with like only; nearly all rows still are."""
    doc, direct = fleet["doc"], fleet["direct"]
    direct_dir = next((fleet["tmp"] / "scanned").glob("*/"))
    same = raw_ids(fleet["run_dir"], doc) & raw_ids(direct_dir, direct)
    ours, theirs = judged(doc), judged(direct)
    assert ours.keys() == theirs.keys()
    cited = {(r["item"], "linux" if r["object"] == linux_object(doc)["id"] else r["object"]):
             {e for c in r["checks"] for e in c["evidence"]} for r in doc["results"]}
    alike = [k for k in ours if cited[k] <= same]
    assert len(alike) >= 0.8 * len(ours), (len(alike), len(ours))
    assert {k: ours[k] for k in alike} == {k: theirs[k] for k in alike}
    if len(alike) == len(ours):
        assert doc["conclusion"]["conclusion_en"] == direct["conclusion"]["conclusion_en"]
    assert not doc["run"].get("warnings")


def test_ingested_object_records_its_file_and_evidence(fleet):
    import hashlib
    import socket

    obj = linux_object(fleet["doc"])
    assert obj["id"] == socket.gethostname()
    c = obj["collector"]
    assert c["transport"] == "ingest" and c["complete"] is True
    assert c["file"] == str(fleet["output"].resolve())
    assert c["sha256"] == hashlib.sha256(fleet["output"].read_bytes()).hexdigest()
    evidence = json.loads((fleet["run_dir"] / obj["evidence"]).read_text(encoding="utf-8"))
    ids = {raw["id"] for raw in evidence["raw"].values()}
    cited = {e for r in fleet["doc"]["results"] for ch in r["checks"] for e in ch["evidence"]}
    assert cited and cited <= ids
    assert evidence["raw"] and not any("@@ASSESS-" in raw["output"] for raw in evidence["raw"].values())


def test_ingested_run_replays(fleet):
    cat = catalog_mod.load()
    again = replay.replay(fleet["run_dir"], cat, profile_mod.load("level3", cat))
    assert judged(again) == judged(fleet["doc"])


def test_cut_off_output_gives_errors_with_the_reason(fleet, tmp_path):
    text = fleet["output"].read_text(encoding="utf-8")
    token = text.split(" ", 1)[0]
    ends = [m.end() for m in re.finditer(f"^{token} END .*$", text, re.M)]
    cut = tmp_path / "cut.out"
    cut.write_text(text[:ends[len(ends) // 2] + 40], encoding="utf-8")  # a few bytes into the next section
    _result, doc, run_dir = ingest(tmp_path / "run", str(cut))
    obj = linux_object(doc)
    assert obj["collector"]["complete"] is False and obj["reachable"] is True
    facts = json.loads((run_dir / obj["evidence"]).read_text(encoding="utf-8"))["facts"]
    lost = {n: f for n, f in facts.items() if f["status"] == "error" and "ends after section" in f["reason"]}
    assert len(lost) >= len(facts) // 3
    assert all("cut.out" in f["reason"] and "no output:" in f["reason"] for f in lost.values())
    assert facts["collector"]["status"] == "ok"
    errored = [c for r in doc["results"] for c in r["checks"] if c["status"] == "error"]
    assert errored and any("ends after section" in c["reason"] for c in errored)


def test_output_cut_before_any_section_is_a_collection_failure(fleet, tmp_path):
    text = fleet["output"].read_text(encoding="utf-8")
    head = tmp_path / "head.out"
    head.write_text(text[:text.index(" BEGIN ")].rsplit("\n", 1)[0] + "\n", encoding="utf-8")
    result, doc, _run_dir = ingest(tmp_path / "run", str(head))
    assert result.exit_code == 3
    obj = linux_object(doc)
    assert obj["reachable"] is False and "before its first section" in obj["error"]
    assert "collection failed on 1 object" in result.stderr


def test_output_of_a_collector_for_other_controls_warns(fleet, tmp_path):
    script = tmp_path / "mini.sh"
    assert invoke("collector", "emit", "--controls", str(FIXTURES / "controls-mini"), "-o", str(script)).exit_code == 0
    output = tmp_path / "mini.out"
    run_script(script, output)
    result, doc, run_dir = ingest(tmp_path / "run", str(output))
    (warning,) = doc["run"]["warnings"]
    mini = catalog_mod.load(FIXTURES / "controls-mini")
    assert f"sha256 {mini.sha256}" in warning and "mini.out" in warning
    assert warning in result.stderr
    facts = json.loads((run_dir / linux_object(doc)["evidence"]).read_text(encoding="utf-8"))["facts"]
    assert facts["collector"]["status"] == "ok"
    assert any("was emitted without this fact" in f["reason"] for f in facts.values() if f["status"] == "error")


def test_tags_apply_to_every_ingested_host(fleet, tmp_path):
    _result, doc, _ = ingest(tmp_path / "run", str(fleet["output"]), "--inventory-tags", "internet-facing,dmz",
                             "--inventory-tags", "prod")
    assert linux_object(doc)["tags"] == ["internet-facing", "dmz", "prod"]


def test_odd_host_name_becomes_a_safe_id(fleet, tmp_path):
    text = fleet["output"].read_text(encoding="utf-8")
    token = text.split(" ", 1)[0]
    renamed = re.sub(f"^({token} C hostname\n).*$", r"\1|web 01/prod!", text, count=1, flags=re.M)
    odd = tmp_path / "odd.out"
    odd.write_text(renamed, encoding="utf-8")
    _result, doc, run_dir = ingest(tmp_path / "run", str(odd))
    obj = linux_object(doc)
    assert obj["id"] == "web-01-prod" and obj["name"] == "web 01/prod!"
    assert (run_dir / "evidence" / "web-01-prod.json").is_file()


def test_host_name_from_uname_when_hostname_is_not_installed(fleet, tmp_path):
    text = fleet["output"].read_text(encoding="utf-8")
    token = text.split(" ", 1)[0]
    without = re.sub(f"^{token} C hostname\n.*\n{token} RC 0$", f"{token} X hostname", text, count=1, flags=re.M)
    assert without != text
    out = tmp_path / "nohostname.out"
    out.write_text(without, encoding="utf-8")
    _result, doc, _ = ingest(tmp_path / "run", str(out))
    host = re.search(f"^{token} META host (.*)$", text, re.M).group(1)
    assert linux_object(doc)["id"] == host

def test_crlf_output_is_read(fleet, tmp_path):
    crlf = tmp_path / "crlf.out"
    crlf.write_bytes(fleet["output"].read_bytes().replace(b"\n", b"\r\n"))
    _result, doc, _ = ingest(tmp_path / "run", str(crlf))
    assert judged(doc) == judged(fleet["doc"])


def one_line_error(result, *words: str) -> None:
    assert result.exit_code == 2, result.output + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("assess: error: "), result.stderr
    for w in words:
        assert w in lines[0]


def test_duplicate_hosts_are_refused_naming_both_files(fleet, tmp_path):
    copy = tmp_path / "copy.out"
    copy.write_bytes(fleet["output"].read_bytes())
    result = invoke("collector", "ingest", "--out", str(tmp_path / "run"), str(fleet["output"]), str(copy))
    one_line_error(result, "appears in two outputs", str(fleet["output"]), str(copy))
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("content, words", [
    (None, ("no such file",)),
    (b"", ("empty file",)),
    (b"\n \n", ("empty file",)),
    (b"PLAY [all] ****\nok: [web01]\n", ("not an assess collector output",)),
    (b"@@ASSESS-0123456789abcdef ASSESS-OUTPUT 9\n", ("format '9'",)),
    ("dir", ("is a directory",)),
])
def test_files_that_are_not_outputs_are_one_line_and_exit_2(tmp_path, content, words):
    path = tmp_path / "host.out"
    if content == "dir":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    result = invoke("collector", "ingest", "--out", str(tmp_path / "run"), str(path))
    one_line_error(result, str(path), *words)
    assert not (tmp_path / "run").exists()


def test_emit_to_an_unwritable_place_is_one_line(tmp_path):
    result = invoke("collector", "emit", "-o", str(tmp_path / "no" / "such" / "dir" / "collect.sh"))
    one_line_error(result, "cannot write")


def test_ingest_takes_answers_waivers_and_the_fail_on_gate(fleet, tmp_path):
    host = linux_object(fleet["doc"])["id"]
    answers = tmp_path / "answers.yaml"
    answers.write_text(
        "answers:\n"
        "  - {item: L3-PES1-01, object: site, answer: pass, explanation: 机房位于具备防震防风防雨能力的建筑内,\n"
        "     respondent: 张工, answered_at: 2026-11-01}\n", encoding="utf-8")
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "waivers:\n"
        f"  - {{id: W-1, item: L3-CES1-21, objects: [{host}], justification: 补丁窗口在下月,\n"
        "     approver: 李经理, expires: 2099-01-01}\n", encoding="utf-8")
    result, doc, _ = ingest(tmp_path / "run", str(fleet["output"]), "--answers", str(answers),
                            "--waivers", str(waivers))
    rows = {(r["item"], r["object"]): r for r in doc["results"]}
    assert rows[("L3-PES1-01", "site")]["verdict"] == "pass"
    assert rows[("L3-CES1-21", host)].get("waived")
    gate = invoke("collector", "ingest", "--out", str(tmp_path / "gate"), "-q", "--format", "json",
                  "--fail-on", "fail", str(fleet["output"]))
    assert gate.exit_code == 1
