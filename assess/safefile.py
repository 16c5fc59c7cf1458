"""Writing files where another user may have planted a symlink: a random new name, then a rename.

Every file is first created under a random name in the target directory with O_CREAT|O_EXCL|O_NOFOLLOW
(`tempfile.mkstemp`), written and flushed to disk, then renamed over the target. Neither name can be
redirected by a symlink: the temporary one is new and unpredictable, and a rename replaces a symlink at
the target instead of following it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


@contextlib.contextmanager
def replacing(path: Path, mode: int = 0o600) -> Iterator[BinaryIO]:
    """A binary file that becomes `path` (with `mode`) when the block ends without an error."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            if mode != 0o600:
                os.fchmod(fh.fileno(), mode)
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_bytes(path: Path, data: bytes, mode: int = 0o600) -> None:
    with replacing(path, mode) as fh:
        fh.write(data)


def write_text(path: Path, text: str, mode: int = 0o600) -> None:
    write_bytes(path, text.encode("utf-8"), mode)
