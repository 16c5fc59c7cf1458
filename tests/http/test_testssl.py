"""testssl.sh (Debian package `testssl.sh`) as an oracle: protocol support and certificate facts of both
lab sites must agree with ours. Bounded: protocols and server defaults only, both sites in parallel."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from assess.catalog.schema import Problems
from assess.model import Target
from assess.probes.http import collector
from assess.probes.http.target import connection
from assess.probes.registry import facts_for
from tests.conftest import lab_unavailable

pytestmark = pytest.mark.lab
TESTSSL = shutil.which("testssl") or shutil.which("testssl.sh")
PROTOCOL_IDS = {"SSLv3": "SSLv3", "TLS1": "TLSv1.0", "TLS1_1": "TLSv1.1", "TLS1_2": "TLSv1.2", "TLS1_3": "TLSv1.3"}


@pytest.fixture(scope="module")
def testssl_runs(weblab, tmp_path_factory):
    if not TESTSSL:
        lab_unavailable("testssl.sh is not installed (Debian package testssl.sh)")
    out = tmp_path_factory.mktemp("testssl")
    procs = {}
    for site in (weblab.strong, weblab.weak):
        hostport = site.https[len("https://"):].rstrip("/")
        procs[site.name] = subprocess.Popen(
            [TESTSSL, "--protocols", "--server-defaults", "--quiet", "--color", "0", "--warnings", "off",
             "--nodns", "none", "--ip", "127.0.0.1", "--add-ca", str(weblab.files["ca"]),
             "--openssl-timeout", "5", "--connect-timeout", "5", "--jsonfile", str(out / f"{site.name}.json"),
             hostport], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=out)
    findings = {}
    for name, proc in procs.items():
        try:
            _out, err = proc.communicate(timeout=240)
        except subprocess.TimeoutExpired:
            proc.kill()
            pytest.fail(f"testssl.sh on the {name} site took more than 240 s")
        data = json.loads((out / f"{name}.json").read_text())
        findings[name] = {d["id"]: d["finding"] for d in data}
        assert findings[name], err.decode()[-500:]
    return findings


def _ours(weblab, site) -> dict:
    problems = Problems()
    conn = connection({"url": site.https, "rate": 200, "ca_file": str(weblab.files["ca"])}, problems, "test")
    registry = facts_for("webapp")
    ev = collector.collect(Target(id=site.name, type="webapp", connection=conn),
                           [registry["tls_protocols"], registry["tls_certificate"]])
    return {n: f.value for n, f in ev.facts.items()}


@pytest.mark.parametrize("name", ["strong", "weak"])
def test_protocols_agree_with_testssl(weblab, testssl_runs, name):
    site = getattr(weblab, name)
    ours = _ours(weblab, site)["tls_protocols"]["by_origin"][0]
    theirs = testssl_runs[name]
    for tid, ours_name in PROTOCOL_IDS.items():
        offered = theirs[tid].startswith("offered")
        assert ours[ours_name] is offered, f"{ours_name}: ours {ours[ours_name]}, testssl.sh '{theirs[tid]}'"


@pytest.mark.parametrize("name", ["strong", "weak"])
def test_certificate_facts_agree_with_testssl(weblab, testssl_runs, name):
    site = getattr(weblab, name)
    cert = _ours(weblab, site)["tls_certificate"]["by_origin"][0]
    theirs = testssl_runs[name]
    assert theirs["cert_keySize"].startswith(f"{cert['key_type']} {cert['key_bits']} bits")
    assert theirs["cert_signatureAlgorithm"].upper().startswith(cert["signature_hash"].upper())
    assert (theirs["cert_expirationStatus"] == "expired") is cert["expired"]
    assert theirs["cert_notAfter"] == cert["not_after"].replace("T", " ")[:16]
    assert ("self signed" in theirs["cert_chain_of_trust"] and "CA in chain" not in theirs["cert_chain_of_trust"]) \
        is cert["self_signed"]
    assert theirs["cert_chain_of_trust"].startswith("passed") is cert["trusted"]
    assert theirs["cert_trust"].startswith("Ok") is cert["hostname_match"]
    assert theirs["cert_commonName"] in cert["subject"]
