"""``campaign schedule``, ``queue``, ``cancel``, ``retry`` and ``resolve``: the ledger by hand."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.markup import escape

from campaign.cli._app import EXIT_USAGE, app, err, fail, out, user_errors
from campaign.cli.plan_commands import AllowOutside, Paths
from campaign.cli.plan_summary_view import plan_and_warn, show_summary
from campaign.cli.queue_view import (
    describe,
    excerpt,
    print_published,
    queue_table,
    render_sync,
)
from campaign.store.states import STATES, UNKNOWN

AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
PostId = Annotated[
    str, typer.Argument(help="The post's id, or a unique start of it (6+ characters).")
]


@app.command()
def schedule(
    paths: Paths,
    prune: Annotated[
        bool,
        typer.Option(
            "--prune", help="Cancel unsent posts of these campaigns that the files no longer plan."
        ),
    ] = False,
    as_json: AsJson = False,
    allow_outside: AllowOutside = False,
) -> None:
    """Record every post of the campaign files in the ledger, for the daemon to publish.

    Safe to run again after editing: unchanged posts are left alone, changed unsent posts are
    updated, sent posts are never touched. All or nothing: one invalid post and nothing is
    written. Posts already past their time by more than the grace window
    (CAMPAIGN_GRACE_MINUTES, 15) are recorded as missed and reported, never sent late.
    Short links are coded with CAMPAIGN_LINKS_SECRET, or else with a key the ledger makes
    once and keeps. Bluesky link cards are read from the linked pages now and kept with the
    posts.
    """
    from campaign.cli.ledger_facts import (
        existing_ledger,
        limit_notes,
        read_cards,
        server_specs,
    )
    from campaign.store import Ledger
    from campaign.store.link_key import coded

    with user_errors():
        with existing_ledger() as known:
            posts = plan_and_warn(paths, allow_outside=allow_outside, specs=server_specs(known))
        with Ledger.open(write=True) as ledger:
            if ledger.created:
                err.print(
                    f"Created a new ledger at {escape(ledger.where)} "
                    "(CAMPAIGN_DATABASE_URL chooses where)."
                )
            posts, new_key = coded(ledger.engine, posts)
            # Quotas, cost and cards only for posts still to go out: not those past the
            # grace window (recorded missed) nor those already sent.
            since = datetime.now(UTC) - ledger.grace
            campaigns = {post.campaign for post in posts}
            sent = {p.id for c in campaigns for p in ledger.list(state="sent", campaign=c)}
            sendable = [post for post in posts if not post.is_past(since) and post.id not in sent]
            queued = ledger.list(state="scheduled")
            show_summary(sendable, cost_to=err if as_json else out, queued=queued)
            for card in read_cards(ledger.engine, sendable):
                if not card.readable or card.note:
                    err.print(f"[yellow]link card:[/] {escape(card.uri)}: {escape(card.note)}")
            report = ledger.sync(posts, prune=prune, new_links_secret=new_key)
            if as_json:
                typer.echo(json.dumps(report.to_json(), indent=2))
            else:
                render_sync(out, err, report, ledger.get)
                for note in limit_notes(posts):
                    err.print(f"Limit of {escape(note)}", soft_wrap=True)


@app.command()
def queue(
    state: Annotated[
        str | None, typer.Option("--state", help=f"Only posts in this state: {', '.join(STATES)}.")
    ] = None,
    campaign: Annotated[str | None, typer.Option("--campaign", help="Only this campaign.")] = None,
    as_json: AsJson = False,
    wide: Annotated[
        bool,
        typer.Option("--wide", help="Show every column whole, however wide the terminal."),
    ] = False,
) -> None:
    """List the ledger's posts in time order: state, tries, what they announce, and id.

    Sent posts are followed by their links on the platform. Ids are never cut: on a narrow
    terminal the campaign, event and announcement wrap and the text is shortened.
    """
    from campaign.store import Ledger

    if state is not None and state not in STATES:
        fail(f"unknown state {state!r}; use one of: {', '.join(STATES)}", code=EXIT_USAGE)
    with user_errors(), Ledger.open(create=False) as ledger:
        posts = ledger.list(state=state, campaign=campaign)
    if as_json:
        typer.echo(json.dumps([post.to_json() for post in posts], indent=2, ensure_ascii=False))
    elif not posts:
        out.print("No posts in the queue" + (" match." if state or campaign else "."))
    else:
        out.print(queue_table(posts, None if wide else out.width), crop=False)
        print_published(out, posts)


@app.command()
def cancel(post_id: PostId) -> None:
    """Cancel a post that has not been sent, and the later parts of its thread."""
    from campaign.store import Ledger

    with user_errors(), Ledger.open(create=False, write=True) as ledger:
        cancelled = ledger.cancel(post_id)
    for post in cancelled:
        out.print(f"[green]Cancelled[/] {escape(describe(post))}: {escape(excerpt(post.text))}")


@app.command()
def retry(post_id: PostId) -> None:
    """Schedule a failed, missed, cancelled or unknown post again; the daemon sends it next."""
    from campaign.store import Ledger

    with user_errors(), Ledger.open(create=False, write=True) as ledger:
        was = ledger.get(post_id).state
        post = ledger.retry(post_id)
    out.print(f"[green]Scheduled again[/] (was {was}): {escape(describe(post))}.")
    if was == UNKNOWN:
        err.print(
            f"[yellow]warning:[/] its last attempt got no answer, so it may already be on "
            f"{post.platform}; if it is, run `campaign resolve {post.id} --posted REMOTE_ID` now."
        )


@app.command()
def resolve(
    post_id: PostId,
    posted: Annotated[
        str | None,
        typer.Option("--posted", metavar="REMOTE_ID", help="It is on the platform with this id."),
    ] = None,
    not_posted: Annotated[
        bool, typer.Option("--not-posted", help="It is not on the platform: schedule it again.")
    ] = False,
) -> None:
    """Settle a post whose outcome is unknown, after looking on the platform yourself."""
    from campaign.store import Ledger

    if (posted is None) == (not not_posted):
        fail("give exactly one of --posted REMOTE_ID or --not-posted", code=EXIT_USAGE)
    with user_errors(), Ledger.open(create=False, write=True) as ledger:
        post = ledger.resolve(post_id, posted=posted)
    if posted is not None:
        out.print(f"[green]Marked sent[/] {escape(describe(post))} as {escape(posted)}.")
    else:
        out.print(f"[green]Scheduled again[/] {escape(describe(post))}.")
