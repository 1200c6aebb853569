"""``campaign web`` (the calendar in the browser) and ``campaign export --ics`` (the plan as a
calendar file)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from campaign.cli._app import app, err, user_errors


@app.command()
def web(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8080,
    campaigns: Annotated[
        list[Path] | None,
        typer.Option(
            "--campaigns",
            help="Also show the posts these campaign files (or folders) plan but the ledger "
            "does not hold yet, as 'planned'. Repeat for more.",
        ),
    ] = None,
    require_sign_in: Annotated[
        bool,
        typer.Option(
            "--require-sign-in",
            help="Ask for the password to read too, even on 127.0.0.1 (behind a reverse "
            "proxy every visitor comes from 127.0.0.1).",
        ),
    ] = False,
) -> None:
    """Show the campaign calendar in the browser: month, week and agenda views of every post.

    People signed in can cancel, retry and resolve posts there.
    On 127.0.0.1 anyone at this computer may read it; on any other address, or with
    --require-sign-in, every page needs the password in CAMPAIGN_WEB_PASSWORD (required
    there). The calendar feed answers at
    /calendar.ics?token=… when CAMPAIGN_WEB_FEED_TOKEN is set.
    """
    import uvicorn  # the server stack loads only here

    from campaign.store.ledger import Ledger
    from campaign.web.app import create_app
    from campaign.web.security import WebSettings, check_exposure

    with user_errors():
        settings = WebSettings()
        check_exposure(host, settings, require_sign_in=require_sign_in)
        with Ledger.open(create=False, write=True) as ledger:
            app_ = create_app(
                ledger,
                host=host,
                campaigns=campaigns or [],
                settings=settings,
                require_sign_in=require_sign_in,
            )
            err.print(f"campaign web: the calendar is at http://{host}:{port}/")
            uvicorn.run(
                app_,
                host=host,
                port=port,
                access_log=False,
                server_header=False,
                proxy_headers=True,
                log_level="info",
            )


@app.command()
def export(
    ics: Annotated[
        Path,
        typer.Option("--ics", help="Write the plan to this iCalendar file.", dir_okay=False),
    ],
    campaign: Annotated[str | None, typer.Option(help="Only this campaign (its slug).")] = None,
) -> None:
    """Write every post in the ledger to a calendar file (iCalendar) for Outlook and others.

    One calendar event per post; a thread is one event. Google Calendar imports it too.
    """
    from campaign.store.ledger import Ledger
    from campaign.web import data
    from campaign.web.feed import calendar_feed
    from campaign.web.model import from_ledger

    with user_errors(), Ledger.open(create=False) as ledger:
        posts = data.ledger_posts(ledger.engine, data.Filters(campaign=campaign or ""))
        entries = from_ledger(posts)
        ics.write_bytes(calendar_feed(entries, datetime.now(UTC)))
    err.print(f"Wrote {len(entries)} posts to {ics}.")
