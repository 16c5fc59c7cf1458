"""Notifications against a real HTTP receiver on 127.0.0.1, one per format, and every way posting can fail."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import urllib.parse
from datetime import datetime, timedelta, timezone
from pathlib import Path

from assess.history import diff, notify
from tests.history.helpers import doc, row, write_run
from tests.history.receiver import Receiver

SECRET = "SECtest-secret"


def _event(regressions: int = 1) -> dict:
    a_rows = [row(f"L3-CES1-{i + 1:02d}", f"w{i}", "pass") for i in range(regressions)]
    b_rows = [row(f"L3-CES1-{i + 1:02d}", f"w{i}", "fail") for i in range(regressions)]
    b = doc("B", b_rows, rate=0.4, major=[{"rule": "HR-CES-weak", "object": "w0", "title": "弱口令",
                                           "status": "triggered"}])
    drift = diff.compare(diff.snapshot_from_document(doc("A", a_rows)), diff.snapshot_from_document(b))
    event = notify.build_event(b, drift, [], schedule="nightly")
    assert event is not None
    return event


def test_nothing_to_alert_on_gives_no_event() -> None:
    same = doc("A", [row("L3-CES1-01", "w", "pass")])
    drift = diff.compare(diff.snapshot_from_document(same), diff.snapshot_from_document(same))
    assert notify.build_event(same, drift, []) is None


def test_generic_webhook() -> None:
    with Receiver() as r:
        delivery = notify.send(r.url + "/hook", "generic", _event())
    assert delivery.ok, delivery.detail
    body = r.requests[0]["json"]
    assert body["schema"] == "assess/alert@1" and body["reasons"] == ["regression", "major-risk"]
    assert body["regressed"][0]["item"] == "L3-CES1-01" and body["regressed"][0]["to"] == "fail"
    assert body["new_major_risks"][0]["rule"] == "HR-CES-weak"
    assert r.requests[0]["headers"]["Content-Type"].startswith("application/json")


def test_dingtalk_signed_markdown() -> None:
    with Receiver(answer={"errcode": 0, "errmsg": "ok"}) as r:
        delivery = notify.send(r.url + "/robot/send?access_token=tok", "dingtalk", _event(), SECRET)
    assert delivery.ok, delivery.detail
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(r.requests[0]["path"]).query)
    assert query["access_token"] == ["tok"]
    ts = query["timestamp"][0]
    expected = base64.b64encode(hmac.new(SECRET.encode(), f"{ts}\n{SECRET}".encode(), hashlib.sha256).digest())
    assert query["sign"] == [expected.decode()]
    body = r.requests[0]["json"]
    assert body["msgtype"] == "markdown" and "title" in body["markdown"]
    assert "L3-CES1-01" in body["markdown"]["text"] and "退化项" in body["markdown"]["text"]


def test_wecom_markdown_fits_its_limit() -> None:
    with Receiver(answer={"errcode": 0, "errmsg": "ok"}) as r:
        delivery = notify.send(r.url + "/cgi-bin/webhook/send?key=k", "wecom", _event(regressions=40))
    assert delivery.ok, delivery.detail
    body = r.requests[0]["json"]
    assert body["msgtype"] == "markdown"
    content = body["markdown"]["content"]
    assert len(content.encode("utf-8")) <= 4096
    assert "另有 25 项" in content  # 40 regressions, 15 listed


def test_feishu_signed_text() -> None:
    with Receiver(answer={"code": 0, "msg": "success"}) as r:
        delivery = notify.send(r.url + "/open-apis/bot/v2/hook/abc", "feishu", _event(), SECRET)
    assert delivery.ok, delivery.detail
    body = r.requests[0]["json"]
    assert body["msg_type"] == "text" and "L3-CES1-01" in body["content"]["text"]
    key = f"{body['timestamp']}\n{SECRET}".encode()
    assert body["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def test_failures_are_reported_never_raised() -> None:
    event = _event()
    with Receiver(answer={"errcode": 310000, "errmsg": "sign not match"}) as r:
        robot = notify.send(r.url + "/robot/send?access_token=secret-token", "dingtalk", event)
    assert not robot.ok and "robot error 310000: sign not match" in robot.detail
    assert "secret-token" not in robot.detail
    with Receiver(answer={"code": 19024, "msg": "Key Words Not Found"}) as r:
        feishu = notify.send(r.url + "/open-apis/bot/v2/hook/abc", "feishu", event)
    assert not feishu.ok and "19024" in feishu.detail
    with Receiver(status=500) as r:
        server_error = notify.send(r.url + "/hook", "generic", event)
    assert not server_error.ok and "HTTP 500" in server_error.detail
    with Receiver(delay=1.0) as r:
        slow = notify.send(r.url + "/hook", "generic", event, timeout=0.3)
    assert not slow.ok and "timed out" in slow.detail
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    refused = notify.send(f"http://127.0.0.1:{port}/hook", "generic", event)
    assert not refused.ok and "refused" in refused.detail.lower()
    assert not notify.send("file:///etc/passwd", "generic", event).ok


def test_redact_hides_tokens() -> None:
    assert notify.redact("https://oapi.dingtalk.com/robot/send?access_token=abc") == \
        "https://oapi.dingtalk.com/robot/send?…"
    assert "abc" not in notify.redact("https://open.feishu.cn/open-apis/bot/v2/hook/abc")


def test_expiring_certificate_from_evidence(tmp_path: Path) -> None:
    now = datetime(2026, 6, 1, tzinfo=timezone.utc)
    d = doc("B", [row("L3-CES1-27", "web", "pass")])
    d["objects"][0]["evidence"] = "evidence/web.json"
    run_dir = write_run(tmp_path, d)
    soon = (now + timedelta(days=10)).isoformat().replace("+00:00", "Z")
    later = (now + timedelta(days=200)).isoformat().replace("+00:00", "Z")
    facts = {"tls": {"status": "ok", "value": {"chain": [{"subject": "CN=app.example", "not_after": soon},
                                                         {"subject": "CN=CA", "not_after": later}]}}}
    (run_dir / "evidence" / "web.json").write_text(json.dumps({"facts": facts, "raw": {}}), encoding="utf-8")
    certs = notify.certificates(run_dir, d, now)
    assert [(c["subject"], c["days_left"]) for c in certs] == [("CN=app.example", 10), ("CN=CA", 200)]
    event = notify.build_event(d, None, certs, cert_days=30)
    assert event is not None and event["reasons"] == ["certificate-expiry"]
    assert [c["subject"] for c in event["expiring_certificates"]] == ["CN=app.example"]
    assert notify.build_event(d, None, certs, cert_days=5) is None


def test_alerts_on_new_fail_on_pass_to_undetermined_and_on_coverage_lost() -> None:
    """Issue 16.1: not only regressions and new major risks: a new 不符合 (from 待核查), a 符合 → 无法判定 and
    an object that could not be collected each raise an alert, and the message says the coverage first."""
    up = [{"id": "w", "type": "linux", "address": "w.example"},
          {"id": "web", "type": "webapp", "address": "https://web.example/"}]
    a = doc("A", [row("L3-CES1-01", "w", "manual"), row("L3-CES1-02", "web", "pass")], objects=up)
    down = [up[0], {**up[1], "error": "connection refused"}]
    b = doc("B", [row("L3-CES1-01", "w", "fail"), row("L3-CES1-02", "web", "error")], objects=down)
    b["highrisk"] = []
    drift = diff.compare(diff.snapshot_from_document(a), diff.snapshot_from_document(b))
    event = notify.build_event(b, drift, [])
    assert event is not None
    assert event["reasons"] == ["coverage-lost", "new-failure"]
    assert [(e["item"], e["to"]) for e in event["new_failures"]] == [("L3-CES1-01", "fail")]
    assert [(e["object"], e["from"]) for e in event["no_longer_assessed"]] == [("web", "pass")]
    assert event["not_collected"] == [{"id": "web", "address": "https://web.example/", "reason": "connection refused"}]
    _, lines = notify._lines(event, markdown=False)
    assert "未能采集" in lines[1] and "web" in lines[2]


def test_first_run_with_an_object_not_collected_alerts() -> None:
    objects = [{"id": "web", "type": "webapp", "error": "no answer"}]
    b = doc("B", [row("L3-CES1-02", "web", "error")], objects=objects)
    event = notify.build_event(b, None, [])
    assert event is not None and event["reasons"] == ["coverage-lost"]
