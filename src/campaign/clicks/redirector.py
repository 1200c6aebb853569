"""The short-link redirector behind ``campaign serve-links``: a small ASGI app.

``GET /<code>`` answers ``302`` to the code's stored target and records a click;
``HEAD`` gets the same answer without counting. Anything that is not a stored code
(unknown, malformed, extra slashes, encoded tricks) gets a small HTML ``404``: the
Location header only ever carries a target read from the ledger, so the redirector
cannot be used as an open redirect. ``/healthz`` answers ``200`` for probes, and ``503``
while the ledger refuses clicks.

Known codes are cached in memory once looked up (a code never changes target) and then
answered on a fast path that builds no Starlette object; clicks go to a
:class:`~campaign.clicks.clicks.ClickRecorder` written in batches, flushed when the
server shuts down gracefully (uvicorn turns SIGTERM and SIGINT into that shutdown); under
``campaign serve-links`` a child process stores them. Clicks the ledger refuses wait in a
local spill file (:mod:`campaign.clicks.spill`) until it takes them again.
"""

from __future__ import annotations

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

from campaign.clicks.clicks import ClickRecorder, LedgerStore
from campaign.clicks.spill import spill_for
from campaign.clicks.writer_process import WriterProcess
from campaign.collector import quiet_collector
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


Headers = tuple[tuple[bytes, bytes], ...]


class Targets:
    """Short-link paths → their ``302`` answers, each looked up in the ledger once.

    :attr:`answers` maps both ``/<code>`` and ``/<code>/`` of every code found so far to the
    code and the pre-encoded response headers. Only codes the ledger holds are kept (a code
    never changes target), so it grows no larger than the ledger's short links; unknown
    codes are looked up again each time, so a code stored after start is found.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.answers: dict[str, tuple[str, Headers]] = {}

    def load(self, code: str) -> bool:
        """Look ``code`` up in the ledger (blocking) and keep its answer; whether it is stored."""
        with self.engine.connect() as connection:
            target = connection.execute(
                select(ShortLinkRow.target).where(ShortLinkRow.code == code)
            ).scalar_one_or_none()
        location = location_of(target) if target is not None else None
        if location is None:
            return False
        headers = (
            (b"location", location.encode("ascii")),
            (b"cache-control", b"no-store"),
            (b"content-length", b"0"),
        )
        self.answers[f"/{code}"] = self.answers[f"/{code}/"] = (code, headers)
        return True


class Redirects:
    """The redirector's ASGI app: known short links on a fast path, the rest to Starlette.

    A ``GET`` or ``HEAD`` of a path in :attr:`Targets.answers` is answered here with one
    dictionary lookup and two messages, building no Request or Response object and going
    through no middleware or router; a ``GET`` also queues its click. Everything else
    (codes not looked up yet, ``/healthz``, 404s, other methods, the lifespan) goes to
    ``fallback``. With clicks stored by a child process, serve-links' event loop spends about
    what a bare ASGI app's does per redirect (26-30 µs here) and the child, storing a row
    per link and second, about 2.5 µs a click (bench/README.md).
    """

    def __init__(self, targets: Targets, recorder: ClickRecorder, fallback: Starlette) -> None:
        self.targets = targets
        self.recorder = recorder
        self.fallback = fallback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        known = self.targets.answers.get(scope["path"]) if scope["type"] == "http" else None
        method = scope.get("method")
        if known is None or method not in ("GET", "HEAD"):
            await self.fallback(scope, receive, send)
            return
        if method == "GET":
            referrer = user_agent = None
            for name, value in scope["headers"]:
                if name == b"referer":
                    referrer = value.decode("latin-1")
                elif name == b"user-agent":
                    user_agent = value.decode("latin-1")
            self.recorder.record(known[0], referrer, user_agent)
        await send({"type": "http.response.start", "status": 302, "headers": known[1]})
        await send({"type": "http.response.body", "body": b""})


class FirstLookup:
    """The ``/{code}`` route behind :class:`Redirects`: look a code up in the ledger, then
    answer it through the fast path, or say 404. (A class, as Starlette calls an instance as
    a bare ASGI app rather than a request-response endpoint.)"""

    def __init__(self, redirects: Redirects) -> None:
        self.redirects = redirects

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        code: str = scope["path_params"]["code"]
        if is_code(code) and await run_in_threadpool(self.redirects.targets.load, code):
            await self.redirects(scope, receive, send)  # now one of Targets.answers
        else:
            await not_found()(scope, receive, send)


def create_app(
    engine: Engine,
    *,
    flush_interval: float = 0.5,
    spill_dir: Path | None = None,
    writer_process: bool = False,
) -> Redirects:
    """The redirector app over the ledger ``engine`` (tables must exist).

    ``app.recorder`` is its :class:`ClickRecorder`, started and stopped by the app's
    lifespan; clicks the ledger refuses are spilled under ``spill_dir`` (default
    ``CAMPAIGN_CLICKS_SPILL_DIR``, see :mod:`campaign.clicks.spill`). With
    ``writer_process``, clicks are stored by a child process
    (:mod:`campaign.clicks.writer_process`) rather than by a thread of this one, which
    leaves the interpreter to the event loop (the thread stores them while no child can):
    what ``campaign serve-links`` does.
    """
    url = engine.url.render_as_string(hide_password=False)
    store = WriterProcess(url, fallback=LedgerStore(engine)) if writer_process else None
    spill = spill_for(engine, spill_dir)
    recorder = ClickRecorder(engine, interval=flush_interval, spill=spill, store=store)

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

    fallback = Starlette(exception_handlers={HTTPException: http_error}, lifespan=lifespan)
    fallback.router.redirect_slashes = False  # "/x/y" must be a 404, never a redirect
    app = Redirects(Targets(engine), recorder, fallback)
    fallback.add_route("/healthz", healthz, methods=["GET"])
    for path in ("/{code}", "/{code}/"):
        # A short link pasted with a trailing slash (some editors and apps add one) still
        # resolves; it is answered, never redirected to the slashless form.
        fallback.router.routes.append(Route(path, FirstLookup(app), methods=["GET"]))
    return app


def not_found() -> Response:
    """The small HTML page for anything that is not a stored code (the path is not echoed)."""
    return HTMLResponse(NOT_FOUND_PAGE, status_code=404, headers={"cache-control": "no-store"})


def app_from_environment() -> Redirects:
    """The app over the ledger named by the environment: the factory each worker calls."""
    from campaign.store.ledger import Ledger  # the worker's own engine, opened in the worker

    app = create_app(Ledger.open(create=False, write=True).engine, writer_process=True)
    quiet_collector()
    return app


def serve(engine: Engine, *, host: str = "127.0.0.1", port: int = 8080, workers: int = 1) -> None:
    """Run the redirector under uvicorn until SIGINT or SIGTERM, then write pending clicks.

    With ``workers`` > 1, uvicorn starts that many processes, each opening the ledger from
    the environment (``CAMPAIGN_DATABASE_URL``) with its own click queue; ``engine`` (already
    migrated) is then only used by the caller. Each server process stores its clicks through
    a child process of its own (:mod:`campaign.clicks.writer_process`). The access log is
    off: it would print visitors' IP addresses, which we never keep.
    """
    import uvicorn  # only this command needs the server

    many = workers > 1
    app: Redirects | str = "campaign.clicks.redirector:app_from_environment"
    if not many:
        app = create_app(engine, writer_process=True)
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
