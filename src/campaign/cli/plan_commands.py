"""``campaign validate`` and ``campaign preview``: see every post before anything is queued."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from campaign.cli._app import app, err, fail, out, user_errors

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
    from rich.markup import escape

    from campaign.errors import Problem
    from campaign.render.planner import campaign_files, plan_files

    warnings: list[Problem] = []
    with user_errors():
        posts = plan_files(paths, allow_outside=allow_outside, warnings=warnings)
    for warning in warnings:
        err.print(f"[bold yellow]warning:[/] {escape(str(warning))}")
    files = campaign_files(paths)
    campaigns = len({post.campaign for post in posts})
    out.print(
        f"[green]OK[/] {len(files)} file(s), {campaigns} campaign(s), {len(posts)} post(s):"
        " every post renders and fits its platform."
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
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON array, one object per post.")
    ] = False,
    allow_outside: AllowOutside = False,
) -> None:
    """Show every post in time order exactly as it will go out; touches no network.

    Each post shows its local and UTC time, platform, text, length against the platform's
    limit, links and thread position.
    """
    from campaign.cli.preview_view import render_preview
    from campaign.errors import ConfigurationError
    from campaign.platforms.registry import canonical
    from campaign.render.planner import plan_files

    try:
        wanted = {canonical(name) for name in platform or []}
    except ConfigurationError as exc:
        fail(str(exc), code=2)
    with user_errors():
        posts = plan_files(paths, allow_outside=allow_outside)
    if wanted:
        posts = [post for post in posts if post.platform in wanted]
    if as_json:
        typer.echo(json.dumps([post.to_json() for post in posts], indent=2, ensure_ascii=False))
        return
    render_preview(out, posts)
