"""Version disclosure means a product version, over real HTTP: `Via: 1.1 varnish` carries the HTTP protocol
version, `X-Runtime: 0.013` a duration, `Server: nginx` no version at all; `Server: nginx/1.22.1`,
`X-Powered-By: Express 4.16.0`, a squid version in a Via comment or a Tomcat version on an error page do
disclose one."""

from __future__ import annotations

import pytest

from assess.probes.http import exposure
from tests.http.loopback import Answer, collect, serve

HOME = "<!doctype html><html><head><title>home</title></head><body>ok</body></html>"

#: (case, Server header, other headers, status and body of every page) → disclosed?
SILENT = {
    "via-protocol-version": ("nginx", [("Via", "1.1 varnish")]),
    "via-protocol-name-and-hosts": ("nginx", [("Via", "HTTP/1.1 edge, 1.0 10.0.0.1:3128, 1.1 vegur")]),
    "server-without-version": ("nginx", []),
    "server-major-only": ("Apache/2", []),
    "server-protocol-token": ("HTTP/1.1", []),
    "powered-by-without-version": ("nginx", [("X-Powered-By", "Express"), ("X-Powered-By", "ASP.NET")]),
    "rails-runtime-is-a-duration": ("nginx", [("X-Runtime", "0.013254")]),
    "spring-application-context": ("nginx", [("X-Application-Context", "application:prod:8080")]),
    "generator-without-version": ("nginx", [("X-Generator", "Drupal 10 (https://www.drupal.org)")]),
    "varnish-request-ids": ("nginx", [("X-Varnish", "32770 3"), ("Via", "1.1 varnish (Varnish/7)")]),
}
DISCLOSING = {
    "server-product-version": ("nginx/1.22.1", [], "Server: nginx/1.22.1"),
    "server-with-comment": ("Apache/2.4.57 (Debian)", [], "Server: Apache/2.4.57 (Debian)"),
    "jetty-parenthesised": ("Jetty(9.4.44.v20210927)", [], "Server: Jetty(9.4.44.v20210927)"),
    "via-comment-squid": ("nginx", [("Via", "1.1 proxy.example (squid/5.7)")], "Via: 1.1 proxy.example (squid/5.7)"),
    "via-comment-varnish": ("nginx", [("Via", "1.1 varnish (Varnish/6.0)")], "Via: 1.1 varnish (Varnish/6.0)"),
    "powered-by-slash": ("nginx", [("X-Powered-By", "PHP/8.2.7")], "X-Powered-By: PHP/8.2.7"),
    "powered-by-space": ("nginx", [("X-Powered-By", "Express 4.16.0")], "X-Powered-By: Express 4.16.0"),
    "aspnet-version": ("nginx", [("X-AspNet-Version", "4.0.30319")], "X-AspNet-Version: 4.0.30319"),
    "generator-version": ("nginx", [("X-Generator", "WordPress 6.4.2")], "X-Generator: WordPress 6.4.2"),
}
ERROR_PAGES = {
    "nginx": ("<html><body><center><h1>404 Not Found</h1></center><hr><center>nginx/1.22.1</center></body></html>",
              "nginx/1.22.1"),
    "tomcat": ("<html><body><h1>HTTP Status 404 – Not Found</h1><hr class=\"line\" /><h3>Apache Tomcat/10.1.16</h3>"
               "</body></html>", "Apache Tomcat/10.1.16"),
    "apache": ("<html><body><h1>Not Found</h1><hr><address>Apache/2.4.57 (Debian) Server at h Port 80</address>"
               "</body></html>", "Apache/2.4.57"),
    "jetty": ("<html><body><h2>HTTP ERROR 404 Not Found</h2><hr/><a href=\"https://eclipse.org/jetty\">Powered by "
              "Jetty:// 9.4.44.v20210927</a><hr/></body></html>", "Jetty:// 9.4.44.v20210927"),
}
SILENT_ERROR_PAGES = {
    "nginx-tokens-off": "<html><body><center><h1>404 Not Found</h1></center><hr><center>nginx</center></body></html>",
    "tomcat-hidden": "<html><body><h1>HTTP Status 404 – Not Found</h1><hr class=\"line\" /><h3>Apache Tomcat</h3>"
                     "</body></html>",
    "http-version-in-text": "<html><body><h1>505</h1><p>HTTP/1.1 only; Via 1.1 proxy</p></body></html>",
}


def _disclosed(server: str, headers: list[tuple[str, str]], status: int = 200, body: str = HOME) -> list[str]:
    with serve(lambda path: Answer(status, body, headers=headers, server=server)) as base:
        facts = collect(base, ["version_disclosure"])
    return facts["version_disclosure"]["disclosed"]


@pytest.mark.parametrize("case", sorted(SILENT))
def test_no_product_version_is_no_disclosure(case):
    assert _disclosed(*SILENT[case]) == []


@pytest.mark.parametrize("case", sorted(DISCLOSING))
def test_product_versions_are_disclosed(case):
    server, headers, expected = DISCLOSING[case]
    assert _disclosed(server, headers) == [expected]


@pytest.mark.parametrize("case", sorted(ERROR_PAGES))
def test_error_pages_with_a_version(case):
    body, expected = ERROR_PAGES[case]
    assert _disclosed("hidden", [], 404, body) == [f"error page: {expected}"]


@pytest.mark.parametrize("case", sorted(SILENT_ERROR_PAGES))
def test_error_pages_without_a_version(case):
    assert _disclosed("hidden", [], 404, SILENT_ERROR_PAGES[case]) == []


def test_product_versions_are_named():
    assert exposure.product_versions("Apache/2.4.57 (Debian) OpenSSL/3.0.11") == ["Apache/2.4.57",
                                                                                 "OpenSSL/3.0.11"]
    assert exposure.product_versions("1.1 varnish, 1.1 proxy (squid/5.7)", via=True) == ["squid/5.7"]
    assert exposure.product_versions("HTTP/1.1 edge", via=True) == []
    assert exposure.product_versions("Gateway 10.0.0.1") == []
