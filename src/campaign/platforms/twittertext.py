"""twitter-text-parser (X's reference for links and length), imported without
``pkg_resources``: every module of ours takes what it needs of twitter-text from here.

twitter-text-parser reads its emoji table with ``pkg_resources.resource_string`` at import
time. ``pkg_resources`` comes from setuptools: importing it costs about a tenth of a second
on every command that plans posts, and Python 3.12+ virtual environments do not have it, so
there the import fails outright. While twitter-text loads, a stand-in answering only
``resource_string`` (with :mod:`importlib.resources`) takes its place; it is removed right
after, so anything else importing ``pkg_resources`` later gets the real one.
"""

from __future__ import annotations

import sys
import types
from importlib import resources


def _resource_string(module: str, name: str) -> bytes:
    """``pkg_resources.resource_string``: the file ``name`` beside module ``module``."""
    package = module if hasattr(sys.modules[module], "__path__") else module.rpartition(".")[0]
    return resources.files(package).joinpath(name).read_bytes()


def _load() -> None:
    if "twitter_text" in sys.modules or "pkg_resources" in sys.modules:
        return
    stand_in = types.ModuleType("pkg_resources")
    stand_in.resource_string = _resource_string  # type: ignore[attr-defined]
    sys.modules["pkg_resources"] = stand_in
    try:
        import twitter_text  # noqa: F401 - loaded here, with the stand-in in place
    finally:
        if sys.modules.get("pkg_resources") is stand_in:
            del sys.modules["pkg_resources"]


_load()

from twitter_text import parse_tweet  # noqa: E402 - after the stand-in above
from twitter_text.extract_urls import extract_urls_with_indices  # noqa: E402
from twitter_text.parse_tweet import convert_line_ending  # noqa: E402
from twitter_text.regexp.directional_markers_group import directional_markers_group  # noqa: E402
from twitter_text.regexp.invalid_chars_group import invalid_chars_group  # noqa: E402
from twitter_text.regexp.spaces_group import spaces_group  # noqa: E402

__all__ = [
    "convert_line_ending",
    "directional_markers_group",
    "extract_urls_with_indices",
    "invalid_chars_group",
    "parse_tweet",
    "spaces_group",
]
