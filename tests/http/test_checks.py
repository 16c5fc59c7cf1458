"""Every webapp check with a passing and a failing fact fixture (the lab tests add the real peers), and
the engine rules the HTTP probe relies on: skipped facts → manual, partial checks → manual on pass."""

from __future__ import annotations

import pytest

from assess.catalog import load as catalog_mod
from assess.judge.evaluate import aggregate, run_check
from assess.model import CheckResult, FactResult
from assess.probes.http.client import Response
from assess.probes.http.passive import anonymous_refused, plain_http_urls

ORIGIN = "https://app.example.com:443"
TLS_OK = {"https_origins": 1}
# check id → (passing facts, failing facts)
CASES = {
    "webapp.transport.https_only": ({"https_enforced": {"https_urls": 1, "plain_http": []}},
                                    {"https_enforced": {"https_urls": 1, "plain_http": ["http://app/"]}}),
    "webapp.tls.no_legacy_protocols": ({"tls_protocols": {**TLS_OK, "legacy": []}},
                                       {"tls_protocols": {**TLS_OK, "legacy": ["TLSv1.0"]}}),
    "webapp.tls.no_insecure_ciphers": ({"tls_ciphers": {**TLS_OK, "insecure": []}},
                                       {"tls_ciphers": {**TLS_OK, "insecure": ["DES-CBC3-SHA"]}}),
    "webapp.tls.certificate_valid": ({"tls_certificate": {**TLS_OK, "problems": [], "min_days_to_expiry": 80}},
                                     {"tls_certificate": {**TLS_OK, "problems": [], "min_days_to_expiry": 3}}),
    "webapp.tls.grade": ({"tls_rating": {**TLS_OK, "by_origin": [{"grade": "A+"}, {"grade": "B"}]}},
                         {"tls_rating": {**TLS_OK, "by_origin": [{"grade": "A+"}, {"grade": "T"}]}}),
    "webapp.tls.hsts": ({"hsts": {**TLS_OK, "missing": [], "min_max_age": 31536000}},
                        {"hsts": {**TLS_OK, "missing": [], "min_max_age": 86400}}),
    "webapp.tls.mozilla_intermediate": ({"tls_mozilla": {**TLS_OK, "deviations": []}},
                                        {"tls_mozilla": {**TLS_OK, "deviations": [f"{ORIGIN}: cbc"]}}),
    "webapp.auth.protected_endpoints": ({"access_control": {"anonymous_access": []}},
                                       {"access_control": {"anonymous_access": ["https://app/admin"]}}),
    "webapp.auth.login_over_https": (
        {"login_form": {"found": True, "page_scheme": "https", "action_scheme": "https", "credentials_in_url": False}},
        {"login_form": {"found": True, "page_scheme": "https", "action_scheme": "http", "credentials_in_url": False}}),
    "webapp.auth.plaintext_login_refused": ({"plaintext_login": {"accepted": False}},
                                            {"plaintext_login": {"accepted": True}}),
    "webapp.auth.lockout": ({"login_lockout": {"locked": True, "failures_before_lock": 5}},
                            {"login_lockout": {"locked": True, "failures_before_lock": 9}}),
    "webapp.auth.idle_timeout": ({"session_idle": {"expired": True, "waited_seconds": 960}},
                                 {"session_idle": {"expired": False, "waited_seconds": 960}}),
    "webapp.auth.second_factor": ({"login_mfa": {"second_factor": True}}, {"login_mfa": {"second_factor": False}}),
    "webapp.auth.default_accounts": ({"default_credentials": {"accepted": []}},
                                     {"default_credentials": {"accepted": ["admin"]}}),
    "webapp.auth.admin_consoles_hidden": ({"sensitive_paths": {"kinds": ["api-docs"]}},
                                          {"sensitive_paths": {"kinds": ["admin"]}}),
    "webapp.cookies.secure": ({"cookies": {"session_without_secure": []}},
                              {"cookies": {"session_without_secure": ["JSESSIONID"]}}),
    "webapp.cookies.httponly": ({"cookies": {"session_without_httponly": []}},
                                {"cookies": {"session_without_httponly": ["JSESSIONID"]}}),
    "webapp.session.logout_invalidates": ({"session_logout": {"invalidated": True}},
                                          {"session_logout": {"invalidated": False}}),
    "webapp.session.no_store": ({"authenticated_caching": {"without_no_store": []}},
                                {"authenticated_caching": {"without_no_store": ["https://app/api/me"]}}),
    "webapp.pii.anonymous_responses_masked": ({"personal_info": {"unmasked_kinds": ["email"]}},
                                              {"personal_info": {"unmasked_kinds": ["phone", "email"]}}),
    "webapp.pii.authenticated_responses_masked": ({"personal_info_authenticated": {"unmasked_kinds": []}},
                                                  {"personal_info_authenticated": {"unmasked_kinds": ["id_number"]}}),
    "webapp.pii.privacy_policy": ({"privacy_policy": {"configured": True, "reachable": True}},
                                  {"privacy_policy": {"configured": True, "reachable": False}}),
    "webapp.exposure.sensitive_paths": ({"sensitive_paths": {"exposed": []}},
                                        {"sensitive_paths": {"exposed": [{"path": ".git/HEAD"}]}}),
    "webapp.exposure.directory_listing": ({"directory_listing": {"listings": []}},
                                          {"directory_listing": {"listings": ["https://app/files/"]}}),
    "webapp.exposure.error_details": ({"error_disclosure": {"leaks": []}},
                                      {"error_disclosure": {"leaks": [{"kinds": ["sql-error"]}]}}),
    "webapp.exposure.version_banners": ({"version_disclosure": {"disclosed": []}},
                                        {"version_disclosure": {"disclosed": ["Server: nginx/1.22.1"]}}),
    "webapp.headers.cors_no_credentialed_reflection": ({"cors": {"credentialed_reflection": []}},
                                                       {"cors": {"credentialed_reflection": ["https://app/"]}}),
    "webapp.headers.observatory_score": ({"security_headers": {"pages": 1, "worst_score": 75}},
                                         {"security_headers": {"pages": 1, "worst_score": 10}}),
}


