"""Text with links for the terminal: links clickable (OSC 8) and never broken across lines.

Rich folds a word longer than the line, so a long URL would reach the terminal in pieces
that neither a click nor a copy puts back together. :func:`print_wrapped` wraps at spaces
only and prints a word longer than the line whole; the terminal then wraps it visually, and
it stays one URL. Rich writes the OSC 8 sequence only to a terminal, never into a pipe.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from rich.cells import cell_len
from rich.console import Console
from rich.style import Style
from rich.text import Text


def link(url: str, style: str = "") -> Text:
    """``url`` as a clickable link (the caller has made it safe with ``visible``)."""
    return Text(url, style=Style.parse(style) + Style(link=url) if style else Style(link=url))


def linked(text: str, targets: Mapping[str, str]) -> Text:
    """``text`` with every occurrence of each key of ``targets`` (a URL, or the short form a
    platform shows of one) made a clickable link to its value."""
    result = Text(text)
    for shown, url in targets.items():
        start = text.find(shown)
        while shown and start != -1:
            result.stylize(Style(link=url), start, start + len(shown))
            start = text.find(shown, start + len(shown))
    return result


def print_wrapped(console: Console, text: Text, indent: int = 0) -> None:
    """Print ``text`` indented, wrapped at spaces to the console's width, no word broken."""
    width = max(1, console.width - indent)
    for paragraph in text.split("\n", allow_blank=True):
        for line in paragraph.divide(_breaks(paragraph.plain, width)):
            line.rstrip()
            console.print(Text(" " * indent) + line, soft_wrap=True)


_WORD = re.compile(r"\S+\s*")


def _breaks(plain: str, width: int) -> list[int]:
    """Where to start new lines so that each is ``width`` wide at most, breaking only
    before a word (a longer word gets a line of its own)."""
    breaks: list[int] = []
    used = 0
    for word in _WORD.finditer(plain):
        size = cell_len(word.group().rstrip())
        if used and used + size > width:
            breaks.append(word.start())
            used = 0
        used += cell_len(word.group())
    return breaks
