"""A tiny stdlib web application behind the lab nginx sites.

Two instances: `strong` (locks an account after LOCK_AFTER failed logins, masks personal data,
invalidates sessions on logout and after IDLE seconds, hardened cookies, generic errors) and `weak`
(never locks, reveals whether a user exists, returns unmasked phone / ID / card numbers, keeps
sessions alive after logout, leaks a stack trace, sets X-Powered-By, accepts admin/admin123).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LOCK_AFTER = 5
TEST_USER, TEST_PASSWORD = "qa-tester", "Qa-Tester-2024!"
#: Synthetic people: the ID numbers carry valid GB 11643 check digits, the cards pass Luhn.
PEOPLE = [
    {"name": "张三", "phone": "13812345678", "id_number": "11010519491231002X", "card": "6222021234567890128",
     "email": "zhangsan@example.cn"},
    {"name": "李四", "phone": "15987654321", "id_number": "440524198001010013", "card": "6217001234567893",
     "email": "lisi@example.cn"},
]


def _mask(p: dict[str, str]) -> dict[str, str]:
    return {"name": p["name"][0] + "*", "phone": p["phone"][:3] + "****" + p["phone"][-4:],
            "id_number": p["id_number"][:6] + "*" * 8 + p["id_number"][-4:],
            "card": p["card"][:4] + "*" * (len(p["card"]) - 8) + p["card"][-4:],
            "email": p["email"][0] + "***@" + p["email"].split("@")[1]}


@dataclass
class AppState:
    strong: bool
    idle_seconds: float = 2.0
    accounts: dict[str, str] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    sessions: dict[str, list] = field(default_factory=dict)  # token → [user, last_seen]
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.accounts = {TEST_USER: TEST_PASSWORD}
        if not self.strong:
            self.accounts["admin"] = "admin123"


LOGIN_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>登录</title>{script}</head>
<body><h1>网约车运营平台</h1><form method="{method}" action="/login">
<input type="hidden" name="csrf" value="{csrf}">
<input name="username"><input type="password" name="password"><button>登录</button></form></body></html>"""


