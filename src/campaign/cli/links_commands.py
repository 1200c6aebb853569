"""``campaign serve-links`` (the short-link redirector) and ``campaign links report``."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from campaign.cli._app import app, out, sub_app, user_errors

links_app = sub_app("Tracked links: how many people each post brought to the site.")
app.add_typer(links_app, name="links")


@app.command("serve-links")
def serve_links(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8080,
    workers: Annotated[
        int, typer.Option(help="Server processes (one per core at most).", min=1, max=64)
    ] = 1,
) -> None:
    """Answer short links (302 to their target) and count clicks, until Ctrl-C or SIGTERM.

    Put it behind your HTTPS reverse proxy at the campaign's links base URL. Clicks are written to
    the ledger in batches; a graceful stop writes every pending click. No IP address is kept.
    """
    from campaign.clicks.redirector import serve  # the server stack loads only here
    from campaign.store import Ledger

    with user_errors(), Ledger.open(create=False, write=True) as ledger:
        serve(ledger.engine, host=host, port=port, workers=workers)


@links_app.command("report")
def report(
    campaign: Annotated[str | None, typer.Option(help="Only this campaign (its slug).")] = None,
    since: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Only clicks from this UTC date on (YYYY-MM-DD)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON array, one object per post.")
    ] = False,
    png: Annotated[
        Path | None,
        typer.Option(
            help="Also draw a chart into this PNG file (needs the charts extra).", dir_okay=False
        ),
    ] = None,
) -> None:
    """Clicks per post, platform, announcement and day, people and bots apart."""
    from campaign.clicks.report import click_report
    from campaign.clicks.report_view import report_view
    from campaign.store import Ledger

    with user_errors(), Ledger.open(create=False) as ledger:
        result = click_report(
            ledger.engine, campaign=campaign, since=since.date() if since else None
        )
        if png is not None:
            from campaign.clicks.chart import write_png  # matplotlib is an optional extra

            write_png(result, png)
    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
        return
    out.print(report_view(result))
    if png is not None:
        out.print(f"Chart written to {png}")
