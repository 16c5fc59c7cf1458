#!/usr/bin/env python3
"""Benchmark: parse 200 device configurations and derive every device fact, as an offline scan does.

The configurations are the eight vendor fixtures (tests/network/fixtures: Huawei VRP, H3C Comware, Cisco
IOS, Cisco ASA, hardened and weak), each grown to a realistic size with access-switch interfaces and ACL
rules in its own dialect (`--interfaces`, default 48 ports and 60 rules: 400–600 lines a file); every fourth
one is a UTF-16 session log with `---- More ----` paging residue. Per run it decodes, splits, checks the
dialect, parses, interprets and derives the facts of all 200, and prints the median of `--runs` and the
lines per second. Target: under 2 s for 200 configurations.

  python3 bench/netdev_parse.py [--configs 200] [--runs 5] [--interfaces 48] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assess.probes.network import parse  # noqa: E402
from assess.probes.network.facts import DERIVE, Unsettled  # noqa: E402

FIXTURES = ROOT / "tests" / "network" / "fixtures"
VENDORS = {"huawei": "huawei", "h3c": "h3c", "cisco": "cisco", "asa": "cisco-asa"}
MORE = "  ---- More ----\x1b[42D                                          \x1b[42D"


def _grow(text: str, stem: str, ports: int) -> str:
    """Insert access ports and ACL rules in the dialect of `stem` before the end marker."""
    extra: list[str] = []
    for i in range(1, ports + 1):
        if stem in ("huawei", "h3c"):
            extra += [f"interface GigabitEthernet1/0/{i}", f" description user-port-{i}", " port link-type access",
                      f" port {'default' if stem == 'huawei' else 'access'} vlan {10 + i % 4}",
                      " stp edged-port enable" if stem == "huawei" else " stp edged-port", "#"]
        elif stem == "cisco":
            extra += [f"interface GigabitEthernet1/0/{i}", f" description user-port-{i}", " switchport mode access",
                      f" switchport access vlan {10 + i % 4}", " spanning-tree portfast", "!"]
        else:
            extra += [f"object network HOST-{i}", f" host 10.20.{i // 250}.{i % 250 + 1}"]
    for i in range(1, 61):
        if stem in ("huawei", "h3c"):
            extra += [f"acl number {3100 + i // 20}" if i % 20 == 1 else "",
                      f" rule {i * 5} permit tcp source 10.{i}.0.0 0.0.255.255 destination 10.30.1.{i} 0 "
                      "destination-port eq 443"]
        elif stem == "cisco":
            extra += [f"access-list {120 + i // 20} permit tcp 10.{i}.0.0 0.0.255.255 host 10.30.1.{i} eq 443"]
        else:
            extra += [f"access-list INSIDE_OUT extended permit tcp 10.{i}.0.0 255.255.0.0 host 10.30.1.{i} eq https"]
    extra = [x for x in extra if x]
    end = "\nreturn" if stem in ("huawei", "h3c") else "\nend" if stem == "cisco" else "\n: end"
    head, _sep, tail = text.rpartition(end)
    return head + "\n" + "\n".join(extra) + end + tail


def corpus(count: int, ports: int) -> list[tuple[str, str, bytes]]:
    base = sorted(FIXTURES.glob("*.cfg"))
    out = []
    for i in range(count):
        path = base[i % len(base)]
        stem = path.stem.split("-")[0]
        text = _grow(path.read_text(encoding="utf-8"), stem, ports)
        if i % 4 == 3:
            lines = text.split("\n")
            paged = [(MORE + x) if n and n % 40 == 0 else x for n, x in enumerate(lines)]
            data = ("<dev>dis cu\r\n" + "\r\n".join(paged) + "\r\n<dev>\r\n").encode("utf-16")
            name = f"dev{i:03d}.log"
        else:
            data = text.encode("utf-8")
            name = f"dev{i:03d}.cfg"
        out.append((VENDORS[stem], name, data))
    return out


def run_once(configs: list[tuple[str, str, bytes]]) -> tuple[float, float, int, int]:
    t0, c0 = time.perf_counter(), time.process_time()
    lines = facts = 0
    for vendor, name, data in configs:
        parsed = parse.parse_files(vendor, [(name, data)])
        lines += sum(r.lines for r in parsed.files)
        for derive in DERIVE.values():
            try:
                derive(parsed.config, {"boundary": True})
            except Unsettled:
                pass
            facts += 1
    return time.perf_counter() - t0, time.process_time() - c0, lines, facts


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--configs", type=int, default=200)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--interfaces", type=int, default=48)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    configs = corpus(args.configs, args.interfaces)
    times, cpu = [], []
    lines = facts = 0
    for _ in range(args.runs):
        seconds, cpu_seconds, lines, facts = run_once(configs)
        times.append(seconds)
        cpu.append(cpu_seconds)
    median = statistics.median(times)
    load = os.getloadavg()[0]
    result = {"configs": args.configs, "lines": lines, "facts": facts, "runs": args.runs,
              "median_s": round(median, 3), "min_s": round(min(times), 3), "max_s": round(max(times), 3),
              "cpu_median_s": round(statistics.median(cpu), 3), "lines_per_s": int(lines / median),
              "load_average": round(load, 2), "target_s": 2.0, "within_target": median < 2.0}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{args.configs} configs ({lines} lines, {facts} facts derived): median {median:.3f} s "
              f"(min {min(times):.3f}, max {max(times):.3f}), CPU {statistics.median(cpu):.3f} s, over {args.runs} "
              f"runs, {lines / median:,.0f} lines/s, load average {load:.1f}; "
              f"target < 2 s: {'met' if median < 2.0 else 'MISSED'}")
    return 0 if median < 2.0 else 1


if __name__ == "__main__":
    sys.exit(main())
