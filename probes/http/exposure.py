"""What a response gives away: sensitive paths that answer, directory listings, stack traces and
framework errors, version banners. Pure detectors over (status, headers, body prefix).

A sensitive path counts as exposed only when its answer carries the structure of the real thing (a
console's HTML title, an index's JSON keys, a file format's magic bytes) in content the request path did
not put there: applications that answer every path with 200 (SPA fallbacks, "No handler found for GET
/druid/index.html" soft 404s) echo the path, so the echo is removed before matching, and an answer that
looks like the site's answer to a random path (the baseline) is no answer of the path at all.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import quote

SIGNATURE_SPAN = 65536


@dataclass(frozen=True)
class SensitivePath:
    path: str
    kind: str  # source | config | debug | admin | api-docs | backup | status
    signature: tuple[re.Pattern[str], ...]  # every pattern must match the body (first 64 KiB), echo removed
    what: str


class Baseline(NamedTuple):
    """The site's answer to a path that cannot exist."""

    status: int
    body: str
    path: str


def _rx(rx: str) -> re.Pattern[str]:
    return re.compile(rx, re.I | re.M)


def _p(*rx: str) -> tuple[re.Pattern[str], ...]:
    return tuple(_rx(r) for r in rx)


_PHPINFO = _p(r'<title>[^<]*phpinfo\(\)[^<]*</title>|<h1 class="p">\s*PHP Version \d')
_SWAGGER_UI = _p(r"<title>\s*Swagger UI\s*</title>|swagger-ui-bundle\.js|springfox\.js")
_ZIP = _p(r"\APK\x03\x04")

SENSITIVE_PATHS: tuple[SensitivePath, ...] = (
    SensitivePath(".git/HEAD", "source", _p(r"\A\s*(ref:[ \t]*refs/\S+|[0-9a-f]{40})\s*\Z"), "Git 仓库元数据"),
    SensitivePath(".git/config", "source", _p(r"\A\s*\[core\][ \t]*$", r"^\s*repositoryformatversion\s*=\s*\d"),
                  "Git 仓库配置"),
    SensitivePath(".svn/entries", "source", _p(r"\A(\d{1,2}\s*\Z|\d{1,2}\r?\n(\r?\n)?dir\r?\n|"
                                               r"<\?xml[^>]*\?>\s*<wc-entries\b)"), "SVN 元数据"),
    SensitivePath(".env", "config", _p(r"\A(?:[ \t]*(?:#[^\n]*)?\r?\n)*[ \t]*(?:export[ \t]+)?[A-Za-z_][\w.]*[ \t]*="),
                  "环境变量文件（常含口令与密钥）"),
    SensitivePath(".DS_Store", "source", _p(r"\A\x00\x00\x00\x01Bud1"), "macOS 目录元数据"),
    SensitivePath("actuator", "debug", _p(r'"_links"\s*:\s*\{', r'"(health|health-path|info|env|beans|configprops|'
                                          r'mappings|metrics|loggers|heapdump|threaddump|prometheus)"\s*:\s*'
                                          r'\{\s*"href"'), "Spring Boot Actuator 端点索引"),
    SensitivePath("actuator/env", "debug", _p(r'"activeProfiles"\s*:\s*\[[\s\S]*"propertySources"\s*:\s*\[|'
                                              r'"profiles"\s*:\s*\[[\s\S]*"systemProperties"\s*:\s*\{'),
                  "Actuator env（配置与凭据）"),
    SensitivePath("actuator/heapdump", "debug", _p(r"\AJAVA PROFILE 1\.0\.\d"), "Actuator 堆转储"),
    SensitivePath("actuator/mappings", "debug", _p(r'"contexts"\s*:\s*\{[\s\S]*"mappings"\s*:\s*\{|'
                                                   r'"bean"\s*:\s*"\w*HandlerMapping"'), "Actuator 路由映射"),
    SensitivePath("druid/index.html", "admin", _p(r"<title>\s*Druid\b[^<]*</title>|druid\.common\.js"), "Druid 监控台"),
    SensitivePath("nacos/", "admin", _p(r"<title>\s*Nacos\b[^<]*</title>|console-ui/public/img/nacos-logo"),
                  "Nacos 控制台"),
    SensitivePath("manager/html", "admin", _p(r"Tomcat (Web Application|Virtual Host) Manager"), "Tomcat Manager"),
    SensitivePath("console", "admin", _p(r"<title>[^<]*(H2 Console|Werkzeug Debugger|"
                                         r"WebLogic Server Administration Console)[^<]*</title>"), "管理/调试控制台"),
    SensitivePath("h2-console/", "admin", _p(r"<title>\s*H2 Console\s*</title>"), "H2 数据库控制台"),
    SensitivePath("swagger-ui.html", "api-docs", _SWAGGER_UI, "Swagger UI"),
    SensitivePath("swagger-ui/index.html", "api-docs", _SWAGGER_UI, "Swagger UI"),
    SensitivePath("v2/api-docs", "api-docs", _p(r"\A\s*\{", r'"swagger"\s*:\s*"2\.', r'"(paths|info)"\s*:\s*\{'),
                  "Swagger 2 接口文档"),
    SensitivePath("v3/api-docs", "api-docs", _p(r"\A\s*\{", r'"openapi"\s*:\s*"3\.', r'"(paths|info)"\s*:\s*\{'),
                  "OpenAPI 3 接口文档"),
    SensitivePath("server-status", "status", _p(r"Apache Server Status for\b"), "Apache server-status"),
    SensitivePath("nginx_status", "status", _p(r"\A\s*Active connections:[ \t]*\d+",
                                               r"Reading:\s*\d+\s+Writing:\s*\d+\s+Waiting:\s*\d+"), "nginx stub_status"),
    SensitivePath("debug/pprof/", "debug", _p(r"Types of profiles available|href=['\"]?(goroutine|heap|allocs)\?debug=1"),
                  "Go pprof"),
    SensitivePath("phpinfo.php", "debug", _PHPINFO, "phpinfo"),
    SensitivePath("info.php", "debug", _PHPINFO, "phpinfo"),
    SensitivePath("backup.zip", "backup", _ZIP, "备份压缩包"),
    SensitivePath("backup.tar.gz", "backup", _p(r"\A\x1f\x8b\x08"), "备份压缩包"),
    SensitivePath("www.zip", "backup", _ZIP, "站点源码压缩包"),
    SensitivePath("db.sql", "backup", _p(r"\A(?!\s*[<{\[])", r"^(-- (MySQL|MariaDB) dump|-- PostgreSQL database dump|"
                                         r"/\*!\d{5} SET\b|(CREATE TABLE|INSERT INTO)\b[^;]*;)"), "数据库导出文件"),
    SensitivePath("WEB-INF/web.xml", "config", _p(r"<web-app\b[^>]*>", r"</web-app>|<(servlet|filter|listener|"
                                                  r"display-name|welcome-file-list|context-param)\b"),
                  "Java Web 部署描述符"),
)

