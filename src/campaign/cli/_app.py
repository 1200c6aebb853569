"""The Typer application and the helpers every command module shares."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from campaign.cli._help import Group
from campaign.errors import CampaignError, InvalidCampaign

HELP_OPTIONS = {"help_option_names": ["-h", "--help"]}

app = typer.Typer(
    name="campaign",
    help="Plan, preview, schedule and publish social media campaigns kept as files.",
    cls=Group,
    context_settings=HELP_OPTIONS,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

out = Console(highlight=False)
err = Console(stderr=True, highlight=False, soft_wrap=True)

EXIT_INVALID = 1
EXIT_USAGE = 2


def sub_app(help: str) -> typer.Typer:
    """A group of commands under ``campaign`` (``campaign links …``), with the same help."""
    return typer.Typer(help=help, cls=Group, context_settings=HELP_OPTIONS, no_args_is_help=True)


def _print_version(wanted: bool) -> None:
    if wanted:
        from importlib.metadata import version

        out.print(f"campaign {version('campaign')}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Plan, preview, schedule and publish social media campaigns kept as files."""


def fail(message: str, code: int = EXIT_INVALID) -> NoReturn:
    """Print ``message`` as an error and leave with ``code``."""
    err.print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(code)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn library errors into clean messages and exit 1; no traceback reaches the user."""
    try:
        yield
    except InvalidCampaign as exc:
        for problem in exc.problems:
            err.print(f"[bold red]error:[/] {escape(str(problem))}")
        noun = "problem" if len(exc.problems) == 1 else "problems"
        err.print(f"{len(exc.problems)} {noun} found; nothing was changed.")
        raise typer.Exit(EXIT_INVALID) from None
    except CampaignError as exc:
        fail(str(exc))


def command(name: str | None = None, **kwargs: object) -> Callable[[Callable[..., object]], object]:
    """Register a top-level command on the ``campaign`` app."""
    return app.command(name, **kwargs)  # type: ignore[arg-type]
