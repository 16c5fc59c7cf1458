"""Bad input for the cloud-account object: a denied permission, wrong credentials, throttling, calls off the
read-only allow-list, credentials written into the inventory."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml

from assess.errors import LintErrors
from assess.inventory import load as inventory
from assess.model import Target
from assess.probes.cloud import aws
from assess.probes.cloud.collector import collect
from assess.probes.facts import facts_for
from tests.cloud import accounts
from tests.cloud.conftest import moto_server
from tests.cloud.evaluate import run_checks


@pytest.fixture(scope="module")
def moto_auth(tmp_path_factory):
    """A moto server that enforces IAM policies after its first 3 actions (the test's own setup)."""
    yield from moto_server(tmp_path_factory, "moto-auth", {"INITIAL_NO_AUTH_ACTION_COUNT": "3"})


def target(url: str, regions: list[str] | None = None) -> Target:
    return Target("acct", "cloud-account", connection={"transport": "cloud", "provider": "aws",
                                                       "regions": regions or [accounts.MAINLAND], "endpoint_url": url})


def test_a_denied_permission_makes_only_its_facts_undecided(moto_auth, monkeypatch):
    iam = moto_auth.client("iam")
    iam.create_user(UserName="auditor")
    iam.put_user_policy(UserName="auditor", PolicyName="readonly-but-sg",
                        PolicyDocument=accounts.deny_policy(["ec2:DescribeSecurityGroups"]))
    key = iam.create_access_key(UserName="auditor")["AccessKey"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    facts = facts_for("cloud-account")
    ev = collect(target(moto_auth.url), [facts["cloud_security_groups"], facts["cloud_networks"]])
    assert ev.error is None
    sg = ev.facts["cloud_security_groups"]
    assert sg.status == "error" and "ec2:DescribeSecurityGroups" in sg.reason and "无法判定" in sg.reason
    assert ev.facts["cloud_networks"].status == "ok"
    assert key["SecretAccessKey"] not in str(ev.as_dict())
    assert run_checks(ev, ["cloud.sg.no-world-sensitive-ports"]) == {"cloud.sg.no-world-sensitive-ports": "error"}


def test_wrong_credentials_put_the_object_in_error(moto_auth, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAWRONGWRONGWRONG0")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong")
    ev = collect(target(moto_auth.url), [facts_for("cloud-account")["cloud_networks"]])
    assert ev.error and ev.error.startswith("no API call was answered")
    assert ev.facts["cloud_networks"].status == "error"


_EMPTY_SG = (b'<?xml version="1.0" encoding="UTF-8"?><DescribeSecurityGroupsResponse '
             b'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><securityGroupInfo/>'
             b'</DescribeSecurityGroupsResponse>')
_THROTTLED = (b'<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>RequestLimitExceeded</Code>'
              b'<Message>Request limit exceeded.</Message></Error></Errors><RequestID>r</RequestID></Response>')


class _Throttling(BaseHTTPRequestHandler):
    """An EC2 endpoint that throttles the first two requests (the error EC2 documents), then answers."""

    hits: list[str] = []

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).hits.append(self.path)
        throttled = len(type(self).hits) <= 2
        body = _THROTTLED if throttled else _EMPTY_SG
        self.send_response(503 if throttled else 200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def throttling():
    _Throttling.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Throttling)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Throttling.hits
    server.shutdown()
    server.server_close()


def test_throttling_is_retried_with_backoff(throttling):
    url, hits = throttling
    ev = collect(target(url), [facts_for("cloud-account")["cloud_security_groups"]])
    assert ev.facts["cloud_security_groups"].status == "ok", ev.facts["cloud_security_groups"].reason
    assert len(hits) == 3


def test_only_read_operations_are_allowed(throttling):
    url, hits = throttling
    for service, ops in aws.ALLOWED.items():
        assert ops and all(op.startswith(("Describe", "List", "Get")) for op in ops), service
    src = aws.AWSSource([accounts.MAINLAND], endpoint_url=url)
    for service, op in (("ec2", "RevokeSecurityGroupIngress"), ("ec2", "DescribeInstanceAttributeX"),
                        ("s3", "PutBucketAcl"), ("iam", "DeleteAccessKey"), ("rds", "DescribeDBLogFiles")):
        with pytest.raises(aws.NotAllowed):
            src.call(service, op)
    assert hits == []  # refused before anything was sent


@pytest.mark.parametrize("key", ["secret_access_key", "aws_secret_access_key", "access_key_id"])
def test_credentials_in_the_inventory_are_refused(tmp_path, key):
    inv = tmp_path / "inventory.yaml"
    inv.write_text(yaml.safe_dump({"objects": [{"id": "acct", "type": "cloud-account", "provider": "aws",
                                                key: "AKIAEXAMPLE"}]}), encoding="utf-8")
    with pytest.raises(LintErrors) as err:
        inventory.load(inv)
    assert any("credentials never live in the inventory" in p for p in err.value.problems)
