"""A real AWS-API-compatible endpoint for the cloud-account tests: moto's server mode, one process on a
loopback port per test module, started and stopped by the tests. Without moto[server] the tests skip
(they fail under CI=true, like the lab tests)."""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import lab_unavailable

CREDS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "cn-north-1"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Moto:
    """One moto server process; `url` is its endpoint."""

    def __init__(self, log: Path, env: dict[str, str] | None = None):
        try:
            import boto3  # noqa: F401
            import moto.server  # noqa: F401
        except ImportError as exc:
            lab_unavailable(f"moto[server] and boto3 are needed ({exc}); pip install -e '.[test]'")
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log.open("wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     env={**os.environ, **(env or {})})
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 90
        seen = b""
        while b"Running on" not in seen:  # werkzeug announces the listening socket
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.proc.stdout], [], [], left)[0]:
                self.stop()
                raise RuntimeError(f"moto server did not start within 90 s: {seen[-500:]!r}")
            line = os.read(self.proc.stdout.fileno(), 65536)  # raw read: select sees what is left
            if not line:
                raise RuntimeError(f"moto server exited ({self.proc.wait()}): {seen[-500:]!r}")
            seen += line
            self.log.write(line)
        self._drain = threading.Thread(target=self._copy, daemon=True)
        self._drain.start()

    def _copy(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.log.write(line)

    def reset(self) -> None:
        urllib.request.urlopen(urllib.request.Request(self.url + "/moto-api/reset", method="POST"), timeout=30).close()

    def client(self, service: str, region: str = "cn-north-1", **creds: str):
        import boto3

        return boto3.client(service, region_name=region, endpoint_url=self.url,
                            aws_access_key_id=creds.get("key", "testing"),
                            aws_secret_access_key=creds.get("secret", "testing"))

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(autouse=True)
def aws_env(monkeypatch, tmp_path) -> None:
    """The SDK's credential chain finds the test keys in the environment; no real ~/.aws is read."""
    for k, v in CREDS.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def moto_server(tmp_path_factory: pytest.TempPathFactory, name: str, env: dict[str, str] | None = None
                ) -> Iterator[Moto]:
    server = Moto(tmp_path_factory.mktemp(name) / "moto.log", env)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def moto_process(tmp_path_factory) -> Iterator[Moto]:
    yield from moto_server(tmp_path_factory, "moto")


@pytest.fixture
def moto(moto_process: Moto) -> Moto:
    """The shared moto server, emptied: each test starts with a fresh account."""
    moto_process.reset()
    return moto_process
