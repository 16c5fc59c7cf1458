"""Scan progress on stderr: one updating line on a terminal, one plain line per object otherwise."""

from __future__ import annotations

import shutil
import sys
import threading
import time
from typing import TextIO

from assess.run.collect import ObjectEvidence


class ProgressBar:
    """Counts finished objects; `tty=None` decides by whether the stream is a terminal."""

    def __init__(self, total: int, stream: TextIO | None = None, tty: bool | None = None,
                 width: int | None = None) -> None:
        self.total, self.done, self.errors = total, 0, 0
        self.width = width
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.started = time.monotonic()
        self._lock = threading.Lock()
        self._drawn = False

    def __call__(self, object_id: str, ev: ObjectEvidence) -> None:
        with self._lock:
            self.done += 1
            self.errors += bool(ev.error)
            if self.tty:
                self._draw(object_id, ev)
            else:
                state = f"error: {ev.error}" if ev.error else f"{len(ev.facts)} facts in {ev.seconds:.2f} s"
                self.stream.write(f"[{self.done}/{self.total}] {object_id}: {state}\n")
            self.stream.flush()

    def _draw(self, object_id: str, ev: ObjectEvidence) -> None:
        width = self.width or shutil.get_terminal_size((80, 20)).columns
        slots = 24
        filled = slots * self.done // max(1, self.total)
        elapsed = time.monotonic() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        errors = f"  {self.errors} failed" if self.errors else ""
        line = (f"[{'#' * filled}{'.' * (slots - filled)}] {self.done}/{self.total} objects{errors}  "
                f"{rate:.1f}/s  last: {object_id}{' (error)' if ev.error else ''}")
        self.stream.write("\r" + line[:width - 1].ljust(width - 1))
        self._drawn = True

    def close(self) -> None:
        """End the updating line so that what follows starts on a fresh line."""
        with self._lock:
            if self.tty and self._drawn:
                self.stream.write("\n")
                self.stream.flush()
                self._drawn = False