_LISTING = _rx(r"(<title>\s*Index of /|<h1>\s*Index of /|Directory listing for /|<title>Directory Listing)")
_TRACES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("java-stack-trace", _rx(r"(\bat (java|javax|org\.springframework|org\.apache|com\.[a-z]+)\.[\w.$]+\(|"
                            r"java\.lang\.[A-Za-z]+(Exception|Error))")),
    ("python-traceback", _rx(r"Traceback \(most recent call last\)")),
    ("php-error", _rx(r"(<b>(Fatal error|Warning|Parse error)</b>:|PHP (Fatal|Parse) error)")),
    ("dotnet-error", _rx(r"(Server Error in '/' Application|System\.[A-Za-z.]+Exception)")),
    ("node-error", _rx(r"at [\w.<>]+ \((/[^)]+|node:internal[^)]*)\.js:\d+:\d+\)")),
    ("sql-error", _rx(r"(SQLSTATE\[|You have an error in your SQL syntax|ORA-\d{5}|PG::SyntaxError|"
                     r"SQLITE_ERROR|Unclosed quotation mark)")),
    ("spring-whitelabel", _rx(r"Whitelabel Error Page")),
    ("framework-debug", _rx(r"(DEBUG = True|Werkzeug Debugger|Django Version:|Laravel|Symfony\\Component)")),
    ("absolute-path", _rx(r"(/usr/local/tomcat|/var/www/|/home/\w+/|/opt/\w+/|[A-Z]:\\\\(Program Files|inetpub|Users))")),
)
#: Headers whose value names products, each with an optional version (RFC 9110 product tokens).
PRODUCT_HEADERS = ("Server", "X-Powered-By", "X-Generator", "Via")
#: Headers whose value is the version of the product the header is named after.
VERSION_HEADERS = ("X-AspNet-Version", "X-AspNetMvc-Version", "X-OWA-Version", "MicrosoftSharePointTeamServices",
                   "X-Jenkins")
BANNER_HEADERS = PRODUCT_HEADERS + VERSION_HEADERS
# A version is at least major.minor: "Apache/2" (ServerTokens Major) and "Drupal 10" name no release.
_RELEASE = r"v?\d+\.\d+[\w.+~-]*"
_SLASH = re.compile(rf"(?<![\w.-])([A-Za-z][\w.+-]*)/({_RELEASE})")  # nginx/1.22.1, Microsoft-IIS/10.0
_PAREN = re.compile(rf"(?<![\w.-])([A-Za-z][\w+-]*)\(({_RELEASE})\)")  # Jetty(9.4.44.v20210927)
_SPACE = re.compile(rf"(?<![\w.-])([A-Za-z][A-Za-z+-]*) ({_RELEASE})(?![\w.])")  # Express 4.16.0
_IPV4 = re.compile(r"\A\d{1,3}(\.\d{1,3}){3}\Z")
_PROTOCOLS = {"http", "https", "shttp"}
_VIA_PROTOCOL = re.compile(r"\A\s*(?:[A-Za-z]+/)?\d+(?:\.\d+)?\s+")
_BARE_VERSION = re.compile(r"\A\s*v?\d+\.\d+")
_SERVER_PAGE = _rx(r"<hr>\s*<center>\s*((?:nginx|Apache|openresty|Tengine)/\d+\.\d[\w.]*)|"
                   r"(Apache Tomcat/\d+\.\d[\w.-]*)|((?:Apache|nginx)/\d+\.\d[\w.]*)(?: \([^)<]*\))? Server at|"
                   r"Powered by (Jetty:// \d+\.\d[\w.-]*)|(Microsoft-IIS/\d+\.\d+)")


