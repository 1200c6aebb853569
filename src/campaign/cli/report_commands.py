"""``campaign report``: what the campaigns achieved, for the people who report it."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from campaign.cli._app import app, err, fail, out, user_errors


class Group(StrEnum):
    """What one row of the report counts."""

    CAMPAIGN = "campaign"
    EVENT = "event"
    ANNOUNCEMENT = "announcement"
    PLATFORM = "platform"
    POST = "post"


@app.command()
def report(
    campaign: Annotated[str | None, typer.Option(help="Only this campaign (its slug).")] = None,
    event: Annotated[str | None, typer.Option(help="Only this event (its id).")] = None,
    since: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Only posts due from this UTC date on."),
    ] = None,
    by: Annotated[
        Group, typer.Option(help="One row per campaign, event, announcement, platform or post.")
    ] = Group.CAMPAIGN,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON, one object per row.")
    ] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV, one line per row.")] = False,
    html: Annotated[
        Path | None,
        typer.Option(
            help="Also write one self-contained HTML report (summaries, charts, best posts).",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """What the campaigns achieved: posts, sent, failed, clicks and engagement.

    One row per campaign, event, announcement, platform or post (--by); clicks from people
    and bots apart; engagement where the platform reports it.
    """
    from campaign.results.report import campaign_report
    from campaign.results.report_view import report_csv, report_table
    from campaign.store.ledger import Ledger

    if as_json and as_csv:
        fail("choose one of --json and --csv")
    day = since.date() if since else None
    with user_errors(), Ledger.open(create=False) as ledger:
        result = campaign_report(
            ledger.engine, campaign=campaign, event=event, since=day, by=by.value
        )
        if html is not None:
            from campaign.results.funding import funding_statements
            from campaign.results.report_html import html_report

            funding = funding_statements(ledger.engine, list(result.campaigns))
            page = html_report(
                ledger.engine, campaign=campaign, event=event, since=day, funding=funding
            )
            html.write_text(page, encoding="utf-8")
    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    elif as_csv:
        typer.echo(report_csv(result), nl=False)
    else:
        out.print(report_table(result))
    if html is not None:
        err.print(f"HTML report written to {html}")
