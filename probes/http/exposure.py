"""What a response gives away: sensitive paths that answer, directory listings, stack traces and
framework errors, version banners. Pure detectors over (status, headers, body prefix).

Each sensitive path has a signature its real content carries, so an application that answers every
path with 200 and its home page (SPA fallback) is not reported as exposing .git or actuator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class SensitivePath:
    path: str
    kind: str  # source | config | debug | admin | api-docs | backup | status
    signature: re.Pattern[str] | None  # must match the body (first 64 KiB); None: any 200 counts
    what: str


def _p(rx: str) -> re.Pattern[str]:
    return re.compile(rx, re.I | re.M)


SENSITIVE_PATHS: tuple[SensitivePath, ...] = (
    SensitivePath(".git/HEAD", "source", _p(r"^(ref: refs/|[0-9a-f]{40}\s*$)"), "Git 仓库元数据"),
    SensitivePath(".git/config", "source", _p(r"^\[core\]"), "Git 仓库配置"),
    SensitivePath(".svn/entries", "source", _p(r"^(\d+\s*$|<\?xml)"), "SVN 元数据"),
    SensitivePath(".env", "config", _p(r"^[A-Z_][A-Z0-9_]*\s*=\s*\S"), "环境变量文件（常含口令与密钥）"),
    SensitivePath(".DS_Store", "source", _p(r"Bud1"), "macOS 目录元数据"),
    SensitivePath("actuator", "debug", _p(r'"_links"\s*:'), "Spring Boot Actuator 端点索引"),
    SensitivePath("actuator/env", "debug", _p(r'"(activeProfiles|propertySources)"'), "Actuator env（配置与凭据）"),
    SensitivePath("actuator/heapdump", "debug", _p(r"JAVA PROFILE"), "Actuator 堆转储"),
    SensitivePath("actuator/mappings", "debug", _p(r'"(contexts|dispatcherServlets)"'), "Actuator 路由映射"),
    SensitivePath("druid/index.html", "admin", _p(r"druid"), "Druid 监控台"),
    SensitivePath("nacos/", "admin", _p(r"nacos"), "Nacos 控制台"),
    SensitivePath("manager/html", "admin", _p(r"Tomcat (Web Application )?Manager"), "Tomcat Manager"),
    SensitivePath("console", "admin", _p(r"(H2 Console|WebLogic|Werkzeug|Jolokia)"), "管理/调试控制台"),
    SensitivePath("swagger-ui.html", "api-docs", _p(r"swagger"), "Swagger UI"),
    SensitivePath("swagger-ui/index.html", "api-docs", _p(r"swagger"), "Swagger UI"),
    SensitivePath("v2/api-docs", "api-docs", _p(r'"swagger"\s*:'), "Swagger 2 接口文档"),
    SensitivePath("v3/api-docs", "api-docs", _p(r'"openapi"\s*:'), "OpenAPI 3 接口文档"),
    SensitivePath("server-status", "status", _p(r"Apache Server Status"), "Apache server-status"),
    SensitivePath("nginx_status", "status", _p(r"Active connections:"), "nginx stub_status"),
    SensitivePath("debug/pprof/", "debug", _p(r"(Types of profiles available|/debug/pprof)"), "Go pprof"),
    SensitivePath("phpinfo.php", "debug", _p(r"(phpinfo\(\)|PHP Version)"), "phpinfo"),
    SensitivePath("info.php", "debug", _p(r"(phpinfo\(\)|PHP Version)"), "phpinfo"),
    SensitivePath("backup.zip", "backup", _p(r"^PK\x03\x04"), "备份压缩包"),
    SensitivePath("backup.tar.gz", "backup", _p(r"^\x1f\x8b"), "备份压缩包"),
    SensitivePath("www.zip", "backup", _p(r"^PK\x03\x04"), "站点源码压缩包"),
    SensitivePath("db.sql", "backup", _p(r"(CREATE TABLE|INSERT INTO|-- MySQL dump)"), "数据库导出文件"),
    SensitivePath("WEB-INF/web.xml", "config", _p(r"<web-app"), "Java Web 部署描述符"),
)

_LISTING = _p(r"(<title>\s*Index of /|<h1>\s*Index of /|Directory listing for /|<title>Directory Listing)")
_TRACES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("java-stack-trace", _p(r"(\bat (java|javax|org\.springframework|org\.apache|com\.[a-z]+)\.[\w.$]+\(|"
                            r"java\.lang\.[A-Za-z]+(Exception|Error))")),
    ("python-traceback", _p(r"Traceback \(most recent call last\)")),
    ("php-error", _p(r"(<b>(Fatal error|Warning|Parse error)</b>:|PHP (Fatal|Parse) error)")),
    ("dotnet-error", _p(r"(Server Error in '/' Application|System\.[A-Za-z.]+Exception)")),
    ("node-error", _p(r"at [\w.<>]+ \((/[^)]+|node:internal[^)]*)\.js:\d+:\d+\)")),
    ("sql-error", _p(r"(SQLSTATE\[|You have an error in your SQL syntax|ORA-\d{5}|PG::SyntaxError|"
                     r"SQLITE_ERROR|Unclosed quotation mark)")),
    ("spring-whitelabel", _p(r"Whitelabel Error Page")),
    ("framework-debug", _p(r"(DEBUG = True|Werkzeug Debugger|Django Version:|Laravel|Symfony\\Component)")),
    ("absolute-path", _p(r"(/usr/local/tomcat|/var/www/|/home/\w+/|/opt/\w+/|[A-Z]:\\\\(Program Files|inetpub|Users))")),
)
_VERSIONED = re.compile(r"[A-Za-z][\w.-]*/\d+(\.\d+)+|\b\d+\.\d+(\.\d+)?\b")
BANNER_HEADERS = ("Server", "X-Powered-By", "X-AspNet-Version", "X-AspNetMvc-Version", "X-Generator",
                  "X-Runtime", "Via", "X-Application-Context")
_SERVER_PAGE = _p(r"<hr>\s*<center>\s*(nginx|Apache|openresty|Tengine)/(\d[\w.]*)|Apache Tomcat/(\d[\w.]*)|"
                  r"(Apache|nginx)/(\d[\w.]*) (Server at|\()")


def signature_hit(spec: SensitivePath, status: int, body: str) -> bool:
    """The path answered with its real content (not a login redirect, an error page or an SPA fallback)."""
    if status != 200:
        return False
    return spec.signature is None or bool(spec.signature.search(body[:65536]))


def directory_listing(body: str) -> bool:
    return bool(_LISTING.search(body[:65536]))


def leaks(body: str) -> list[str]:
    """Kinds of internal detail a response body gives away (stack trace, SQL error, absolute path…)."""
    text = body[:262144]
    return [kind for kind, rx in _TRACES if rx.search(text)]


def banners(headers: list[tuple[str, str]]) -> list[dict[str, str]]:
    """Version-revealing headers: Server: nginx/1.22.1, X-Powered-By: PHP/7.4.3 …"""
    out = []
    for name, value in headers:
        if name.lower() in (h.lower() for h in BANNER_HEADERS):
            out.append({"header": name, "value": value[:200], "versioned": bool(_VERSIONED.search(value))})
    return out


def page_versions(body: str) -> list[str]:
    """Server versions printed in default error pages (`<center>nginx/1.22.1</center>`)."""
    out = []
    for m in _SERVER_PAGE.finditer(body[:65536]):
        out.append(m.group(0).replace("<hr>", "").replace("<center>", "").strip())
    return list(dict.fromkeys(out))
