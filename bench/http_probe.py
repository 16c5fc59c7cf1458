#!/usr/bin/env python3
"""Benchmark: a full passive HTTP/TLS probe of one web-lab site, against testssl.sh on the same site.

Starts the web lab (tests/lab/nginx.py: real nginx + the demo app on loopback), then per run collects
every passive webapp fact of the chosen site (TLS protocols via raw ClientHellos, TLS 1.2 and 1.3 suite
enumeration, certificate and trust, pages, headers, cookies, sensitive paths, listings, error pages, PI
scan) exactly as `assess scan` would, and prints the median and spread of the wall time, the request and
handshake counts, and the time at the default rate of 10 requests/s for comparison. When testssl.sh is
installed it times `testssl --protocols --server-defaults` once on the same site (it covers only the
TLS part) and prints the ratio. Target: a median of at most 3 s on loopback.

  python3 bench/http_probe.py [--site strong|weak] [--runs 5] [--rate 100] [--no-testssl] [--json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assess.catalog.schema import Problems  # noqa: E402
from assess.model import Target  # noqa: E402
from assess.probes.http import collector  # noqa: E402
from assess.probes.http.definitions import FACTS  # noqa: E402
from assess.probes.http.target import connection  # noqa: E402
from assess.probes.registry import facts_for  # noqa: E402
from tests.lab import nginx  # noqa: E402


def probe_once(site: nginx.Site, ca_file: str, rate: float) -> tuple[float, dict]:
    problems = Problems()
    conn = connection({"url": [site.https, site.http], "rate": rate, "ca_file": ca_file,
                       "endpoints": ["/api/drivers", {"path": "/api/me", "auth": True}],
                       "privacy_policy": "/privacy"}, problems, "bench")
    assert not problems, problems
    passive = [f for name, f in facts_for("webapp").items() if FACTS[name][0] != "active"]
    t0 = time.perf_counter()
    ev = collector.collect(Target(id=site.name, type="webapp", connection=conn), passive)
    seconds = time.perf_counter() - t0
    errors = {n: f.reason for n, f in ev.facts.items() if f.status != "ok"}
    if errors:
        raise SystemExit(f"probe errors: {errors}")
    tls = len({t["id"] for f in ev.raw.values() for t in f["transcripts"] if t["kind"] == "tls-client-hello"})
    return seconds, {"requests": ev.info["requests"], "handshakes": tls}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--site", choices=("strong", "weak"), default="weak")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--rate", type=float, default=100.0, help="requests per second for the timed runs")
    ap.add_argument("--no-testssl", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    reason = nginx.unavailable()
    if reason:
        raise SystemExit(f"web lab unavailable: {reason}")
    lab = nginx.WebLab.start()
    try:
        site = getattr(lab, args.site)
        ca = str(lab.files["ca"])
        probe_once(site, ca, args.rate)  # warm-up (imports, first handshakes)
        times, counts = [], {}
        for _ in range(args.runs):
            seconds, counts = probe_once(site, ca, args.rate)
            times.append(seconds)
        default_rate, _ = probe_once(site, ca, 10.0)
        result = {"site": args.site, "runs": args.runs, "rate": args.rate, "median_s": statistics.median(times),
                  "min_s": min(times), "max_s": max(times), **counts, "default_rate_s": default_rate}
        testssl = shutil.which("testssl") or shutil.which("testssl.sh")
        if testssl and not args.no_testssl:
            hostport = site.https[len("https://"):].rstrip("/")
            t0 = time.perf_counter()
            subprocess.run([testssl, "--protocols", "--server-defaults", "--quiet", "--color", "0", "--warnings",
                            "off", "--nodns", "none", "--ip", "127.0.0.1", hostport],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600, check=False)
            result["testssl_s"] = time.perf_counter() - t0
            result["testssl_ratio"] = result["testssl_s"] / result["median_s"]
    finally:
        lab.stop()
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"site {result['site']}: full passive probe, median {result['median_s']:.2f} s over {args.runs} runs "
          f"(min {result['min_s']:.2f}, max {result['max_s']:.2f}) at {args.rate:g} req/s; "
          f"{result['requests']} HTTP requests, {result['handshakes']} raw TLS handshakes")
    print(f"at the default rate of 10 req/s: {result['default_rate_s']:.2f} s")
    if "testssl_s" in result:
        print(f"testssl.sh --protocols --server-defaults: {result['testssl_s']:.1f} s "
              f"(assess full probe is {result['testssl_ratio']:.0f}x faster, and covers HTTP too)")


if __name__ == "__main__":
    main()
