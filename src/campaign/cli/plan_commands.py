"""``campaign validate`` and ``campaign preview``: see every post before anything is queued."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from campaign.cli._app import EXIT_USAGE, app, err, fail, out, user_errors
from campaign.cli.plan_summary_view import SummaryJson, plan_and_warn, show_summary

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from campaign.render.post import Post

Paths = Annotated[
    list[Path],
    typer.Argument(
        help="Campaign files, or folders of them (e.g. schedules/).", show_default=False
    ),
]
AllowOutside = Annotated[
    bool,
    typer.Option(
        "--allow-outside",
        help="Let `templates:` name a folder outside the project folder (the one holding "
        "schedules/); only for a folder whose every file you trust.",
    ),
]


@app.command()
def validate(paths: Paths, allow_outside: AllowOutside = False) -> None:
    """Check campaign files, event records and templates: render every post, check lengths.

    Exit 0 when all is well, 1 when something must be fixed (each problem names the file,
    line and field), 2 for a usage error. Warnings (an announcement whose `where:` matches no
    event) are printed but do not fail.
    """
    from campaign.cli.ledger_facts import existing_ledger, limit_notes, server_specs
    from campaign.render.planner import campaign_files

    with user_errors(), existing_ledger() as ledger:
        posts = plan_and_warn(paths, allow_outside=allow_outside, specs=server_specs(ledger))
        show_summary(posts)
    files = campaign_files(paths)
    campaigns = len({post.campaign for post in posts})
    out.print(
        f"[green]OK[/] {len(files)} file(s), {campaigns} campaign(s), {len(posts)} post(s):"
        " every post renders and fits its platform."
    )
    for note in limit_notes(posts):
        out.print(f"Limit of {escape(note)}", soft_wrap=True)


def _day(name: str, which: str) -> Any:
    """The ``--from``/``--to`` option: a local date of the campaign."""
    return typer.Option(
        name, formats=["%Y-%m-%d"], help=f"Only posts on this date (YYYY-MM-DD) {which}."
    )


@app.command()
def preview(
    paths: Paths,
    platform: Annotated[
        list[str] | None,
        typer.Option(
            "--platform", "-p", help="Only this platform (repeat for more; x is twitter)."
        ),
    ] = None,
    event: Annotated[
        list[str] | None,
        typer.Option("--event", "-e", help="Only this event (its id; repeat for more)."),
    ] = None,
    first: Annotated[datetime | None, _day("--from", "or later")] = None,
    last: Annotated[datetime | None, _day("--to", "or before")] = None,
    compact: Annotated[
        bool,
        typer.Option("--compact", help="One line per post: time, platform, length, first words."),
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON array, one object per post.")
    ] = False,
    allow_outside: AllowOutside = False,
    summary_json: SummaryJson = None,
) -> None:
    """Show every post in time order exactly as it will go out; touches no network.

    Each post shows its local and UTC time, platform, text (as the platform shows it: Bluesky
    shortens links), length against the limit (a Mastodon server's own, once `campaign
    accounts check` has read it), short links with where they lead, link card and thread
    position; --compact gives each post one line. Dates are the campaign's local dates,
    --from and --to included. Short links get the codes `schedule` will give them when
    CAMPAIGN_LINKS_SECRET is set or the ledger has its key; otherwise they end in a
    placeholder. Then warnings for platform quotas the plan exceeds and the estimated cost
    on X (on stderr with --json).
    """
    from campaign.cli.ledger_facts import card_views, existing_ledger, server_specs
    from campaign.cli.preview_view import render_compact, render_preview
    from campaign.errors import ConfigurationError
    from campaign.platforms.registry import canonical
    from campaign.render.link_codes import needs_codes
    from campaign.tagging.shortcodes import PLACEHOLDER_CODE

    try:
        wanted = {canonical(name) for name in platform or []}
    except ConfigurationError as exc:
        fail(str(exc), code=EXIT_USAGE)
    with user_errors(), existing_ledger() as ledger:
        specs = server_specs(ledger)
        planned = posts = plan_and_warn(paths, allow_outside=allow_outside, specs=specs)
        _check_events(posts, event or [])
        posts = _with_ledger_codes(posts, ledger)
        posts = [
            post
            for post in posts
            if (not wanted or post.platform in wanted)
            and (not event or post.event in event)
            and (first is None or post.local_time.date() >= first.date())
            and (last is None or post.local_time.date() <= last.date())
        ]
        cards = card_views(ledger, posts)
    if as_json:
        shown = [{**post.to_json(), "card": cards.get(post.id)} for post in posts]
        typer.echo(json.dumps(shown, indent=2, ensure_ascii=False))
    elif compact:
        render_compact(out, posts)
    else:
        render_preview(out, posts, cards=cards, specs=specs)
    if needs_codes(posts) and not as_json:
        out.print(
            f"Short links end in {PLACEHOLDER_CODE} until `campaign schedule` gives them "
            "their codes (or set CAMPAIGN_LINKS_SECRET)."
        )
    with user_errors():
        show_summary(planned, cost_to=err if as_json else out, summary_json=summary_json)


def _with_ledger_codes(posts: list[Post], ledger: Engine | None) -> list[Post]:
    """``posts`` with real short codes when they need them and the ``ledger`` keeps a key."""
    from campaign.render.link_codes import needs_codes, with_codes
    from campaign.store.link_key import ledger_key

    key = ledger_key(ledger) if needs_codes(posts) else None
    return with_codes(posts, key) if key else posts


def _check_events(posts: list[Post], events: list[str]) -> None:
    """Fail with the events there are when ``--event`` names one the files do not plan."""
    known = {post.event for post in posts}
    unknown = [name for name in events if name not in known]
    if unknown:
        some = ", ".join(sorted(known)[:10]) + (", …" if len(known) > 10 else "")
        fail(f"no post is planned for event {unknown[0]!r}; events: {some}", code=EXIT_USAGE)
