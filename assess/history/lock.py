"""Exclusive lock files: one scan at a time per output directory, one writer at a time per history database.

`exclusive(path, wait)` takes `flock(2)` on `<path>` (see assess.history.run_lock_path for the whole of a scan
writing into one output directory, `history.db.lock` only while a run is written into the history). A second process waits up to
`wait` seconds, polling (and saying so on stderr), and then raises `Busy` naming the holder (pid, host, what
it runs, since when), which the holder wrote into the lock file. The kernel drops the lock when its holder exits, however it exits, so a
crashed run never leaves a stale lock behind. Within one process the lock is re-entrant (`assess schedule
run` holds it around the scan it starts).
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from assess.errors import AssessError

#: Exit status of a run refused because another one holds the lock (sysexits EX_TEMPFAIL, as `flock -E 75`).
BUSY_EXIT = 75
_POLL = 0.2
_held: dict[str, int] = {}


class Busy(AssessError):
    """Another assess run holds the lock."""

    exit_code = BUSY_EXIT


def _holder(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        info = json.loads(os.read(fd, 4096).decode("utf-8") or "{}")
    except (OSError, ValueError):
        return "another assess process"
    return (f"pid {info.get('pid', '?')} on {info.get('host', '?')}, running `{info.get('purpose', '?')}` "
            f"since {info.get('since', '?')}")


@contextmanager
def exclusive(path: Path, wait: float = 0.0, purpose: str = "") -> Iterator[None]:
    """Hold the exclusive lock on `path` for the duration of the block."""
    key = str(path.resolve())
    if key in _held:
        _held[key] += 1
        try:
            yield
        finally:
            _held[key] -= 1
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise AssessError(f"cannot open lock file {path}: {exc.strerror or exc}") from None
    try:
        deadline = time.monotonic() + max(0.0, wait)
        announced = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    waited = f"after waiting {wait:g} s" if wait > 0 else "(use --wait SECONDS to wait for it)"
                    raise Busy(f"another assess run holds {path}: {_holder(fd)}; giving up {waited}") from None
                if not announced:
                    print(f"assess: waiting up to {wait:g} s for {path}, held by {_holder(fd)}", file=sys.stderr,
                          flush=True)
                    announced = True
                time.sleep(_POLL)
        info = {"pid": os.getpid(), "host": socket.gethostname(),
                "purpose": purpose or " ".join(os.path.basename(a) if i == 0 else a
                                               for i, a in enumerate(sys.argv)),
                "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode("utf-8"), 0)
        _held[key] = 1
        try:
            yield
        finally:
            del _held[key]
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
