"""Security-header scoring after the MDN HTTP Observatory (pure)."""

from assess.probes.http import observatory
from assess.probes.http.observatory import Page

FULL = [("Content-Security-Policy", "default-src 'none'; script-src 'self'; form-action 'self'; "
                                    "frame-ancestors 'none'"),
        ("Strict-Transport-Security", "max-age=63072000"), ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"), ("Referrer-Policy", "no-referrer"),
        ("Cross-Origin-Resource-Policy", "same-origin"), ("Content-Type", "text/html")]


def test_grade_chart():
    assert [observatory.grade_for(s) for s in (135, 100, 95, 90, 85, 80, 75, 65, 60, 50, 45, 40, 30, 25, 24, -5)] == \
        ["A+", "A+", "A", "A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D+", "D", "D-", "F", "F"]


def test_full_headers_earn_bonuses():
    r = observatory.score(Page("https://h/", FULL, "<html></html>", redirect="to-https"))
    # CSP default-src none +10, XFO via frame-ancestors +5, Referrer +5, CORP +10
    assert r["score"] == 130 and r["grade"] == "A+" and r["failed"] == []


def test_bare_page_scores_the_sum_of_penalties():
    r = observatory.score(Page("https://h/", [("Content-Type", "text/html")], "<html></html>", redirect="missing"))
    # CSP -25, redirection -20, HSTS -20, XCTO -5, XFO -20
    assert r["score"] == 10 and r["grade"] == "F"
    assert set(r["failed"]) == {"content-security-policy", "redirection", "strict-transport-security",
                                "x-content-type-options", "x-frame-options"}


def test_bonuses_do_not_lift_a_site_below_ninety():
    headers = [h for h in FULL if h[0] != "Strict-Transport-Security"]
    r = observatory.score(Page("https://h/", headers, "<html></html>", redirect="to-https"))
    assert r["score"] == 80  # 100 - 20, bonuses ignored because 80 < 90


def test_csp_results():
    def csp(value):
        return observatory.csp_test(Page("https://h/", [("Content-Security-Policy", value)]))

    assert csp("default-src 'self'; script-src 'self' 'unsafe-inline'")[1] == -20
    assert csp("default-src 'self'; script-src 'self' 'nonce-abc' 'unsafe-inline'")[1] == 5
    assert csp("default-src 'self'; script-src 'self' 'unsafe-eval'")[1] == -10
    assert csp("default-src 'self'; style-src 'self' 'unsafe-inline'")[1] == 0
    assert csp("default-src https:")[1] == -20
    assert observatory.csp_test(Page("https://h/", []))[1] == -25


def test_cookies_cors_sri_hsts():
    session = {"name": "SESSIONID", "secure": False, "httponly": False, "samesite": None}
    assert observatory.cookies_test(Page("https://h/", [], cookies=[session]), hsts_ok=False) == \
        ("cookies-session-without-secure-flag", -40)
    good = {"name": "SESSION", "secure": True, "httponly": True, "samesite": "Lax"}
    assert observatory.cookies_test(Page("https://h/", [], cookies=[good]), True)[1] == 5
    reflect = Page("https://h/", [], cors_origin_sent="https://x.invalid",
                   cors_headers=[("Access-Control-Allow-Origin", "https://x.invalid"),
                                 ("Access-Control-Allow-Credentials", "true")])
    assert observatory.cors_test(reflect)[1] == -50
    html = '<script src="http://cdn.example.com/a.js"></script>'
    assert observatory.sri_test(Page("https://h/", [("Content-Type", "text/html")], html))[1] == -50
    assert observatory.hsts_max_age(["max-age=100; includeSubDomains"]) == 100
    assert observatory.hsts_max_age(["max-age=1, max-age=2"]) == "invalid"
    assert observatory.hsts_test(Page("https://h/", [("Strict-Transport-Security", "max-age=86400")]))[1] == -10
