"""Scriptable loopback HTTP servers for the crawler's safety tests (real sockets, no mocks)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    """One canned answer. A callable ``body`` is streamed chunk by chunk without a Content-Length."""

    status: int = 200
    body: bytes | Callable[[], Iterable[bytes]] = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/html; charset=utf-8"


class RouteServer:
    """A loopback HTTP server answering from ``routes`` (path without query -> :class:`Route`).

    It records every request it receives (``hits``) and which streamed bodies it
    managed to send to the end (``completed``), so a test can prove that the
    crawler never contacted it, or stopped reading early.
    """

    def __init__(self, routes: dict[str, Route]) -> None:
        self.routes = routes
        self.hits: Counter[str] = Counter()
        self.completed: set[str] = set()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server API
                path = self.path.split("?", 1)[0]
                outer.hits[path] += 1
                route = outer.routes.get(path, Route(404, b"not found", content_type="text/plain"))
                try:
                    self.send_response(route.status)
                    self.send_header("Content-Type", route.content_type)
                    for key, value in route.headers.items():
                        self.send_header(key, value)
                    if isinstance(route.body, bytes):
                        self.send_header("Content-Length", str(len(route.body)))
                        self.end_headers()
                        self.wfile.write(route.body)
                    else:
                        self.end_headers()
                        for chunk in route.body():
                            self.wfile.write(chunk)
                    outer.completed.add(path)
                except (BrokenPipeError, ConnectionResetError):
                    return  # the client stopped reading: that is what the caps are for

            def log_message(self, *args: object) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def total_hits(self) -> int:
        return sum(self.hits.values())

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
