"""The issue's web cases through the whole scan pipeline (real HTTP on loopback): an API answering every
unknown path with 200 and the path echoed, listing orders keyed by UUIDs, behind `Via: 1.1 varnish`, is
assessed as exposing nothing, leaking no PI and disclosing no version, so no 重大风险隐患 A-18 and no PI
high risk fire. The same site with a real Druid console, a phone number and a versioned Server header
still triggers them."""

from __future__ import annotations

import json

import pytest

from assess.catalog import load as catalog_mod
from assess.catalog import profile as profile_mod
from assess.inventory import load as inventory
from assess.run import scan as scan_mod
from tests.http.conftest import check_statuses, write_inventory
from tests.http.loopback import Answer, serve

ORDERS = {"orders": [{"id": "8f14e45f-ceea-4e5a-8a3f-c13912345678", "amount": 4532015112830366}]}


def _site(weak: bool):
    def route(path: str) -> Answer:
        server = "nginx/1.22.1" if weak else "nginx"
        via = [("Via", "1.1 varnish")]
        if path == "/api/orders":
            body = dict(ORDERS, contact="13812345678") if weak else ORDERS
            return Answer(body=json.dumps(body), ctype="application/json", headers=via, server=server)
        if weak and path == "/druid/index.html":
            return Answer(body="<html><head><title>Druid Stat Index</title></head></html>", server=server)
        return Answer(body=json.dumps({"code": 404, "msg": f"No handler found for GET {path}"}),
                      ctype="application/json", headers=via, server=server)
    return route


def _scan(tmp_path, base: str) -> dict:
    targets = inventory.load(write_inventory(tmp_path / "inv.yaml", [
        {"id": "api", "type": "webapp", "url": base, "tags": ["internet-facing"], "rate": 1000, "timeout": 5,
         "endpoints": ["/api/orders"]}]))
    cat = catalog_mod.load()
    outcome = scan_mod.run(cat, profile_mod.load("level3", cat), targets, tmp_path / "out")
    assert outcome.collection_errors == {}
    return outcome.document


RULES = {"HR-CES-default-account", "HR-CES-pi-misuse", "HR-CES-pi-collection"}


@pytest.mark.parametrize("weak", [False, True], ids=["soft-404", "exposed"])
def test_soft_404_uuid_api_behind_varnish(tmp_path, weak):
    with serve(_site(weak)) as base:
        doc = _scan(tmp_path, base)
    checks = check_statuses(doc, "api")
    want = "fail" if weak else "pass"
    for check in ("webapp.exposure.sensitive_paths", "webapp.auth.admin_consoles_hidden",
                  "webapp.pii.anonymous_responses_masked", "webapp.exposure.version_banners"):
        assert (check, checks[check]) == (check, want)
    fired = {f["rule"] for f in doc["highrisk"] if f["object"] == "api" and f["status"] == "triggered"}
    majors = {f["cases"].get("major") for f in doc["highrisk"] if f["object"] == "api"
              and f["status"] == "triggered"}
    if weak:
        assert {"HR-CES-default-account", "HR-CES-pi-misuse"} <= fired and "A-18" in majors
    else:
        assert not fired & RULES and "A-18" not in majors
