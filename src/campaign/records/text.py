"""Characters that have no place in a post: control codes and invisible formatting.

Event fields, ``vars:`` and templates become posts, and posts are shown in a terminal.
A NUL breaks PostgreSQL, an ESC sequence rewrites the terminal that previews it, U+202E
RIGHT-TO-LEFT OVERRIDE shows text reversed, and a zero-width space makes ``#DarkWeb`` a
different hashtag that looks the same. :func:`find_forbidden` finds them in any text
(:func:`campaign.records.yamlsrc.check_characters` refuses them in loaded records, naming
the file, line, field and code point); :func:`visible` makes any text safe to print.

Forbidden: C0 controls but tab and newline, DEL and C1 controls; the bidirectional
controls; zero-width space, word joiner and zero-width no-break space (a byte order mark
at the start of a file is dropped when it is read). Zero-width (non-)joiners are allowed
between two non-ASCII characters, where they shape emoji sequences, Persian and Indic
scripts, and refused elsewhere.
"""

from __future__ import annotations

import re
import unicodedata

_CONTROL_NAMES = {
    0x00: "NULL",
    0x07: "BELL",
    0x08: "BACKSPACE",
    0x0B: "LINE TABULATION",
    0x0C: "FORM FEED",
    0x0D: "CARRIAGE RETURN",
    0x1B: "ESCAPE",
    0x7F: "DELETE",
    0x85: "NEXT LINE",
}
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_INVISIBLE = "\u200b\u2060\ufeff"
_JOINERS = "\u200c\u200d"
FORBIDDEN = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}{_INVISIBLE}{_JOINERS}]")
"""Matches every character :func:`find_forbidden` may refuse (joiners are judged there)."""

FIX_HINT = (
    "delete it (it is invisible in most editors: retype the text around it), or write the "
    "text without it"
)


def may_hold_forbidden(source: str) -> bool:
    """Whether YAML, JSON or CSV ``source`` may give a string holding a forbidden character.

    Only if it holds one itself, or a backslash (YAML's ``"\\e"`` and JSON's ``"\\u001b"``
    escapes make them): most files need no further check.
    """
    return "\\" in source or FORBIDDEN.search(source) is not None


def forbidden_message(index: int, code: int, name: str) -> str:
    """What is wrong with a field holding the forbidden character ``code`` at ``index``."""
    return (
        f"holds the invisible or control character {describe(code, name)} at position {index + 1}"
    )


def find_forbidden(text: str) -> list[tuple[int, int, str]]:
    """Each forbidden character in ``text`` as ``(index, code point, name)``, in order.

    The name is Unicode's (``RIGHT-TO-LEFT OVERRIDE``), or the control's alias
    (``ESCAPE``). Pure: for checking template sources as well as records.
    """
    found = []
    for match in FORBIDDEN.finditer(text):
        index = match.start()
        char = text[index]
        if char in _JOINERS and _joins(text, index):
            continue
        found.append((index, ord(char), char_name(char)))
    return found


def _joins(text: str, index: int) -> bool:
    """Whether the joiner at ``index`` stands between two non-ASCII, visible characters."""
    if index == 0 or index + 1 >= len(text):
        return False
    before, after = text[index - 1], text[index + 1]
    return all(
        ord(c) > 0x7F and not FORBIDDEN.match(c) and not c.isspace() for c in (before, after)
    )


def char_name(char: str) -> str:
    """``char``'s Unicode name, or its alias for a control code (which has no name)."""
    code = ord(char)
    return unicodedata.name(char, "") or _CONTROL_NAMES.get(code, "CONTROL CHARACTER")


def describe(code: int, name: str) -> str:
    """``U+202E RIGHT-TO-LEFT OVERRIDE``."""
    return f"U+{code:04X} {name}"


def visible(text: str) -> str:
    """``text`` with every forbidden character shown as an escape (``\\x1b``, ``\\u202e``).

    For terminals: nothing printed through it can move the cursor, change colours or
    reverse the text. Tabs and newlines stay.
    """
    if not FORBIDDEN.search(text):
        return text
    shown = list(text)
    for index, code, _ in find_forbidden(text):
        shown[index] = f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"
    return "".join(shown)
