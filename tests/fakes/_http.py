"""The base of every fake platform: a threaded HTTP server on an ephemeral loopback port, one
fault vocabulary and one log of the calls made.

Each fake names the requests it serves with the same *operations*: ``publish`` (create a post
or a thread part), ``upload_media`` (send an image), ``look_back`` (read the account's posts
to find one), ``whoami`` (who the credentials belong to), ``metrics`` (read posts' public
figures, which a test sets with :meth:`FakePlatform.set_figures`), plus a few of its own
(``login`` on Bluesky, ``media_status`` on X and Mastodon, …; ``Fake.operations`` lists them).
A request no operation names is logged as ``"GET /path"``.

Faults, injected with :meth:`FakePlatform.fault` on an operation's next ``times`` requests::

    server_error     503 from the platform (Mastodon: its proxy's HTML page); nothing done
    gateway_timeout  504 from the platform's gateway; nothing done
    rate_limit       429 with the platform's rate-limit headers (reset: rate_limit_reset_at())
    reject           400, the platform's "invalid request"; nothing done
    unauthorized     401, the platform's "credentials refused"; nothing done
    drop_before      the connection closes before anything is done: no answer, nothing done
    drop             the request is done (the post exists), then the connection closes
                     without an answer: the lost answer
    stall            the request is done, then nothing is answered until the client gives up
                     (or the fake stops)

A fake may add kinds of its own (Bluesky: ``expired_token``). Usage::

    with FakeX() as x:
        adapter = connect("twitter", x.env())
        x.fault("publish", "rate_limit")          # the next post answers 429
        ...
        assert [c.operation for c in x.calls()] == ["publish"]
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, ClassVar, Self
from urllib.parse import parse_qsl, urlsplit

FAULTS = frozenset(
    {
        "server_error",
        "gateway_timeout",
        "rate_limit",
        "reject",
        "unauthorized",
        "drop_before",
        "drop",
        "stall",
    }
)
SHARED_OPERATIONS = ("publish", "upload_media", "look_back", "whoami", "metrics")


@dataclass(frozen=True)
class Call:
    """One request a fake received: which operation, and the request as sent."""

    operation: str
    method: str
    path: str
    query: Mapping[str, str]
    headers: Message = field(repr=False)
    body: bytes = field(repr=False)
    pairs: tuple[tuple[str, str], ...] = ()  # the query as sent, repeated names kept

    def json(self) -> dict[str, Any]:
        """The body as a JSON object (empty when it is not one)."""
        try:
            data = json.loads(self.body or b"{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}


@dataclass(frozen=True)
class Published:
    """A post as a fake holds it, the same shape on every platform: its id as the adapter's
    receipt gives it, the text as the client sent it, the id of the post it replies to, and
    its images as (bytes, alt text)."""

    id: str
    text: str
    reply_to: str | None = None
    images: tuple[tuple[bytes, str], ...] = ()


class FakeHandler(BaseHTTPRequestHandler):
    """Base request handler: quiet logs and small helpers to read and answer JSON."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without TCP_NODELAY the client's delayed
    # ACK adds ~40 ms to every answer on loopback.
    disable_nagle_algorithm = True
    server: FakeHTTPServer
    error_content_type = "application/json"

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
        self.send_bytes(status, json.dumps(body).encode(), "application/json", headers)

    def send_bytes(
        self,
        status: int,
        payload: bytes,
        content_type: str | None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer ``status`` with ``payload`` (no Content-Type when ``content_type`` is None)."""
        self.send_response(status)
        if content_type:
            charset = "; charset=utf-8" if content_type == "application/json" else ""
            self.send_header("Content-Type", content_type + charset)
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


class PlatformHandler(FakeHandler):
    """Hands every request to :meth:`FakePlatform.serve`."""

    def do_GET(self) -> None:
        self.server.fake.serve(self, "GET")

    def do_POST(self) -> None:
        self.server.fake.serve(self, "POST")

    def do_PUT(self) -> None:
        self.server.fake.serve(self, "PUT")


class FakeHTTPServer(ThreadingHTTPServer):
    """Threaded server whose handler reaches the fake as ``self.server.fake``."""

    daemon_threads = True
    allow_reuse_address = True
    fake: Any  # the FakeServer; a FakePlatform behind a PlatformHandler


class FakeServer:
    """Runs ``handler`` on 127.0.0.1 in a background thread; use as a context manager.

    Subclasses keep their state as public attributes guarded by ``self.lock``; handlers
    reach the fake as ``self.server.fake``.
    """

    handler: ClassVar[type[FakeHandler]] = FakeHandler

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.stall_seconds = 10.0  # a stalled request is released after this at the latest
        self.released = threading.Event()  # set when the fake stops: stalled requests end
        self._httpd = FakeHTTPServer(("127.0.0.1", 0), self.handler)
        self._httpd.fake = self
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
        """Release stalled requests, stop serving and close the socket."""
        self.released.set()
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


class FakePlatform(FakeServer):
    """A fake platform: the shared fault vocabulary, the log of calls, and what a test needs
    to drive and inspect every platform the same way.

    Subclasses keep the platform's state (posts, media) as public attributes guarded by
    ``self.lock``, name each request's operation (:meth:`operation`), answer it
    (:meth:`respond`) and answer the faults the platform's way (:meth:`answer_fault`).
    """

    handler: ClassVar[type[FakeHandler]] = PlatformHandler
    operations: ClassVar[tuple[str, ...]] = SHARED_OPERATIONS
    faults: ClassVar[frozenset[str]] = FAULTS
    url_setting: ClassVar[str]  # the variable that points the adapter at a server

    def __init__(self) -> None:
        super().__init__()
        self._calls: list[Call] = []
        self._faults: dict[str, list[str]] = {}

    # -- the shared vocabulary -----------------------------------------------------------

    def fault(self, operation: str, kind: str, times: int = 1) -> None:
        """Make the next ``times`` requests of ``operation`` fail with ``kind`` (queued after
        faults injected before)."""
        if operation not in self.operations:
            raise ValueError(f"unknown operation {operation!r}; use one of {self.operations}")
        if kind not in self.faults:
            raise ValueError(f"unknown fault {kind!r}; use one of {sorted(self.faults)}")
        with self.lock:
            self._faults.setdefault(operation, []).extend([kind] * times)

    def calls(self, operation: str | None = None) -> list[Call]:
        """The requests received (only those of ``operation`` if given), oldest first."""
        with self.lock:
            return [c for c in self._calls if operation in (None, c.operation)]

    def env(self, **overrides: str) -> dict[str, str]:
        """The ``CAMPAIGN_<PLATFORM>_*`` variables that connect an adapter to this fake."""
        raise NotImplementedError

    def published(self) -> list[Published]:
        """Every post the fake holds, oldest first."""
        raise NotImplementedError

    def secrets(self) -> list[str]:
        """Every credential the fake accepts or handed out, to check none leaks."""
        raise NotImplementedError

    def set_rate_limit_reset(self, moment: datetime) -> None:
        """Make ``rate_limit`` faults say the limit resets at ``moment``."""
        raise NotImplementedError

    def set_figures(self, remote_id: str, **figures: int) -> None:
        """Make the post ``remote_id`` (as the adapter's receipt gives it) show ``figures``
        (``likes``, ``reposts``, ``replies``, ``quotes``, ``bookmarks``, ``impressions``; those
        the platform counts) to the next ``metrics`` reads."""
        raise NotImplementedError

    # -- serving -------------------------------------------------------------------------

    def operation(self, method: str, path: str, query: Mapping[str, str]) -> str | None:
        """The operation a request is, or None for a route the fake does not name."""
        raise NotImplementedError

    def respond(self, h: FakeHandler, call: Call) -> None:
        """Do what ``call`` asks and answer it through ``h``."""
        raise NotImplementedError

    def answer_fault(self, h: FakeHandler, kind: str, call: Call) -> None:
        """Answer an injected fault that the platform answers (all but the drops and stall)."""
        raise NotImplementedError

    def serve(self, h: FakeHandler, method: str) -> None:
        """Log one request as a call, then act out its fault or answer it."""
        parts = urlsplit(h.path)
        path = parts.path.rstrip("/") or "/"
        pairs = tuple(parse_qsl(parts.query, keep_blank_values=True))
        query = dict(pairs)
        body = h.read_body()
        named = self.operation(method, path, query)
        call = Call(named or f"{method} {path}", method, path, query, h.headers, body, pairs)
        with self.lock:
            self._calls.append(call)
            queued = self._faults.get(call.operation)
            kind = queued.pop(0) if queued else None
        if kind == "drop_before":
            h.drop_connection()
            return
        if kind is not None and kind not in ("drop", "stall"):
            self.answer_fault(h, kind, call)
            return
        if kind is not None:
            h.wfile = io.BytesIO()  # the request is done, but its answer goes nowhere
        self.respond(h, call)
        if kind == "stall":
            self.released.wait(self.stall_seconds)
        if kind is not None:
            h.drop_connection()
