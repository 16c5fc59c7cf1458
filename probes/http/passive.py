"""The passive probe: GET/HEAD requests and TLS handshakes only, inside the inventory URLs.

Fills the `tls`, `pages` and `paths` fact groups of definitions.py into a Gathered.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from assess.probes.http import exposure, forms, grade, hello, observatory, pii, tls
from assess.probes.http.client import Client, FetchError, Response
from assess.probes.http.gathered import Gathered

PROBE_ORIGIN = "https://assess-probe.invalid"
LISTING_DIRS = ("static/", "files/", "upload/", "uploads/", "images/", "assets/", "backup/", "download/", "logs/")
TLS_FACTS = ("tls_protocols", "tls_ciphers", "tls_certificate", "tls_rating", "tls_mozilla")
PAGE_FACTS = ("https_enforced", "hsts", "security_headers", "cookies", "version_disclosure", "cors",
              "personal_info", "access_control", "login_form", "privacy_policy")
PATH_FACTS = ("sensitive_paths", "directory_listing", "error_disclosure")
#: Answers of a plain-HTTP listener that serve nothing in clear (nginx's "plain HTTP request was sent to HTTPS
#: port" is a 400; 401 is not here: it asks for credentials over plain HTTP).
REFUSALS = (400, 403, 421, 426)
_TEXT_TYPES = ("text/", "json", "xml", "javascript", "x-www-form-urlencoded")


def origin_of(url: str) -> str:
    p = urlsplit(url)
    return f"{p.scheme}://{p.hostname}:{p.port or (443 if p.scheme == 'https' else 80)}"


@dataclass
class Site:
    """What the page fetches found, shared by the fact builders."""

    bases: list[str]
    pages: dict[str, Response] = field(default_factory=dict)  # base URL → final response
    page_errors: dict[str, str] = field(default_factory=dict)
    http_results: dict[str, dict[str, Any]] = field(default_factory=dict)  # http base → redirect outcome
    cors: dict[str, Response] = field(default_factory=dict)
    responses: list[Response] = field(default_factory=list)  # every response, for banners and leaks
    tls: dict[str, tls.OriginTLS] = field(default_factory=dict)
    tls_errors: dict[str, str] = field(default_factory=dict)
    baselines: dict[str, Response | str] = field(default_factory=dict)  # directory → answer to a random path

    def https_origins(self) -> list[str]:
        return list(dict.fromkeys(origin_of(b) for b in self.bases if b.startswith("https:")))

    def baseline(self, client: Client, directory: str) -> Response | str:
        """The site's answer to a random path in `directory` (soft 404s, SPA fallbacks), fetched once;
        the reason where it could not be fetched."""
        if directory not in self.baselines:
            url = urljoin(directory, f"assess-probe-{secrets.token_hex(4)}")
            try:
                self.baselines[directory] = _keep(self, client.get(url, note="random-path baseline"))
            except FetchError as exc:
                self.baselines[directory] = f"{url}: {exc}"
        return self.baselines[directory]


def _keep(site: Site, resp: Response) -> Response:
    site.responses.append(resp)
    return resp


def _is_text(resp: Response) -> bool:
    ctype = (resp.header("Content-Type") or "text/html").lower()
    return any(t in ctype for t in _TEXT_TYPES)


# --- TLS ------------------------------------------------------------------------------------------

def probe_tls(client: Client, site: Site, timeout: float, ca_file: str | None) -> None:
    for origin in site.https_origins():
        p = urlsplit(origin)
        try:
            result = tls.probe_origin(p.hostname or "", p.port or 443, origin, pace=client.pace,
                                      timeout=min(timeout, 10.0), ca_file=ca_file)
        except hello.HandshakeError as exc:
            site.tls_errors[origin] = str(exc)
            continue
        if not result.offered:
            answers = "; ".join(sorted({t["answer"] for t in result.transcripts}))
            site.tls_errors[origin] = f"TLS handshake failure at {origin}: no protocol accepted ({answers})"
        site.tls[origin] = result
        for record in result.transcripts:
            client.keep(record)


def tls_facts(g: Gathered, site: Site, hsts_ages: dict[str, int | None]) -> None:
    origins = site.https_origins()
    if not origins:
        for name in TLS_FACTS:
            g.ok(name, {"https_origins": 0, "by_origin": [], "legacy": [], "insecure": [], "problems": [],
                        "worst_grade": None, "deviations": []})
        return
    for origin, reason in site.tls_errors.items():
        ids = [t["id"] for t in site.tls[origin].transcripts] if origin in site.tls else []
        for name in TLS_FACTS:
            g.error(name, reason, ids)
    done = [site.tls[o] for o in origins if o in site.tls and o not in site.tls_errors]
    ids = [t["id"] for r in done for t in r.transcripts]
    protos, suites, certs, ratings, mozilla = [], [], [], [], []
    for r in done:
        cert = tls.certificate_facts(r.chain, r.host, r.trust_error)
        keys = list(r.ephemeral)
        if cert.get("present") and cert.get("key_type") in ("RSA", "EC", "DSA", "EdDSA"):
            keys.append(grade.KeyInfo(cert["key_type"], cert["key_bits"]))
        trust = [p for p in cert.get("problems", [])] if cert.get("present") else ["no certificate received"]
        rating = grade.rate(r.offered, r.suites, keys, trust_problems=trust,
                            hostname_ok=bool(cert.get("hostname_match", False)),
                            cert_signature_hash=cert.get("signature_hash", ""),
                            secure_renegotiation=r.secure_renegotiation, hsts_max_age=hsts_ages.get(r.origin))
        deviations = grade.mozilla_intermediate(r.offered, r.suites, cert, r.ephemeral, r.groups)
        protos.append({"origin": r.origin, **r.protocols})
        suites.append({"origin": r.origin, "enumerated_on": r.enumerated_on,
                       "accepted": [s.name for s in r.suites],
                       "insecure": [s.name for s in r.suites if s.insecure],
                       "weak": [{"suite": s.name, "problems": s.problems} for s in r.suites if s.problems],
                       "ephemeral": [f"{k.kind} {k.bits}" for k in r.ephemeral], "groups": r.groups,
                       "secure_renegotiation": r.secure_renegotiation})
        certs.append({"origin": r.origin, **cert})
        ratings.append({"origin": r.origin, **rating.as_dict()})
        mozilla.append({"origin": r.origin, "profile": grade.MOZILLA_PROFILE, "deviations": deviations})
    legacy = sorted({p for row in protos for p, ok in row.items() if ok is True and p in ("SSLv3", "TLSv1.0",
                                                                                          "TLSv1.1")})
    g.ok("tls_protocols", {"https_origins": len(origins), "by_origin": protos, "legacy": legacy,
                           "offered": sorted({p for row in protos for p, ok in row.items() if ok is True})}, ids)
    g.ok("tls_ciphers", {"https_origins": len(origins), "by_origin": suites,
                         "insecure": sorted({n for row in suites for n in row["insecure"]}),
                         "without_forward_secrecy": sorted({w["suite"] for row in suites for w in row["weak"]
                                                            if "no_fs" in w["problems"]})}, ids)
    g.ok("tls_certificate", {"https_origins": len(origins), "by_origin": certs,
                             "problems": [f"{c['origin']}: {p}" for c in certs for p in c.get("problems", [])]
                             + [f"{c['origin']}: host name not in the certificate" for c in certs
                                if c.get("present") and not c.get("hostname_match")],
                             "min_days_to_expiry": min((c["days_to_expiry"] for c in certs if c.get("present")),
                                                       default=None)}, ids)
    worst = None
    for row in ratings:
        worst = row["grade"] if worst is None else grade.worse(worst, row["grade"])
    g.ok("tls_rating", {"https_origins": len(origins), "worst_grade": worst, "by_origin": ratings}, ids)
    g.ok("tls_mozilla", {"https_origins": len(origins), "profile": grade.MOZILLA_PROFILE, "by_origin": mozilla,
                         "deviations": [f"{m['origin']}: {d}" for m in mozilla for d in m["deviations"]]}, ids)


# --- pages ----------------------------------------------------------------------------------------

def fetch_pages(client: Client, site: Site) -> None:
    for base in site.bases:
        try:
            chain, stop = client.follow(base)
        except FetchError as exc:
            if base.startswith("http:"):
                site.http_results[base] = {"url": base, "listener": False, "reason": str(exc)}
            else:
                site.page_errors[base] = f"{base}: {exc}"
            continue
        for resp in chain:
            _keep(site, resp)
        if base.startswith("http:"):
            first = chain[0]
            site.http_results[base] = {"url": base, "listener": True, "status": first.status,
                                       "location": first.location, "transcript": first.transcript}
        if stop and "leaves the inventory" not in stop:
            site.page_errors[base] = f"{base}: {stop}"
            continue
        final = chain[-1]
        if final.url.startswith("https:") or base.startswith("http:") and final.status < 300:
            site.pages[base] = final
        elif stop:
            site.http_results.setdefault(base, {})["note"] = stop
        try:
            site.cors[base] = _keep(site, client.get(final.url, {"Origin": PROBE_ORIGIN}, note="CORS probe"))
        except FetchError:
            pass


def _redirect_kind(result: dict[str, Any], https_hosts: set[str]) -> str:
    if not result.get("listener"):
        return "no-http"
    status, loc = result.get("status", 0), result.get("location") or ""
    if status not in (301, 302, 303, 307, 308) or not loc:
        return "missing"
    target = urlsplit(loc)
    if target.scheme != "https":
        return "initial-not-https"
    if (target.hostname or "") not in https_hosts and https_hosts:
        return "off-host"
    return "to-https"


def plain_http_urls(http_results: dict[str, dict[str, Any]], https_hosts: set[str]) -> list[str]:
    """The http:// URLs that answer in clear instead of redirecting to HTTPS or refusing."""
    return [r["url"] for r in http_results.values() if _redirect_kind(r, https_hosts) in
            ("missing", "initial-not-https") and r.get("status") not in REFUSALS]