def make_handler(state: AppState) -> type[BaseHTTPRequestHandler]:
    cookie_name = "SESSION" if state.strong else "JSESSIONID"

    class Handler(BaseHTTPRequestHandler):
        server_version = "demoapp"
        sys_version = ""

        def log_message(self, *args: object) -> None:  # keep test output clean
            return

        # --- helpers -------------------------------------------------------------------------
        def _send(self, status: int, body: str | bytes, ctype: str = "text/html; charset=utf-8",
                  headers: dict[str, str] | None = None, cookies: list[str] | None = None) -> None:
            data = body.encode() if isinstance(body, str) else body
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            if not state.strong:
                self.send_header("X-Powered-By", "Express 4.16.0")
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            for c in cookies or []:
                self.send_header("Set-Cookie", c)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def _cookie(self, value: str, clear: bool = False) -> str:
            attrs = "; Path=/; Secure; HttpOnly; SameSite=Lax" if state.strong else "; Path=/"
            return f"{cookie_name}={'' if clear else value}{attrs}" + ("; Max-Age=0" if clear else "")

        def _user(self) -> tuple[str | None, str | None]:
            raw = self.headers.get("Cookie", "")
            token = None
            for part in raw.split(";"):
                k, _, v = part.strip().partition("=")
                if k == cookie_name:
                    token = v
            with state.lock:
                entry = state.sessions.get(token or "")
                if entry is None:
                    return None, token
                if state.strong and time.monotonic() - entry[1] > state.idle_seconds:
                    del state.sessions[token]
                    return None, token
                entry[1] = time.monotonic()
                return entry[0], token

        def _form(self) -> dict[str, str]:
            length = min(int(self.headers.get("Content-Length") or 0), 65536)
            raw = self.rfile.read(length).decode("utf-8", "replace")
            if "json" in (self.headers.get("Content-Type") or ""):
                try:
                    data = json.loads(raw)
                except ValueError:
                    return {}
                return {k: str(v) for k, v in data.items()} if isinstance(data, dict) else {}
            return {k: v[0] for k, v in parse_qs(raw).items()}

        # --- routes --------------------------------------------------------------------------
        def do_HEAD(self) -> None:
            self.do_GET()

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            path, query = url.path, parse_qs(url.query)
            if path == "/":
                link = '<p><a href="/login">登录</a> <a href="/privacy">隐私政策</a></p>'
                self._send(200, f"<!doctype html><html><head><title>平台</title></head><body>{link}</body></html>")
            elif path == "/login":
                script = '<script src="/static/app.js"></script>' if state.strong else \
                    '<script src="http://cdn.example.com/jquery.js"></script>'
                cookies = [] if state.strong else [self._cookie(secrets.token_hex(8))]
                page = LOGIN_PAGE.format(csrf=secrets.token_hex(8), script=script,
                                         method="post" if state.strong else "get")
                self._send(200, page, cookies=cookies)
            elif path == "/privacy":
                self._send(200, "<html><body><h1>隐私政策</h1>" + "<p>我们仅收集提供网约车服务所必需的个人信息。</p>" * 10
                           + "</body></html>")
            elif path in ("/account", "/api/me"):
                user, _ = self._user()
                if user is None:
                    if path.startswith("/api/"):
                        self._send(401, '{"error":"unauthorized"}', "application/json")
                    else:
                        self._send(302, "", headers={"Location": "/login"})
                    return
                me = dict(PEOPLE[0], user=user)
                body = json.dumps(_mask(me) if state.strong else me, ensure_ascii=False)
                headers = {"Cache-Control": "no-store"} if state.strong else {}
                self._send(200, body, "application/json; charset=utf-8", headers)
            elif path == "/admin/users":
                user, _ = self._user()
                if user is None and state.strong:
                    self._send(401, '{"error":"unauthorized"}', "application/json")
                    return
                self._send(200, json.dumps({"users": [TEST_USER, "admin"]}), "application/json",
                           {"Cache-Control": "no-store"} if state.strong else {})
            elif path == "/api/drivers":
                if "id" in query and not query["id"][0].isdigit() and not state.strong:
                    trace = ("java.lang.NumberFormatException: For input string: \"'\"\n"
                             "\tat java.lang.Integer.parseInt(Integer.java:580)\n"
                             "\tat com.example.ride.DriverController.list(DriverController.java:42)\n"
                             "\tat org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:897)")
                    self._send(500, f"<html><body><pre>{trace}</pre></body></html>")
                    return
                rows = PEOPLE if not state.strong else [_mask(p) for p in PEOPLE]
                self._send(200, json.dumps({"drivers": rows}, ensure_ascii=False), "application/json; charset=utf-8")
            elif path == "/api/big":
                self._send(200, b"x" * (10 * 1024 * 1024), "text/plain")
            elif path.startswith("/loop/"):
                self._send(302, "", headers={"Location": "/loop/a" if path == "/loop/" else "/loop/"})
            else:
                if state.strong:
                    self._send(404, "<html><body>Not found</body></html>")
                else:
                    self._send(404, "<html><body><h1>404</h1><p>No route for GET " + path +
                               " at /opt/ride/app/routes.py</p></body></html>")

        def do_POST(self) -> None:
            path = urlsplit(self.path).path
            if path == "/login":
                form = self._form()
                user, password = form.get("username", ""), form.get("password", "")
                with state.lock:
                    fails = state.failures.get(user, 0)
                    if state.strong and fails >= LOCK_AFTER:
                        locked = True
                    else:
                        locked = False
                        ok = state.accounts.get(user) == password and user in state.accounts
                        if ok:
                            state.failures[user] = 0
                            token = secrets.token_hex(16)
                            state.sessions[token] = [user, time.monotonic()]
                        else:
                            state.failures[user] = fails + 1
                if locked:
                    self._send(423, "<html><body>账户已锁定，请30分钟后再试</body></html>")
                elif ok:
                    self._send(302, "", headers={"Location": "/account"}, cookies=[self._cookie(token)])
                elif not state.strong and user not in state.accounts:
                    self._send(401, "<html><body>用户不存在</body></html>")
                else:
                    self._send(401, "<html><body>用户名或密码错误</body></html>")
            elif path == "/logout":
                user, token = self._user()
                if state.strong and token:
                    with state.lock:
                        state.sessions.pop(token, None)
                self._send(302, "", headers={"Location": "/login"}, cookies=[self._cookie("", clear=True)])
            else:
                self._send(405, "method not allowed")

    return Handler


class DemoApp:
    """One running instance on 127.0.0.1 (a daemon thread)."""

    def __init__(self, strong: bool, idle_seconds: float = 2.0):
        self.state = AppState(strong, idle_seconds)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(self.state))
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> DemoApp:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reset(self) -> None:
        """Unlock accounts and drop sessions (between tests)."""
        with self.state.lock:
            self.state.failures.clear()
            self.state.sessions.clear()
