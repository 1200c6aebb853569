"""UTM tags: add ``utm_*`` query parameters to a URL without disturbing what is already there.

The URL keeps its path, query and fragment exactly as written; missing ``utm_*`` parameters
are appended after the existing query, and a ``utm_*`` the author already wrote (in any
letter case) is left as it is. Tagging is therefore idempotent.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

UTM_KEYS = ("source", "medium", "campaign", "content", "term")


def utm_parameters(url: str) -> frozenset[str]:
    """The lower-cased names of the ``utm_*`` query parameters ``url`` already carries."""
    query = urlsplit(url.partition("#")[0]).query
    return frozenset(
        name.lower()
        for name, _ in parse_qsl(query, keep_blank_values=True)
        if name.lower().startswith("utm_")
    )


def add_utm(url: str, values: Mapping[str, str]) -> str:
    """``url`` with ``utm_<key>=<value>`` appended for each key it does not carry yet.

    ``values`` maps UTM keys (``source``, ``medium``, …) to values; empty values are skipped.
    A URL with no path gets ``/`` before the query (``https://a.eu`` → ``https://a.eu/?…``).
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
    if not urlsplit(base).path and "?" not in base:
        base += "/"
    separator = "" if base.endswith(("?", "&")) else "&" if "?" in base else "?"
    query = urlencode(missing, quote_via=quote, safe="")
    return f"{base}{separator}{query}{hash_sign}{fragment}"
