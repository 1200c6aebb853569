"""The ``require:`` section of a campaign file: rules every post of the campaign must keep.

EU-funded projects must acknowledge their funding in what they publish, communications
teams want their hashtags on every post and a link back to the project's site. A campaign
says so once, and ``validate``, ``preview`` and ``schedule`` refuse any post that breaks a
rule (:mod:`campaign.render.rules` checks the posts). This module only reads and checks
the rules themselves::

    require:
      funding_statement: "grant agreement No 700281"      # plain text, or
      funding_statement: {regex: "(Horizon 2020|H2020).*700281"}
      hashtags: [Media4sec, DarkWeb]                        # at least one of them
      link_to_site: true                                    # a link to the campaign's site
      alt_text: true                                        # always on: images need alt text
"""

from __future__ import annotations

from typing import Any

import regex as regex_lib
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_STRICT = ConfigDict(extra="forbid", frozen=True)

MAX_PATTERN = 500
"""The longest ``regex:`` a rule may hold, in characters."""

_HASHTAG = regex_lib.compile(r"#?\w+")


class FundingStatement(BaseModel):
    """The funding statement as a regular expression (Python syntax), or as plain text.

    Plain text matches wherever it appears, ignoring case, how lines are broken and whether
    apostrophes are straight or curly (' or ’); a ``regex`` is searched for as written (add
    ``(?i)`` to ignore case).
    """

    model_config = _STRICT

    text: str | None = Field(default=None, min_length=1)
    regex: str | None = Field(default=None, min_length=1, max_length=MAX_PATTERN)

    @field_validator("regex")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                regex_lib.compile(pattern)
            except regex_lib.error as exc:
                raise ValueError(
                    f"{pattern!r} is not a valid regular expression ({exc}); escape special "
                    "characters such as . ( ) [ ] with a backslash, or give plain `text:`"
                ) from None
        return pattern

    @model_validator(mode="after")
    def _one_of(self) -> FundingStatement:
        if (self.text is None) == (self.regex is None):
            raise ValueError(
                "give the funding statement either as `text:` or as `regex:`, exactly one"
            )
        return self

    @property
    def pattern(self) -> regex_lib.Pattern[str]:
        """What a post must contain, compiled: the ``regex``, or the text in any case, with
        any white space between its words and either kind of apostrophe."""
        if self.regex is not None:
            return regex_lib.compile(self.regex)
        assert self.text is not None
        words = [
            "['’]".join(regex_lib.escape(piece) for piece in word.replace("’", "'").split("'"))
            for word in self.text.split()
        ]
        return regex_lib.compile(r"\s+".join(words), regex_lib.IGNORECASE)

    @property
    def wording(self) -> str:
        """The statement as the campaign file gives it, for messages."""
        return self.text if self.text is not None else f"regex {self.regex}"


class RulesSpec(BaseModel):
    """The rules of a campaign's ``require:`` section; every one is off unless given."""

    model_config = _STRICT

    funding_statement: FundingStatement | None = None
    alt_text: bool = True
    hashtags: list[str] = Field(default_factory=list)
    link_to_site: bool = False

    @field_validator("funding_statement", mode="before")
    @classmethod
    def _plain_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"text": value}
        if value is not None and not isinstance(value, dict):
            raise ValueError(
                f"{value!r} is no funding statement; write its text in quotes, or "
                '`{regex: "..."}` for a regular expression'
            )
        return value

    @field_validator("alt_text")
    @classmethod
    def _alt_always(cls, on: bool) -> bool:
        if not on:
            raise ValueError(
                "alt text cannot be turned off: every image needs a description for people "
                "who cannot see it; remove `alt_text: false` and give each image an `alt:`"
            )
        return on

    @field_validator("hashtags")
    @classmethod
    def _hashtags(cls, tags: list[str]) -> list[str]:
        for tag in tags:
            if not _HASHTAG.fullmatch(tag):
                raise ValueError(
                    f"{tag!r} is not a hashtag; write it as one word of letters, digits or _, "
                    "with or without the #"
                )
        return [tag.removeprefix("#") for tag in tags]
