"""The ``date`` and ``time`` template filters: dates and times in the post's language.

``{{ event.starts | date }}`` prints ``26 September 2017`` in ``en``, ``26 september 2017`` in
``nl`` and ``26 Σεπτεμβρίου 2017`` in ``el`` (Babel, with CLDR's month and day names). A
format is ``short``, ``medium``, ``long`` or ``full`` (the language's own), or a Babel
pattern (``EEEE d MMMM``, literal words in quotes: ``d 'de' MMMM``). A strftime format
(``%A %-d %B``) still works: as it always did in a campaign without ``languages:``, and
translated into the matching Babel pattern in a post that has a language. Values print in
their own zone (events' dates in the event's).
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

from babel import Locale
from babel.dates import PATTERN_CHARS, format_date, format_datetime, format_time
from jinja2 import pass_context
from jinja2.runtime import Context

NAMED = ("short", "medium", "long", "full")
DEFAULT_DATE = "d MMMM y"
DEFAULT_TIME = "HH:mm"
# Without ``languages:``, the defaults print as they did before (strftime, English names).
LEGACY_DATE = "%-d %B %Y"
LEGACY_TIME = "%H:%M"
# A campaign without languages formats Babel patterns and names in English.
PLAIN_LANGUAGE = "en"

_STRFTIME = re.compile(r"%-?.")
_TO_BABEL = {
    "%a": "EEE", "%A": "EEEE", "%d": "dd", "%-d": "d", "%b": "MMM", "%B": "MMMM",
    "%m": "MM", "%-m": "M", "%y": "yy", "%Y": "y", "%H": "HH", "%-H": "H", "%I": "hh",
    "%-I": "h", "%M": "mm", "%-M": "m", "%S": "ss", "%p": "a", "%Z": "z", "%z": "xx",
}  # fmt: skip
_QUOTED = re.compile(r"'[^']*'")
_PATTERN_HINT = (
    "use short, medium, long, full or a Babel pattern such as 'd MMMM y' or 'HH:mm' "
    "(words in quotes: \"d 'de' MMMM\")"
)


def babel_pattern(strftime: str) -> str:
    """The Babel pattern that prints what the strftime format ``strftime`` prints.

    Raises ValueError for a directive with no Babel equivalent, saying what to write instead.
    """
    pattern: list[str] = []
    literal: list[str] = []

    def flush() -> None:
        if literal:
            text = "".join(literal).replace("'", "''")
            pattern.append(f"'{text}'" if re.search(r"[A-Za-z']", text) else text)
            literal.clear()

    position = 0
    for match in _STRFTIME.finditer(strftime):
        literal.extend(strftime[position : match.start()])
        position = match.end()
        directive = match[0]
        if directive == "%%":
            literal.append("%")
            continue
        if directive not in _TO_BABEL:
            raise ValueError(
                f"the strftime directive {directive} has no Babel equivalent; {_PATTERN_HINT}"
            )
        flush()
        pattern.append(_TO_BABEL[directive])
    literal.extend(strftime[position:])
    flush()
    return "".join(pattern)


# What was printed: kind, format, value, its zone and fold, and language.
_Key = tuple[str, str | None, datetime, tzinfo | None, int, str | None]


def _check_pattern(pattern: str) -> None:
    """Refuse letters outside quotes that are no Babel field: Babel would print them as they
    are, so a word left unquoted comes out half replaced by numbers."""
    for letter in re.findall(r"[A-Za-z]", _QUOTED.sub("", pattern)):
        if letter not in PATTERN_CHARS:
            raise ValueError(f"{letter!r} is not a Babel pattern letter")


class DateFilters:
    """The ``date`` and ``time`` filters of one environment, remembering what they printed.

    A plan prints the same few event dates in post after post, and formatting is the slow
    part. The memo lives as long as its environment, one plan. The language is the template
    variable ``language`` (``None`` in a campaign without languages).
    """

    def __init__(self) -> None:
        self._printed: dict[
            tuple[str, str | None, datetime, tzinfo | None, int, str | None], str
        ] = {}
        self._locales: dict[str, Locale] = {}

    @pass_context
    def date(self, context: Context, value: datetime, fmt: str | None = None) -> str:
        """Format a date-time for people (default ``26 September 2017``, in the language)."""
        return self._format("date", context.parent.get("language"), value, fmt)

    @pass_context
    def time(self, context: Context, value: datetime, fmt: str | None = None) -> str:
        """Format the time of day of a date-time (default ``09:30``)."""
        return self._format("time", context.parent.get("language"), value, fmt)

    def _format(self, kind: str, language: str | None, value: datetime, fmt: str | None) -> str:
        if not isinstance(value, datetime):
            raise TypeError(f"{kind} needs a date-time such as event.starts, not {value!r}")
        # Equal instants in two zones, or the two readings of an hour a clock goes back over,
        # print differently: the zone and fold are part of the key.
        key = (kind, fmt, value, value.tzinfo, value.fold, language)
        text = self._printed.get(key)
        if text is None:
            text = self._printed[key] = self._print(kind, language, value, fmt)
        return text

    def _print(self, kind: str, language: str | None, value: datetime, fmt: str | None) -> str:
        if fmt is None:
            if language is None:
                return value.strftime(LEGACY_DATE if kind == "date" else LEGACY_TIME)
            fmt = DEFAULT_DATE if kind == "date" else DEFAULT_TIME
        elif "%" in fmt:
            if language is None:
                return value.strftime(fmt)
            fmt = babel_pattern(fmt)
        locale = self._locale(language or PLAIN_LANGUAGE)
        try:
            if fmt in NAMED:
                if kind == "date":
                    return format_date(value, fmt, locale=locale)
                return format_time(value, fmt, tzinfo=value.tzinfo, locale=locale)
            _check_pattern(fmt)
            return format_datetime(value, fmt, tzinfo=value.tzinfo, locale=locale)
        except (ValueError, KeyError, AttributeError) as exc:
            raise ValueError(
                f"{fmt!r} is not a date or time format ({exc}); {_PATTERN_HINT}"
            ) from None

    def _locale(self, language: str) -> Locale:
        locale = self._locales.get(language)
        if locale is None:
            locale = self._locales[language] = Locale.parse(language, sep="-")
        return locale
