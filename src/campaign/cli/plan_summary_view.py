"""How ``validate``, ``preview`` and ``schedule`` plan and show what the plan means: its
warnings and quota warnings on stderr, the cost on X where asked, and the whole as JSON in a
file for ``--summary-json``."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from campaign.cli._app import err, fail

if TYPE_CHECKING:
    from campaign.platforms.base import PlatformSpec
    from campaign.render.post import Post
    from campaign.render.quota_check import Timed

SummaryJson = Annotated[
    Path | None,
    typer.Option(
        "--summary-json",
        help="Also write the quota warnings and the cost on X as JSON to this file (- for stderr).",
        dir_okay=False,
    ),
]


def plan_and_warn(
    paths: Sequence[Path], *, allow_outside: bool, specs: Mapping[str, PlatformSpec]
) -> list[Post]:
    """Plan ``paths`` (see :func:`campaign.render.planner.plan_files`) and print on stderr
    what plans fine but is worth a look (an announcement whose ``where:`` matches no event).

    Raises what ``plan_files`` raises.
    """
    from campaign.errors import Problem
    from campaign.render.planner import plan_files

    warnings: list[Problem] = []
    posts = plan_files(paths, allow_outside=allow_outside, specs=specs, warnings=warnings)
    for warning in warnings:
        err.print(f"[bold yellow]warning:[/] {escape(str(warning))}")
    return posts


def show_summary(
    posts: Sequence[Post],
    *,
    cost_to: Console | None = None,
    summary_json: Path | None = None,
    queued: Sequence[Timed] = (),
) -> None:
    """Warn on stderr of every quota ``posts`` (with the ledger's ``queued``) exceed; print
    the cost on X to ``cost_to`` (when given and the plan has X posts); write both as JSON
    to ``summary_json``.

    Raises :class:`~campaign.errors.ConfigurationError` when a quota or price setting is
    malformed.
    """
    from campaign.render.plan_summary import summarize

    summary = summarize(posts, queued=queued)
    for warning in summary.warnings:
        err.print(f"[bold yellow]warning:[/] {escape(str(warning))}")
    cost = summary.x_cost
    if cost_to is not None and cost.posts + cost.posts_with_url:
        cost_to.print(escape(str(cost)))
    if summary_json is not None:
        text = json.dumps(summary.to_json(), indent=2)
        if str(summary_json) == "-":
            typer.echo(text, err=True)
        else:
            try:
                summary_json.write_text(text + "\n", encoding="utf-8")
            except OSError as exc:
                fail(f"cannot write the summary to {summary_json}: {exc.strerror}")
