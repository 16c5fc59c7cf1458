"""Bad input for the HTTP probe: a URL that does not answer, a TLS handshake failure, a redirect loop,
a 10 MB body, and attempts to leave the inventory's URLs. Each makes the affected facts `error` with a
reason; the scan goes on. Served by the stdlib demo app on loopback (no nginx needed)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from assess.catalog import load as catalog_mod
from assess.catalog import profile as profile_mod
from assess.catalog.schema import Problems
from assess.inventory import load as inventory
from assess.model import Target
from assess.probes.http import collector
from assess.probes.http.client import Client, OutOfScope, RateLimiter
from assess.probes.registry import facts_for
from assess.run import scan as scan_mod
from tests.http.conftest import write_inventory
from tests.lab.demoapp import DemoApp


@pytest.fixture(scope="module")
def app():
    running = DemoApp(strong=False).start()
    yield running
    running.stop()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _webapp(url: str | list[str], **extra) -> Target:
    from assess.probes.http.target import connection

    problems = Problems()
    conn = connection({"url": url, "rate": 500, "timeout": 3, **extra}, problems, "test")
    assert not problems, problems
    return Target(id="t", type="webapp", connection=conn)


def _collect(target: Target, names: list[str]) -> dict:
    registry = facts_for("webapp")
    ev = collector.collect(target, [registry[n] for n in names])
    return ev


def test_url_that_does_not_answer_is_an_object_error(tmp_path):
    port = _closed_port()
    targets = inventory.load(write_inventory(tmp_path / "inv.yaml", [
        {"id": "gone", "type": "webapp", "url": f"https://127.0.0.1:{port}/", "timeout": 2}]))
    cat = catalog_mod.load()
    outcome = scan_mod.run(cat, profile_mod.load("level3", cat), targets, tmp_path / "out")
    assert "no answer from" in outcome.collection_errors["gone"]
    rows = [r for r in outcome.document["results"] if r["object"] == "gone"]
    assert rows and all(r["verdict"] in ("error", "manual", "na") for r in rows)
    assert any(r["verdict"] == "error" for r in rows)


def test_tls_handshake_failure_is_a_reasoned_error(app):
    ev = _collect(_webapp(f"https://127.0.0.1:{app.port}/"), ["tls_protocols", "hsts"])
    assert ev.facts["tls_protocols"].status == "error"
    assert "not a TLS server" in ev.facts["tls_protocols"].reason or "no protocol" in ev.facts["tls_protocols"].reason
    assert ev.facts["hsts"].status == "error"
    assert "TLS" in ev.facts["hsts"].reason or "https" in ev.facts["hsts"].reason


def test_redirect_loop_is_an_error_and_other_facts_go_on(app):
    ev = _collect(_webapp([f"http://127.0.0.1:{app.port}/loop", f"http://127.0.0.1:{app.port}/"]),
                  ["security_headers", "sensitive_paths", "version_disclosure"])
    assert ev.facts["security_headers"].status == "error"
    assert "redirect loop" in ev.facts["security_headers"].reason
    assert ev.facts["sensitive_paths"].status == "ok"
    assert ev.error is None


def test_ten_megabyte_body_is_an_error_for_the_pi_scan_only(app):
    base = f"http://127.0.0.1:{app.port}/"
    target = _webapp(base, endpoints=["/api/big", "/api/drivers"])
    ev = _collect(target, ["personal_info", "version_disclosure"])
    pi = ev.facts["personal_info"]
    assert pi.status == "error" and "/api/big" in pi.reason and "cannot rule out" in pi.reason
    assert ev.facts["version_disclosure"].status == "ok"
    sizes = [t.get("body_bytes") for f in ev.raw.values() for t in f["transcripts"] if t.get("url", "").endswith("big")]
    assert sizes and max(sizes) <= 1024 * 1024


def test_the_client_never_leaves_the_inventory_urls():
    client = Client(["https://127.0.0.1:1/app/"], RateLimiter(100))
    for url in ("https://127.0.0.1:1/other/", "https://127.0.0.2:1/app/", "http://127.0.0.1:1/app/",
                "https://127.0.0.1:2/app/", "https://example.com/app/"):
        with pytest.raises(OutOfScope):
            client.get(url)
    assert client.requests == 0


def test_redirects_off_the_inventory_are_not_followed(app):
    client = Client([f"http://127.0.0.1:{app.port}/"], RateLimiter(100))
    chain, stop = client.follow(f"http://127.0.0.1:{app.port}/account")  # → /login, in scope
    assert stop == "" and chain[-1].url.endswith("/login")
    client2 = Client([f"http://127.0.0.1:{app.port}/account"], RateLimiter(100))
    chain, stop = client2.follow(f"http://127.0.0.1:{app.port}/account")
    assert len(chain) == 1 and "leaves the inventory URLs" in stop


def test_inventory_rejects_endpoints_outside_the_urls_and_written_passwords(tmp_path):
    from assess.errors import LintErrors

    path = write_inventory(tmp_path / "inv.yaml", [
        {"id": "w", "type": "webapp", "url": "https://app.example.com/portal/",
         "endpoints": ["https://evil.example.com/x", "/portal/api"],
         "login": {"url": "/portal/login", "username": "qa", "password": "hunter2"}},
        {"id": "v", "type": "webapp", "url": "ftp://files.example.com/"}])
    with pytest.raises(LintErrors) as info:
        inventory.load(path)
    text = "\n".join(info.value.problems)
    assert "outside the object's URLs" in text
    assert "secrets never live in the inventory" in text
    assert "not an http(s) base URL" in text
    assert all(p.startswith(str(path)) for p in info.value.problems)


def test_scan_cli_reports_bad_webapp_inventory_without_traceback(tmp_path):
    from click.testing import CliRunner

    from assess.cli import main

    path = write_inventory(tmp_path / "inv.yaml", [{"id": "w", "type": "webapp", "url": "notaurl", "rate": 0}])
    result = CliRunner().invoke(main, ["scan", "-i", str(path), "--out", str(tmp_path / "o"), "--no-history"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert f"{path}:" in result.output


def test_unreachable_facts_keep_their_reason(tmp_path: Path):
    port = _closed_port()
    ev = _collect(_webapp(f"http://127.0.0.1:{port}/"), ["sensitive_paths", "cookies"])
    assert ev.error and "no answer" in ev.error
