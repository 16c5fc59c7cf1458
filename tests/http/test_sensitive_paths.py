"""Sensitive-path signatures over real HTTP: every signature in the table fires on the real console or file
and stays silent on applications that answer every unknown path with 200 and echo the path back (soft 404),
on SPA fallbacks, and on near misses of each signature's shape."""

from __future__ import annotations

import itertools
import json

import pytest

from assess.probes.http import exposure
from tests.http.loopback import Answer, collect, serve

#: The real content of each sensitive path, as the product serves it (abridged).
REAL: dict[str, Answer] = {
    ".git/HEAD": Answer(body="ref: refs/heads/main\n", ctype="text/plain"),
    ".git/config": Answer(body="[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n",
                          ctype="text/plain"),
    ".svn/entries": Answer(body="12\n", ctype="text/plain"),
    ".env": Answer(body="# production\nAPP_ENV=production\nDB_PASSWORD=s3cret\n", ctype="text/plain"),
    ".DS_Store": Answer(body=b"\x00\x00\x00\x01Bud1" + bytes(60), ctype="application/octet-stream"),
    "actuator": Answer(body='{"_links":{"self":{"href":"http://h/actuator","templated":false},'
                            '"health":{"href":"http://h/actuator/health","templated":false}}}',
                       ctype="application/vnd.spring-boot.actuator.v3+json"),
    "actuator/env": Answer(body='{"activeProfiles":["prod"],"propertySources":[{"name":"server.ports",'
                                '"properties":{"local.server.port":{"value":8080}}}]}', ctype="application/json"),
    "actuator/heapdump": Answer(body=b"JAVA PROFILE 1.0.2\x00" + bytes(64), ctype="application/octet-stream"),
    "actuator/mappings": Answer(body='{"contexts":{"application":{"mappings":{"dispatcherServlets":'
                                     '{"dispatcherServlet":[]}}}}}', ctype="application/json"),
    "druid/index.html": Answer(body='<!doctype html><html><head><title>Druid Stat Index</title>'
                                    '<script src="js/lang.js"></script></head><body></body></html>'),
    "nacos/": Answer(body='<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8"><title>Nacos</title>'
                          '<link rel="shortcut icon" href="console-ui/public/img/nacos-logo.png"></head>'
                          '<body><div id="root"></div></body></html>'),
    "manager/html": Answer(body="<html><head><title>/manager</title></head><body>"
                                "<h1>Tomcat Web Application Manager</h1></body></html>"),
    "console": Answer(body="<!doctype html><html><head><title>Console // Werkzeug Debugger</title></head>"
                           "<body></body></html>"),
    "h2-console/": Answer(body='<!DOCTYPE html><html><head><title>H2 Console</title></head>'
                               '<body><form name="login"></form></body></html>'),
    "swagger-ui.html": Answer(body='<!DOCTYPE html><html><head><title>Swagger UI</title></head><body>'
                                   '<div id="swagger-ui"></div><script src="./swagger-ui-bundle.js"></script>'
                                   '</body></html>'),
    "swagger-ui/index.html": Answer(body='<!DOCTYPE html><html><head><title>Swagger UI</title></head><body>'
                                         '<div id="swagger-ui"></div><script src="./swagger-ui-bundle.js">'
                                         '</script></body></html>'),
    "v2/api-docs": Answer(body='{"swagger":"2.0","info":{"title":"api"},"host":"h","paths":{}}',
                          ctype="application/json"),
    "v3/api-docs": Answer(body='{"openapi":"3.0.1","info":{"title":"api"},"paths":{}}', ctype="application/json"),
    "server-status": Answer(body="<html><head><title>Apache Status</title></head><body>"
                                 "<h1>Apache Server Status for localhost (via 127.0.0.1)</h1></body></html>"),
    "nginx_status": Answer(body="Active connections: 1 \nserver accepts handled requests\n 5 5 5 \n"
                                "Reading: 0 Writing: 1 Waiting: 0 \n", ctype="text/plain"),
    "debug/pprof/": Answer(body="<html><head><title>/debug/pprof/</title></head><body>/debug/pprof/<br><br>"
                                "Types of profiles available:<table><tr><td>5</td><td>"
                                "<a href=goroutine?debug=1>goroutine</a></td></tr></table></body></html>"),
    "phpinfo.php": Answer(body='<html><head><title>PHP 8.2.7 - phpinfo()</title></head><body>'
                               '<h1 class="p">PHP Version 8.2.7</h1></body></html>'),
    "info.php": Answer(body='<html><head><title>phpinfo()</title></head><body>'
                            '<h1 class="p">PHP Version 7.4.3</h1></body></html>'),
    "backup.zip": Answer(body=b"PK\x03\x04\x14\x00\x00\x00" + bytes(40), ctype="application/zip"),
    "backup.tar.gz": Answer(body=b"\x1f\x8b\x08\x00" + bytes(40), ctype="application/gzip"),
    "www.zip": Answer(body=b"PK\x03\x04\x14\x00\x00\x00" + bytes(40), ctype="application/zip"),
    "db.sql": Answer(body="-- MySQL dump 10.13  Distrib 8.0.35\n--\n-- Host: localhost\n\n"
                          "CREATE TABLE `users` (\n  `id` int NOT NULL\n);\nINSERT INTO `users` VALUES (1);\n",
                     ctype="application/sql"),
    "WEB-INF/web.xml": Answer(body='<?xml version="1.0" encoding="UTF-8"?>\n<web-app xmlns="https://jakarta.ee/'
                                   'xml/ns/jakartaee" version="5.0">\n<display-name>app</display-name>\n'
                                   '</web-app>\n', ctype="application/xml"),
}

