"""Renders one announcement template for one event and platform into post texts.

A template may produce a thread: parts separated by a line holding only ``---`` become
consecutive posts. Each part is trimmed of surrounding blank lines and trailing spaces,
which is exactly the text that goes out.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from jinja2 import TemplateNotFound, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError, TemplatesNotFound

from campaign.errors import InvalidCampaign, Problem
from campaign.records.events import EventRecord
from campaign.render.environment import TemplateSet, handle_helper
from campaign.render.limits import Budget, LimitExceeded
from campaign.render.loader import TemplateRefused

THREAD_BREAK = re.compile(r"^[ \t]*---[ \t]*$", re.MULTILINE)
_VARIABLES_HINT = (
    "check the spelling; templates can use event.<field> (any field of the event record), "
    "campaign.slug, campaign.site, vars.<name>, platform, announcement, language, when; "
    'for a field only some events have, write {{ event.<field> | default("") }}'
)
_UNDEFINED_NAME = re.compile(r"has no attribute '([^']+)'")

AnnouncementProblem = Callable[..., InvalidCampaign]


class RenderFailure(Exception):
    """A template could not be rendered; :meth:`located` says where, for people."""

    def __init__(self, problem: Problem | None, message: str = "", hint: str = "") -> None:
        super().__init__(str(problem) if problem else message)
        self.problem = problem
        self.message = message
        self.hint = hint

    def located(self, at_announcement: AnnouncementProblem) -> Problem:
        """The problem in the template file, or at the announcement when no file was found."""
        if self.problem is not None:
            return self.problem
        return at_announcement(self.message, self.hint, ("template",)).problems[0]


class Renderer:
    """Renders the templates of one folder, sandboxed and strict about undefined names.

    Every render spends ``budget`` (shared by all the renderers of one run).
    """

    def __init__(self, templates_dir: Path, budget: Budget | None = None) -> None:
        self.templates = TemplateSet(templates_dir, budget)

    def file_of(self, name: str, platform: str, language: str | None = None) -> str:
        """The template file that ``name`` resolves to on ``platform`` in ``language``."""
        try:
            return self.templates.get(name, platform, language).template.filename or name
        except (TemplateNotFound, TemplateRefused):
            return name

    def render(
        self,
        name: str,
        platform: str,
        context: dict[str, Any],
        record: EventRecord,
        track: Callable[[str], str],
        language: str | None = None,
    ) -> list[str]:
        """The texts of the posts that template ``name`` makes on ``platform`` in
        ``language`` (``None`` for a campaign without languages).

        ``context`` holds the template's variables other than the helpers.
        Raises :class:`RenderFailure` for a missing or refused template, a syntax error, an
        undefined variable, a sandbox violation, a render over a limit (time, output, size),
        or any other failure inside the template.
        """
        try:
            compiled = self.templates.get(name, platform, language)
        except (TemplatesNotFound, TemplateNotFound):
            tried = " or ".join(
                f"{self.templates.dir}/{c}"
                for c in self.templates.candidates(name, platform, language)
            )
            known = ", ".join(self.templates.available()) or "none"
            raise RenderFailure(
                None,
                f"template {name!r} not found (looked for {tried})",
                f"templates available: {known}",
            ) from None
        except TemplateRefused as exc:
            raise RenderFailure(None, f"template {name!r} refused: {exc}") from None
        except TemplateSyntaxError as exc:
            raise RenderFailure(
                Problem(
                    exc.filename or name,
                    exc.lineno,
                    "",
                    f"template syntax error: {exc.message}",
                    "check the {{ }} and {% %} tags on this line",
                )
            ) from None
        template = compiled.template
        variables = {**compiled.globals, **context}
        variables["handle"] = handle_helper(record.handles, platform, record.id)
        variables["track"] = track
        try:
            text = compiled.render(variables)
        except LimitExceeded as exc:
            raise self._failure(template.filename, exc, "over a limit", exc.hint) from None
        except (MemoryError, RecursionError) as exc:
            raise self._failure(
                template.filename,
                exc,
                "the template needs too much memory or nests too deep",
                "simplify it: a post needs a few lines of text",
            ) from None
        except UndefinedError as exc:
            raise self._undefined(template.filename, exc, record) from None
        except TemplateRefused as exc:
            raise self._failure(template.filename, exc, "refused", "") from None
        except SecurityError as exc:
            raise self._failure(
                template.filename,
                exc,
                "not allowed in templates",
                "templates may use the event's fields and the helpers, nothing else",
            ) from None
        except Exception as exc:
            raise self._failure(template.filename, exc, "the template failed", "") from None
        return self.split(text, template.filename or name)

    @staticmethod
    def split(text: str, filename: str) -> list[str]:
        """Cut ``text`` into thread parts at ``---`` lines and trim each part."""
        pieces = THREAD_BREAK.split(text) if "---" in text else [text]
        parts = [_trim(part) for part in pieces]
        if "" in parts:
            empty = "an empty post part" if len(parts) > 1 else "an empty post"
            raise RenderFailure(
                None,
                f"the template {filename} renders {empty}",
                "remove a stray '---' line or make sure every part has text",
            )
        return parts

    @classmethod
    def _undefined(
        cls, filename: str | None, exc: UndefinedError, record: EventRecord
    ) -> RenderFailure:
        """An undefined variable: at the record's blank CSV cell if that is what it is."""
        failure = cls._failure(filename, exc, "undefined variable", _VARIABLES_HINT)
        name = _UNDEFINED_NAME.search(str(exc))
        where = failure.problem
        if name and where:
            used_at = f"{where.file}:{where.line}" if where.line else str(where.file)
            blank = record.blank_cell(name[1], f"the template {used_at}")
            if blank is not None:
                return RenderFailure(blank)
        return failure

    @staticmethod
    def _failure(filename: str | None, exc: Exception, what: str, hint: str) -> RenderFailure:
        line = _template_line(exc.__traceback__, filename)
        message = f"{what}: {exc}" if str(exc) else what
        return RenderFailure(Problem(filename or "template", line, "", message, hint))


def _trim(part: str) -> str:
    lines = [line.rstrip() for line in part.strip("\n").splitlines()]
    return "\n".join(lines).strip()


def _template_line(tb: TracebackType | None, filename: str | None) -> int | None:
    """The template line of the deepest traceback frame inside ``filename``."""
    line = None
    while tb is not None:
        if filename and tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
