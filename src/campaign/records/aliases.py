"""A budget for what YAML aliases expand to, against "billion laughs" files.

An alias (``*name``) stands for everything its anchor (``&name``) holds, and the loaders
share that value rather than copy it, so loading stays small. But whatever later walks the
data, a pydantic dump or a template printing ``{{ event }}``, walks every repetition: nine
nested lists of ten aliases each are 10⁹ values. :func:`check_aliases` counts the values
aliases (and ``<<`` merge keys) add and refuses a document over :data:`MAX_ALIAS_VALUES`,
naming where it went over; it also refuses a value that holds itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from campaign.records.linedata import LineDict, LineList

MAX_ALIAS_VALUES = 1_000_000
"""The most values YAML aliases and merge keys may add to one file, once expanded."""

ALIAS_HINT = (
    "an alias (*name) repeats everything its anchor (&name) holds, and aliases inside it "
    "multiply; repeat less, or write the values out"
)


class AliasBudgetExceeded(Exception):
    """Aliases in a YAML text expand too far; ``loc`` and ``line`` say where it went over."""

    def __init__(self, loc: tuple[str | int, ...], line: int | None, message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.line = line
        self.message = message


def too_many(count: int) -> str:
    """The message for aliases adding ``count`` values."""
    return (
        f"YAML aliases here expand the file to {count:,} more values, over the limit of "
        f"{MAX_ALIAS_VALUES:,}"
    )


class _Frame:
    """A mapping or sequence being counted: where it is, its children and its size so far."""

    __slots__ = ("children", "loc", "node", "size")

    def __init__(self, node: Any, loc: tuple[str | int, ...]) -> None:
        self.node = node
        self.loc = loc
        self.children = _children(node)
        self.size = 1


def check_aliases(data: Any) -> None:
    """Raise :class:`AliasBudgetExceeded` if aliases in ``data`` expand past the budget.

    ``data`` is what :mod:`campaign.records.yamlsrc` built: a mapping or sequence met a
    second time is an alias, and counts again with all it holds. The walk visits each
    distinct value once and keeps its own stack, so deep nesting does not overflow Python's.
    """
    if not isinstance(data, dict | list):
        return
    sizes: dict[int, int] = {}  # id of a mapping or sequence counted -> its expanded size
    added = 0
    stack = [_Frame(data, ())]
    active = {id(data)}  # the values on the stack: meeting one again is a cycle
    while stack:
        frame = stack[-1]
        step = next(frame.children, None)
        if step is None:
            stack.pop()
            active.discard(id(frame.node))
            sizes[id(frame.node)] = frame.size
            if stack:
                stack[-1].size += frame.size
            continue
        key, child = step
        if not isinstance(child, dict | list):
            frame.size += 1
            continue
        known = sizes.get(id(child))
        if known is not None:
            frame.size += known
            added += known
            if added > MAX_ALIAS_VALUES:
                raise AliasBudgetExceeded(
                    (*frame.loc, key), _line(frame.node, key), too_many(added)
                )
        elif id(child) in active:
            raise AliasBudgetExceeded(
                (*frame.loc, key),
                _line(frame.node, key),
                "this value holds itself through an alias (*name), so it never ends",
            )
        else:
            stack.append(_Frame(child, (*frame.loc, key)))
            active.add(id(child))


def _children(node: Any) -> Iterator[tuple[str | int, Any]]:
    if isinstance(node, dict):
        return iter(node.items())
    return enumerate(node)


def _line(node: Any, key: str | int) -> int | None:
    """The line of ``key`` in ``node``: a mapping's key, or the sequence itself."""
    if isinstance(node, LineDict):
        return node.key_lines.get(str(key), node.line) or None
    if isinstance(node, LineList):
        return node.line or None
    return None