@pytest.fixture(scope="module")
def cat():
    return catalog_mod.load()


def _params(cat):
    return {name: p.default for name, p in cat.parameters.items()}


def _facts(values):
    return {n: FactResult(n, "ok", value=v, evidence_id="e") for n, v in values.items()}


def test_every_webapp_check_has_cases(cat):
    assert sorted(c.id for c in cat.checks.values() if c.object_type == "webapp") == sorted(CASES)


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_pass_and_fail(cat, check_id):
    good, bad = CASES[check_id]
    check = cat.checks[check_id]
    assert run_check(check, _facts(good), _params(cat)).status == "pass"
    failed = run_check(check, _facts(bad), _params(cat))
    assert failed.status == "fail" and failed.reason


def test_https_checks_do_not_apply_without_https(cat):
    check = cat.checks["webapp.tls.no_legacy_protocols"]
    r = run_check(check, _facts({"tls_protocols": {"https_origins": 0, "legacy": []}}), _params(cat))
    assert r.status == "na" and "HTTPS" in r.reason


def test_skipped_facts_make_manual_checks_and_manual_items(cat):
    check = cat.checks["webapp.auth.lockout"]
    facts = {"login_lockout": FactResult("login_lockout", "skipped", reason="run with --active")}
    r = run_check(check, facts, _params(cat))
    assert (r.status, r.reason) == ("manual", "login_lockout: run with --active")
    item = cat.items["L3-CES1-02"]
    verdict, reason = aggregate(item, [r, CheckResult("x", "pass", "", {}, [], [])])
    assert verdict == "manual" and "not run" in reason and "--active" in reason
    assert aggregate(item, [r, CheckResult("x", "fail", "bad", {}, [], [])])[0] == "fail"


