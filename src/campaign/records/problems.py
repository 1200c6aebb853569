"""Turns pydantic validation errors into problems that name the file, line and field."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from campaign.errors import InvalidCampaign, Problem
from campaign.records.yamlsrc import field_path, line_of


def _hint(error: Any, model: type[BaseModel] | None, loc: Sequence[str | int]) -> str:
    kind = error["type"]
    name = str(loc[-1]) if loc else ""
    if kind == "missing":
        return f"add `{name}:` here"
    if kind == "extra_forbidden" and model is not None:
        known = _known_fields(model, loc)
        close = difflib.get_close_matches(name, known, n=1)
        if close:
            return f"did you mean `{close[0]}`?"
        return f"remove it; the fields allowed here are: {', '.join(known)}"
    ctx = error.get("ctx") or {}
    if "hint" in ctx:
        return str(ctx["hint"])
    return ""


def _known_fields(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """The field names allowed at ``loc``'s parent, following nested models."""
    current: type[BaseModel] | None = model
    for part in loc[:-1]:
        if current is None or isinstance(part, int):
            continue
        field = current.model_fields.get(part)
        current = _model_in(field.annotation) if field else None
    return sorted(current.model_fields) if current else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found:
            return found
    return None


def _message(error: Any) -> str:
    kind = error["type"]
    if kind == "missing":
        return "this required field is missing"
    if kind == "extra_forbidden":
        return "unknown field"
    message = str(error["msg"])
    if message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    elif "input" in error and not isinstance(error["input"], dict | list):
        message = f"{message} (got {error['input']!r})"
    return message


def from_validation(
    exc: ValidationError,
    data: Any,
    file: Path | str,
    model: type[BaseModel] | None = None,
    prefix: Sequence[str | int] = (),
    line: int | None = None,
) -> list[Problem]:
    """One :class:`Problem` per pydantic error, located in ``data`` as loaded from ``file``."""
    problems: list[Problem] = []
    for error in exc.errors():
        loc = tuple(part for part in error["loc"] if not str(part).startswith("function-"))
        found = line_of(data, loc) if line is None else line
        problems.append(
            Problem(
                file=file,
                line=found,
                field=field_path((*prefix, *loc)),
                message=_message(error),
                hint=_hint(error, model, loc),
            )
        )
    return problems


T = TypeVar("T")
R = TypeVar("R")


def collect(items: Iterable[T], parse: Callable[[T], R]) -> list[R]:
    """``parse`` every item, gathering all problems before raising them together."""
    results: list[R] = []
    problems: list[Problem] = []
    for item in items:
        try:
            results.append(parse(item))
        except InvalidCampaign as exc:
            problems.extend(exc.problems)
    if problems:
        raise InvalidCampaign(dedupe(problems))
    return results


def dedupe(problems: Iterable[Problem]) -> list[Problem]:
    """Problems in order, each once (a shared template error shows up once, not per event)."""
    return list(dict.fromkeys(problems))
