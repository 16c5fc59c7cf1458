"""Run the collector on the machine assess runs on."""

from __future__ import annotations

import os
import platform
import socket
import subprocess

from assess.probes.transport import CollectionError, ScriptOutput

MAX_OUTPUT = 64 * 1024 * 1024


class LocalTransport:
    """`sh -s` with the script on stdin; read-only like every other transport."""

    def run_script(self, script: str, timeout: float) -> ScriptOutput:
        try:
            proc = subprocess.run(["/bin/sh", "-s"], input=script.encode(), capture_output=True,
                                  timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise CollectionError(f"local collection timed out after {timeout:.0f} s") from None
        except OSError as exc:
            raise CollectionError(f"cannot run /bin/sh: {exc}") from None
        info = {"transport": "local", "hostname": socket.gethostname(), "uid": os.getuid(),
                "kernel": platform.release()}
        return ScriptOutput(proc.stdout[:MAX_OUTPUT].decode("utf-8", "replace"),
                            proc.stderr[-65536:].decode("utf-8", "replace"), proc.returncode, info)