def _cookies(resp: Response) -> list[dict[str, Any]]:
    out = []
    for raw in resp.all("Set-Cookie"):
        name, _, rest = raw.partition("=")
        attrs = {}
        for part in rest.split(";")[1:]:
            key, _, value = part.strip().partition("=")
            attrs[key.strip().lower()] = value.strip()
        lname = name.strip().lower()
        out.append({"name": name.strip(), "url": resp.url, "secure": "secure" in attrs, "httponly": "httponly" in attrs,
                    "samesite": attrs.get("samesite"), "session": "sess" in lname or "login" in lname
                    or lname in ("jsessionid", "phpsessid", "sid", "token", "connect.sid", "asp.net_sessionid")})
    return out


def page_facts(g: Gathered, client: Client, site: Site, conn: dict[str, Any]) -> dict[str, int | None]:
    """Fill the `pages` group; return HSTS max-age per https origin (for the TLS grade)."""
    for name in PAGE_FACTS:
        for reason in site.page_errors.values():
            if name not in ("access_control", "privacy_policy", "https_enforced"):
                g.error(name, reason)
    https_hosts = {urlsplit(b).hostname or "" for b in site.bases if b.startswith("https:")}
    # https enforcement
    plain = plain_http_urls(site.http_results, https_hosts)
    g.ok("https_enforced", {"https_urls": len(https_hosts), "http_urls": len(site.http_results),
                            "plain_http": plain, "https_available": bool(https_hosts) and not site.tls_errors,
                            "redirects": [{"from": r["url"], "status": r.get("status"), "to": r.get("location"),
                                           "listener": r.get("listener")} for r in site.http_results.values()]},
         [r.get("transcript", "") for r in site.http_results.values()])
    # HSTS
    ages: dict[str, int | None] = {}
    rows = []
    for resp in site.pages.values():
        origin = origin_of(resp.url)
        if not resp.url.startswith("https:") or origin in ages:
            continue
        age = observatory.hsts_max_age(resp.all("Strict-Transport-Security"))
        ages[origin] = age if isinstance(age, int) else None
        header = resp.header("Strict-Transport-Security") or ""
        rows.append({"origin": origin, "header": header[:200], "max_age": age if isinstance(age, int) else None,
                     "invalid": age == "invalid", "include_subdomains": "includesubdomains" in header.lower()})
    g.ok("hsts", {"https_origins": len(rows), "by_origin": rows,
                  "missing": [r["origin"] for r in rows if r["max_age"] is None],
                  "min_max_age": min((r["max_age"] for r in rows if r["max_age"] is not None), default=None)},
         [r.transcript for r in site.pages.values()])
    # endpoints (anonymous)
    endpoint_resps: dict[str, Response] = {}
    endpoint_errors = []
    for ep in conn.get("endpoints", []):
        try:
            endpoint_resps[ep["url"]] = _keep(site, client.get(ep["url"]))
        except FetchError as exc:
            endpoint_errors.append(f"{ep['url']}: {exc}")
            continue
        try:
            site.cors[ep["url"]] = _keep(site, client.get(ep["url"], {"Origin": PROBE_ORIGIN}, note="CORS probe"))
        except FetchError:
            pass
    # login page
    login = conn.get("login") or {}
    login_page: Response | None = None
    login_error = ""
    if login.get("url") and login.get("format", "form") == "form":
        try:
            chain, stop = client.follow(login["url"])
            for r in chain:
                _keep(site, r)
            login_page = chain[-1]
            if stop and "leaves" not in stop:
                login_error = f"login page {login['url']}: {stop}"
        except FetchError as exc:
            login_error = f"login page {login['url']}: {exc}"
    html_pages = [r for r in site.pages.values()] + ([login_page] if login_page is not None else [])
    _security_headers(g, site, html_pages, endpoint_resps, https_hosts)
    _cookie_fact(g, site)
    _versions(g, site)
    _cors_fact(g, site)
    _pii(g, site, endpoint_resps, endpoint_errors)
    _access(g, conn, endpoint_resps, endpoint_errors)
    _login_form(g, conn, html_pages, login_page, login_error)
    _privacy(g, client, site, conn)
    return ages


