#!/usr/bin/env python3
"""Benchmark: the mobile-app analysis of a large APK, against androguard's own full analysis.

Builds the weak and the hardened test APKs (tests/mobile/apkbuild.py: smali + aapt + apksigner), adds
`--classes` generated classes to the weak one's DEX (so the code pass has real work), pads both to `--mb`
megabytes with incompressible asset files, then times, each in its own child process:

  * assess: `python -m assess.probes.mobile.analyse APK` (every mobile-app fact), as `assess scan` runs it;
  * androguard: `androguard.misc.AnalyzeAPK(APK)` with `Analysis.create_xref()` — the cross-referenced
    analysis that MobSF-style tools build before their rules run (it produces no fact by itself).

Prints wall time and the child's peak RSS, median of `--runs`. Target: a 50 MB APK in under 30 s.

  python3 bench/apk_analyse.py [--mb 50] [--classes 3000] [--runs 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.mobile import apkbuild, specs  # noqa: E402

ANDROGUARD = """
import sys
from loguru import logger
logger.remove()
from androguard.misc import AnalyzeAPK
a, d, dx = AnalyzeAPK(sys.argv[1])
print(len(list(dx.get_classes())))
"""


def _generated(n: int) -> dict[str, str]:
    """n small classes, each with a method holding constants and calls (app code of a realistic shape)."""
    out = {}
    for i in range(n):
        name = f"com/example/weak/gen/p{i // 100}/C{i}"
        out[name] = f""".class public L{name};
.super Ljava/lang/Object;

.method public run(Ljava/lang/String;)Ljava/lang/String;
    .registers 4
    const-string v0, "https://api{i}.example-mobility.cn/v1/item/{i}"
    const-string v1, "AES/GCM/NoPadding"
    invoke-static {{v1}}, Ljavax/crypto/Cipher;->getInstance(Ljava/lang/String;)Ljavax/crypto/Cipher;
    invoke-virtual {{p1, v0}}, Ljava/lang/String;->concat(Ljava/lang/String;)Ljava/lang/String;
    move-result-object v2
    return-object v2
.end method
"""
    return out


def _timed(cmd: list[str]) -> tuple[float, int, int]:
    """(wall seconds, peak RSS in MB of the child, exit status)."""
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(proc.pid, 0)
    return time.monotonic() - t0, usage.ru_maxrss // 1024, os.waitstatus_to_exitcode(status)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=int, default=50)
    ap.add_argument("--classes", type=int, default=3000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    missing = apkbuild.missing_tools()
    if missing:
        print(f"missing: {', '.join(missing)} (tests/apt-packages.txt)", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="apk-bench-"))
    weak = specs.weak()
    weak.smali = {**weak.smali, **_generated(args.classes)}
    built = {"weak": apkbuild.build(weak, work, "weak"), "hardened": apkbuild.build(specs.hardened(), work, "hardened")}
    report = {}
    for name, apk in built.items():
        big = apkbuild.pad(apk, work / f"{name}-big.apk", args.mb)
        size = big.stat().st_size / 1e6
        rows = {}
        for tool, cmd in (("assess", [sys.executable, "-m", "assess.probes.mobile.analyse", str(big)]),
                          ("androguard", [sys.executable, "-c", ANDROGUARD, str(big)])):
            runs = [_timed(cmd) for _ in range(args.runs)]
            if any(r[2] for r in runs):
                rows[tool] = {"error": f"exit {runs[0][2]}"}
                continue
            rows[tool] = {"seconds": round(statistics.median(r[0] for r in runs), 2),
                          "peak_rss_mb": max(r[1] for r in runs)}
        report[name] = {"size_mb": round(size, 1), **rows}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for name, row in report.items():
            print(f"{name:9} {row['size_mb']:6.1f} MB  " + "  ".join(
                f"{t}: {r.get('seconds', '-')} s, {r.get('peak_rss_mb', '-')} MB RSS" for t, r in row.items()
                if isinstance(r, dict)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
