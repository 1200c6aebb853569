"""The daemon's log lines: one per state change, as text for people or JSON for machines.

Every record of logger ``campaign.daemon`` may carry structured fields in ``extra={"fields":
{...}}`` (``event``, ``post_id``, ``platform``, ``state`` and whatever else matters). The JSON
format prints one object per line: ``ts``, ``level``, ``event``, ``message`` and those fields.

Both formats pass the final line through :class:`Redactor`, which replaces the value of every
secret-looking variable (from the environment and ``.env``) with ``***``: adapters already keep
credentials out of their messages, this is the second lock on the same door.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TextIO

from dotenv import dotenv_values
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from campaign.settings import ENV_FILE

LOGGER = "campaign.daemon"
LogFormat = Literal["text", "json"]

_SECRET_NAME = re.compile(r"SECRET|TOKEN|PASSWORD|PASSWD|KEY|CREDENTIAL", re.IGNORECASE)
_MIN_SECRET_LENGTH = 4

log = logging.getLogger(LOGGER)


class Redactor:
    """Replaces known secret values in text with ``***``."""

    def __init__(self, secrets: Iterable[str]) -> None:
        usable = sorted({s for s in secrets if len(s) >= _MIN_SECRET_LENGTH}, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, usable))) if usable else None

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> Redactor:
        """Secrets of ``env`` (default: the process environment plus ``.env``).

        A variable is secret when its name says so (``…SECRET``, ``…TOKEN``, ``…KEY``,
        ``…PASSWORD``); the password inside ``CAMPAIGN_DATABASE_URL`` is one too.
        """
        if env is None:
            dotenv = dotenv_values(ENV_FILE) if Path(ENV_FILE).is_file() else {}
            env = {**{k: v for k, v in dotenv.items() if v}, **os.environ}
        secrets = [value for name, value in env.items() if _SECRET_NAME.search(name)]
        try:
            password = make_url(env.get("CAMPAIGN_DATABASE_URL", "")).password
        except ArgumentError:
            password = None
        if password:
            secrets.append(str(password))
        return cls(secrets)

    def __call__(self, text: str) -> str:
        return self._pattern.sub("***", text) if self._pattern else text


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    fields = getattr(record, "fields", None)
    return dict(fields) if isinstance(fields, Mapping) else {}


def _iso(created: float) -> str:
    return datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")


class _Formatter(logging.Formatter):
    """A log line from a record's event, fields and message, with every secret redacted."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        fields = {k: v for k, v in _fields(record).items() if v is not None}
        event = str(fields.pop("event", record.name))
        return self._redact(self.line(record, event, fields))

    def line(self, record: logging.LogRecord, event: str, fields: dict[str, Any]) -> str:
        """The line for ``record`` (its ``event`` and other ``fields`` taken apart)."""
        raise NotImplementedError


class TextFormatter(_Formatter):
    """``2025-03-30T07:00:00.012+00:00 INFO  sent post_id=… platform=twitter: message``."""

    def line(self, record: logging.LogRecord, event: str, fields: dict[str, Any]) -> str:
        pairs = "".join(f" {k}={v}" for k, v in fields.items())
        line = f"{_iso(record.created)} {record.levelname:<7} {event}{pairs}: {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(_Formatter):
    """One JSON object per line: ``ts``, ``level``, ``event``, ``message`` and the fields."""

    def line(self, record: logging.LogRecord, event: str, fields: dict[str, Any]) -> str:
        body: dict[str, Any] = {
            "ts": _iso(record.created),
            "level": record.levelname,
            "event": event,
            **fields,
            "message": record.getMessage(),
        }
        if record.exc_info:
            body["traceback"] = self.formatException(record.exc_info)
        return json.dumps(body, default=str, ensure_ascii=False)


def configure(log_format: LogFormat, stream: TextIO | None = None) -> None:
    """Send ``campaign`` logs to ``stream`` (stderr by default) in ``log_format``.

    APScheduler (which announces every job it runs) and the adapters (whose successes the
    daemon's own lines already report) are kept to warnings, so the output stays one line
    per state change.
    """
    redact = Redactor.from_environment()
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(redact) if log_format == "json" else TextFormatter(redact))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("campaign").setLevel(logging.INFO)
    for chatty in ("campaign.adapters", "apscheduler"):
        logging.getLogger(chatty).setLevel(logging.WARNING)


def event(level: int, name: str, message: str, **fields: Any) -> None:
    """Log one event of the daemon with structured ``fields`` (``post_id``, ``state``, …)."""
    log.log(level, message, extra={"fields": {"event": name, **fields}})
