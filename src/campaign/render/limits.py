"""How much work a template may do: time, output and value-size budgets, checked as it runs.

Templates are written by staff, and a slip (a loop in a loop) or a hostile edit must not
hang ``preview`` or eat the machine's memory. The sandbox in
:mod:`campaign.render.environment` calls :meth:`Budget.check` from its hooks (calls,
operators, every turn of a ``{% for %}`` loop) and refuses, before computing it, an operation
whose result would be over a limit. Each refusal is a :class:`LimitExceeded` saying what to
change; the renderer adds the template file and line.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from jinja2.utils import Namespace

#: Seconds one post's template may run.
RENDER_SECONDS_PER_POST = 2.0
#: Seconds all the templates of one ``validate``, ``preview`` or ``schedule`` may run together.
RENDER_SECONDS_PER_RUN = 60.0
#: Characters one rendered template (a post, or all parts of a thread) may print.
OUTPUT_CHARS_PER_POST = 100_000
#: Longest string, list or tuple an operator, ``~`` or a string method may make in a template.
VALUE_SIZE_LIMIT = 100_000
#: Largest integer an operator may make in a template, in bits (2**4096, 1,234 digits).
INTEGER_BITS_LIMIT = 4_096

_SEQUENCES = (str, bytes, list, tuple)
# The width and precision of a %-format or a {}-format field: "%9999d", "{:>9999}".
PERCENT_WIDTHS = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")
_BRACE_WIDTHS = re.compile(r"\{[^{}]*:[^{}]*?(\d+)(?:\.(\d+))?[^{}]*\}")


class LimitExceeded(Exception):
    """A template went over one of the limits above; ``hint`` says what to change."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


