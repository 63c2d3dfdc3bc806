"""A local HTTP server on 127.0.0.1 for tests: feeds and article pages, and every
fault a real site can produce (slow answers, redirects, loops, huge bodies, 304s).
"""

from __future__ import annotations

import contextlib
import gzip
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LoopbackHTTPServer(ThreadingHTTPServer):
    """A threaded server for tests that open hundreds of connections at once.

    socketserver's default listen backlog is 5: under a burst of connections the kernel
    resets the rest, which a client sees as a network error that no real server gives.
    """

    daemon_threads = True
    block_on_close = False
    request_queue_size = 1024


@dataclass
class Route:
    """What the server answers on one path."""

    body: bytes | str = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    # Conditional GET: answer 304 when the request's validators match these.
    etag: str | None = None
    last_modified: str | None = None
    delay: float = 0.0
    gzip: bool = False
    # Full control: a function of the request handler returning (status, headers, body).
    handler: Callable[[BaseHTTPRequestHandler], tuple[int, dict[str, str], bytes]] | None = None


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    status: int


class LocalWeb:
    """A threaded HTTP server whose answers are set per path by the test."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: list[Hit] = []
        self._lock = threading.Lock()
        web = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_HEAD(self) -> None:
                self._answer(send_body=False)

            def do_GET(self) -> None:
                self._answer(send_body=True)

            def _answer(self, send_body: bool) -> None:
                route = web.routes.get(self.path) or web.routes.get(self.path.split("?")[0])
                if route is None:
                    status, headers, body = 404, {"Content-Type": "text/plain"}, b"not found"
                elif route.handler is not None:
                    status, headers, body = route.handler(self)
                else:
                    if route.delay:
                        time.sleep(route.delay)
                    status, headers, body = web._static(route, self.headers)
                with web._lock:
                    web.hits.append(Hit(self.path, dict(self.headers), status))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if "Content-Length" not in headers:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if send_body and status != 304:
                    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                        self.wfile.write(body)

        self.server = LoopbackHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @staticmethod
    def _static(route: Route, request_headers) -> tuple[int, dict[str, str], bytes]:
        headers = {"Content-Type": route.content_type, **route.headers}
        if route.etag:
            headers["ETag"] = route.etag
        if route.last_modified:
            headers["Last-Modified"] = route.last_modified
        not_modified = (route.etag and request_headers.get("If-None-Match") == route.etag) or (
            route.last_modified
            and not route.etag
            and request_headers.get("If-Modified-Since") == route.last_modified
        )
        if not_modified:
            return 304, headers, b""
        body = route.body.encode("utf-8") if isinstance(route.body, str) else route.body
        if route.gzip and "gzip" in request_headers.get("Accept-Encoding", ""):
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        return route.status, headers, body

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def add(self, path: str, body: bytes | str = b"", **kwargs: object) -> str:
        """Serve `body` (or the given Route fields) at `path`; returns its full URL."""
        self.routes[path] = Route(body=body, **kwargs)  # type: ignore[arg-type]
        return self.url(path)

    def hits_for(self, path: str) -> list[Hit]:
        with self._lock:
            return [hit for hit in self.hits if hit.path == path]

    def start(self) -> LocalWeb:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def closed_port_url(path: str = "/") -> str:
    """A URL on 127.0.0.1 where nothing listens (connection refused)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"