def _security_headers(g: Gathered, site: Site, html_pages: list[Response], endpoints: dict[str, Response],
                      https_hosts: set[str]) -> None:
    by_url, api = [], []
    seen = set()
    for resp in html_pages:
        if resp.url in seen or resp.status >= 400 and resp.status not in (401, 403):
            continue
        seen.add(resp.url)
        http_for = next((r for r in site.http_results.values()
                         if urlsplit(r["url"]).hostname == urlsplit(resp.url).hostname), None)
        cors = next((c for c in site.cors.values() if c.url == resp.url), None)
        cert_ok = True
        origin = origin_of(resp.url)
        if origin in site.tls:
            cert = tls.certificate_facts(site.tls[origin].chain, site.tls[origin].host, site.tls[origin].trust_error)
            cert_ok = not cert.get("problems") and bool(cert.get("hostname_match"))
        page = observatory.Page(resp.url, resp.headers, resp.text if _is_text(resp) else "", _cookies(resp),
                                PROBE_ORIGIN if cors else "", cors.headers if cors else [],
                                _redirect_kind(http_for, https_hosts) if http_for else "no-http", cert_ok)
        by_url.append(observatory.score(page))
    for url, resp in endpoints.items():
        ctype = (resp.header("Content-Type") or "").lower()
        if "html" in ctype:
            continue
        missing = []
        if not ctype:
            missing.append("Content-Type")
        if (resp.header("X-Content-Type-Options") or "").strip().lower() != "nosniff":
            missing.append("X-Content-Type-Options: nosniff")
        if url.startswith("https:") and not resp.header("Strict-Transport-Security"):
            missing.append("Strict-Transport-Security")
        api.append({"url": url, "status": resp.status, "content_type": ctype, "missing": missing})
    worst = min(by_url, key=lambda s: s["score"]) if by_url else None
    g.ok("security_headers", {"algorithm": observatory.ALGORITHM, "pages": len(by_url),
                              "worst_grade": worst["grade"] if worst else None,
                              "worst_score": worst["score"] if worst else None,
                              "by_url": by_url, "api": api},
         [r.transcript for r in html_pages] + [c.transcript for c in site.cors.values()]
         + [r.transcript for r in endpoints.values()])


