"""State-changing tests, run only with `assess scan --active` and the inventory's test account:
session invalidation on logout, idle timeout, second factor, caching and PI of authenticated pages,
default accounts (only with `default_accounts: true`), lockout after failed logins, and whether the
login endpoint takes credentials over plain HTTP (a wrong password is sent, never the real one).

Order matters: tests that need a working login run first; the lockout test may lock the account.
Every request goes through the same scoped, rate-limited, transcribed client as the passive probe.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from assess.probes.http import forms
from assess.probes.http.client import Client, FetchError, Response
from assess.probes.http.gathered import Gathered
from assess.probes.http.passive import anonymous_refused, scan_pi

ACTIVE_FACTS = ("login_lockout", "login_mfa", "plaintext_login", "session_logout", "session_idle",
                "authenticated_caching", "personal_info_authenticated", "default_credentials")
NEEDS_SESSION = ("login_mfa", "session_logout", "session_idle", "authenticated_caching",
                 "personal_info_authenticated", "default_credentials")
DEFAULT_ACCOUNTS = (("admin", "admin"), ("admin", "123456"), ("admin", "admin123"),
                    ("administrator", "administrator"), ("root", "root"), ("test", "test"))
_LOCKED = re.compile(r"(锁定|已冻结|locked|lockout|too many|频繁|稍后再试|try again later|temporarily blocked|"
                     r"captcha|验证码)", re.I)
_SECOND_FACTOR = re.compile(r"(otp|two[- ]factor|2fa|mfa|totp|动态口令|短信验证码|二次验证|双因素|verification code)",
                            re.I)
_TOKEN_KEYS = ("access_token", "token", "accessToken", "jwt", "id_token")
MAX_IDLE_WAIT = 3600.0


@dataclass
class Session:
    """Cookies (and a bearer token, for JSON APIs) held for one login."""

    cookies: dict[str, str] = field(default_factory=dict)
    token: str = ""

    def absorb(self, resp: Response) -> None:
        for raw in resp.all("Set-Cookie"):
            name, _, rest = raw.partition("=")
            value = rest.split(";", 1)[0]
            attrs = rest.lower()
            if value == "" or "max-age=0" in attrs or "expires=thu, 01 jan 1970" in attrs:
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value

    def headers(self) -> dict[str, str]:
        out = {}
        if self.cookies:
            out["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.token:
            out["Authorization"] = f"Bearer {self.token}"
        return out

    def copy(self) -> Session:
        return Session(dict(self.cookies), self.token)


class Login:
    """Performs the inventory's login recipe against the application."""

    def __init__(self, client: Client, recipe: dict[str, Any], password: str):
        self.client, self.recipe, self.password = client, recipe, password
        client.secret_fields.add(recipe["password_field"])

    def attempt(self, username: str, password: str, *, action: str | None = None, note: str = "") -> tuple[
            Response, Session]:
        """One login POST (after fetching the form for its cookies and hidden fields)."""
        session = Session()
        fields: dict[str, str] = {}
        target = action or self.recipe["action"]
        if self.recipe["format"] == "form" and self.recipe.get("url") and action is None:
            page = self.client.get(self.recipe["url"], note=f"{note}: login form")
            session.absorb(page)
            found = forms.login_forms(page.text, page.url)
            if found:
                fields.update(found[0].hidden)
                target = found[0].action if self.client.allowed(found[0].action) else target
        fields[self.recipe["username_field"]] = username
        fields[self.recipe["password_field"]] = password
        if self.recipe["format"] == "json":
            body = json.dumps(fields).encode()
            ctype = "application/json"
        else:
            body = urlencode(fields).encode()
            ctype = "application/x-www-form-urlencoded"
        resp = self.client.request("POST", target, {"Content-Type": ctype, **session.headers()}, body, note=note)
        session.absorb(resp)
        if "json" in (resp.header("Content-Type") or ""):
            try:
                data = json.loads(resp.text)
            except ValueError:
                data = None
            if isinstance(data, dict):
                session.token = next((str(data[k]) for k in _TOKEN_KEYS if isinstance(data.get(k), str)), "")
        return resp, session

    def authenticated(self, session: Session, note: str) -> Response:
        return self.client.get(self.recipe["check"], session.headers(), note=note)


def signed_in(resp: Response) -> bool:
    """A protected page answered with content rather than a refusal, the login form or a 200 whose JSON
    body refuses ({"code": 401, …})."""
    return resp.status == 200 and not anonymous_refused(resp)


