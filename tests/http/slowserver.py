"""A real HTTP server on loopback that answers one byte at a time (a slowloris in reverse)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

#: a complete, valid response: the client must not get it whole before its deadline
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n" + b"x" * 100_000


class SlowServer:
    """Accepts connections and sends `prefix` at once, then the rest of RESPONSE one byte per `gap` s.

    `asked` is set when a request has arrived; a client that hangs up ends the dribble. The dribble stops
    by itself after `give_up` s, so a client without deadlines still returns (late) instead of hanging.
    """

    def __init__(self, prefix: int, gap: float = 0.2, give_up: float = 60.0) -> None:
        self.prefix, self.gap, self.give_up = prefix, gap, give_up
        self.asked = threading.Event()
        self._stop = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def serve(self) -> None:
        self._sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            t = threading.Thread(target=self._answer, args=(conn,), daemon=True)
            t.start()
            self._threads.append(t)

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                self.asked.set()
                conn.sendall(RESPONSE[:self.prefix])
                waited = 0.0
                for i in range(self.prefix, len(RESPONSE)):
                    if self._stop.wait(self.gap) or waited > self.give_up:
                        return
                    waited += self.gap
                    conn.sendall(RESPONSE[i:i + 1])
            except OSError:
                return  # the client hung up: what a deadline does

    def close(self) -> None:
        self._stop.set()
        self._sock.close()
        for t in self._threads:
            t.join()


@contextmanager
def slow_server(prefix: int, gap: float = 0.2) -> Iterator[SlowServer]:
    server = SlowServer(prefix, gap)
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.close()
        thread.join()