def _cookie_fact(g: Gathered, site: Site) -> None:
    cookies: dict[str, dict[str, Any]] = {}
    src = []
    for resp in site.responses:
        for c in _cookies(resp):
            cookies.setdefault(c["name"], c)
            src.append(resp.transcript)
    values = list(cookies.values())
    g.ok("cookies", {"cookies": values,
                     "session_without_secure": [c["name"] for c in values if c["session"] and not c["secure"]],
                     "session_without_httponly": [c["name"] for c in values if c["session"] and not c["httponly"]],
                     "without_samesite": [c["name"] for c in values if not c["samesite"]],
                     "without_secure": [c["name"] for c in values if not c["secure"]]}, src)


def _versions(g: Gathered, site: Site) -> None:
    found, src = [], []
    for resp in site.responses:
        hits = [b for b in exposure.banners(resp.headers) if b["versioned"]]
        pages = exposure.page_versions(resp.text) if resp.status >= 400 and _is_text(resp) else []
        for b in hits:
            item = f"{b['header']}: {b['value']}"
            if item not in found:
                found.append(item)
                src.append(resp.transcript)
        for p in pages:
            item = f"error page: {p}"
            if item not in found:
                found.append(item)
                src.append(resp.transcript)
    g.ok("version_disclosure", {"disclosed": found}, src)