_counter = itertools.count()


def _real_site(path: str) -> Answer:
    """Every sensitive path with its real content; everything else, the site root too, a plain 404 (an API
    server: the probe must still check the paths)."""
    ans = REAL.get(path.lstrip("/"))
    return ans or Answer(404, "<html><body>Not found</body></html>")


def _json_echo(path: str) -> Answer:
    """Spring-style catch-all: HTTP 200, the path echoed, a trace id that differs on every request."""
    body = {"code": 404, "msg": f"No handler found for GET {path}", "traceId": f"{next(_counter):016x}"}
    return Answer(body=json.dumps(body), ctype="application/json")


def _json_escaped_echo(path: str) -> Answer:
    """PHP's json_encode escapes slashes: {"error":"Cannot GET \\/debug\\/pprof\\/"}."""
    return Answer(body=json.dumps({"error": f"Cannot GET {path}"}).replace("/", "\\/"), ctype="application/json")


def _html_echo(path: str) -> Answer:
    return Answer(body=f"<html><head><title>{path} - not found</title></head><body><h1>404</h1>"
                       f"<p>The page {path.lstrip('/')} does not exist.</p></body></html>")


def _spa(path: str) -> Answer:
    """A single-page application: the same shell for every path, its router naming the consoles."""
    return Answer(body='<!doctype html><html><head><title>运营平台</title></head><body><div id="app"></div>'
                       '<script>var routes=["/druid","/nacos","/swagger-ui","/actuator","/debug/pprof",'
                       '"/h2-console","/phpinfo"]; var help="PHP Version, H2 Console, Tomcat Manager";</script>'
                       '</body></html>')


@pytest.fixture(scope="module")
def real_exposed():
    with serve(_real_site) as base:
        return collect(base, ["sensitive_paths"])["sensitive_paths"]


@pytest.mark.parametrize("path", [s.path for s in exposure.SENSITIVE_PATHS])
def test_every_signature_fires_on_the_real_thing(real_exposed, path):
    assert path in {e["path"] for e in real_exposed["exposed"]}


@pytest.mark.parametrize("route", [_json_echo, _json_escaped_echo, _html_echo, _spa],
                         ids=["json-echo", "json-escaped-echo", "html-echo", "spa-fallback"])
def test_soft_404_sites_expose_nothing(route):
    with serve(route) as base:
        facts = collect(base, ["sensitive_paths"])
    assert facts["sensitive_paths"]["exposed"] == []
    assert facts["sensitive_paths"]["kinds"] == []


def test_catch_all_that_repeats_the_real_content_is_compared_with_its_baseline():
    """A site that serves `ref: refs/heads/main` for every path has no .git: the random path says so."""
    with serve(lambda path: Answer(body="ref: refs/heads/main\n", ctype="text/plain")) as base:
        facts = collect(base, ["sensitive_paths"])
    assert facts["sensitive_paths"]["exposed"] == []


def _spec(path: str) -> exposure.SensitivePath:
    return next(s for s in exposure.SENSITIVE_PATHS if s.path == path)


