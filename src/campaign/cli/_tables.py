"""Tables that fit the terminal without cutting what people copy (ids, times, states).

Each column says how it may give way when the table is wider than the terminal: ``KEEP``
never does, ``WRAP`` wraps onto more lines, ``CUT`` and ``REST`` are cut with an ellipsis
(``REST``, the post's text, gives way first). If the ``KEEP`` columns alone are wider than the
terminal, the table is printed wider anyway (print it with ``crop=False``) and the terminal
wraps its lines: an id is never cut.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from rich import box
from rich.cells import cell_len
from rich.table import Table
from rich.text import Text

# SIMPLE_HEAD with pad_edge=False: 3 characters between columns and 1 at each edge.
_GAP = 3
_EDGES = 2
# The text gives way alone down to this width, then with the other columns that can.
_REST_FIRST = 24


class Fit(Enum):
    """How a column gives way when the table is too wide."""

    KEEP = "keep"
    WRAP = "wrap"
    CUT = "cut"
    REST = "rest"


@dataclass(frozen=True)
class Column:
    """A column's header, how it gives way and down to what width, and how it is aligned."""

    header: str
    fit: Fit = Fit.KEEP
    right: bool = False
    floor: int = 8


def fitted_table(
    columns: Sequence[Column],
    rows: Sequence[Sequence[Text]],
    width: int | None,
    *,
    title: str | None = None,
) -> Table:
    """A table of ``rows`` at most ``width`` characters wide where the columns allow.

    ``width`` ``None`` shows every cell whole on one line (``--wide``).
    """
    natural = [
        max([cell_len(column.header)] + [_width(row[i]) for row in rows])
        for i, column in enumerate(columns)
    ]
    widths = natural if width is None else _fit(columns, natural, width)
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.width = sum(widths) + _GAP * (len(columns) - 1) + _EDGES
    for column, size in zip(columns, widths, strict=True):
        wraps = column.fit is Fit.WRAP and width is not None
        table.add_column(
            column.header,
            width=size,
            no_wrap=not wraps,
            overflow="fold" if wraps else "ellipsis",
            justify="right" if column.right else "left",
        )
    for row in rows:
        table.add_row(*row)
    return table


def _width(cell: Text) -> int:
    return max((cell_len(line) for line in cell.plain.split("\n")), default=0)


def _fit(columns: Sequence[Column], natural: list[int], width: int) -> list[int]:
    """Column widths that make the table ``width`` wide at most: the text gives way down to
    a readable width, then the widest of the columns that can give way, each to its floor."""
    widths = list(natural)
    excess = sum(widths) + _GAP * (len(columns) - 1) + _EDGES - width
    rest = [i for i, c in enumerate(columns) if c.fit is Fit.REST]
    others = [i for i, c in enumerate(columns) if c.fit in (Fit.WRAP, Fit.CUT)]
    floors = [column.floor for column in columns]
    excess = _shrink(widths, rest, [max(_REST_FIRST, f) for f in floors], excess)
    _shrink(widths, rest + others, floors, excess)
    return widths


def _shrink(widths: list[int], group: list[int], floors: list[int], excess: int) -> int:
    """Take up to ``excess`` characters from the widest columns of ``group``, none below
    its floor; returns what is still in excess."""
    while excess > 0:
        shrinkable = [i for i in group if widths[i] > floors[i]]
        if not shrinkable:
            break
        widest = max(shrinkable, key=lambda i: widths[i])
        widths[widest] -= 1
        excess -= 1
    return excess
