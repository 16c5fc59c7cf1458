"""A stdlib HTTP server on loopback whose every answer comes from a route function, and a helper that
runs the webapp collector against it (real sockets, real HTTP, the probe's own client)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from assess.catalog.schema import Problems
from assess.model import Target
from assess.probes.http import collector
from assess.probes.http.target import connection
from assess.probes.registry import facts_for


@dataclass
class Answer:
    status: int = 200
    body: str | bytes = b""
    ctype: str = "text/html; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)
    server: str = "demo"


Route = Callable[[str], Answer]


def _handler(route: Route) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            return

        def do_GET(self) -> None:
            ans = route(self.path)
            data = ans.body.encode() if isinstance(ans.body, str) else ans.body
            self.send_response_only(ans.status)
            self.send_header("Server", ans.server)
            self.send_header("Content-Type", ans.ctype)
            self.send_header("Content-Length", str(len(data)))
            for k, v in ans.headers:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

    return Handler


@contextmanager
def serve(route: Route) -> Iterator[str]:
    """Serve `route` on 127.0.0.1; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(route))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def collect(base: str, names: list[str], **extra: Any) -> dict[str, Any]:
    """The named facts of a webapp object at `base` (status, value or reason per fact)."""
    problems = Problems()
    conn = connection({"url": base, "rate": 1000, "timeout": 5, **extra}, problems, "test")
    assert not problems, problems
    registry = facts_for("webapp")
    ev = collector.collect(Target(id="t", type="webapp", connection=conn), [registry[n] for n in names])
    return {n: (f.value if f.status == "ok" else f"{f.status}: {f.reason}") for n, f in ev.facts.items()}
