"""UTM tags: add ``utm_*`` query parameters to a URL without disturbing what is already there.

The URL is the author's, character for character: nothing is parsed and rebuilt, decoded
or encoded. Missing ``utm_*`` parameters are appended to its query (before any
``#fragment``), and a ``utm_*`` the author already wrote (in any letter case) is left as it
is. Tagging is therefore idempotent.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from urllib.parse import parse_qsl, quote, urlencode

UTM_KEYS = ("source", "medium", "campaign", "content", "term")


def utm_parameters(url: str) -> frozenset[str]:
    """The lower-cased names of the ``utm_*`` query parameters ``url`` already carries."""
    query = url.partition("#")[0].partition("?")[2]
    return frozenset(
        name.lower()
        for name, _ in parse_qsl(query, keep_blank_values=True)
        if name.lower().startswith("utm_")
    )


def add_utm(url: str, values: Mapping[str, str]) -> str:
    """``url`` with ``utm_<key>=<value>`` appended for each key it does not carry yet.

    ``values`` maps UTM keys (``source``, ``medium``, …) to values; empty values are skipped.
    The new parameters go at the end of the query (after its ``?`` or a final ``&``), or
    start one before the fragment; the values are percent-encoded, the URL left as written.
    """
    return _add_utm(url, tuple(values.items()))


@lru_cache(maxsize=4096)
def _add_utm(url: str, values: tuple[tuple[str, str], ...]) -> str:
    """:func:`add_utm`, remembered: a plan tags the same few links for each of its events."""
    present = utm_parameters(url)
    missing = [
        (f"utm_{key}", value) for key, value in values if value and f"utm_{key}" not in present
    ]
    if not missing:
        return url
    base, hash_sign, fragment = url.partition("#")
    _, question, query = base.partition("?")
    separator = "?" if not question else "" if query == "" or query.endswith("&") else "&"
    query = urlencode(missing, quote_via=quote, safe="")
    return f"{base}{separator}{query}{hash_sign}{fragment}"
