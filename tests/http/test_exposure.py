"""Detectors for sensitive paths, listings, stack traces, version banners and login forms (pure)."""

import json

from assess.probes.http import exposure, forms


def _spec(path):
    return next(s for s in exposure.SENSITIVE_PATHS if s.path == path)


def test_signatures_reject_spa_fallbacks():
    home = "<!doctype html><html><body><div id=app></div></body></html>"
    assert not exposure.signature_hit(_spec(".git/HEAD"), 200, home, "/.git/HEAD")
    assert exposure.signature_hit(_spec(".git/HEAD"), 200, "ref: refs/heads/main\n", "/.git/HEAD")
    assert not exposure.signature_hit(_spec(".git/HEAD"), 403, "ref: refs/heads/main\n", "/.git/HEAD")
    assert exposure.signature_hit(_spec("actuator/env"), 200, '{"activeProfiles":["prod"],"propertySources":[]}',
                                  "/actuator/env")
    assert exposure.signature_hit(_spec(".env"), 200, "DB_PASSWORD=x\n", "/.env")


def test_echoed_path_is_not_a_signature():
    """The issue's case: a Spring catch-all answering 200 with the path in its message."""
    for path in ("druid/index.html", "nacos/", "swagger-ui.html", "debug/pprof/"):
        body = json.dumps({"code": 404, "msg": f"No handler found for GET /{path}"})
        assert not exposure.signature_hit(_spec(path), 200, body, "/" + path)
    druid = "<html><head><title>Druid Stat Index</title></head></html>"
    assert exposure.signature_hit(_spec("druid/index.html"), 200, druid, "/app/druid/index.html")


def test_baseline_comparison_blanks_ids_and_the_echo():
    spec = _spec("druid/index.html")
    page = "<html><head><title>Druid Stat Index</title></head><body>req %s at %s</body></html>"
    base = exposure.Baseline(200, page % ("a1b2c3d4", "/assess-probe-1f2e"), "/assess-probe-1f2e")
    assert not exposure.signature_hit(spec, 200, page % ("ffee0912", "/druid/index.html"), "/druid/index.html",
                                      base)
    assert exposure.signature_hit(spec, 200, page % ("ffee0912", ""), "/druid/index.html",
                                  exposure.Baseline(404, "Not found", "/assess-probe-1f2e"))


def test_listing_and_leaks():
    assert exposure.directory_listing("<html><head><title>Index of /files/</title>")
    assert not exposure.directory_listing("<html><title>Files</title>")
    trace = "java.lang.NullPointerException\n\tat org.springframework.web.servlet.FrameworkServlet.service(X.java:1)"
    assert "java-stack-trace" in exposure.leaks(trace)
    assert exposure.leaks("Traceback (most recent call last):") == ["python-traceback"]
    assert "sql-error" in exposure.leaks("You have an error in your SQL syntax near ''")
    assert exposure.leaks("<html>Not found</html>") == []


def test_version_banners():
    found = exposure.banners([("Server", "nginx/1.22.1"), ("X-Powered-By", "Express"), ("Server", "nginx")])
    assert [b["versioned"] for b in found] == [True, False, False]
    assert exposure.page_versions("<hr><center>nginx/1.22.1</center>") == ["nginx/1.22.1"]


def test_login_forms():
    html = ('<form method=post action="/auth"><input name=u><input type=password name=p>'
            '<img src="/captcha.jpg"></form><form action=/search><input name=q></form>')
    found = forms.login_forms(html, "https://h/login")
    assert len(found) == 1 and found[0].action == "https://h/auth" and found[0].method == "POST"
    assert found[0].captcha and found[0].password_fields == ["p"]
    assert forms.has_password_field('<input type="password">')
    assert not forms.has_password_field("<p>hello</p>")