def _cors_fact(g: Gathered, site: Site) -> None:
    reflect, wildcard = [], []
    for resp in site.cors.values():
        acao = (resp.header("Access-Control-Allow-Origin") or "").strip()
        creds = (resp.header("Access-Control-Allow-Credentials") or "").strip().lower() == "true"
        if acao == PROBE_ORIGIN and creds:
            reflect.append(resp.url)
        elif acao == "*":
            wildcard.append(resp.url)
    g.ok("cors", {"origin_sent": PROBE_ORIGIN, "checked": len(site.cors), "credentialed_reflection": reflect,
                  "wildcard": wildcard}, [r.transcript for r in site.cors.values()])


def scan_pi(responses: list[Response]) -> tuple[dict[str, Any], list[str]]:
    """PI findings over responses; the second value lists bodies too large to rule PI out."""
    total = pii.Findings()
    by_url, too_big = [], []
    for resp in responses:
        if not _is_text(resp):
            continue
        if resp.truncated:
            too_big.append(f"{resp.url}: body larger than {len(resp.body)} bytes; cannot rule out personal "
                           "information")
            continue
        found = pii.scan(resp.text)
        total.merge(found)
        if found.kinds:
            by_url.append({"url": resp.url, "counts": {k: v for k, v in found.counts.items() if v}})
    return {"scanned": len(responses), "counts": total.counts, "samples": {k: v for k, v in total.samples.items() if v},
            "unmasked_kinds": total.kinds, "by_url": by_url}, too_big


def _pii(g: Gathered, site: Site, endpoints: dict[str, Response], errors: list[str]) -> None:
    responses = list(site.pages.values()) + list(endpoints.values())
    value, too_big = scan_pi(responses)
    src = [r.transcript for r in responses]
    for reason in errors + too_big:
        g.error("personal_info", reason, src)
    g.ok("personal_info", value, src)


#: Top-level JSON fields many frameworks (RuoYi, Spring apps' wrappers, …) use for an in-body status code.
_BODY_STATUS_KEYS = ("code", "status", "errcode", "errCode", "statusCode", "resultCode")
_BODY_DENIED_CODES = {401, 403, 404, "401", "403", "404"}


def anonymous_refused(resp: Response) -> bool:
    """Whether an endpoint refused an anonymous request: 401/403/404, a redirect, a login form, or a 2xx
    JSON answer whose own status code is 401/403/404 (APIs that always answer HTTP 200, e.g.
    {"code": 401, "msg": "请先登录"} or a soft 404), which carries no protected content."""
    if resp.status in (401, 403, 404) or 300 <= resp.status < 400:
        return True
    if resp.status >= 300:
        return False
    text = resp.text
    if forms.has_password_field(text):
        return True
    try:
        body = json.loads(text)
    except ValueError:
        return False
    return isinstance(body, dict) and any(body.get(k) in _BODY_DENIED_CODES for k in _BODY_STATUS_KEYS)


