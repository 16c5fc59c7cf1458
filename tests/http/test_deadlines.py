"""Absolute deadlines against a real server that trickles its answer, and SIGTERM on a real scan."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
import yaml

from assess.probes.http.client import Client, FetchError, RateLimiter
from tests.http.slowserver import RESPONSE, slow_server

HEADERS = RESPONSE.index(b"\r\n\r\n") + 4


@pytest.mark.parametrize("prefix", [5, HEADERS + 10], ids=["status-line", "body"])
def test_a_trickling_server_cannot_outlast_the_request_deadline(prefix):
    """One byte every 0.2 s never trips a 1 s socket timeout; the exchange still ends at 3 × 1 s."""
    with slow_server(prefix) as server:
        client = Client([server.url], RateLimiter(100), timeout=1.0)
        t0 = time.monotonic()
        with pytest.raises(FetchError, match="no complete answer within 3 s"):
            client.get(server.url)
        elapsed = time.monotonic() - t0
        client.close()
    assert elapsed < 20, elapsed  # 3 s deadline; generous for a loaded machine (without it: 60 s and more)
    record = next(iter(client.transcripts.values()))
    assert "no complete answer" in record["error"]


def test_the_object_budget_and_cancellation_stop_requests():
    with slow_server(5) as server:
        client = Client([server.url], RateLimiter(100), timeout=10.0, deadline=time.monotonic() + 1.0)
        with pytest.raises(FetchError, match="time budget"):
            client.get(server.url)
        cancel = threading.Event()
        client = Client([server.url], RateLimiter(100), timeout=10.0, cancel=cancel)
        server.asked.clear()
        stopper = threading.Thread(target=lambda: (server.asked.wait(30), cancel.set()))
        stopper.start()
        t0 = time.monotonic()
        with pytest.raises(FetchError, match="interrupted"):
            client.get(server.url)
        stopper.join()
        assert time.monotonic() - t0 < 20


def test_sigterm_writes_what_finished_and_prints_the_resume_command(tmp_path):
    """A real `assess scan` whose web object trickles: SIGTERM keeps the local host's evidence, writes
    results.json and prints how to resume, like Ctrl-C."""
    if os.geteuid() != 0:
        pytest.skip("the local collection of a full scan needs root")
    with slow_server(5) as server:
        inv = tmp_path / "inv.yaml"
        inv.write_text(yaml.safe_dump({"objects": [
            {"id": "here", "type": "linux", "transport": "local"},
            {"id": "slow", "type": "webapp", "url": server.url, "timeout": 60}]}))
        out = tmp_path / "out"
        proc = subprocess.Popen([sys.executable, "-m", "assess", "scan", "-i", str(inv), "--out", str(out),
                                 "--no-history", "-q"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert server.asked.wait(120), "the scan never asked the slow server"
            evidence = None
            t0 = time.monotonic()
            while evidence is None and time.monotonic() - t0 < 120 and proc.poll() is None:
                evidence = next(out.glob("*/evidence/here.json"), None)  # the local object finished
                if evidence is None:
                    try:
                        proc.wait(timeout=0.1)
                    except subprocess.TimeoutExpired:
                        pass
            assert evidence is not None, "the local object was never collected"
            assert proc.poll() is None, proc.communicate()
            proc.send_signal(signal.SIGTERM)
            stdout, stderr = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert proc.returncode == 130, stderr
    run_dir = evidence.parent.parent
    assert f"assess scan --resume {run_dir}" in stderr
    doc = json.loads((run_dir / "results.json").read_text())
    assert doc["run"]["interrupted"] is True
    objects = {o["id"]: o for o in doc["objects"]}
    assert objects["here"]["reachable"] is True and objects["slow"]["evidence"] is None
    assert "interrupted" in objects["slow"]["error"]
