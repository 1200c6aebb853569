"""Reading the files a campaign names: regular files only, each within a size cap.

A campaign file can name any path (``events: /dev/zero``, an image that is a FIFO, a
multi-gigabyte file), so every file the records layer reads goes through
:func:`read_regular`: it opens without blocking, refuses anything but a regular file before
reading a byte, and never reads more than its cap.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from campaign.errors import InvalidCampaign, Problem

MB = 1_000_000
MAX_RECORDS_FILE_BYTES = 10 * MB
"""Campaign files and event files (YAML, JSON, CSV): 10 MB, about 30,000 event records."""
MAX_IMAGE_BYTES = 50 * MB
"""Images: 50 MB; each platform's own, smaller limit is checked afterwards."""


class UnreadableFile(InvalidCampaign):
    """A file that cannot be read at all; ``message`` names it, for a problem elsewhere.

    A campaign's ``events:`` names the file, so the campaign reports it at that line.
    """

    def __init__(self, path: Path, short: str, message: str, hint: str) -> None:
        super().__init__([Problem(path, None, "", short, hint)])
        self.message = message
        self.hint = hint


def read_source(path: Path, what: str) -> str:
    """The text of a campaign or event file people wrote: UTF-8, a leading BOM dropped.

    Raises :class:`UnreadableFile` when the file is missing, not a regular file, larger
    than :data:`MAX_RECORDS_FILE_BYTES` or unreadable, and :class:`InvalidCampaign` naming
    the line of the first byte that is not UTF-8.
    """
    try:
        data = read_regular(path, MAX_RECORDS_FILE_BYTES, what)
    except FileNotFoundError:
        raise UnreadableFile(
            path, "file not found", f"the {what} {path} does not exist", "check the path"
        ) from None
    except FileProblem as exc:
        raise UnreadableFile(path, exc.message, exc.message, exc.hint) from None
    try:
        # utf-8-sig: Excel and Notepad start UTF-8 files with a byte order mark.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InvalidCampaign.one(
            path,
            line,
            "",
            f"the file is not UTF-8 text (byte 0x{data[exc.start]:02X} on this line is not "
            "UTF-8; files saved as Latin-1 or Windows-1252 look like this)",
            "save it as UTF-8 (Excel: Save As, CSV UTF-8; text editors: encoding UTF-8)",
        ) from None


class FileProblem(ValueError):
    """A file that cannot be read as it is; ``message`` says why and ``hint`` what to do."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(f"{message}; {hint}")
        self.message = message
        self.hint = hint


def read_regular(path: Path, cap: int, what: str) -> bytes:
    """The bytes of the regular file at ``path``, at most ``cap`` of them.

    ``what`` names the file for people (``"event file"``, ``"image"``). A FIFO, device,
    socket or folder is refused before anything is read from it, so ``/dev/zero`` or a pipe
    nobody writes to cannot hang or exhaust memory. Raises :class:`FileNotFoundError` when
    nothing is at ``path`` (callers word that themselves) and :class:`FileProblem` when the
    path is not a regular file, is larger than ``cap`` bytes, or cannot be read.
    """
    try:
        # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise FileProblem(
            f"the {what} {path} cannot be read ({exc.strerror})", "check its permissions"
        ) from None
    with os.fdopen(fd, "rb") as handle:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            raise FileProblem(
                f"the {what} {path} is {_kind(status.st_mode)}, not a regular file",
                "point to a file saved on disk",
            )
        if status.st_size > cap:
            raise _too_large(what, path, cap)
        try:
            data = _read_at_most(handle, status.st_size, cap)
        except OSError as exc:
            raise FileProblem(
                f"the {what} {path} cannot be read ({exc.strerror})", "check the file"
            ) from None
    if len(data) > cap:
        raise _too_large(what, path, cap)
    return data


def _read_at_most(handle: BinaryIO, size: int, cap: int) -> bytes:
    """Up to ``cap + 1`` bytes of a file that ``stat`` said holds ``size``.

    One read of the size it has (a buffer of ``cap`` bytes for every file would cost 10 MB
    each), then more in case it grew, or is one of the files that report no size.
    """
    data = handle.read(size + 1)
    while len(data) <= cap:
        more = handle.read(min(cap + 1 - len(data), 1 << 20))
        if not more:
            break
        data += more
    return data


def _too_large(what: str, path: Path, cap: int) -> FileProblem:
    return FileProblem(
        f"the {what} {path} is larger than {cap:,} bytes, the most campaign reads",
        "make it smaller",
    )


def _kind(mode: int) -> str:
    """What a non-regular file is, for people."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"
