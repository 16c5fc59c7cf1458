"""logrotate itself (`logrotate -d`, which only prints) is the oracle for the logrotate reader.

Every logrotate configuration among the Linux fixture roots, plus a few awkward synthetic ones, is
copied to a temporary directory (include paths rewritten there) and read by both logrotate and
assess.probes.linux.logrotate: each block's period, rotate count and maxsize must agree, in order.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from assess.probes.linux import logrotate
from tests.conftest import lab_unavailable
from tests.linux.harness import CASES

_PATTERN = re.compile(r"rotating pattern: (?P<pat>.*?)\s+(?P<crit>after (?P<days>\d+) days|weekly|monthly|yearly|hourly|"
                      r"(?P<bytes>\d+) bytes)(?: \((?P<n>-?\d+) rotations\))?(?P<rest>[^\n]*\n[^\n]*)", re.S)

SYNTHETIC = {
    "globals-in-included-file": {
        "/etc/logrotate.conf": "weekly\nrotate 4\ninclude /etc/logrotate.d\nrotate 99\n",
        "/etc/logrotate.d/a": "/var/log/a.log {\n  daily\n  rotate 30\n  postrotate\n    if true; then { :; }; fi\n"
                              "  endscript\n}\nmonthly\nrotate 7\n",
        "/etc/logrotate.d/b": "/var/log/b.log\n/var/log/c.log\n{\n  missingok\n}\n",
        "/etc/logrotate.d/c.rpmsave": "/var/log/d.log {\n  yearly\n}\n",
    },
    "criteria-order": {
        "/etc/logrotate.conf": "/var/log/a {\n  weekly\n  size 5M\n  rotate 3\n}\n/var/log/b {\n  size 5M\n  daily\n}\n"
                               "/var/log/c {\n  yearly\n  maxsize 1M\n  rotate 2\n}\n\"/var/log/d e\" {\n  hourly\n  rotate 48\n}\n",
    },
    "crlf": {  # CR after `{` rejects the block; elsewhere logrotate shrugs it off
        "/etc/logrotate.conf": "# comment\r\nweekly\r\nrotate 26\r\ncompress\r\ninclude /etc/logrotate.d\r\n",
        "/etc/logrotate.d/syslog": "/var/log/messages /var/log/secure {\r\n    missingok\r\n}\r\n",
        "/etc/logrotate.d/wtmp": "/var/log/wtmp {\n    monthly\r\n    rotate 1\r\n}\r\n",
    },
}


def _fixture_configs() -> dict[str, dict[str, str]]:
    out = {}
    for conf in sorted(CASES.glob("*/*/etc/logrotate.conf")):
        root = conf.parent.parent
        files = {"/etc/logrotate.conf": conf.read_text()}
        for f in sorted((root / "etc" / "logrotate.d").glob("*")) if (root / "etc" / "logrotate.d").is_dir() else []:
            files[f"/etc/logrotate.d/{f.name}"] = f.read_text()
        out[f"{root.parent.name}/{root.name}"] = files
    return out


CONFIGS = {**SYNTHETIC, **_fixture_configs()}


def _logrotate_view(files: dict[str, str], tmp: Path) -> list[dict]:
    for path, text in files.items():
        target = tmp / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text.replace("include /etc/logrotate.d", f"include {tmp}/etc/logrotate.d"))
        target.chmod(0o644)
    proc = subprocess.run(["logrotate", "-d", "-s", "/dev/null", str(tmp / "etc/logrotate.conf")],
                          capture_output=True, text=True, check=False)
    out = []
    for m in _PATTERN.finditer(proc.stdout + proc.stderr):
        crit = m.group("crit")
        period = "daily" if m.group("days") == "1" else "size" if m.group("bytes") else crit
        out.append({"pattern": shlex.split(m.group("pat"))[0], "period": period,
                    "rotate": int(m.group("n")) if m.group("n") else None,
                    "maxsize": "rotated earlier" in m.group("rest")})
    return out


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_logrotate_agrees(name, tmp_path):
    if shutil.which("logrotate") is None:
        lab_unavailable("logrotate is not installed (Debian package logrotate)")
    files = CONFIGS[name]
    theirs = _logrotate_view(files, tmp_path)
    ours = [{"pattern": s.patterns[0], "period": s.options.criterium, "rotate": s.options.rotate,
             "maxsize": s.options.maxsize} for s in logrotate.parse(files).stanzas]
    assert len(ours) == len(theirs), (ours, theirs)
    for mine, real in zip(ours, theirs, strict=True):
        if real["rotate"] is None:  # logrotate omits the count for -1 and for hourly
            mine = {**mine, "rotate": None}
        assert mine == real