def _access(g: Gathered, conn: dict[str, Any], endpoints: dict[str, Response], errors: list[str]) -> None:
    protected = [ep["url"] for ep in conn.get("endpoints", []) if ep["auth"]]
    if not protected:
        g.skip("access_control", "no endpoint is marked `auth: true` in the inventory, so anonymous access "
                                 "to protected functions was not tested")
        return
    for reason in errors:
        if reason.split(": ", 1)[0] in protected:
            g.error("access_control", reason)
    rows, open_ = [], []
    for url in protected:
        resp = endpoints.get(url)
        if resp is None:
            continue
        refused = anonymous_refused(resp)
        rows.append({"url": url, "status": resp.status, "refused": refused})
        if not refused and resp.status < 300:
            open_.append(url)
    g.ok("access_control", {"protected_endpoints": len(protected), "checked": rows, "anonymous_access": open_},
         [endpoints[u].transcript for u in protected if u in endpoints])


def _login_form(g: Gathered, conn: dict[str, Any], pages: list[Response], login_page: Response | None,
                error: str) -> None:
    login = conn.get("login") or {}
    if error:
        g.error("login_form", error)
        return
    if login.get("format") == "json" and login.get("action"):
        action = login["action"]
        g.ok("login_form", {"found": True, "source": "inventory (JSON API)", "page": login.get("url"),
                            "page_scheme": urlsplit(login.get("url") or action).scheme, "action": action,
                            "action_scheme": urlsplit(action).scheme, "method": "POST",
                            "credentials_in_url": False, "captcha": False})
        return
    candidates = ([login_page] if login_page is not None else []) + pages
    for resp in candidates:
        if not _is_text(resp):
            continue
        found = forms.login_forms(resp.text, resp.url)
        if found:
            form = found[0]
            g.ok("login_form", {"found": True, "source": "page", "page": resp.url,
                                "page_scheme": urlsplit(resp.url).scheme, "action": form.action,
                                "action_scheme": urlsplit(form.action).scheme, "method": form.method,
                                "credentials_in_url": form.method == "GET", "captcha": form.captcha,
                                "fields": form.fields}, [resp.transcript])
            return
    g.ok("login_form", {"found": False, "source": "no password field on the fetched pages"},
         [r.transcript for r in candidates])


def _privacy(g: Gathered, client: Client, site: Site, conn: dict[str, Any]) -> None:
    url = conn.get("privacy_policy")
    if not url:
        g.ok("privacy_policy", {"configured": False})
        return
    try:
        chain, stop = client.follow(url)
    except FetchError as exc:
        g.error("privacy_policy", f"{url}: {exc}")
        return
    final = chain[-1]
    for r in chain:
        _keep(site, r)
    base = site.baseline(client, urljoin(url, "."))
    if final.status == 200 and not isinstance(base, str) and exposure.same_answer(
            final.text, (urlsplit(final.url).path,), exposure.Baseline(base.status, base.text, urlsplit(base.url).path)):
        g.skip("privacy_policy", f"{url} answers like a random path of the site (an SPA shell or a soft 404), so "
                                 "whether it shows the privacy policy cannot be seen without running its scripts; "
                                 "check the page in a browser")
        return
    g.ok("privacy_policy", {"configured": True, "url": url, "status": final.status,
                            "reachable": final.status == 200 and len(final.body) > 200 and not stop},
         [r.transcript for r in chain])


# --- paths ----------------------------------------------------------------------------------------

def _request_echoes(url: str) -> tuple[str, ...]:
    """What an answer may repeat of its request: the path, with and without the decoded query."""
    parts = urlsplit(url)
    path = parts.path or "/"
    return (f"{path}?{unquote(parts.query)}", f"{path}?{parts.query}", path) if parts.query else (path,)


def _roots(site: Site) -> list[str]:
    """Where the paths are tried: every https base, and every http base that answered without redirecting
    (an API whose root is a 404 still serves its paths) or refusing plain HTTP."""
    roots = [b for b in site.bases if b.startswith("https:")]
    for base in site.bases:
        result = site.http_results.get(base, {})
        if base.startswith("http:") and result.get("listener") and result.get("status") not in (
                301, 302, 303, 307, 308, *REFUSALS):
            roots.append(base)
    return roots or list(site.pages)


