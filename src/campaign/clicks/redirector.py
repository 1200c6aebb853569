"""The short-link redirector behind ``campaign serve-links``: a small Starlette app.

``GET /<code>`` answers ``302`` to the code's stored target and records a click;
``HEAD`` gets the same answer without counting. Anything that is not a stored code
(unknown, malformed, extra slashes, encoded tricks) gets a small HTML ``404``: the
Location header only ever carries a target read from the ledger, so the redirector
cannot be used as an open redirect. ``/healthz`` answers ``200`` for probes, and ``503``
while the ledger refuses clicks.

Known codes are cached in memory once looked up (a code never changes target); clicks go
to a :class:`~campaign.clicks.clicks.ClickRecorder` written in batches, flushed when the
server shuts down gracefully (uvicorn turns SIGTERM and SIGINT into that shutdown). Clicks
the ledger refuses wait in a local spill file (:mod:`campaign.clicks.spill`) until it takes
them again.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import Engine, select
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from campaign.clicks.clicks import ClickRecorder
from campaign.clicks.spill import spill_for
from campaign.store.schema import ShortLinkRow
from campaign.tagging.iri import iri_to_uri
from campaign.tagging.shortcodes import is_code

NOT_FOUND_PAGE = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>Link not found</title>"
    "<h1>Link not found</h1><p>This short link does not exist or has been mistyped.</p></html>"
)


def location_of(target: str) -> str | None:
    """``target`` as a Location header value: ASCII only, http(s) only, else ``None``.

    An IRI typed by the author becomes its URI (:func:`~campaign.tagging.iri.iri_to_uri`):
    the host in IDNA form, other non-ASCII characters percent-encoded, the rest as written.
    """
    try:
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return None
        return iri_to_uri(target)
    except ValueError:  # an invalid IPv6 literal, or a host that is not a valid IDN
        return None


class Targets:
    """Code → Location header lookups against the ledger, cached once found."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._known: dict[str, bytes] = {}

    def cached(self, code: str) -> bytes | None:
        """The Location for ``code`` if it has been looked up before."""
        return self._known.get(code)

    def load(self, code: str) -> bytes | None:
        """Look ``code`` up in the ledger (blocking); ``None`` when it is not a stored code."""
        with self.engine.connect() as connection:
            target = connection.execute(
                select(ShortLinkRow.target).where(ShortLinkRow.code == code)
            ).scalar_one_or_none()
        location = location_of(target) if target is not None else None
        if location is None:
            return None
        self._known[code] = location.encode("ascii")
        return self._known[code]


class Redirect:
    """The ``/{code}`` endpoint as a bare ASGI callable.

    The hot path builds no Request or Response object: about a fifth more redirects per
    second than a Starlette endpoint function (12,500 → 15,100 in a wrk trial).
    """

    def __init__(self, targets: Targets, recorder: ClickRecorder) -> None:
        self.targets = targets
        self.recorder = recorder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        code: str = scope["path_params"]["code"]
        location = self.targets.cached(code)
        if location is None and is_code(code):
            location = await run_in_threadpool(self.targets.load, code)
        if location is None:
            await not_found()(scope, receive, send)
            return
        if scope["method"] == "GET":
            referrer = user_agent = None
            for name, value in scope["headers"]:
                if name == b"referer":
                    referrer = value.decode("latin-1")
                elif name == b"user-agent":
                    user_agent = value.decode("latin-1")
            self.recorder.record(code, referrer, user_agent)
        headers = [
            (b"location", location),
            (b"cache-control", b"no-store"),
            (b"content-length", b"0"),
        ]
        await send({"type": "http.response.start", "status": 302, "headers": headers})
        await send({"type": "http.response.body", "body": b""})


def create_app(
    engine: Engine, *, flush_interval: float = 0.5, spill_dir: Path | None = None
) -> Starlette:
    """The redirector app over the ledger ``engine`` (tables must exist).

    ``app.state.recorder`` is its :class:`ClickRecorder`, started and stopped by the
    app's lifespan; clicks the ledger refuses are spilled under ``spill_dir`` (default
    ``CAMPAIGN_CLICKS_SPILL_DIR``, see :mod:`campaign.clicks.spill`).
    """
    targets = Targets(engine)
    recorder = ClickRecorder(engine, interval=flush_interval, spill=spill_for(engine, spill_dir))

    async def healthz(request: Request) -> Response:
        trouble = recorder.trouble
        if trouble is None:
            return PlainTextResponse("ok")
        return PlainTextResponse(f"clicks cannot be stored: {trouble}", 503)

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        return not_found() if status == 404 else PlainTextResponse(str(status), status)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        recorder.start()
        try:
            yield
        finally:
            await run_in_threadpool(recorder.stop)

    redirect = Redirect(targets, recorder)
    app = Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/{code}", redirect, methods=["GET"]),
            # A short link pasted with a trailing slash (some editors and apps add one)
            # still resolves; it is answered, never redirected to the slashless form.
            Route("/{code}/", redirect, methods=["GET"]),
        ],
        exception_handlers={HTTPException: http_error},
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False  # "/x/y" must be a 404, never a redirect
    app.state.recorder = recorder
    return app


def not_found() -> Response:
    """The small HTML page for anything that is not a stored code (the path is not echoed)."""
    return HTMLResponse(NOT_FOUND_PAGE, status_code=404, headers={"cache-control": "no-store"})


def app_from_environment() -> Starlette:
    """The app over the ledger named by the environment: the factory each worker calls."""
    from campaign.store.ledger import Ledger  # the worker's own engine, opened in the worker

    app = create_app(Ledger.open(create=False, write=True).engine)
    quiet_collector()
    return app


def quiet_collector() -> None:
    """Keep Python's cyclic garbage collector from stalling redirects, in a server process.

    What is loaded by now (modules, the app) lives as long as the process: frozen, it is
    never scanned again. Full collections come after 1,000 younger ones instead of 10, as
    requests leave next to no cyclic garbage; each full pass held up every connection
    (p99 under load 79 ms before, about 6 ms after: bench/README.md).
    """
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, 1000)


def serve(engine: Engine, *, host: str = "127.0.0.1", port: int = 8080, workers: int = 1) -> None:
    """Run the redirector under uvicorn until SIGINT or SIGTERM, then write pending clicks.

    With ``workers`` > 1, uvicorn starts that many processes, each opening the ledger from
    the environment (``CAMPAIGN_DATABASE_URL``) with its own click queue; ``engine`` (already
    migrated) is then only used by the caller. The access log is off: it would print
    visitors' IP addresses, which we never keep.
    """
    import uvicorn  # only this command needs the server

    many = workers > 1
    app: Starlette | str = "campaign.clicks.redirector:app_from_environment"
    if not many:
        app = create_app(engine)
        quiet_collector()
    uvicorn.run(
        app,
        factory=many,
        workers=workers,
        host=host,
        port=port,
        access_log=False,
        server_header=False,
        proxy_headers=False,
        log_level="info",
    )
