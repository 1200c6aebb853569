"""A threaded HTTP server on an ephemeral loopback port that every fake platform builds on."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, ClassVar, Self


class FakeHandler(BaseHTTPRequestHandler):
    """Base request handler: quiet logs and small helpers to read and answer JSON."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without TCP_NODELAY the client's delayed
    # ACK adds ~40 ms to every answer on loopback.
    disable_nagle_algorithm = True
    server: FakeHTTPServer
    error_content_type = "application/json"
    quiet: ClassVar[bool] = True

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default per-request stderr line."""

    def read_body(self) -> bytes:
        """The request body (empty when there is none)."""
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if len(body) < length:  # the client died mid-request: a real server never acts on it
            raise ConnectionResetError("the client closed the connection before the whole body")
        return body

    def send_json(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        """Answer ``status`` with ``body`` as JSON and any extra ``headers``."""
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def drop_connection(self) -> None:
        """Close the socket without answering: the client sees its request vanish."""
        self.close_connection = True
        self.connection.shutdown(2)  # SHUT_RDWR
        self.connection.close()


class FakeHTTPServer(ThreadingHTTPServer):
    """Threaded server whose handler can reach the fake's shared state as ``self.server``."""

    daemon_threads = True
    allow_reuse_address = True


class FakeServer:
    """Runs ``handler`` on 127.0.0.1 in a background thread; use as a context manager.

    Subclasses keep the platform's state (posts, media, faults to inject) as attributes,
    guarded by ``self.lock``; handlers reach them through ``self.server.fake``.
    """

    handler: type[FakeHandler] = FakeHandler

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._httpd = FakeHTTPServer(("127.0.0.1", 0), self.handler)
        self._httpd.fake = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )  # a short poll makes stop() quick (the default 0.5 s adds up over a test suite)

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321``."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        """Start serving in the background."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
