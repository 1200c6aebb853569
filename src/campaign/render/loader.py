"""Where templates may come from: the project's templates folder, and nothing outside it.

A template is read only from inside its templates folder (and its sub-folders such as
``templates/mastodon/``), as a regular file of at most :data:`TEMPLATE_FILE_BYTES`, never
through a link leading out of the folder, never a dotfile or a file in a dot-folder (``.env``,
``.git/``). The folder itself must lie inside the project folder, the one holding
``schedules/``, unless the user passes ``--allow-outside``. So ``{% include %}`` can reach the
templates and nothing else.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

from jinja2 import BaseLoader, Environment, TemplateNotFound
from jinja2.exceptions import SecurityError
from jinja2.loaders import split_template_path

from campaign.errors import InvalidCampaign
from campaign.records.campaign_file import Campaign
from campaign.records.text import FIX_HINT, find_forbidden, forbidden_message

#: Largest template file read, in bytes; a post's template is a few hundred.
TEMPLATE_FILE_BYTES = 100_000


class TemplateRefused(SecurityError):
    """A template name or file the loader will not read; the message says why and what to do."""


class FolderLoader(BaseLoader):
    """Loads templates from one folder, refusing anything that would read outside it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._real = folder.resolve()

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        """The text of ``template``; raises TemplateNotFound, or :class:`TemplateRefused`."""
        parts = split_template_path(template)
        _refuse_dots(template, parts)
        path = self.folder.joinpath(*parts)
        try:
            real = path.resolve(strict=True)
        except (OSError, RuntimeError):
            raise TemplateNotFound(template) from None
        if not real.is_relative_to(self._real):
            raise TemplateRefused(
                f"{path} leads outside the templates folder {self.folder} (to {real}); "
                "copy the template into the folder instead of linking to it"
            )
        _refuse_dots(template, real.relative_to(self._real).parts)
        source = _read(path, real).replace("\r\n", "\n")
        _refuse_invisible(path, source)
        return source, str(path), lambda: True

    def list_templates(self) -> list[str]:
        """Every template name in the folder, skipping dotfiles and dot-folders."""
        found = []
        for root, dirs, files in os.walk(self.folder):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            base = Path(root).relative_to(self.folder)
            found += [(base / f).as_posix() for f in files if not f.startswith(".")]
        return sorted(found)


def _refuse_invisible(path: Path, source: str) -> None:
    """Refuse a template holding control, bidirectional or zero-width characters: they would
    go out in posts unseen (see :mod:`campaign.records.text`)."""
    found = find_forbidden(source)
    if found:
        index, code, name = found[0]
        line = source.count("\n", 0, index) + 1
        column = index - (source.rfind("\n", 0, index) + 1)
        raise TemplateRefused(f"{path}:{line}: {forbidden_message(column, code, name)}; {FIX_HINT}")


def _refuse_dots(template: str, parts: tuple[str, ...] | list[str]) -> None:
    if any(part.startswith(".") for part in parts):
        raise TemplateRefused(
            f"{template!r} is a hidden file or inside a hidden folder, and templates may not "
            "read those (.env, .git/…); if it is a template, rename it without the leading '.'"
        )


def _read(path: Path, real: Path) -> str:
    """The UTF-8 text of the regular file ``real`` (named ``path`` in messages).

    Opened without blocking, so a FIFO cannot hang the run, and checked to be a regular file.
    """
    try:
        fd = os.open(real, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise TemplateRefused(f"{path} cannot be read ({exc.strerror}); check it") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise TemplateRefused(f"{path} is not a regular file; make it a plain text file")
    with os.fdopen(fd, "rb") as file:
        data = file.read(TEMPLATE_FILE_BYTES + 1)
    if len(data) > TEMPLATE_FILE_BYTES:
        raise TemplateRefused(
            f"{path} is over {TEMPLATE_FILE_BYTES:,} bytes (the limit for a template); "
            "a post's template needs a few hundred"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TemplateRefused(
            f"{path} is not UTF-8 text (byte {exc.start}); save it as UTF-8"
        ) from None


def templates_folder(campaign: Campaign, allow_outside: bool = False) -> Path:
    """The campaign's templates folder, checked to lie inside its project folder.

    The project folder is the one holding the campaign file's folder (``schedules/``), as
    for the default ``templates/``. Raises :class:`InvalidCampaign` at the ``templates``
    field when the folder (links resolved) is outside it and ``allow_outside`` is false.
    """
    folder = campaign.templates_dir
    if allow_outside:
        return folder
    project = campaign.path.parent.parent.resolve()
    real = folder.resolve()
    if not real.is_relative_to(project):
        shown = str(folder) if str(folder) == str(real) else f"{folder} ({real})"
        raise InvalidCampaign.one(
            campaign.path,
            campaign.line("templates"),
            "templates",
            f"the templates folder {shown} is outside the project folder {project}",
            "keep the templates inside the project, e.g. `templates: ../templates`, or pass "
            "--allow-outside if you trust every file in that folder",
        )
    return folder
