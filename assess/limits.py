"""Bounds on what users and other parties hand to assess: file sizes, object counts, YAML expansion.

Every input has a size bound (design.md, trust model): a key, known_hosts or inventory file named by
mistake or malice as `/dev/zero`, a FIFO or a multi-gigabyte file is refused with a clear message instead
of being read whole.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

MiB = 1 << 20
#: inventories, ssh_config, answers, profiles and other YAML/text inputs
MAX_TEXT_FILE = 16 * MiB
#: a private key file (OpenSSH and PEM keys are a few KiB)
MAX_KEY_FILE = 1 * MiB
#: a known_hosts file (a 100 000-host file is about 10-70 MiB)
MAX_KNOWN_HOSTS = 128 * MiB
#: objects of one inventory, after Ansible host ranges are expanded
MAX_OBJECTS = 50_000
#: tags of one object (Ansible groups become tags)
MAX_TAGS = 1_000
#: values of one YAML document with every alias counted each time it is used (alias bombs)
MAX_YAML_VALUES = 2_000_000
#: nesting depth of one YAML document
MAX_YAML_DEPTH = 100


def read_capped(path: str | Path, limit: int) -> bytes:
    """A regular file's bytes, at most `limit` of them; anything else raises OSError saying why.

    FIFOs, devices and sockets are refused without blocking (opened non-blocking, checked with fstat);
    a directory raises IsADirectoryError, a file larger than `limit` OSError(EFBIG).
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, "is a directory", str(path))
        if not stat.S_ISREG(mode):
            raise OSError(errno.EINVAL, "not a regular file (a FIFO, device or socket)", str(path))
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 * MiB, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise OSError(errno.EFBIG, f"larger than {_shown(limit)}", str(path))
        return b"".join(chunks)
    finally:
        os.close(fd)


def _shown(n: int) -> str:
    return f"{n // MiB} MiB" if n >= MiB else f"{n} bytes"