def run(g: Gathered, client: Client, conn: dict[str, Any], params: dict[str, Any]) -> None:
    """All active tests whose facts are wanted; reasons are recorded for those that cannot run."""
    recipe = conn.get("login")
    if not recipe or not recipe.get("action"):
        for name in ACTIVE_FACTS:
            g.skip(name, "no login recipe (login: url, username, password_env) for this object in the inventory")
        return
    password = os.environ.get(recipe["password_env"], "")
    if not password:
        for name in ACTIVE_FACTS:
            g.error(name, f"environment variable {recipe['password_env']} (the test account's password) is not set")
        return
    login = Login(client, recipe, password)
    if not recipe.get("check"):
        for name in NEEDS_SESSION:
            g.error(name, "login.check (a page that needs the session) is not set in the inventory")
    else:
        _with_session(g, client, conn, login, recipe)
    if g.want("login_lockout"):
        _lockout(g, client, login, recipe, params)
    if g.want("plaintext_login"):
        _plaintext(g, client, login, recipe)


def _with_session(g: Gathered, client: Client, conn: dict[str, Any], login: Login, recipe: dict[str, Any]) -> None:
    try:
        resp, session = login.attempt(recipe["username"], login.password, note="login with the test account")
        check = login.authenticated(session, "protected page after login")
    except FetchError as exc:
        for name in NEEDS_SESSION:
            g.error(name, f"login failed: {exc}")
        return
    src = [resp.transcript, check.transcript]
    if not signed_in(check):
        mfa = bool(_SECOND_FACTOR.search(resp.text))
        if mfa:
            g.ok("login_mfa", {"second_factor": True, "signal": "the login answer asks for a second factor"}, src)
        for name in NEEDS_SESSION:
            g.error(name, f"could not log in with the test account (check page answered {check.status}); "
                          "verify login.username, the password variable and login.check", src)
        return
    g.ok("login_mfa", {"second_factor": False,
                       "signal": "the password alone opened a session (protected page answered 200)"}, src)
    if g.want("authenticated_caching", "personal_info_authenticated"):
        pages = [check]
        for ep in conn.get("endpoints", []):
            if ep["auth"] and ep["url"] != check.url:
                try:
                    pages.append(client.get(ep["url"], session.headers(), note="protected endpoint with session"))
                except FetchError as exc:
                    g.error("authenticated_caching", f"{ep['url']}: {exc}")
                    g.error("personal_info_authenticated", f"{ep['url']}: {exc}")
        missing = [p.url for p in pages if "no-store" not in (p.header("Cache-Control") or "").lower()]
        g.ok("authenticated_caching", {"checked": [p.url for p in pages], "without_no_store": missing},
             [p.transcript for p in pages])
        value, too_big = scan_pi(pages)
        for reason in too_big:
            g.error("personal_info_authenticated", reason)
        g.ok("personal_info_authenticated", value, [p.transcript for p in pages])
    if g.want("session_logout"):
        _logout(g, client, login, recipe, session, src)
    if g.want("session_idle"):
        _idle(g, login, recipe)
    if g.want("default_credentials"):
        _defaults(g, conn, login)


def _logout(g: Gathered, client: Client, login: Login, recipe: dict[str, Any], session: Session,
            src: list[str]) -> None:
    if not recipe.get("logout"):
        g.error("session_logout", "login.logout (the logout URL) is not set in the inventory")
        return
    old = session.copy()
    try:
        if recipe["logout_method"] == "GET":
            out = client.get(recipe["logout"], session.headers(), note="logout")
        else:
            out = client.request("POST", recipe["logout"], {"Content-Type": "application/x-www-form-urlencoded",
                                                            **session.headers()}, b"", note="logout")
        replay = login.authenticated(old, "replay of the pre-logout session")
    except FetchError as exc:
        g.error("session_logout", f"logout test failed: {exc}")
        return
    cleared = Session(dict(old.cookies))
    cleared.absorb(out)
    g.ok("session_logout", {"logout_status": out.status, "replay_status": replay.status,
                            "invalidated": not signed_in(replay),
                            "cookies_cleared": [n for n in old.cookies if n not in cleared.cookies]},
         [*src, out.transcript, replay.transcript])


def _idle(g: Gathered, login: Login, recipe: dict[str, Any]) -> None:
    wait = float(recipe.get("idle_wait") or 0)
    if wait <= 0:
        g.skip("session_idle", "set login.idle_wait (seconds) in the inventory to run the idle-timeout test")
        return
    wait = min(wait, MAX_IDLE_WAIT)
    try:
        _resp, session = login.attempt(recipe["username"], login.password, note="login for the idle test")
        first = login.authenticated(session, "protected page before idling")
        login.client.cancel.wait(wait)  # Ctrl-C or SIGTERM ends the wait; the next request says so
        after = login.authenticated(session, f"protected page after {wait:g} s idle")
    except FetchError as exc:
        g.error("session_idle", f"idle test failed: {exc}")
        return
    if not signed_in(first):
        g.error("session_idle", "could not log in for the idle test", [first.transcript])
        return
    g.ok("session_idle", {"waited_seconds": wait, "expired": not signed_in(after), "status_after": after.status},
         [first.transcript, after.transcript])


