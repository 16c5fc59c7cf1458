"""`assess scan` over SSH against the lab: failure semantics, trust-on-first-use, Ctrl-C and --resume."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import FIXTURES

MINI = FIXTURES / "controls-mini"
pytestmark = pytest.mark.lab


def assess(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assess", *args], capture_output=True, text=True, timeout=timeout)


def only_run(out: Path) -> Path:
    runs = [p for p in out.iterdir() if p.is_dir()]
    assert len(runs) == 1, runs
    return runs[0]


def scan_args(inv: Path, out: Path, *extra: str) -> list[str]:
    """A scan with the small controls tree of the fixtures: these tests are about reaching hosts."""
    return ["scan", "-i", str(inv), "--out", str(out), "--no-history", "--format", "json",
            "--controls", str(MINI), *extra]


def failures(stderr: str) -> dict[str, str]:
    """The end-of-scan list of failed objects: {object id: reason}."""
    block = stderr.split("collection failed on ", 1)[1].splitlines()[1:]
    return dict(line.strip().split(": ", 1) for line in block if line.startswith("  "))


def test_failed_hosts_are_errors_the_others_finish_exit_3(lab, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    hard, weak = lab.host("deb-hardened"), lab.host("deb-weak")
    inv = lab.inventory(tmp_path / "inv.yaml", [
        {"id": "good", "address": "127.0.0.1", "port": hard.port},
        {"id": "refused", "address": "127.0.0.1", "port": closed},
        {"id": "stranger", "address": "127.0.0.1", "port": weak.port, "known_hosts": str(empty)},
        {"id": "wrong-user", "address": "127.0.0.1", "port": hard.port, "user": "nobody-here"},
        {"id": "behind-dead-bastion", "address": "127.0.0.2", "port": 22, "jump": "refused"},
    ])
    proc = assess(*scan_args(inv, tmp_path / "out"))
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "collection failed on 4 object(s):" in proc.stderr
    failed = failures(proc.stderr)
    assert sorted(failed) == ["behind-dead-bastion", "refused", "stranger", "wrong-user"]
    assert failed["refused"] == f"connection refused by [127.0.0.1]:{closed} (no SSH server on that port)"
    assert failed["stranger"].startswith(f"host key of [127.0.0.1]:{weak.port} is unknown")
    assert failed["wrong-user"].startswith("authentication failed for nobody-here@")
    assert failed["behind-dead-bastion"].startswith("jump host refused: connection refused")
    run_dir = only_run(tmp_path / "out")
    doc = json.loads((run_dir / "results.json").read_text())
    objects = {o["id"]: o for o in doc["objects"]}
    assert objects["good"]["reachable"] is True and objects["good"]["collector"]["host_key"]["sha256"]
    assert objects["refused"]["reachable"] is False
    verdicts = {r["verdict"] for r in doc["results"] if r["object"] == "refused"}
    assert verdicts == {"error"}
    good = json.loads((run_dir / "evidence" / "good.json").read_text())
    assert good["error"] is None and good["facts"]["collector"]["value"]["hostname"] == "deb-hardened"


def test_trust_on_first_use_from_the_command_line(lab, tmp_path):
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    names = ["deb-weak", "centos7", "internal"]
    objects = [{"id": n, "address": lab.host(n).address, "port": lab.host(n).ssh_port,
                "known_hosts": str(empty)} for n in names]
    objects[-1]["jump"] = "bastion"
    objects.append({"id": "bastion", "address": "127.0.0.1", "port": lab.host("bastion").port,
                    "known_hosts": str(empty)})
    inv = lab.inventory(tmp_path / "inv.yaml", objects)
    refused = assess(*scan_args(inv, tmp_path / "strict"))
    assert refused.returncode == 3 and len(failures(refused.stderr)) == 4
    proc = assess(*scan_args(inv, tmp_path / "out", "--trust-on-first-use"))
    assert proc.returncode == 0, proc.stderr
    run_dir = only_run(tmp_path / "out")
    record = (run_dir / "known_hosts.tofu").read_text().splitlines()
    assert len(record) == 4 and proc.stderr.count("assess: trust-on-first-use: accepted ") == 4
    assert {line.split()[0] for line in record} == {lab.host(n).known_name for n in [*names, "bastion"]}
    for n in [*names, "bastion"]:
        ev = json.loads((run_dir / "evidence" / f"{n}.json").read_text())
        assert ev["info"]["host_key"]["sha256"] == lab.host(n).fingerprints[ev["info"]["host_key"]["type"]]


def test_ctrl_c_keeps_finished_hosts_and_resume_finishes(lab, tmp_path):
    inv = lab.inventory(tmp_path / "inv.yaml")
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "assess", *scan_args(inv, out, "--concurrency", "1")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    evidence: list[Path] = []
    while time.monotonic() < deadline and not evidence:
        time.sleep(0.05)
        evidence = list(out.glob("*/evidence/*.json"))
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    run_dir = only_run(out)
    assert f"assess scan --resume {run_dir}" in stderr and "Traceback" not in stderr
    kept = {p.name: p.read_bytes() for p in (run_dir / "evidence").glob("*.json")}
    assert 1 <= len(kept) < len(lab.hosts)
    partial = json.loads((run_dir / "results.json").read_text())
    assert partial["run"]["interrupted"] is True
    unfinished = [o for o in partial["objects"] if o["error"] and "interrupted" in o["error"]]
    assert len(unfinished) == len(lab.hosts) - len(kept) and all(o["evidence"] is None for o in unfinished)

    resumed = assess("scan", "--resume", str(run_dir), "--no-history", "--format", "json")  # options from scan.json
    assert resumed.returncode == 0, resumed.stderr
    assert [p for p in out.iterdir() if p.is_dir()] == [run_dir]
    after = {p.name: p.read_bytes() for p in (run_dir / "evidence").glob("*.json")}
    assert len(after) == len(lab.hosts) and all(after[name] == data for name, data in kept.items())
    doc = json.loads((run_dir / "results.json").read_text())
    assert "interrupted" not in doc["run"] and doc["run"]["id"] == partial["run"]["id"]
    assert all(o["reachable"] for o in doc["objects"] if o["type"] == "linux")
