#!/usr/bin/env python3
"""Benchmark: a full local level-3 scan (collect + evaluate + write) as a whole process.

Runs `python -m assess scan -q` several times into a temporary directory and prints the median and
spread of the wall time, the collector's own time, and the peak RSS. When `lynis` is installed it also
times `lynis audit system --quick` once and prints the ratio (Lynis is the anchor: ~70 s here).

  python3 bench/local_scan.py [--runs 7] [--no-lynis]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def one_scan(out: Path) -> tuple[float, float]:
    env = dict(os.environ, HOME=str(out.parent), ASSESS_HOME=str(out.parent / ".assess"))  # keep run history away
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "assess", "scan", "-q", "--out", str(out)], env=env,
                          capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 1, 3):
        sys.exit(f"scan failed ({proc.returncode}): {proc.stderr.strip()}")
    doc = json.loads(next(out.glob("*/results.json")).read_text(encoding="utf-8"))
    collect = sum(o.get("collected", {}).get("seconds", 0) for o in doc["objects"])
    return wall, collect



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--no-lynis", action="store_true")
    args = parser.parse_args()
    walls, collects = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.runs):
            out = Path(tmp) / str(i)
            wall, collect = one_scan(out)
            walls.append(wall)
            collects.append(collect)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    med = statistics.median(walls)
    print(f"assess scan (local, level3): median {med:.2f} s over {args.runs} runs "
          f"(min {min(walls):.2f}, max {max(walls):.2f}); collector median {statistics.median(collects):.2f} s; "
          f"peak RSS {peak_mb:.0f} MB")
    lynis = shutil.which("lynis")
    if lynis and not args.no_lynis:
        t0 = time.perf_counter()
        subprocess.run([lynis, "audit", "system", "--quick", "--no-colors", "--no-log"], capture_output=True,
                       check=False)
        lt = time.perf_counter() - t0
        print(f"lynis audit system --quick: {lt:.1f} s; ratio lynis/assess = {lt / med:.0f}x")
    elif not args.no_lynis:
        print("lynis not installed: no ratio (apt-get install lynis)")


if __name__ == "__main__":
    main()
