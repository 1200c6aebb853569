"""The calendar web app (``campaign web``): Starlette, Jinja2 pages, plain HTML forms.

Pages: ``/month``, ``/week``, ``/agenda`` (filters and a time zone in the query string),
``/posts/{id}`` (a post and its history), ``/signin``; actions by POST with a CSRF token:
``/posts/{id}/cancel``, ``/retry``, ``/resolve``; the feed ``/calendar.ics?token=…``.
No script runs in the page, and every asset is served from ``/static``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.applications import Starlette
from starlette.datastructures import URL
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from campaign.errors import CampaignError, LedgerError
from campaign.platforms.registry import platforms
from campaign.store.history import history
from campaign.store.ledger import Ledger
from campaign.store.metrics import latest
from campaign.store.states import STATES, UNKNOWN
from campaign.web import calendar, data, feed
from campaign.web.highlight import highlight
from campaign.web.model import PLANNED, STATE_ICONS, Entry, from_ledger, from_plan
from campaign.web.security import (
    SecurityHeaders,
    SignInLimiter,
    WebSettings,
    csrf_ok,
    is_loopback,
    new_csrf_token,
    same_secret,
)

HERE = Path(__file__).parent
ACTIONS = ("cancel", "retry", "resolve")


@dataclass
class WebApp:
    """What every request needs: the ledger, the campaign files, the settings and a clock."""

    ledger: Ledger
    campaigns: Sequence[Path]
    settings: WebSettings
    open_reading: bool
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    limiter: SignInLimiter = field(default_factory=SignInLimiter)


def create_app(
    ledger: Ledger,
    *,
    host: str = "127.0.0.1",
    campaigns: Sequence[Path] = (),
    settings: WebSettings | None = None,
    clock: Callable[[], datetime] | None = None,
    require_sign_in: bool = False,
) -> Starlette:
    """The calendar app over ``ledger``; ``campaigns`` adds the posts only planned in those
    files. Reading is open only when ``host`` is loopback and ``require_sign_in`` is False
    (behind a reverse proxy every visitor seems to come from loopback; see
    :mod:`.security`)."""
    settings = settings or WebSettings()
    open_reading = is_loopback(host) and not require_sign_in
    web = WebApp(ledger, list(campaigns), settings, open_reading=open_reading)
    if clock is not None:
        web.clock = clock
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.filters["highlight"] = highlight
    templates.env.globals.update(icons=STATE_ICONS, states=(PLANNED, *STATES))
    secure = settings.secure_cookie if settings.secure_cookie is not None else not is_loopback(host)

    def page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
        signed_in = bool(request.session.get("signed_in"))
        if "csrf" not in request.session:
            request.session["csrf"] = new_csrf_token()
        context.setdefault("nav", {name: f"/{name}" for name in calendar.VIEWS})
        context.setdefault("view", "")
        context.update(
            signed_in=signed_in,
            csrf=request.session["csrf"],
            can_sign_in=settings.password is not None,
        )
        return templates.TemplateResponse(request, name, context, status_code=status)

    def must_read(request: Request) -> Response | None:
        if web.open_reading or request.session.get("signed_in"):
            return None
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/signin?{urlencode({'next': target})}", status_code=303)

    async def home(request: Request) -> Response:
        return RedirectResponse("/month", status_code=303)

    async def view(request: Request) -> Response:
        if (denied := must_read(request)) is not None:
            return denied
        name = request.path_params["view"]
        if name not in calendar.VIEWS:
            raise HTTPException(404)
        filters = data.Filters(**{k: request.query_params.get(k, "") for k in data.FILTERS})
        planned, problem = _planned(web, filters)
        now = web.clock()
        first = data.first_posts(web.ledger.engine, filters, now)
        zone = _zone(request.query_params.get("tz"), [*first, *planned[:1]])
        anchor = _anchor(request.query_params.get("date"), [*first, *planned], now, zone)
        covered = calendar.span(name, anchor)
        edges = calendar.edges(covered, zone)
        cap = calendar.DAY_CAPS[name]
        held = data.by_day(web.ledger.engine, filters, edges, cap)
        fresh = [e for e in planned if edges[0] <= e.scheduled_at < edges[-1]]
        cells = calendar.days(covered, held, fresh, zone, cap)
        shown = [entry for cell in cells for entry in cell.entries]
        count = sum(total for _, total in held) + len(fresh)
        query = {**filters.as_dict(), "tz": zone.key}
        return page(
            request,
            f"{name}.html",
            {
                "view": name,
                "span": covered,
                "days": cells,
                "weeks": calendar.weeks(cells) if name == "month" else [],
                "entries": shown,
                "zone": zone,
                "filters": filters,
                "choices": _choices(web, planned, edges[0], edges[-1], filters),
                "query": query,
                "link": lambda target, **changes: _link(target, {**query, **changes}),
                "nav": {v: _link(v, {**query, "date": anchor.isoformat()}) for v in calendar.VIEWS},
                "problem": problem,
                "clicks": data.clicks_by_post(
                    web.ledger.engine, [p.id for e in shown for p in e.parts]
                ),
                "engagement": latest(web.ledger.engine, [p.id for e in shown for p in e.parts]),
                "count": count,
            },
        )

    async def post_page(request: Request) -> Response:
        if (denied := must_read(request)) is not None:
            return denied
        post_id = request.path_params["post_id"]
        entry, queued = _find(web, post_id)
        if entry is None:
            raise HTTPException(404)
        zone = _zone(request.query_params.get("tz"), [entry])
        changes = {part.id: history(web.ledger.engine, part.id) for part in entry.parts}
        queued_json = {}
        if queued:
            queued_json = {
                part.id: {k: _shown(v) for k, v in web.ledger.get(part.id).to_json().items()}
                for part in entry.parts
            }
        return page(
            request,
            "post.html",
            {
                "entry": entry,
                "zone": zone,
                "queued": queued,
                "queued_json": queued_json,
                "history": changes,
                "clicks": data.clicks_by_post(web.ledger.engine, [p.id for p in entry.parts]),
                "engagement": latest(web.ledger.engine, [p.id for p in entry.parts]),
                "done": request.query_params.get("done", ""),
                "error": request.query_params.get("error", ""),
                "unknown": UNKNOWN,
                "actions": ACTIONS,
            },
        )

    async def act(request: Request) -> Response:
        post_id, action = request.path_params["post_id"], request.path_params["action"]
        if action not in ACTIONS:
            raise HTTPException(404)
        if not request.session.get("signed_in"):
            raise HTTPException(403, "sign in first: actions need a signed-in session")
        form = await request.form()
        if not csrf_ok(request.session.get("csrf"), form.get("csrf")):
            raise HTTPException(403, "the form has expired or did not come from this site; reload")
        try:
            message = _apply(web.ledger, post_id, action, form, web.clock())
        except CampaignError as exc:
            return RedirectResponse(_back(post_id, error=str(exc)), status_code=303)
        return RedirectResponse(_back(post_id, done=message), status_code=303)

    async def sign_in_page(request: Request) -> Response:
        return page(request, "signin.html", {"next": _safe_next(request), "error": ""})

    async def sign_in(request: Request) -> Response:
        client = request.client.host if request.client else "?"
        form = await request.form()
        nxt = _safe_next(request, str(form.get("next") or ""))
        wait = web.limiter.blocked_for(client)
        if wait > 0:
            error = f"Too many failed attempts; try again in {int(wait // 60) + 1} minutes."
            return page(request, "signin.html", {"next": nxt, "error": error}, 429)
        if not csrf_ok(request.session.get("csrf"), form.get("csrf")):
            error = "The form expired; please try again."
            return page(request, "signin.html", {"next": nxt, "error": error}, 403)
        if not same_secret(str(form.get("password") or ""), settings.password):
            web.limiter.failed(client)
            error = "That password is not right."
            if settings.password is None:
                error = "Signing in is off: set CAMPAIGN_WEB_PASSWORD and restart campaign web."
            return page(request, "signin.html", {"next": nxt, "error": error}, 401)
        web.limiter.succeeded(client)
        request.session.clear()
        request.session.update(signed_in=True, csrf=new_csrf_token())
        return RedirectResponse(nxt, status_code=303)

    async def sign_out(request: Request) -> Response:
        form = await request.form()
        if csrf_ok(request.session.get("csrf"), form.get("csrf")):
            request.session.clear()
        return RedirectResponse("/signin", status_code=303)

    async def ics(request: Request) -> Response:
        if not same_secret(request.query_params.get("token", ""), settings.feed_token):
            raise HTTPException(404)
        entries = from_ledger(data.ledger_posts(web.ledger.engine, data.Filters()))
        body = feed.calendar_feed(entries, web.clock())
        return Response(body, media_type="text/calendar; charset=utf-8")

    async def error_page(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        detail = exc.detail if isinstance(exc, HTTPException) else "internal error"
        return page(request, "error.html", {"status": status, "detail": detail}, status)

    routes = [
        Route("/", home),
        Route("/signin", sign_in_page, methods=["GET"]),
        Route("/signin", sign_in, methods=["POST"]),
        Route("/signout", sign_out, methods=["POST"]),
        Route("/calendar.ics", ics, methods=["GET"]),
        Route("/posts/{post_id}", post_page, methods=["GET"]),
        Route("/posts/{post_id}/{action}", act, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        Route("/{view}", view, methods=["GET"]),
    ]
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(
            SessionMiddleware,
            secret_key=settings.signing_key(),
            session_cookie="campaign_session",
            max_age=int(settings.session_hours * 3600),
            same_site="strict",
            https_only=secure,
        ),
    ]
    app = Starlette(
        routes=routes, middleware=middleware, exception_handlers={HTTPException: error_page}
    )
    app.state.web = web
    return app


def _planned(web: WebApp, filters: data.Filters) -> tuple[list[Entry], str]:
    """The entries the campaign files plan and the ledger does not hold yet, passing
    ``filters``; and a problem to show when the files do not plan (the ledger is shown all
    the same)."""
    try:
        planned = data.planned_posts(web.campaigns)
    except CampaignError as exc:
        return [], str(exc)
    if not planned:
        return [], ""
    held = data.ledger_ids(web.ledger.engine, [post.id for post in planned])
    fresh = from_plan([post for post in planned if post.id not in held])
    return [entry for entry in fresh if filters.keeps(_fields(entry))], ""


def _fields(entry: Entry) -> dict[str, str]:
    return {
        "campaign": entry.campaign,
        "event": entry.event,
        "platform": entry.platform,
        "language": entry.language,
        "state": entry.state,
    }


def _choices(
    web: WebApp, planned: Sequence[Entry], start: datetime, end: datetime, filters: data.Filters
) -> dict[str, list[str]]:
    """The values each filter menu offers (always including the one chosen)."""
    known = data.known_values(web.ledger.engine, start, end)
    known["platform"] = [*known["platform"], *platforms()]
    for name in ("campaign", "event", "platform", "language"):
        known[name] = sorted({*known[name], *(getattr(e, name) for e in planned)} - {""})
        if chosen := getattr(filters, name):
            known[name] = sorted({*known[name], chosen})
    return known


def _zone(name: str | None, entries: Sequence[Entry]) -> ZoneInfo:
    """The reader's zone, else the first entry's campaign zone, else UTC."""
    for candidate in (name, *(e.timezone for e in entries[:1]), "UTC"):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def _anchor(asked: str | None, entries: Sequence[Entry], now: datetime, zone: ZoneInfo) -> date:
    """The day the view is about: the one asked for, else the next post's, else the last's."""
    if asked:
        try:
            return date.fromisoformat(asked)
        except ValueError:
            raise HTTPException(400, f"date {asked!r} is not a date like 2017-09-26") from None
    upcoming = [e for e in entries if e.scheduled_at >= now]
    chosen = upcoming[0] if upcoming else (entries[-1] if entries else None)
    return (chosen.scheduled_at if chosen else now).astimezone(zone).date()


def _link(view: str, query: dict[str, str]) -> str:
    return f"/{view}?" + urlencode({k: v for k, v in query.items() if v})


def _find(web: WebApp, post_id: str) -> tuple[Entry | None, bool]:
    """The entry of ``post_id`` (any part's id or a 6+ character prefix), and whether it is
    in the ledger (else only planned)."""
    try:
        post = web.ledger.get(post_id)
    except LedgerError:
        post = None
    if post is not None:
        return from_ledger(data.thread(web.ledger.engine, post.root_id))[0], True
    try:
        planned = data.planned_posts(web.campaigns)
    except CampaignError:
        return None, False
    roots = {p.root_id for p in planned if p.id == post_id or p.root_id == post_id}
    thread_posts = [p for p in planned if p.root_id in roots]
    return (from_plan(thread_posts)[0], False) if thread_posts else (None, False)


def _apply(ledger: Ledger, post_id: str, action: str, form: Any, now: datetime) -> str:
    """Make ``action`` on ``post_id`` with the CLI's rules; the message to show."""
    if action == "cancel":
        cancelled = ledger.cancel(post_id, now=now)
        return f"Cancelled {len(cancelled)} post{'s' if len(cancelled) > 1 else ''}."
    if action == "retry":
        ledger.retry(post_id, now=now)
        return "Scheduled again, to go out as soon as possible."
    if form.get("outcome") == "posted":
        remote_id = str(form.get("remote_id") or "").strip()
        if not remote_id:
            raise LedgerError("give the platform's id of the post to mark it as posted")
        ledger.resolve(post_id, posted=remote_id, now=now)
        return f"Marked as posted ({remote_id})."
    ledger.resolve(post_id, posted=None, now=now)
    return "Marked as not posted and scheduled again."


def _shown(value: object) -> object:
    """A ``queue --json`` value as the post page lists it: lists one item a line."""
    if isinstance(value, list):
        return (
            "\n".join(
                json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else str(v) for v in value
            )
            or "—"
        )
    return value


def _back(post_id: str, **message: str) -> str:
    return f"/posts/{post_id}?" + urlencode(message)


def _safe_next(request: Request, given: str = "") -> str:
    """Where to go after signing in: a path on this site only (never another host)."""
    target = given or request.query_params.get("next", "") or "/month"
    url = URL(target)
    if url.scheme or url.netloc or not target.startswith("/") or target.startswith("//"):
        return "/month"
    return target
