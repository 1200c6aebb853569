"""Help pages that speak to people: no Python types (``<bool>``, ``<list[Path]>``) and no
``{paths}...`` in the usage line.

Typer shows each parameter's Python annotation as its type. :class:`Group` hands out every
command (and its own options) with their parameters turned into the tidier subclasses below:
a flag shows no type at all, an option shows a metavar like ``TEXT`` or ``DATE``, and an
argument reads ``PATHS...`` (``[PLATFORM]`` when it may be left out).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import get_args

from typer import _click as click  # the click Typer vendors and builds on
from typer.core import TyperArgument, TyperGroup, TyperOption

_NAMES: dict[object, str] = {int: "INTEGER", float: "NUMBER", Path: "PATH"}
_LONGEST_CHOICES = 20


class _Argument(TyperArgument):
    def display_type_rich(self, ctx: click.Context) -> str | None:
        return None  # the name column already says it: PATHS...

    @property
    def display_name_raw(self) -> str:
        return (self.metavar or self.name or "").upper()

    def _usage_display_name(self) -> str:
        name = f"{self.display_name_raw}..." if self.nargs != 1 else self.display_name_raw
        return name if self.required else f"[{name}]"


class _Option(TyperOption):
    def display_type_rich(self, ctx: click.Context) -> str | None:
        if self.is_flag or self.count:
            return None
        if self.metavar is not None:
            return self.metavar
        desc = self.type_descriptor
        if desc.is_choice:
            choices = "|".join(str(getattr(c, "value", c)) for c in desc.choices or ())
            return choices if len(choices) <= _LONGEST_CHOICES else (self.name or "").upper()
        if desc.is_datetime:
            return "DATE"
        element = get_args(desc.annotation)[0] if desc.is_list else desc.annotation
        return _NAMES.get(element, "TEXT")


def _tidy(params: Iterable[click.Parameter]) -> None:
    for param in params:
        if type(param) is TyperArgument:
            param.__class__ = _Argument
        elif type(param) is TyperOption:
            param.__class__ = _Option


class Group(TyperGroup):
    """The ``campaign`` group (and its sub-groups) with plain help for every command."""

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        """The group's own options (``--help``, ``--version``), tidied."""
        params = super().get_params(ctx)
        _tidy(params)
        return params

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command ``cmd_name`` with its parameters tidied for help."""
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            _tidy(command.get_params(ctx))
        return command
