"""``campaign validate`` and ``campaign preview``: see every post before anything is queued."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from campaign.cli._app import app, fail, out, user_errors

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
    line and field), 2 for a usage error.
    """
    from campaign.cli.ledger_facts import existing_ledger, limit_notes, server_specs
    from campaign.render.planner import campaign_files, plan_files

    with user_errors(), existing_ledger() as ledger:
        posts = plan_files(paths, allow_outside=allow_outside, specs=server_specs(ledger))
    files = campaign_files(paths)
    campaigns = len({post.campaign for post in posts})
    out.print(
        f"[green]OK[/] {len(files)} file(s), {campaigns} campaign(s), {len(posts)} post(s):"
        " every post renders and fits its platform."
    )
    for note in limit_notes(posts):
        out.print(f"Limit of {escape(note)}", soft_wrap=True)


@app.command()
def preview(
    paths: Paths,
    platform: Annotated[
        list[str] | None,
        typer.Option(
            "--platform", "-p", help="Only this platform (repeat for more; x is twitter)."
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON array, one object per post.")
    ] = False,
    allow_outside: AllowOutside = False,
) -> None:
    """Show every post in time order exactly as it will go out; touches no network.

    Each post shows its local and UTC time, platform, text (as the platform shows it: Bluesky
    shortens links), length against the limit (a Mastodon server's own, once `campaign
    accounts check` has read it), links, link card and thread position.
    """
    from campaign.cli.ledger_facts import card_views, existing_ledger, server_specs
    from campaign.cli.preview_view import render_preview
    from campaign.errors import ConfigurationError
    from campaign.platforms.registry import canonical
    from campaign.render.planner import plan_files

    try:
        wanted = {canonical(name) for name in platform or []}
    except ConfigurationError as exc:
        fail(str(exc), code=2)
    with user_errors(), existing_ledger() as ledger:
        specs = server_specs(ledger)
        posts = plan_files(paths, allow_outside=allow_outside, specs=specs)
        if wanted:
            posts = [post for post in posts if post.platform in wanted]
        cards = card_views(ledger, posts)
    if as_json:
        shown = [{**post.to_json(), "card": cards.get(post.id)} for post in posts]
        typer.echo(json.dumps(shown, indent=2, ensure_ascii=False))
        return
    render_preview(out, posts, cards=cards, specs=specs)
