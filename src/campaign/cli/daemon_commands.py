"""``campaign run`` (the publishing daemon) and ``campaign status`` (its health, for monitors)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape

from campaign.cli._app import app, out, user_errors
from campaign.errors import ConfigurationError

if TYPE_CHECKING:
    from campaign.daemon import Health
    from campaign.store import QueuedPost


class LogFormat(StrEnum):
    """How ``campaign run`` writes its log lines."""

    text = "text"
    json = "json"


@app.command()
def run(
    once: Annotated[
        bool, typer.Option("--once", help="Publish everything due now, then exit (cron, CI).")
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Print each post when due instead; change nothing."),
    ] = False,
    log_format: Annotated[
        LogFormat, typer.Option("--log-format", help="text for people, json (one object a line).")
    ] = LogFormat.text,
    log_file: Annotated[
        str | None,
        typer.Option(
            "--log-file",
            metavar="FILE",
            help="Append log lines to FILE instead of stderr; - for stdout "
            "(e.g. --log-format json --log-file - > log.jsonl).",
        ),
    ] = None,
) -> None:
    """Publish scheduled posts when they are due, until stopped (SIGTERM or Ctrl-C).

    Reads the ledger (CAMPAIGN_DATABASE_URL) every CAMPAIGN_POLL_SECONDS; each post is claimed
    before it is sent, so it goes out once even with two daemons on one PostgreSQL database.
    Posts later than CAMPAIGN_GRACE_MINUTES (15) become missed, loudly. Credentials come from
    the environment or .env; a platform without them keeps its posts scheduled and says which
    variables to set. Exit 0 after a clean stop, 1 when the ledger cannot be opened or does
    not exist yet (`campaign schedule` creates it); with --once, 4 when a post ended failed
    or unknown, or due posts stayed scheduled because their platform could not be set up;
    75 when the ledger was deleted or replaced while the daemon ran (systemd then starts it
    on the new one).
    """
    from campaign import daemon

    with user_errors(), _logging_to(log_file, log_format):
        try:
            report = daemon.run(daemon.load_settings(), once=once, dry_run=dry_run, echo=typer.echo)
        except daemon.LedgerReplaced:  # already logged as an ERROR line by the daemon
            raise typer.Exit(daemon.EXIT_LEDGER_REPLACED) from None
    if report is not None and not report.ok:
        raise typer.Exit(daemon.EXIT_ATTENTION)


@contextmanager
def _logging_to(log_file: str | None, log_format: LogFormat) -> Iterator[None]:
    """Send the daemon's log lines to stderr, to stdout for ``-``, or appended to a file.

    Raises :class:`~campaign.errors.ConfigurationError` when the file cannot be opened.
    """
    from campaign.daemon.logs import configure

    if log_file is None or log_file == "-":
        configure(log_format.value, sys.stdout if log_file == "-" else None)
        yield
        return
    try:
        stream = open(log_file, "a", encoding="utf-8")  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise ConfigurationError(
            f"--log-file {log_file}: cannot write there ({exc.strerror}); "
            "name a file in a folder that exists, or - for stdout"
        ) from None
    with stream:
        configure(log_format.value, stream)
        try:
            yield
        finally:
            configure(log_format.value)  # nothing may log into the closed file


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    window: Annotated[
        float,
        typer.Option("--window", min=0, help="Hours during which failed and missed posts count."),
    ] = 24.0,
    ran_within: Annotated[
        float | None,
        typer.Option(
            "--ran-within",
            min=0,
            help="Minutes: for 'run --once' from cron, a run this recent counts as alive.",
        ),
    ] = None,
) -> None:
    """Is the daemon alive, what goes out next, what was sent, what needs a person.

    Exit codes for monitors: 0 healthy; 3 no live daemon (no fresh heartbeat); 4 a daemon is
    alive but cannot work (e.g. cannot write outcomes) or posts need a person (unknown; failed
    or missed within --window hours; or still scheduled beyond the grace window); 1 the
    ledger cannot be opened. Notes (e.g. a LinkedIn API version retiring within 30 days) do
    not change the exit code.
    """
    from campaign import daemon

    with user_errors():
        health = daemon.check(
            daemon.load_settings(),
            window=timedelta(hours=window),
            ran_within=timedelta(minutes=ran_within) if ran_within is not None else None,
        )
    if as_json:
        typer.echo(json.dumps(health.to_json(), indent=2, ensure_ascii=False))
    else:
        _print_health(health)
    raise typer.Exit(health.exit_code)


def _print_health(health: Health) -> None:
    from campaign import daemon

    now = health.checked_at
    live = [beat for beat, alive in health.workers if alive]
    if live:
        for beat in live:
            if beat.worker in health.running:
                out.print(
                    f"[green]daemon running[/] {beat.worker}, last beat {_ago(now, beat.beat_at)}"
                )
            else:
                out.print(
                    f"[green]daemon ran[/] {beat.worker}: its last run ended "
                    f"{_ago(now, beat.beat_at)} (within --ran-within)"
                )
            if beat.problem:
                out.print(escape(f"  but it cannot work: {beat.problem}"))
    elif health.workers:
        last = health.workers[0][0]
        out.print(
            f"[bold red]daemon not running[/]: last seen {_ago(now, last.beat_at)} ({last.worker})"
        )
    else:
        out.print("[bold red]daemon not running[/]: no daemon has ever run on this ledger")
    counts = ", ".join(f"{n} {state}" for state, n in sorted(health.counts.items()))
    out.print(f"posts: {counts or 'none'}")
    _section("next", health.upcoming)
    _section("recently sent", health.recent, sent=True)
    _section("needs a person", health.attention, show_error=True)
    _section("overdue (nothing is publishing them)", health.overdue)
    verdict = {
        daemon.EXIT_HEALTHY: "[green]healthy[/]",
        daemon.EXIT_NO_DAEMON: "[bold red]unhealthy[/]: no live daemon; start 'campaign run'",
        daemon.EXIT_ATTENTION: "[bold red]unhealthy[/]: posts need a person (see above)",
    }
    for notice in health.notices:
        out.print(f"[yellow]note:[/] {escape(notice)}")
    if health.problems and health.exit_code == daemon.EXIT_ATTENTION:
        out.print("[bold red]unhealthy[/]: a daemon cannot work (see above)")
    out.print(verdict[health.exit_code])


SECTION_MOST = 10


def _section(
    title: str, posts: list[QueuedPost], show_error: bool = False, sent: bool = False
) -> None:
    """A titled list of posts for people: the first SECTION_MOST, then how many more.

    Each post shows its planned local time, or with ``sent`` when it actually went out.
    """
    if not posts:
        return
    out.print(f"{title}:")
    for post in posts[:SECTION_MOST]:
        when = post.local_time.strftime("%Y-%m-%d %H:%M %Z")
        if sent and post.sent_at is not None:
            when = post.sent_at.astimezone(ZoneInfo(post.timezone)).strftime(
                "sent %Y-%m-%d %H:%M %Z"
            )
        line = f"  {post.id} {post.state:<9} {post.platform:<9} {when}"
        if show_error and post.last_error:
            line += f": {post.last_error}"
        out.print(escape(line))
    if len(posts) > SECTION_MOST:
        states = sorted({post.state for post in posts[SECTION_MOST:]})
        where = f"`campaign queue --state {states[0]}`" if len(states) == 1 else "`campaign queue`"
        out.print(f"  … and {len(posts) - SECTION_MOST} more: see {where} or `status --json`")


def _ago(now: datetime, then: datetime) -> str:
    seconds = max(0, int((now - then).total_seconds()))
    return f"{seconds} s ago" if seconds < 120 else f"{seconds // 60} min ago"
