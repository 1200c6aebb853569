"""Size guards for the string methods and Jinja2 filters that can multiply their input.

``"x".center(n)``, ``s|replace("a", long)``, ``items|join(long)`` and the like can make a
string far larger than anything they are given. The sandbox in
:mod:`campaign.render.environment` runs these guards first, so a result over
:data:`~campaign.render.limits.VALUE_SIZE_LIMIT` is refused before it is built.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping, Sized
from functools import wraps
from typing import Any

from campaign.render import limits
from campaign.render.limits import check_size

_WIDTH_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})


def check_string_method(
    text: str | bytes, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Any, ...]:
    """Refuse a call of ``text.<name>`` whose result would be over the size limit.

    Returns the arguments to call with (an iterator given to ``join`` becomes a list).
    """
    what = f"`{name}`"
    if name in _WIDTH_METHODS:
        for value in (*args, *kwargs.values()):
            limits.check_repeat(value, what)
        if name == "expandtabs":
            size = kwargs.get("tabsize", args[0] if args else 8)
            tabs = text.count("\t") if isinstance(text, str) else text.count(b"\t")
            if isinstance(size, int):
                check_size(len(text) + tabs * size, what)
    elif name in ("format", "format_map") and isinstance(text, str):
        values = (*args, *kwargs.values())
        if name == "format_map" and args and isinstance(args[0], dict):
            values = tuple(args[0].values())
        limits.check_format(text, values, "{", what)
    elif name == "replace" and len(args) >= 2:
        _check_replace(text, args[0], args[1], what)
    elif name == "join" and args:
        items = list(args[0])
        _check_join(items, text, what)
        args = (items, *args[1:])
    return args


def _check_replace(text: Any, old: Any, new: Any, what: str) -> None:
    text, old, new = str(text), str(old), str(new)
    count = len(text) + 1 if not old else text.count(old)
    check_size(len(text) + count * max(0, len(new) - len(old)), what)


def _check_join(items: list[Any], separator: Any, what: str) -> None:
    sizes = (len(item) if isinstance(item, str) else len(str(item)) for item in items)
    check_size(sum(sizes) + len(str(separator)) * max(0, len(items) - 1), what)


def _materialized(value: Any) -> Any:
    return value if isinstance(value, Sized) else list(value)


def _guard_replace(value: Any, old: Any, new: Any, count: Any = None) -> Any:
    _check_replace(value, old, new, "the `replace` filter")
    return value


def _guard_join(value: Any, d: Any = "", attribute: Any = None) -> Any:
    value = _materialized(value)
    if attribute is None:
        _check_join(list(value), d, "the `join` filter")
    return value


def _guard_counts(name: str) -> Callable[..., Any]:
    """A guard for ``batch`` or ``slice``: a count, and what fills up to it, within the limit."""

    def guard(value: Any, count: Any = 0, fill_with: Any = None, **kwargs: Any) -> Any:
        what = f"the `{name}` filter"
        limits.check_repeat(count, what)
        if fill_with is not None and isinstance(count, int):
            check_size(limits.check_contents(fill_with, what) * count, what)
        return value

    return guard


def _guard_center(value: Any, width: Any = 80) -> Any:
    limits.check_repeat(width, "the `center` filter")
    return value


def _guard_indent(value: Any, width: Any = 4, *args: Any, **kwargs: Any) -> Any:
    if isinstance(width, str):
        lines = str(value).count("\n") + 1
        check_size(len(str(value)) + lines * len(width), "the `indent` filter")
    else:
        limits.check_repeat(width, "the `indent` filter")
    return value


def _guard_wordwrap(
    value: Any, width: Any = 79, break_long_words: Any = True, wrapstring: Any = None, **_: Any
) -> Any:
    width = width if isinstance(width, int) and width > 0 else 1
    size = len(str(value))
    check_size(size + (size // width + 1) * len(str(wrapstring or "\n")), "the `wordwrap` filter")
    return value


def _guard_format(value: Any, *args: Any, **kwargs: Any) -> Any:
    limits.check_format(str(value), (*args, *kwargs.values()), "%", "the `format` filter")
    return value


# Jinja2's filters whose result can be many times the size of what they are given.
_FILTER_GUARDS: dict[str, Callable[..., Any]] = {
    "replace": _guard_replace,
    "join": _guard_join,
    "center": _guard_center,
    "batch": _guard_counts("batch"),
    "slice": _guard_counts("slice"),
    "indent": _guard_indent,
    "wordwrap": _guard_wordwrap,
    "format": _guard_format,
}


def _guarded(guard: Callable[..., Any], filter_: Callable[..., Any]) -> Callable[..., Any]:
    """``filter_``, refusing first (with ``guard``) input whose result would be too large."""
    passes_first = getattr(filter_, "jinja_pass_arg", None) is not None

    @wraps(filter_)
    def checked(*args: Any, **kwargs: Any) -> Any:
        first = 1 if passes_first else 0
        value = guard(*args[first:], **kwargs)
        return filter_(*args[:first], value, *args[first + 1 :], **kwargs)

    return checked


def guard_filters(filters: MutableMapping[str, Callable[..., Any]]) -> None:
    """Put the size guards in front of Jinja2's filters that can multiply their input."""
    for name, guard in _FILTER_GUARDS.items():
        filters[name] = _guarded(guard, filters[name])
