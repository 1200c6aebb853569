"""Mappings and sequences loaded from YAML that remember the line of each of their parts."""

from __future__ import annotations

from typing import Any


class LineDict(dict[str, Any]):
    """A mapping from YAML that knows the line of each of its keys."""

    line: int = 0
    key_lines: dict[str, int]


class LineList(list[Any]):
    """A sequence from YAML that knows the line of each of its items."""

    line: int = 0
    item_lines: list[int]
