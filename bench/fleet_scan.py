#!/usr/bin/env python3
"""Benchmark: an SSH fleet scan by assess against the OpenSSH floor, side by side in the same run.

Starts the SSH lab (tests/lab: real sshd hosts in namespaces; needs root), writes an inventory of
--hosts entries cycling over the lab hosts reachable directly, and per round:
  * floor: OpenSSH's `ssh` runs the very collector script assess would run (built from the shipped
    controls and the level3 profile) on every entry, `--concurrency` at a time (xargs -P), each output
    checked for the collector's end marker;
  * assess: `python -m assess scan -i INVENTORY --concurrency N` as a whole process (connect, collect,
    evaluate all 211 items, write results.json), its peak RSS read with wait4().
The two alternate which goes first. Prints the medians: hosts per second for both, the ratio, and
assess's peak RSS. Targets: ratio within 1.5, peak RSS at most 150 MB for 50 hosts.

  sudo python3 bench/fleet_scan.py [--hosts 50] [--concurrency 8] [--runs 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assess.catalog import load as catalog  # noqa: E402
from assess.catalog import profile  # noqa: E402
from assess.model import Target  # noqa: E402
from assess.probes import script  # noqa: E402
from assess.run import plan  # noqa: E402
from tests.lab import sshd  # noqa: E402


def collector_script() -> tuple[str, str]:
    """The batched collector assess runs on a linux object (shipped controls, level3 profile)."""
    cat = catalog.load()
    facts = plan.facts_needed(cat, profile.load("level3", cat), Target(id="x", type="linux"))
    return script.build(facts)


def entries(lab: sshd.Lab, n: int) -> list[tuple[str, sshd.Host]]:
    hosts = [h for h in lab.hosts.values() if h.port]
    return [(f"host-{i + 1:03d}", hosts[i % len(hosts)]) for i in range(n)]


def floor_round(lab: sshd.Lab, fleet: list[tuple[str, sshd.Host]], script_path: Path, token: str,
                concurrency: int, work: Path) -> tuple[float, float]:
    """OpenSSH: one `ssh` per entry, `concurrency` at a time, all running the same script.
    Returns (wall seconds, client CPU seconds of xargs and every ssh it ran)."""
    config = work / "ssh_config"
    config.write_text(f"Host *\n  User root\n  IdentityFile {lab.client_key}\n  IdentitiesOnly yes\n"
                      f"  UserKnownHostsFile {lab.known_hosts}\n  StrictHostKeyChecking yes\n  BatchMode yes\n"
                      "  ConnectTimeout 10\n")
    out = work / "floor"
    out.mkdir()
    lines = "".join(f"{oid} {h.port}\n" for oid, h in fleet)
    command = (f"ssh -F {shlex.quote(str(config))} -p \"$2\" 127.0.0.1 'env LC_ALL=C LANG=C /bin/sh -s' "
               f"< {shlex.quote(str(script_path))} > {shlex.quote(str(out))}/\"$1\"")
    (work / "floor.list").write_text(lines)
    t0 = time.perf_counter()
    with open(work / "floor.list", "rb") as stdin, open(work / "floor.err", "wb") as err:
        proc = subprocess.Popen(["xargs", "-P", str(concurrency), "-L", "1", "sh", "-c", command, "floor"],
                                stdin=stdin, stdout=subprocess.DEVNULL, stderr=err)
        _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    incomplete = [oid for oid, _ in fleet if f"{token} DONE" not in (out / oid).read_text(errors="replace")]
    if code != 0 or incomplete:
        message = (work / "floor.err").read_text(errors="replace")[-500:]
        sys.exit(f"OpenSSH floor failed (exit {code}; incomplete: {incomplete[:5]}): {message}")
    return wall, usage.ru_utime + usage.ru_stime


def assess_round(inventory: Path, concurrency: int, work: Path) -> tuple[float, float, float]:
    """assess scan as a whole process: (wall seconds, CPU seconds, peak RSS in MB)."""
    env = dict(os.environ, HOME=str(work), ASSESS_HOME=str(work / ".assess"))
    cmd = [sys.executable, "-m", "assess", "scan", "-q", "-i", str(inventory), "--concurrency", str(concurrency),
           "--out", str(work / "assess"), "--no-history", "--format", "json"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        sys.exit(f"assess scan failed (exit {code}): {stderr[-800:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    reason = sshd.unavailable()
    if reason:
        sys.exit(f"cannot start the SSH lab: {reason}")
    text, token = collector_script()
    lab = sshd.Lab.start()
    try:
        with tempfile.TemporaryDirectory(prefix="assess-fleet-") as tmp:
            base = Path(tmp)
            script_path = base / "collector.sh"
            script_path.write_text(text)
            fleet = entries(lab, args.hosts)
            inventory = lab.inventory(base / "inventory.yaml", [
                {"id": oid, "address": "127.0.0.1", "port": h.port} for oid, h in fleet])
            floors, walls, rss, floor_cpu, assess_cpu = [], [], [], [], []
            for i in range(args.runs):
                work = base / f"round{i}"
                work.mkdir()
                for side in (("floor", "assess") if i % 2 == 0 else ("assess", "floor")):
                    if side == "floor":
                        wall, cpu = floor_round(lab, fleet, script_path, token, args.concurrency, work)
                        floors.append(wall)
                        floor_cpu.append(cpu)
                    else:
                        wall, cpu, peak = assess_round(inventory, args.concurrency, work)
                        walls.append(wall)
                        assess_cpu.append(cpu)
                        rss.append(peak)
    finally:
        lab.stop()
    floor_s, assess_s = statistics.median(floors), statistics.median(walls)
    figures = {"hosts": args.hosts, "lab_hosts": len([h for h in lab.hosts.values() if h.port]),
               "concurrency": args.concurrency, "runs": args.runs, "script_bytes": len(text),
               "openssh_seconds": round(floor_s, 2), "assess_seconds": round(assess_s, 2),
               "openssh_hosts_per_s": round(args.hosts / floor_s, 2), "assess_hosts_per_s": round(args.hosts / assess_s, 2),
               "ratio": round(assess_s / floor_s, 2), "assess_peak_rss_mb": round(max(rss), 1),
               "openssh_client_cpu_s": round(statistics.median(floor_cpu), 2),
               "assess_cpu_s": round(statistics.median(assess_cpu), 2),
               "all_openssh_seconds": [round(x, 2) for x in floors], "all_assess_seconds": [round(x, 2) for x in walls]}
    if args.json:
        print(json.dumps(figures, indent=1))
        return
    print(f"SSH fleet scan: {args.hosts} inventory entries over {figures['lab_hosts']} lab sshd hosts, "
          f"concurrency {args.concurrency}, median of {args.runs} rounds")
    print(f"  OpenSSH ssh + xargs -P (collection only): {floor_s:6.2f} s  {figures['openssh_hosts_per_s']:6.2f} hosts/s"
          f"  client CPU {figures['openssh_client_cpu_s']:.2f} s")
    print(f"  assess scan (collect + evaluate + write): {assess_s:6.2f} s  {figures['assess_hosts_per_s']:6.2f} hosts/s"
          f"  process CPU {figures['assess_cpu_s']:.2f} s")
    print(f"  ratio assess/OpenSSH: {figures['ratio']:.2f} (target <= 1.5)   "
          f"assess peak RSS: {figures['assess_peak_rss_mb']:.0f} MB (target <= 150)")


if __name__ == "__main__":
    main()
