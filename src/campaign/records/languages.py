"""The languages a campaign posts in, and event fields given once per language.

A campaign may list ``languages: [en, nl, el]`` (BCP 47 tags that Babel knows). An event
field may then hold one value per language, ``title: {en: …, nl: …}`` (in a CSV, the
columns ``title.en`` and ``title.nl``): a mapping whose keys are all among the campaign's
languages. :func:`localize` picks one language's value out of every such field, at any
depth, and says which translations are missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from babel import Locale, UnknownLocaleError

#: Fields that are the same in every language: they identify the event.
UNTRANSLATABLE = frozenset({"id"})


def check_tag(tag: str) -> str:
    """Return ``tag`` if it is a BCP 47 language tag Babel has data for.

    Raises ValueError saying what to write instead (pydantic turns it into a problem at the
    field's line).
    """
    try:
        Locale.parse(tag, sep="-")
    except (UnknownLocaleError, ValueError, TypeError):
        raise ValueError(
            f"{tag!r} is not a language tag Babel knows; use a BCP 47 tag such as en, nl, "
            "el or pt-BR"
        ) from None
    return tag


def check_tags(tags: list[str]) -> list[str]:
    """Each of ``tags`` checked by :func:`check_tag`, none twice."""
    for tag in tags:
        check_tag(tag)
    if len(set(tags)) != len(tags):
        raise ValueError("a language is listed twice")
    return tags


def is_translated(value: Any, languages: Sequence[str]) -> bool:
    """Whether ``value`` is one field given per language: a mapping keyed by languages."""
    return isinstance(value, dict) and bool(value) and all(key in languages for key in value)


def localize(
    data: dict[str, Any], language: str, languages: Sequence[str]
) -> tuple[dict[str, Any], list[tuple[str, ...]]]:
    """``data`` with every per-language field replaced by its value in ``language``.

    Returns the localized data and the path of each field that has no value in
    ``language`` (such a field is left out of the data). Fields in :data:`UNTRANSLATABLE`
    are kept as they are, so a translated ``id`` fails validation as a non-slug.
    """
    missing: list[tuple[str, ...]] = []
    localized = {
        key: value if key in UNTRANSLATABLE else _pick(value, language, languages, (key,), missing)
        for key, value in data.items()
    }
    return {key: value for key, value in localized.items() if value is not _MISSING}, missing


_MISSING = object()


def _pick(
    value: Any,
    language: str,
    languages: Sequence[str],
    path: tuple[str, ...],
    missing: list[tuple[str, ...]],
) -> Any:
    if is_translated(value, languages):
        if language not in value:
            missing.append(path)
            return _MISSING
        return value[language]
    if isinstance(value, dict):
        picked = {
            key: _pick(item, language, languages, (*path, str(key)), missing)
            for key, item in value.items()
        }
        return {key: item for key, item in picked.items() if item is not _MISSING}
    return value