def _defaults(g: Gathered, conn: dict[str, Any], login: Login) -> None:
    if not conn.get("default_accounts"):
        g.skip("default_credentials", "trying default accounts may lock real administrators: enable it per "
                                      "object with default_accounts: true (and --active)")
        return
    tried, accepted, src = [], [], []
    for user, password in DEFAULT_ACCOUNTS:
        try:
            resp, session = login.attempt(user, password, note="default account attempt")
            check = login.authenticated(session, "protected page with the default account")
        except FetchError as exc:
            g.error("default_credentials", f"default account test failed: {exc}")
            return
        tried.append(user)
        src += [resp.transcript, check.transcript]
        if signed_in(check) and user not in accepted:
            accepted.append(user)
    g.ok("default_credentials", {"tried": sorted(set(tried)), "pairs": len(DEFAULT_ACCOUNTS),
                                 "accepted": accepted}, src)


def _lockout(g: Gathered, client: Client, login: Login, recipe: dict[str, Any], params: dict[str, Any]) -> None:
    limit = int(params.get("login_lockout_max_attempts", 5))
    attempts = int(recipe.get("attempts") or limit + 1)
    user = recipe["username"]
    src: list[str] = []
    try:
        ghost, _ = login.attempt(f"assess-nouser-{secrets.token_hex(3)}", "wrong-" + secrets.token_hex(4),
                                 note="unknown user (enumeration check)")
        src.append(ghost.transcript)
        locked_after, signal, first_bad = None, "", None
        for i in range(1, attempts + 1):
            resp, _ = login.attempt(user, "wrong-" + secrets.token_hex(4), note=f"failed login {i}/{attempts}")
            src.append(resp.transcript)
            first_bad = first_bad or resp
            text = resp.text[:4096]
            if resp.status in (423, 429) or (i > 1 and _LOCKED.search(text) and not _LOCKED.search(first_bad.text)):
                locked_after, signal = i, f"HTTP {resp.status}" + (" (lock message)" if _LOCKED.search(text) else "")
                break
        if locked_after is None:
            resp, session = login.attempt(user, login.password, note="correct password after the failures")
            src.append(resp.transcript)
            if recipe.get("check"):
                check = login.authenticated(session, "protected page after the failures")
                src.append(check.transcript)
                if not signed_in(check):
                    locked_after, signal = attempts, "the correct password was refused after the failures"
    except FetchError as exc:
        g.error("login_lockout", f"lockout test failed: {exc}", src)
        return
    distinct = (ghost.status, _norm(ghost.text)) != (first_bad.status, _norm(first_bad.text)) if first_bad else False
    # A lock shown at attempt i means at most i-1 failures were counted; a silent lock (the right password
    # refused afterwards) cannot be placed, so it is reported at the full number of attempts.
    before = None if locked_after is None else (locked_after - 1 if signal.startswith("HTTP") else attempts)
    g.ok("login_lockout", {"attempts": attempts, "locked": locked_after is not None,
                           "lock_seen_at_attempt": locked_after, "failures_before_lock": before,
                           "signal": signal, "distinct_unknown_user_message": distinct}, src)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[0-9a-f]{6,}", "", text[:2048])).strip()


def _plaintext(g: Gathered, client: Client, login: Login, recipe: dict[str, Any]) -> None:
    action = urlsplit(recipe["action"])
    http_bases = [b for b in client.bases if b.startswith("http:") and urlsplit(b).hostname == action.hostname]
    if action.scheme == "http":
        candidates = [recipe["action"]]
    else:
        candidates = [urlunsplit(("http", urlsplit(b).netloc, action.path, action.query, "")) for b in http_bases]
        candidates = [c for c in candidates if client.allowed(c)]
    if not candidates:
        g.ok("plaintext_login", {"http_login_url": None, "accepted": False,
                                 "reason": "the inventory names no http:// URL on the login host"})
        return
    url = candidates[0]
    try:
        resp, _ = login.attempt(recipe["username"], "wrong-" + secrets.token_hex(4), action=url,
                                note="credentials over plain HTTP (wrong password)")
    except FetchError as exc:
        g.ok("plaintext_login", {"http_login_url": url, "accepted": False, "reason": f"no answer: {exc}"})
        return
    redirected = resp.status in (301, 302, 307, 308) and (resp.location or "").startswith("https:")
    g.ok("plaintext_login", {"http_login_url": url, "status": resp.status, "accepted": not redirected and
                             resp.status < 500 and resp.status not in (400, 403, 404, 405)}, [resp.transcript])
