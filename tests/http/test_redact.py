"""Redaction of transcripts: cookies, tokens, Authorization and credentials never reach evidence."""

import json

from assess.probes.http import redact


def test_secret_headers_and_cookie_values():
    assert redact.header("Authorization", "Bearer abcdefghijklmnop") == redact.MARK
    assert redact.header("Cookie", "SESSION=abc; other=1") == redact.MARK
    assert redact.header("X-Auth-Token", "t0k3n") == redact.MARK
    assert redact.header("Set-Cookie", "SESSION=abc123; Path=/; Secure; HttpOnly") == \
        "SESSION=[redacted]; Path=/; Secure; HttpOnly"
    assert redact.header("Content-Security-Policy", "default-src 'none'") == "default-src 'none'"
    assert redact.header("X-Frame-Options", "DENY") == "DENY"


def test_urls_lose_secret_query_values_and_personal_data():
    out = redact.url("https://h/cb?token=abc&next=/home&phone=13812345678&sessionid=9")
    assert "abc" not in out and "sessionid=[redacted]" in out and "token=[redacted]" in out
    assert "next=%2Fhome" in out
    assert "13812345678" not in out
    assert "ST-1-abc" not in redact.header("Location", "https://h/?ticket=ST-1-abc")


def test_login_bodies_hide_the_password():
    form = redact.request_body("username=qa&pwd_x=secret&password=hunter2", "application/x-www-form-urlencoded",
                               {"password"})
    assert "hunter2" not in form and "secret" not in form and "username=qa" in form
    body = redact.request_body(json.dumps({"user": "qa", "passwd": "hunter2", "code": "1"}), "application/json",
                               set())
    assert "hunter2" not in body and json.loads(body)["user"] == "qa"


def test_bodies_lose_tokens_and_personal_data():
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJxYSJ9.c2lnbmF0dXJl"
    body = json.dumps({"access_token": "opaque-123", "jwt": jwt, "phone": "13812345678", "note": "ok"})
    out = redact.text(body)
    assert "opaque-123" not in out and jwt not in out and "13812345678" not in out
    assert '"note": "ok"' in out
    assert redact.text("Authorization: Bearer abcdefgh12345678") == "Authorization: Bearer [redacted]"
