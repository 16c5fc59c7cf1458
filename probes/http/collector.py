"""The webapp collector: one ObjectEvidence per `webapp` object from bounded HTTP/TLS probing.

Only the groups whose facts the plan needs are probed. State-changing tests run only with
`active=True` (`assess scan --active`); without it their facts are `skipped`, which the evaluation
reports as 待核查 rather than as a pass or a failure.
"""

from __future__ import annotations

import threading
import time
from typing import Any
from urllib.parse import urlsplit

from assess.model import Target
from assess.probes.facts import Fact
from assess.probes.http import active as active_tests
from assess.probes.http import passive
from assess.probes.http.client import Client, RateLimiter, tls_context
from assess.probes.http.definitions import FACTS
from assess.probes.http.gathered import Gathered
from assess.run.collect import ObjectEvidence, now

COLLECTOR = "assess-http/1"
#: seconds one webapp object may take (plus its idle-test wait): a slow site cannot hold up the scan
OBJECT_BUDGET = 900.0


def _scope(urls: list[str]) -> list[str]:
    """The inventory URLs, plus http://host/ for an https://host/ base on port 443 (the redirect check)."""
    out = list(urls)
    for url in urls:
        p = urlsplit(url)
        if p.scheme == "https" and (p.port in (None, 443)):
            plain = f"http://{p.hostname}/"
            if not any(urlsplit(u).scheme == "http" and urlsplit(u).hostname == p.hostname for u in out):
                out.append(plain)
    return out


def collect(target: Target, facts: list[Fact], *, active: bool = False,
            params: dict[str, Any] | None = None, cancel: threading.Event | None = None) -> ObjectEvidence:
    """Probe one webapp object for the named facts; never raises for network trouble.

    The object has an absolute deadline (OBJECT_BUDGET, plus the idle test's wait when active); `cancel`
    (the scan's Ctrl-C or SIGTERM) stops every request at once.
    """
    started, t0 = now(), time.monotonic()
    conn = target.connection
    wanted = {f.name for f in facts}
    g = Gathered(wanted)
    groups = {FACTS[n][0] for n in wanted if n in FACTS}
    urls = conn.get("urls", [])
    scope = _scope(urls)
    idle = float((conn.get("login") or {}).get("idle_wait") or 0) if active else 0.0
    client = Client(scope, RateLimiter(float(conn.get("rate", 10))), float(conn.get("timeout", 10)),
                    deadline=t0 + OBJECT_BUDGET + min(idle, active_tests.MAX_IDLE_WAIT),
                    cancel=cancel or threading.Event(), _ctx=tls_context(conn.get("ca_file")))
    site = passive.Site(scope)
    evidence = ObjectEvidence(target.id, started, started)
    try:
        if "tls" in groups:
            passive.probe_tls(client, site, client.timeout, conn.get("ca_file"))
        ages: dict[str, int | None] = {}
        if groups & {"pages", "paths", "tls"}:
            passive.fetch_pages(client, site)
            ages = passive.page_facts(g, client, site, conn)
        if "paths" in groups:
            passive.path_facts(g, client, site, conn)
        if "tls" in groups:
            passive.tls_facts(g, site, ages)
        if "active" in groups:
            if active:
                active_tests.run(g, client, conn, params or {})
            else:
                for name in active_tests.ACTIVE_FACTS:
                    g.skip(name, "state-changing test: run `assess scan --active` with a dedicated test account")
    except Exception as exc:  # a probe bug must not stop the scan: the facts not yet gathered say why
        for name in wanted - set(g.values) - set(g.errors) - set(g.skipped):
            g.error(name, f"HTTP probe failed: {type(exc).__name__}: {exc}")
    finally:
        client.close()
    evidence.facts, evidence.raw = g.results(client.transcripts)
    answered = any(t.get("status") for t in client.transcripts.values()) or any(
        r.offered for r in site.tls.values())
    if not answered and urls:
        reasons = list(site.page_errors.values()) + list(site.tls_errors.values())
        evidence.error = "no answer from " + ", ".join(urls) + (f" ({reasons[0]})" if reasons else "")
    evidence.info = {"collector": COLLECTOR, "urls": urls, "requests": client.requests,
                     "transcripts": len(client.transcripts), "active": active,
                     "rate_per_second": client.limiter.rate}
    evidence.finished = now()
    evidence.seconds = time.monotonic() - t0
    return evidence
