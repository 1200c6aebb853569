"""``campaign accounts check``: are the credentials set, and does each platform accept them?"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from campaign.cli._app import EXIT_INVALID, app, err, out, sub_app, user_errors

if TYPE_CHECKING:
    from campaign.accounts import AccountCheck

accounts_app = sub_app("Check the platform accounts campaign posts to.")
app.add_typer(accounts_app, name="accounts")


@accounts_app.command("check")
def check(
    platform: Annotated[
        str | None,
        typer.Argument(help="Platform to check (twitter, mastodon, …); all of them if omitted."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
) -> None:
    """Verify each platform's credentials and print the account handle, or what is wrong.

    Without PLATFORM every platform is covered: configured ones are checked, the others are
    reported as not configured. Exits 1 when a named or configured platform fails; notes (a
    read the token has no scope for, a LinkedIn API version retiring within 30 days) are
    printed under a working account and fail nothing. A Mastodon server's own limits
    (characters, URL length, images, alt text) are read too and kept in the ledger, so
    `validate`, `preview` and `schedule` check posts against them.
    """
    from campaign.accounts import check_accounts, remember_limits
    from campaign.errors import LedgerError

    with user_errors():
        results = check_accounts([platform] if platform else [])
    try:
        kept = remember_limits(results)
    except LedgerError as exc:  # the check itself went well: keeping the limits is extra
        kept = []
        err.print(
            f"[yellow]note:[/] the servers' limits were read but not kept: {escape(str(exc))}"
        )
    if as_json:
        out.print_json(json.dumps([result.to_json() for result in results]))
    else:
        for result in results:
            out.print(_line(result), soft_wrap=True)
        for line in kept:
            out.print(f"Limits of {escape(line)}", soft_wrap=True)
    if any(result.failed for result in results):
        raise typer.Exit(EXIT_INVALID)


def _line(result: AccountCheck) -> str:
    """One platform's result for people: ``X (Twitter): ok @campaignbot``, or the status
    followed by an indented line saying what is wrong; then an indented ``note:`` line per
    notice (a warning that holds nothing back)."""
    from campaign.accounts import Status

    detail = f" {result.handle}" if result.status is Status.OK else f"\n    {result.message}"
    style = {Status.OK: "green", Status.NOT_CONFIGURED: "yellow", Status.FAILED: "bold red"}
    notes = "".join(f"\n    [yellow]note:[/] {escape(notice)}" for notice in result.notices)
    return (
        f"{escape(result.title)}: [{style[result.status]}]{result.status}[/]{escape(detail)}{notes}"
    )
