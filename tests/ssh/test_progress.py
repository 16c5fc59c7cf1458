"""The scan progress display: one updating line on a terminal, plain lines otherwise."""

from __future__ import annotations

import io

from assess.cli.progress import ProgressBar
from assess.run.collect import ObjectEvidence


def ev(oid: str, error: str | None = None) -> ObjectEvidence:
    return ObjectEvidence(oid, "t0", "t1", error=error, seconds=0.5)


def test_terminal_gets_one_updating_line():
    out = io.StringIO()
    bar = ProgressBar(3, out, tty=True, width=120)
    bar("web01", ev("web01"))
    bar("web02", ev("web02", "connection refused by [127.0.0.1]:2201"))
    bar.close()
    text = out.getvalue()
    assert text.count("\r") == 2 and text.endswith("\n") and text.count("\n") == 1
    assert "2/3 objects  1 failed" in text and "last: web02 (error)" in text


def test_pipe_gets_plain_lines():
    out = io.StringIO()
    bar = ProgressBar(2, out, tty=False)
    bar("web01", ev("web01"))
    bar("web02", ev("web02", "timed out"))
    bar.close()
    assert out.getvalue().splitlines() == ["[1/2] web01: 0 facts in 0.50 s", "[2/2] web02: error: timed out"]
