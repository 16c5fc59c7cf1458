"""Every Linux check of the catalog, on every lab host, gives the status tests/lab/expected.yaml records.

One real `assess scan` over SSH (shipped controls, level3 profile) covers all lab hosts, the internal one
through the bastion, one host as a sudo user and the same host as a user without sudo.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from assess.catalog import load as catalog_mod
from assess.model import CHECK_STATUSES

pytestmark = pytest.mark.lab

EXPECTED = Path(__file__).resolve().parent / "expected.yaml"
STATUSES = set(CHECK_STATUSES)


def expected() -> tuple[list[str], dict[str, dict[str, str]]]:
    data = yaml.safe_load(EXPECTED.read_text(encoding="utf-8"))
    hosts = data["hosts"]
    table = {}
    for check, row in data["checks"].items():
        assert len(row) == len(hosts) and set(row) <= STATUSES, f"{EXPECTED.name}: bad row for {check}: {row}"
        table[check] = dict(zip(hosts, row, strict=True))
    return hosts, table


def lab_objects(lab) -> list[dict]:
    """The inventory of the table's columns."""
    objects = []
    for host in lab.hosts.values():
        obj = {"id": host.name, "address": host.address, "port": host.ssh_port}
        if not host.spec.exposed:
            obj["jump"] = host.spec.network
        if host.name == "deb-sudo":
            obj.update(user="auditor", become="sudo", become_password_env="LAB_SUDO_PW")
        objects.append(obj)
    objects.append({"id": "deb-nonroot", "address": "127.0.0.1", "port": lab.host("deb-sudo").port, "user": "guest"})
    return objects


def test_table_covers_every_linux_check_of_the_catalog():
    _hosts, table = expected()
    linux = {c.id for c in catalog_mod.load().checks.values() if c.object_type == "linux"}
    missing, stale = sorted(linux - set(table)), sorted(set(table) - linux)
    assert not missing, f"linux checks without an expected verdict per lab host in {EXPECTED.name}: {missing}"
    assert not stale, f"{EXPECTED.name} lists checks the catalog no longer has: {stale}"


def test_every_linux_check_on_every_lab_host(lab, tmp_path):
    hosts, table = expected()
    objects = lab_objects(lab)
    assert [o["id"] for o in objects] == hosts
    inventory = lab.inventory(tmp_path / "inventory.yaml", objects)
    env = dict(os.environ, LAB_SUDO_PW=lab.sudo_password)
    proc = subprocess.run([sys.executable, "-m", "assess", "scan", "-q", "-i", str(inventory), "--out",
                           str(tmp_path / "out"), "--no-history", "--format", "json"],
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode in (0, 1), proc.stderr
    doc = json.loads(next((tmp_path / "out").glob("*/results.json")).read_text(encoding="utf-8"))
    assert all(o["reachable"] for o in doc["objects"] if o["type"] == "linux"), doc["objects"]
    found: dict[tuple[str, str], tuple[str, str]] = {}
    for result in doc["results"]:
        for check in result["checks"]:
            found[(check["check"], result["object"])] = (check["status"], check["reason"])
    wrong = []
    for check, row in sorted(table.items()):
        for host, want in row.items():
            got, reason = found.get((check, host), ("missing", "not evaluated on this host"))
            if got != want:
                wrong.append(f"{check} on {host}: expected {want}, got {got} ({reason[:200]})")
    assert not wrong, f"{len(wrong)} lab verdicts differ from {EXPECTED.name}:\n" + "\n".join(wrong)