def test_partial_checks_leave_an_automated_item_for_interview(cat):
    item = cat.items["L3-CES1-01"]
    assert item.automation == "automated"
    passed = CheckResult("webapp.auth.protected_endpoints", "pass", "", {}, [], [])
    assert aggregate(item, [passed])[0] == "pass"
    verdict, reason = aggregate(item, [passed], {"webapp.auth.protected_endpoints"})
    assert verdict == "manual" and "only part" in reason
    failed = CheckResult("webapp.auth.protected_endpoints", "fail", "open", {}, [], [])
    assert aggregate(item, [failed], {"webapp.auth.protected_endpoints"})[0] == "fail"


def test_items_fed_for_webapp(cat):
    fed = {i for c in cat.checks.values() if c.object_type == "webapp" for i in c.items}
    assert fed == {"L3-CES1-01", "L3-CES1-02", "L3-CES1-03", "L3-CES1-04", "L3-CES1-06", "L3-CES1-18",
                   "L3-CES1-20", "L3-CES1-21", "L3-CES1-25", "L3-CES1-27", "L3-CES1-32", "L3-CES1-34",
                   "L3-CES1-35", "L3-CNS1-06", "L3-CNS1-07"}
    for item_id in fed:
        assert "webapp" in cat.items[item_id].objects
        assert cat.items[item_id].convention_for("webapp", None) is None


def _resp(status: int, body: str, ctype: str = "application/json") -> Response:
    return Response("https://app/api/me", status, "", [("Content-Type", ctype)], body.encode(), False)


def test_anonymous_refusal_in_the_body_is_a_refusal():
    # APIs that always answer HTTP 200 and put the status in the body refuse with it (no protected content)
    assert anonymous_refused(_resp(200, '{"code": 401, "msg": "请先登录"}'))
    assert anonymous_refused(_resp(200, '{"status": "403", "message": "forbidden"}'))
    assert anonymous_refused(_resp(401, ""))
    assert anonymous_refused(_resp(302, ""))
    # a soft 404 (HTTP 200, the body's own 404) serves nothing protected, as an HTTP 404 does
    assert anonymous_refused(_resp(200, '{"code": 404, "msg": "No handler found for GET /admin/users"}'))
    # real content, or a body code that is not a refusal, is anonymous access
    assert not anonymous_refused(_resp(200, '{"code": 200, "data": {"name": "张三"}}'))
    assert not anonymous_refused(_resp(200, '[{"code": 401}]'))
    assert not anonymous_refused(_resp(200, "<html><body>users</body></html>", "text/html"))
    assert not anonymous_refused(_resp(500, "error", "text/plain"))


def test_a_refusal_in_the_body_is_not_a_session():
    # default credentials, logout, idle expiry and MFA all ask "did the protected page open?"
    from assess.probes.http.active import signed_in
    assert not signed_in(_resp(200, '{"code": 401, "msg": "未登录或登录已过期"}'))
    assert signed_in(_resp(200, '{"code": 0, "data": {"user": "qa-tester"}}'))


def test_a_plain_listener_that_refuses_serves_nothing_in_clear():
    def result(status: int, location: str | None = None) -> dict:
        return {"http://app/": {"url": "http://app/", "listener": True, "status": status, "location": location}}
    # nginx answers plain HTTP on its TLS port with 400; a 403 for every plain request serves nothing either
    assert plain_http_urls(result(400), {"app"}) == []
    assert plain_http_urls(result(403), {"app"}) == []
    assert plain_http_urls(result(301, "https://app/"), {"app"}) == []
    assert plain_http_urls(result(200), {"app"}) == ["http://app/"]
    assert plain_http_urls(result(401), {"app"}) == ["http://app/"]  # asks for credentials in clear
    assert plain_http_urls(result(302, "http://app/login"), {"app"}) == ["http://app/"]