def path_facts(g: Gathered, client: Client, site: Site, conn: dict[str, Any]) -> None:
    roots = _roots(site)
    # the site's answer to a random path, compared with every sensitive path's answer; also an error-page probe
    eerrors = []
    baselines: dict[str, Response] = {}
    for root in roots:
        answer = site.baseline(client, root)
        if isinstance(answer, str):
            eerrors.append(answer)
        else:
            baselines[root] = answer
    exposed, errors, src = [], [], [r.transcript for r in baselines.values()]
    for root in roots:
        base = baselines.get(root)
        baseline = exposure.Baseline(base.status, base.body.decode("latin-1"), urlsplit(base.url).path) if base \
            else None
        for spec in exposure.SENSITIVE_PATHS:
            url = urljoin(root, spec.path)
            try:
                resp = _keep(site, client.get(url))
            except FetchError as exc:
                errors.append(f"{url}: {exc}")
                continue
            src.append(resp.transcript)
            if exposure.signature_hit(spec, resp.status, resp.body.decode("latin-1"), urlsplit(url).path, baseline):
                exposed.append({"url": url, "path": spec.path, "kind": spec.kind, "what": spec.what,
                                "status": resp.status})
    for e in errors:
        g.error("sensitive_paths", e, src)
    g.ok("sensitive_paths", {"checked": len(roots) * len(exposure.SENSITIVE_PATHS), "exposed": exposed,
                             "kinds": sorted({e["kind"] for e in exposed})}, src)
    # directory listings: the base pages, common directories, and the directories of sampled endpoints
    dirs = {urljoin(r, d) for r in roots for d in LISTING_DIRS}
    dirs |= {urljoin(ep["url"], ".") for ep in conn.get("endpoints", [])}
    listing, lerrors, lsrc = [], [], []
    for resp in list(site.pages.values()):
        if _is_text(resp) and exposure.directory_listing(resp.text):
            listing.append(resp.url)
            lsrc.append(resp.transcript)
    for url in sorted(dirs - set(site.pages)):
        if not client.allowed(url):
            continue
        try:
            resp = _keep(site, client.get(url))
        except FetchError as exc:
            lerrors.append(f"{url}: {exc}")
            continue
        lsrc.append(resp.transcript)
        if resp.status == 200 and _is_text(resp) and exposure.directory_listing(resp.text):
            listing.append(url)
    for e in lerrors:
        g.error("directory_listing", e, lsrc)
    g.ok("directory_listing", {"checked": len(dirs) + len(site.pages), "listings": listing}, lsrc)
    # error pages: the random paths above, and a malformed parameter on the base and sampled endpoints
    targets = list(dict.fromkeys([*roots, *(ep["url"] for ep in conn.get("endpoints", []))]))[:4]
    probes = [r.url for r in baselines.values()] + [t + ("&" if "?" in t else "?") + "id=%27%22%3E%3C"
                                                     for t in targets]
    leaks, esrc = [], []
    answers = list(baselines.values())
    for url in probes[len(answers):]:
        try:
            answers.append(_keep(site, client.get(url, note="error-page probe")))
        except FetchError as exc:
            eerrors.append(f"{url}: {exc}")
    for resp in answers:
        esrc.append(resp.transcript)
        kinds = exposure.leaks(resp.text, *_request_echoes(resp.url)) if _is_text(resp) else []
        if kinds:
            leaks.append({"url": resp.url, "status": resp.status, "kinds": kinds})
    for resp in site.responses:
        if resp.status >= 400 and _is_text(resp) and resp.url not in probes:
            kinds = exposure.leaks(resp.text, *_request_echoes(resp.url))
            if kinds and resp.url not in [x["url"] for x in leaks]:
                leaks.append({"url": resp.url, "status": resp.status, "kinds": kinds})
                esrc.append(resp.transcript)
    for e in eerrors:
        g.error("error_disclosure", e, esrc)
    g.ok("error_disclosure", {"probes": len(roots) + len(targets), "leaks": leaks,
                              "kinds": sorted({k for x in leaks for k in x["kinds"]})}, esrc)
