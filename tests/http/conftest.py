"""The web lab (real nginx + demo app) as a session fixture, and helpers to scan it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import lab_unavailable
from tests.lab import nginx

TEST_PASSWORD_ENV = "ASSESS_LAB_QA_PASSWORD"


@pytest.fixture(scope="session")
def weblab() -> Iterator[nginx.WebLab]:
    reason = nginx.unavailable()
    if reason:
        lab_unavailable(reason)
    try:
        running = nginx.WebLab.start()
    except (RuntimeError, OSError) as exc:
        lab_unavailable(f"the web lab did not start: {exc}")
        raise
    try:
        yield running
    finally:
        running.stop()


def site_object(lab: nginx.WebLab, site: nginx.Site, *, idle_wait: float = 0) -> dict[str, Any]:
    """The inventory entry of one lab site."""
    weak = site.name == "weak"
    return {
        "id": f"{site.name}-portal", "type": "webapp", "name": f"{site.name} lab portal",
        "url": [site.https, site.http], "tags": ["internet-facing"], "rate": 200,
        "endpoints": ["/api/drivers", {"path": "/api/me", "auth": True}, {"path": "/admin/users", "auth": True}],
        "privacy_policy": "/privacy-policy" if weak else "/privacy",
        "ca_file": str(lab.files["ca"]), "default_accounts": True,
        "login": {"url": "/login", "username": "qa-tester", "password_env": TEST_PASSWORD_ENV, "check": "/api/me",
                  "logout": "/logout", "idle_wait": idle_wait},
    }


def write_inventory(path: Path, objects: list[dict[str, Any]]) -> Path:
    path.write_text(yaml.safe_dump({"objects": objects, "interview_objects": False}, allow_unicode=True))
    return path


def verdicts(doc: dict[str, Any], object_id: str) -> dict[str, str]:
    return {r["item"]: r["verdict"] for r in doc["results"] if r["object"] == object_id}


def check_statuses(doc: dict[str, Any], object_id: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for r in doc["results"]:
        if r["object"] == object_id:
            for c in r["checks"]:
                out[c["check"]] = c["status"]
    return out
