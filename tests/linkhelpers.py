"""Helpers for the link-tracking tests: ledgers on SQLite or a fresh PostgreSQL database,
short links to click on, and the redirector running under uvicorn on a loopback port."""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import uvicorn
from sqlalchemy import Engine, create_engine, func, select, text

from campaign.clicks.redirector import create_app
from campaign.store.ledger import Ledger
from campaign.store.schema import ClickRow
from campaign.store.shortlinks import ShortLink, store_short_links

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextlib.contextmanager
def ledger_on(backend: str, tmp_path: Path) -> Iterator[Ledger]:
    """A new, migrated ledger: a SQLite file in ``tmp_path`` or a PostgreSQL database of its
    own (dropped afterwards); skips the test when PostgreSQL is unreachable."""
    if backend == "sqlite":
        with Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}") as ledger:
            yield ledger
        return
    import pytest

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"links_{secrets.token_hex(6)}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name}"))
    except Exception as exc:  # any failure to reach the server means: no PostgreSQL here
        admin.dispose()
        pytest.skip(f"PostgreSQL on 127.0.0.1:5432 is not reachable: {type(exc).__name__}")
    try:
        with Ledger.open(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}") as ledger:
            yield ledger
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def short_link(
    code: str,
    *,
    post: str = "post-a",
    platform: str = "twitter",
    announcement: str = "save_the_date",
    campaign: str = "darkweb-2017",
    target: str | None = None,
) -> ShortLink:
    """A short link with readable defaults (codes must be 16 URL-safe characters)."""
    return ShortLink(
        code,
        target or f"https://www.media4sec.eu/{code}?utm_source={platform}",
        post,
        platform,
        campaign,
        announcement,
    )


def click_total(engine: Engine) -> int:
    """The clicks stored in the ledger: the sum of every row's ``hits`` (a row is one link's
    alike clicks within a second)."""
    with engine.connect() as connection:
        return int(connection.scalar(select(func.sum(ClickRow.hits))) or 0)


def seed(engine: Engine, links: Sequence[ShortLink]) -> None:
    """Store ``links`` in the ledger behind ``engine``."""
    store_short_links(engine, links)


class Redirector:
    """The redirector app under a real uvicorn server on 127.0.0.1, in a background thread."""

    def __init__(self, engine: Engine, flush_interval: float = 0.05) -> None:
        self.app = create_app(engine, flush_interval=flush_interval)
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=0, log_level="warning", access_log=False, lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        """The server's base URL (with the ephemeral port)."""
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __enter__(self) -> Redirector:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the redirector did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Shut down gracefully (as on SIGTERM) and wait for the lifespan to finish."""
        self.server.should_exit = True
        self.thread.join(15)

    def __exit__(self, *exc: object) -> None:
        self.stop()