class Budget:
    """The time budget of one run's renders: per post, and for all posts together.

    :meth:`start_post` opens a post's budget and :meth:`finish_post` adds the time it took
    to the run's; :meth:`check` raises :class:`LimitExceeded` once the post's time (or what
    is left of the run's) is spent. Only time spent rendering counts. ``clock`` is
    injectable for tests.
    """

    def __init__(
        self,
        per_post: float = RENDER_SECONDS_PER_POST,
        per_run: float = RENDER_SECONDS_PER_RUN,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_post = per_post
        self.per_run = per_run
        self._clock = clock
        self._spent = 0.0
        self._started = 0.0
        self._ends = math.inf
        self._run_ends = False

    def start_post(self) -> None:
        """Open the budget of the next post; raises :class:`LimitExceeded` if the run's is spent."""
        left = self.per_run - self._spent
        self._run_ends = left <= self.per_post
        if left <= 0:
            raise self._over()
        self._started = self._clock()
        self._ends = self._started + min(self.per_post, left)

    def finish_post(self) -> None:
        """Count the time since :meth:`start_post` as spent by the run."""
        self._spent += self._clock() - self._started

    def check(self) -> None:
        """Raise :class:`LimitExceeded` when the post's (or the run's) time is up."""
        if self._clock() > self._ends:
            raise self._over()

    def _over(self) -> LimitExceeded:
        if self._run_ends:
            return LimitExceeded(
                f"rendering stopped: all templates together ran longer than {self.per_run:g} s"
                " (the limit for one run)",
                "look for loops in the templates that do more than a post needs, "
                "or plan fewer campaign files at once",
            )
        return LimitExceeded(
            f"the template ran longer than {self.per_post:g} s (the limit for one post)",
            "simplify its loops: a post needs a few lines, not many thousands of steps",
        )


def output_too_long() -> LimitExceeded:
    """The error for a template that printed more than the output limit."""
    return LimitExceeded(
        f"the template printed more than {OUTPUT_CHARS_PER_POST:,} characters "
        "(the limit for one post)",
        "a post is a few hundred characters; look for a loop or a repeated string",
    )


def check_size(size: int, what: str) -> None:
    """Refuse a string or sequence of ``size`` items, made by ``what``, over the size limit."""
    if size > VALUE_SIZE_LIMIT:
        raise LimitExceeded(
            f"{what} would make a value of {size:,} characters or items "
            f"(the limit is {VALUE_SIZE_LIMIT:,})",
            "use shorter strings and lists, and repeat them fewer times",
        )


def check_contents(value: Any, what: str) -> int:
    """Refuse a list, tuple or dict holding, all levels counted, more than the size limit.

    Every item counts one, a string its length. A list holding the same list twice counts
    it twice, as printing it would: so ``[l, l]`` repeated cannot double past the limit.
    Returns the count.
    """
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if type(item) is str:
            total += len(item) or 1
        elif isinstance(item, (list, tuple)):
            total += 1
            stack += item
        elif isinstance(item, dict):
            total += 1
            stack += item.keys()
            stack += item.values()
        elif isinstance(item, Namespace):
            total += 1
            stack += item._Namespace__attrs.values()
        else:
            total += 1
        if total > VALUE_SIZE_LIMIT:
            raise _too_many_contents(what)
    return total


def _too_many_contents(what: str) -> LimitExceeded:
    return LimitExceeded(
        f"{what} would make a value of more than {VALUE_SIZE_LIMIT:,} items and characters, "
        "counting everything inside it",
        "use shorter strings and lists, and repeat them fewer times",
    )


def check_binop(operator: str, left: Any, right: Any) -> None:
    """Refuse ``left <operator> right`` before computing it if its result is over a limit."""
    if operator == "**":
        _check_power(left, right)
    elif operator == "*":
        _check_product(left, right)
    elif operator == "+":
        if isinstance(left, str) and isinstance(right, str):
            check_size(len(left) + len(right), "`+`")
        elif isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
            check_contents((left, right), "`+`")
    elif operator == "%" and isinstance(left, str):
        values = right.values() if isinstance(right, dict) else right
        check_format(left, values if isinstance(values, tuple) else (values,), "%", "`%`")


def check_format(template: str, values: Iterable[Any], field: str, what: str) -> None:
    """Refuse formatting ``values`` into ``template`` if the result could be over the limit.

    ``field`` is ``"%"`` for %-formats, ``"{"`` for ``str.format``. A field width over the
    limit is refused ("%9999999d", "{:>9999999}", a ``*`` width given as a value), and so is
    a template whose fields, each as long as the longest value, would be.
    """
    values = list(values)
    widths = PERCENT_WIDTHS if field == "%" else _BRACE_WIDTHS
    for match in widths.finditer(template):
        for width in match.groups():
            if width and width.isdigit():
                check_repeat(int(width), what)
            elif width == "*":
                for value in values:
                    check_repeat(value, what)
    longest = max((len(v) if type(v) is str else len(str(v)) for v in values), default=0)
    check_size(len(template) + template.count(field) * longest, what)


def check_repeat(count: Any, what: str) -> None:
    """Refuse a count (a width, a number of copies) over the size limit."""
    if isinstance(count, int) and abs(count) > VALUE_SIZE_LIMIT:
        check_size(abs(count), what)


def _check_product(left: Any, right: Any) -> None:
    if isinstance(left, int) and isinstance(right, int):
        _check_bits(abs(left).bit_length() + abs(right).bit_length(), "`*`")
    elif isinstance(left, _SEQUENCES) and isinstance(right, int):
        _check_repeated(left, right)
    elif isinstance(right, _SEQUENCES) and isinstance(left, int):
        _check_repeated(right, left)


def _check_repeated(sequence: str | bytes | list[Any] | tuple[Any, ...], count: int) -> None:
    if isinstance(sequence, (str, bytes)):
        check_size(len(sequence) * count, "`*`")
    elif count > 0 and (check_contents(sequence, "`*`") - 1) * count > VALUE_SIZE_LIMIT:
        raise _too_many_contents("`*`")


def _check_power(base: Any, exponent: Any) -> None:
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1:
        _check_bits(math.ceil(exponent * math.log2(abs(base))), "`**`")


def _check_bits(bits: int, what: str) -> None:
    if bits > INTEGER_BITS_LIMIT:
        digits = math.ceil(bits * math.log10(2))
        raise LimitExceeded(
            f"{what} would make an integer of about {digits:,} digits "
            f"(the limit is {math.ceil(INTEGER_BITS_LIMIT * math.log10(2)):,})",
            "posts need small numbers; compute large ones outside the template",
        )
