"""Inventory fields of a `webapp` object and their validation (called by assess.inventory.load).

    - id: portal
      type: webapp
      url: https://app.example.com/            # one base URL or a list (http:// ones are checked for redirects)
      endpoints:                                # optional API endpoints to sample
        - /api/v1/drivers                       #   fetched without credentials (headers, PI scan)
        - {path: /api/v1/me, auth: true}        #   protected: must refuse anonymous access
      login:                                    # optional; used only with `assess scan --active`
        url: /login                             #   login page (form) or API
        format: form                            #   form | json
        username_field: username
        password_field: password
        username: qa-tester                     #   a dedicated test account, never a real user
        password_env: ASSESS_QA_PASSWORD        #   the password comes from this environment variable
        check: /account                         #   a page that needs the session
        logout: /logout
      privacy_policy: /privacy                  # optional
      rate: 10                                  # requests per second (default 10)
      tags: [internet-facing]

Everything ends up in `Target.connection` (collector "http"); no password is ever stored there.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

from assess.catalog.schema import Field, Problems, check_mapping

DEFAULT_RATE = 10.0
FIELDS = {
    "url": Field((str, list)), "endpoints": Field(list, required=False), "login": Field(dict, required=False),
    "privacy_policy": Field(str, required=False), "rate": Field(float, required=False),
    "timeout": Field(float, required=False), "ca_file": Field(str, required=False),
    "default_accounts": Field(bool, required=False),
}
_LOGIN = {
    "url": Field(str), "action": Field(str, required=False), "format": Field(str, choices=("form", "json"),
                                                                         required=False),
    "username_field": Field(str, required=False), "password_field": Field(str, required=False),
    "username": Field(str), "password_env": Field(str), "check": Field(str, required=False),
    "logout": Field(str, required=False), "logout_method": Field(str, choices=("GET", "POST"), required=False),
    "idle_wait": Field(float, required=False), "attempts": Field(int, required=False),
}
_ENDPOINT = {"path": Field(str), "auth": Field(bool, required=False)}


def _base_url(text: str) -> str | None:
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        return None
    path = parts.path or "/"
    if not path.endswith("/"):
        path += "/"
    return f"{parts.scheme}://{parts.netloc}{path}"


def _resolve(base: str, ref: str, bases: list[str]) -> str | None:
    """A login/endpoint reference made absolute; None when it leaves the base URLs."""
    absolute = urljoin(base, ref.lstrip("/")) if not urlsplit(ref).scheme else ref
    return absolute if any(in_scope(absolute, b) for b in bases) else None


def in_scope(url: str, base: str) -> bool:
    """`url` is on the same scheme://host:port as `base` and under its path."""
    u, b = urlsplit(url), urlsplit(base)
    return (u.scheme, (u.hostname or "").lower(), u.port or _port(u.scheme)) == \
        (b.scheme, (b.hostname or "").lower(), b.port or _port(b.scheme)) and (u.path or "/").startswith(b.path)


def _port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def connection(node: Any, problems: Problems, file: str) -> dict[str, Any]:
    """Validate the webapp fields of an inventory object and return its `connection` mapping."""
    raw = node["url"] if isinstance(node["url"], list) else [node["url"]]
    bases: list[str] = []
    for text in raw:
        base = _base_url(str(text)) if isinstance(text, str) else None
        if base is None:
            problems.at(node, "url", f"'{text}' is not an http(s) base URL (scheme://host[:port]/path, no query)",
                        file)
        elif base not in bases:
            bases.append(base)
    if not bases:
        _no_password(node.get("login"), problems, file)
        return {}
    first = next((b for b in bases if b.startswith("https:")), bases[0])
    out: dict[str, Any] = {"transport": "http", "urls": bases, "host": urlsplit(first).hostname,
                           "rate": float(node.get("rate", DEFAULT_RATE)), "timeout": float(node.get("timeout", 10)),
                           "default_accounts": bool(node.get("default_accounts", False))}
    if out["rate"] <= 0 or out["rate"] > 1000:
        problems.at(node, "rate", "'rate' must be between 0 and 1000 requests per second", file)
    if not 0 < out["timeout"] <= 120:
        problems.at(node, "timeout", "'timeout' must be between 0 and 120 seconds", file)
    if "ca_file" in node:
        out["ca_file"] = node["ca_file"]
    endpoints = []
    for entry in node.get("endpoints") or []:
        spec = {"path": entry} if isinstance(entry, str) else entry
        if not isinstance(spec, dict) or not check_mapping(spec, _ENDPOINT, "endpoint", problems, file):
            continue
        url = _resolve(first, spec["path"], bases)
        if url is None:
            problems.at(node, "endpoints", f"endpoint '{spec['path']}' is outside the object's URLs", file)
            continue
        endpoints.append({"url": url, "auth": bool(spec.get("auth", False))})
    out["endpoints"] = endpoints
    if "privacy_policy" in node:
        url = _resolve(first, node["privacy_policy"], bases)
        if url is None:
            problems.at(node, "privacy_policy", "'privacy_policy' is outside the object's URLs", file)
        else:
            out["privacy_policy"] = url
    login = node.get("login")
    if not _no_password(login, problems, file):
        login = None
    if login is not None and check_mapping(login, _LOGIN, "login", problems, file):
        recipe: dict[str, Any] = {"format": login.get("format", "form"),
                                  "username_field": login.get("username_field", "username"),
                                  "password_field": login.get("password_field", "password"),
                                  "username": login["username"], "password_env": login["password_env"],
                                  "logout_method": login.get("logout_method", "POST"),
                                  "idle_wait": float(login.get("idle_wait", 0)),
                                  "attempts": int(login.get("attempts", 0))}
        for key in ("url", "action", "check", "logout"):
            if key in login:
                url = _resolve(first, login[key], bases)
                if url is None:
                    problems.at(login, key, f"login '{key}' is outside the object's URLs", file)
                recipe[key] = url
        recipe.setdefault("action", recipe.get("url"))
        out["login"] = recipe
    return out


def _no_password(login: Any, problems: Problems, file: str) -> bool:
    """False (with a problem) when a password is written into the login recipe."""
    if isinstance(login, dict) and "password" in login:
        problems.at(login, "password", "'password' is not accepted: secrets never live in the inventory; put the "
                                       "test account's password in an environment variable and name it with "
                                       "password_env", file)
        return False
    return True
