"""The SSH lab as a session fixture: started once for all lab tests, stopped at the end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import lab_unavailable
from tests.lab import sshd


@pytest.fixture(scope="session")
def lab() -> Iterator[sshd.Lab]:
    reason = sshd.unavailable()
    if reason:
        lab_unavailable(reason)
    running = sshd.Lab.start()
    try:
        yield running
    finally:
        running.stop()