def without_echo(body: str, *paths: str) -> str:
    """`body` with every echo of the request `paths` removed (as sent, with JSON-escaped slashes, percent-
    or HTML-encoded), case-insensitively."""
    forms = {f for p in paths if len(p) > 1 for f in (p, p.replace("/", "\\/"), quote(p), html.escape(p))}
    if not forms:
        return body
    rx = re.compile("|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True)), re.I)
    return rx.sub("", body)


_WORD = re.compile(r"\w+")


def _shape(body: str, *paths: str) -> str:
    """The body with the echoed paths removed and every word holding a digit (ids, times, counters) blanked."""
    return _WORD.sub(lambda m: "0" if any(c.isdigit() for c in m.group()) else m.group(),
                     without_echo(body[:SIGNATURE_SPAN], *paths))


def _echoes(spec: SensitivePath, path: str) -> tuple[str, ...]:
    """The forms of the request an echo may carry: the full path, and the table's relative path where it
    is no ordinary word ("druid/index.html", ".env"; not "console", whose echo-free title says Console)."""
    return (path, spec.path) if "/" in spec.path or "." in spec.path else (path,)


def same_answer(body: str, echoes: tuple[str, ...], baseline: Baseline) -> bool:
    """`body` (the answer to a request whose path may be echoed in any of `echoes`) is the site's answer to
    any path: the same page as `baseline` once echoed paths and ids are set aside."""
    return baseline.status == 200 and _shape(body, *echoes) == _shape(baseline.body, baseline.path,
                                                                       baseline.path.lstrip("/"))


def signature_hit(spec: SensitivePath, status: int, body: str, path: str, baseline: Baseline | None = None) -> bool:
    """The path answered with its real content: HTTP 200, every signature pattern matches content the
    request path (`path`, as sent) did not put into the body, and the answer is not the site's answer to
    any path (`baseline`, its answer to a random path)."""
    if status != 200:
        return False
    echoes = _echoes(spec, path)
    if baseline is not None and same_answer(body, echoes, baseline):
        return False
    text = without_echo(body[:SIGNATURE_SPAN], *echoes)
    return all(rx.search(text) for rx in spec.signature)


def directory_listing(body: str) -> bool:
    return bool(_LISTING.search(body[:SIGNATURE_SPAN]))


def leaks(body: str, *echoes: str) -> list[str]:
    """Kinds of internal detail a response body gives away (stack trace, SQL error, absolute path…), in
    content the request did not put there (`echoes`: its path and query, as a soft 404 repeats them)."""
    text = without_echo(body[:262144], *echoes)
    return [kind for kind, rx in _TRACES if rx.search(text)]


def product_versions(value: str, *, via: bool = False) -> list[str]:
    """The product versions a header value names: `nginx/1.22.1`, `Jetty(9.4.44)`, `Express 4.16.0`. A
    protocol version is none: `HTTP/1.1`, and the leading `1.1` of each Via entry (received-protocol), so
    `Via: 1.1 varnish` names no version while `Via: 1.1 proxy (squid/5.7)` does."""
    parts = [_VIA_PROTOCOL.sub("", entry, count=1) for entry in value.split(",")] if via else [value]
    found = []
    for part in parts:
        for rx in (_SLASH, _PAREN, _SPACE):
            for m in rx.finditer(part):
                product, release = m.group(1), m.group(2)
                if product.lower() in _PROTOCOLS or rx is _SPACE and _IPV4.match(release):
                    continue
                found.append(m.group(0))
    return list(dict.fromkeys(found))


def banners(headers: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Banner headers and the product versions they reveal (Server: nginx/1.22.1, X-Powered-By: PHP/7.4.3,
    X-AspNet-Version: 4.0.30319); `versioned` is false for a bare product name or a protocol version."""
    products = {h.lower() for h in PRODUCT_HEADERS}
    bare = {h.lower() for h in VERSION_HEADERS}
    out: list[dict[str, Any]] = []
    for name, value in headers:
        low = name.lower()
        if low in products:
            versions = product_versions(value, via=low == "via")
        elif low in bare:
            versions = [value.strip()] if _BARE_VERSION.match(value) else []
        else:
            continue
        out.append({"header": name, "value": value[:200], "versioned": bool(versions), "versions": versions})
    return out


def page_versions(body: str) -> list[str]:
    """Server versions printed in default error pages (`<center>nginx/1.22.1</center>`, `Apache Tomcat/10.1.16`)."""
    out = []
    for m in _SERVER_PAGE.finditer(body[:SIGNATURE_SPAN]):
        out.append(next(g for g in m.groups() if g))
    return list(dict.fromkeys(out))
