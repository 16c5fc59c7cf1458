#!/usr/bin/env python3
"""Benchmark: every report format for a synthetic run of 200 objects across the full catalog.

Builds the run once (tests/reports/synthetic.py: the real catalog, seeded verdicts, real evidence files,
the real build_document), then times `python -m assess report RUN --format html,xlsx,md,json,junit,oscal`
as a whole process, several times, and prints the median wall time, the peak RSS of that process and the
size of each output; then the same for the Word report alone (`--format docx`). Targets: at most 10 s and
400 MB for each.

  python3 bench/report_scale.py [--objects 200] [--runs 3]
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

from tests.reports.synthetic import make_run  # noqa: E402

FORMATS = "html,xlsx,md,json,junit,oscal"


def one_render(run_dir: Path, formats: str = FORMATS) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MB) of one `assess report` process."""
    code = ("import resource, sys\n"
            "from assess.cli import main\n"
            "try:\n"
            f"    main(['report', {str(run_dir)!r}, '--format', {formats!r}], standalone_mode=False)\n"
            "finally:\n"
            "    u = resource.getrusage(resource.RUSAGE_SELF)\n"
            "    print('RSS', u.ru_maxrss, u.ru_utime + u.ru_stime, file=sys.stderr)\n")
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"report failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    rss_kb, cpu = next(line.split()[1:] for line in proc.stderr.splitlines() if line.startswith("RSS "))
    return wall, float(cpu), int(rss_kb) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        run_dir, doc = make_run(Path(tmp), args.objects)
        build = time.perf_counter() - t0
        walls, cpus, peaks = [], [], []
        docx_walls, docx_peaks = [], []
        for _ in range(args.runs):
            wall, cpu, peak = one_render(run_dir)
            walls.append(wall)
            cpus.append(cpu)
            peaks.append(peak)
            wall, _cpu, peak = one_render(run_dir, "docx")
            docx_walls.append(wall)
            docx_peaks.append(peak)
        sizes = {p.name: p.stat().st_size for p in sorted(run_dir.iterdir()) if p.is_file()}
    med, peak = statistics.median(walls), max(peaks)
    print(f"synthetic run: {len(doc['objects'])} objects, {len(doc['results'])} results, "
          f"{len(doc['highrisk'])} high-risk findings, {len(doc['remediation'])} remediation entries "
          f"(built in {build:.1f} s)")
    print(f"assess report --format {FORMATS}: median {med:.2f} s over {args.runs} runs "
          f"(min {min(walls):.2f}, max {max(walls):.2f}); CPU median {statistics.median(cpus):.2f} s; "
          f"peak RSS {peak:.0f} MB; load average {os.getloadavg()[0]:.1f}")
    for name, size in sizes.items():
        print(f"  {name:<20} {size / 1e6:8.2f} MB")
    docx_med, docx_peak = statistics.median(docx_walls), max(docx_peaks)
    print(f"assess report --format docx: median {docx_med:.2f} s over {args.runs} runs "
          f"(min {min(docx_walls):.2f}, max {max(docx_walls):.2f}); peak RSS {docx_peak:.0f} MB")
    ok = med <= 10 and peak <= 400 and docx_med <= 10 and docx_peak <= 400
    print(json.dumps({"objects": len(doc["objects"]), "results": len(doc["results"]), "median_s": round(med, 2),
                      "cpu_s": round(statistics.median(cpus), 2),
                      "peak_rss_mb": round(peak), "docx_median_s": round(docx_med, 2),
                      "docx_peak_rss_mb": round(docx_peak), "target_met": ok}))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