#: Near misses: 200 bodies that carry a word or shape of the signature but not the real content.
NEAR_MISSES = {
    ".git/HEAD": "<html><body>see ref: refs/heads/main in the docs</body></html>",
    ".git/config": "<html><body>\n[core]\n</body></html>",
    ".svn/entries": '<?xml version="1.0"?><error>not found</error>',
    ".env": "<!doctype html><html><script>\nAPI_URL = '/api'\n</script></html>",
    ".DS_Store": "Bud1 is the name of the .DS_Store format",
    "actuator": '{"_links":{"self":{"href":"http://h/api/profile"}},"_embedded":{"users":[]}}',
    "actuator/env": '{"code":404,"msg":"activeProfiles not found"}',
    "actuator/heapdump": "<html>JAVA PROFILE</html>",
    "actuator/mappings": '{"contexts":"none"}',
    "druid/index.html": "<html><head><title>Login</title></head><body>druid</body></html>",
    "nacos/": "<html><head><title>Home</title></head><body>powered by nacos</body></html>",
    "manager/html": "<html><body>Manager</body></html>",
    "console": "<html><head><title>Console</title></head><body>WebLogic docs</body></html>",
    "h2-console/": "<html><body>h2 console is disabled</body></html>",
    "swagger-ui.html": "<html><body>swagger is disabled in production</body></html>",
    "swagger-ui/index.html": "<html><body>swagger-ui</body></html>",
    "v2/api-docs": '{"code":404,"msg":"swagger disabled"}',
    "v3/api-docs": '{"code":404,"msg":"openapi disabled"}',
    "server-status": "<html><body>Server Status: ok</body></html>",
    "nginx_status": "<html><body>Active connections: see the dashboard</body></html>",
    "debug/pprof/": "<html><body>/debug/pprof/ is not served here</body></html>",
    "phpinfo.php": "<html><body>PHP Version check failed; phpinfo() disabled</body></html>",
    "info.php": "<html><body>PHP Version unknown</body></html>",
    "backup.zip": "<html>\nPK\x03\x04</html>",
    "backup.tar.gz": "<html>\n\x1f\x8b</html>",
    "www.zip": "not a zip",
    "db.sql": "<html><body>SQL error near 'INSERT INTO users' and CREATE TABLE</body></html>",
    "WEB-INF/web.xml": "<html><body>&lt;web-app&gt; is protected</body></html>",
}


@pytest.mark.parametrize("path", sorted(NEAR_MISSES))
def test_near_misses_do_not_match(path):
    spec = _spec(path)
    assert not exposure.signature_hit(spec, 200, NEAR_MISSES[path], "/" + path)
    body = REAL[path].body
    text = body.decode("latin-1") if isinstance(body, bytes) else body
    assert exposure.signature_hit(spec, 200, text, "/" + path)


def test_every_signature_has_fixtures():
    assert {s.path for s in exposure.SENSITIVE_PATHS} == set(REAL) == set(NEAR_MISSES)


# --- siblings: error details, the privacy policy and protected endpoints on soft-404 sites ------------

def _echo_404(path: str) -> Answer:
    """A 404 page that repeats the request, e.g. an MVC app with routes like /home/index/…"""
    return Answer(404, f"<html><body><h1>404</h1><p>No route for GET {path}</p></body></html>")


def test_an_echoed_request_path_is_no_absolute_path_leak():
    with serve(_echo_404) as base:
        facts = collect(base, ["error_disclosure"], endpoints=["/home/index/list", "/opt/api/v1/"])
    assert facts["error_disclosure"]["leaks"] == []


def test_a_real_absolute_path_still_leaks():
    def route(path: str) -> Answer:
        return Answer(404, f"<html><body>No route for GET {path} in /var/www/app/index.php</body></html>")

    with serve(route) as base:
        facts = collect(base, ["error_disclosure"], endpoints=["/home/index/list"])
    assert facts["error_disclosure"]["kinds"] == ["absolute-path"]


def test_privacy_policy_that_answers_like_any_path_is_checked_by_hand():
    with serve(_spa) as base:
        facts = collect(base, ["privacy_policy"], privacy_policy="/privacy")
    assert facts["privacy_policy"].startswith("skipped: ") and "random path" in facts["privacy_policy"]

    def route(path: str) -> Answer:
        if path == "/privacy":
            return Answer(body="<html><body><h1>隐私政策</h1>" + "<p>我们仅收集必要的个人信息。</p>" * 20 + "</body></html>")
        return _spa(path)

    with serve(route) as base:
        facts = collect(base, ["privacy_policy"], privacy_policy="/privacy")
    assert facts["privacy_policy"]["reachable"] is True


def test_protected_endpoint_answering_a_soft_404_is_not_anonymous_access():
    with serve(_json_echo) as base:
        facts = collect(base, ["access_control"], endpoints=[{"path": "/admin/users", "auth": True}])
    assert facts["access_control"]["anonymous_access"] == []
