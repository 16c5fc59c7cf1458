"""Run the collector on the machine assess runs on."""

from __future__ import annotations

import os
import platform
import selectors
import socket
import subprocess
import threading
import time

from assess.probes.transport import CollectionError, ScriptOutput

MAX_OUTPUT = 64 * 1024 * 1024
MAX_STDERR = 64 * 1024


class LocalTransport:
    """`sh -s` with the script on stdin; read-only like every other transport.

    Output is read as it comes, capped like the SSH transport's (MAX_OUTPUT of stdout, the last MAX_STDERR
    bytes of stderr), and the whole run has an absolute deadline; setting `cancel` kills it.
    """

    def __init__(self, cancel: threading.Event | None = None) -> None:
        self.cancel = cancel or threading.Event()

    def run_script(self, script: str, timeout: float) -> ScriptOutput:
        try:
            proc = subprocess.Popen(["/bin/sh", "-s"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, start_new_session=True)
        except OSError as exc:
            raise CollectionError(f"cannot run /bin/sh: {exc}") from None
        writer = threading.Thread(target=_send, args=(proc, script.encode()), daemon=True)
        writer.start()
        try:
            out, err, truncated = _read(proc, time.monotonic() + timeout, self.cancel)
        except TimeoutError:
            raise CollectionError(f"local collection timed out after {timeout:.0f} s") from None
        except InterruptedError:
            raise CollectionError("interrupted") from None
        finally:
            if proc.poll() is None:
                _kill(proc)
            proc.wait()
            proc.stdout.close()  # type: ignore[union-attr]
            proc.stderr.close()  # type: ignore[union-attr]
        info = {"transport": "local", "hostname": socket.gethostname(), "uid": os.getuid(),
                "kernel": platform.release()}
        stderr = err.decode("utf-8", "replace")
        if truncated:
            info["truncated"] = True
            stderr += f"\nassess: output exceeded {MAX_OUTPUT // (1024 * 1024)} MiB; the rest was not read"
        return ScriptOutput(out.decode("utf-8", "replace"), stderr, proc.returncode, info)


def _send(proc: subprocess.Popen[bytes], data: bytes) -> None:
    try:
        proc.stdin.write(data)  # type: ignore[union-attr]
        proc.stdin.close()  # type: ignore[union-attr]
    except OSError:
        pass  # the shell exited early: its status and stderr say why


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """The shell and everything it started (its own session)."""
    try:
        os.killpg(proc.pid, 9)
    except ProcessLookupError:
        pass


def _read(proc: subprocess.Popen[bytes], deadline: float, cancel: threading.Event) -> tuple[bytes, bytes, bool]:
    """stdout (at most MAX_OUTPUT) and the tail of stderr until both close; TimeoutError at the deadline,
    InterruptedError once `cancel` is set."""
    out, err = bytearray(), bytearray()
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ, out)  # type: ignore[arg-type]
        sel.register(proc.stderr, selectors.EVENT_READ, err)  # type: ignore[arg-type]
        while sel.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            if cancel.is_set():
                raise InterruptedError
            for key, _mask in sel.select(min(left, 0.2)):
                chunk = os.read(key.fd, 1 << 18)
                if not chunk:
                    sel.unregister(key.fileobj)
                    continue
                buf = key.data
                buf += chunk
                if buf is err:
                    del err[:-MAX_STDERR]
                elif len(out) > MAX_OUTPUT:
                    _kill(proc)
                    return bytes(out[:MAX_OUTPUT]), bytes(err), True
    return bytes(out), bytes(err), False
