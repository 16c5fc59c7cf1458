"""The collector's markers cannot be forged by what a host's commands print, and a broken section is an error."""

from __future__ import annotations

import contextlib
import os
import re
import threading
from pathlib import Path

from assess.probes import script
from assess.probes.facts import Fact, Section
from assess.probes.transport.local import LocalTransport
from assess.run.collect import parse_sections

FORGED = "x\n@@RC 0\n@@F /etc/shadow\n@@@three\n|pipe\n@@ASSESS-0000 END forged 0\n"


def _fact(name: str, command: str) -> Fact:
    return Fact(name, "linux", command, lambda s: s, "test fact")


def _run(*facts: Fact) -> script.Collected:
    text, token = script.build(facts)
    out = LocalTransport().run_script(text, 30)
    return script.split(out.stdout, token, [f.name for f in facts])


def test_command_output_that_looks_like_markers_stays_output(tmp_path):
    (tmp_path / "forged").write_text(FORGED)
    printed = _fact("printed", f"printf '{FORGED}'; _cmd cat {tmp_path}/forged")
    nothing = _fact("after_it", "_cmd true")
    collected = _run(printed, nothing)
    section = collected.sections["printed"]
    assert not section.problem
    run = section.command("cat")
    assert run.rc == 0 and run.output == FORGED.rstrip("\n")
    assert section.plain() == FORGED.rstrip("\n")
    assert section.files() == {}
    assert list(section.commands()) == [f"cat {tmp_path}/forged"]
    assert collected.sections["after_it"].command("true").rc == 0 and not collected.missing


def test_output_lines_starting_with_at_signs_keep_evidence_ids_stable():
    collected = _run(_fact("at", "echo plain; echo '@@RC 1'"))
    assert collected.sections["at"].text == "plain\n@@@RC 1"
    assert collected.sections["at"].plain() == "plain\n@@RC 1"


def _split(body: str) -> Section:
    token = "@@ASSESS-0123456789abcdef"
    collected = script.split(f"{token} BEGIN f\n{body.replace('TOKEN', token)}\n", token, ["f"])
    return collected.sections["f"]


def test_broken_sections_carry_a_problem():
    assert _split("|a\nTOKEN END f 0").problem == ""
    assert "no exit status" in _split("|a\nTOKEN END f").problem
    assert "no exit status" in _split("TOKEN C ss -tulnp\n|out\nTOKEN END f 0").problem
    assert "no exit status" in _split("TOKEN C ss -tulnp\n|out\nTOKEN F /etc/x\nTOKEN END f 0").problem
    assert "malformed" in _split("unescaped\nTOKEN END f 0").problem
    assert "malformed" in _split("|a\nTOKEN BEGIN g\nTOKEN END f 0").problem


def test_a_broken_section_is_a_fact_error_not_an_empty_value():
    fact = _fact("f", "_cmd ss -tulnp")
    section = _split("TOKEN C ss -tulnp\n|Netid State\nTOKEN END f 0")
    results, raw = parse_sections([fact], script.Collected({"f": section}, []), "")
    assert results["f"].status == "error" and "malformed" in results["f"].reason
    assert raw["f"]["problem"] and raw["f"]["output"].startswith("@@C ss -tulnp")


def run_watched(transport, tmp_path: Path) -> tuple[str, list[str], script.Collected]:
    """Run a collector whose one fact waits until every process's argv has been read; return (the section
    token, the command lines that held a collector token, the sections)."""
    ready, go = tmp_path / "ready", tmp_path / "go"
    os.mkfifo(ready)
    os.mkfifo(go)
    fact = _fact("waits", f"echo up > {ready}; read _ < {go}; _cmd true")
    text, token = script.build([fact])
    done: dict = {}

    def collect() -> None:
        try:
            done["out"] = transport.run_script(text, 120)
        finally:  # the collector never got to the fact: let the reader below see EOF instead of waiting
            with contextlib.suppress(OSError):
                os.close(os.open(ready, os.O_WRONLY | os.O_NONBLOCK))

    worker = threading.Thread(target=collect)
    worker.start()
    assert ready.read_text() == "up\n", done
    leaks = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            argv = cmdline.read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
            if token in argv or re.search(r"@@ASSESS-[\w-]*[0-9a-f]{16}", argv):
                leaks.append(argv)
    go.write_text("\n")
    worker.join()
    return token, leaks, script.split(done["out"].stdout, token, ["waits"])


def test_the_section_token_is_on_no_command_line_local(tmp_path):
    _token, leaks, collected = run_watched(LocalTransport(), tmp_path)
    assert leaks == []
    assert collected.sections["waits"].command("true").rc == 0
