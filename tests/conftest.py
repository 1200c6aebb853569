"""Shared pytest fixtures. Each section belongs to one part of the project; add, don't rewrite."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from campaign.daemon.config import DaemonSettings
from campaign.daemon.runtime import Runtime
from campaign.store import Ledger

# --- Property-based tests: the same examples every run, so the suite is deterministic --------

settings.register_profile("campaign", derandomize=True, database=None, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "campaign"))

# --- Ledger databases: a real SQLite file, and PostgreSQL when it is reachable -------------

PG_HOST, PG_PORT, PG_DATABASE, PG_USER = "127.0.0.1", 5432, "test", "postgres"
PG_UNREACHABLE = (
    f"PostgreSQL is not reachable on {PG_HOST}:{PG_PORT} (database {PG_DATABASE!r}, user "
    f"{PG_USER!r}, no password); start it to run the postgres tests"
)


def _postgres_reachable() -> bool:
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def postgres_available() -> bool:
    """Whether the test PostgreSQL server answers on its port (checked once per run)."""
    return _postgres_reachable()


@pytest.fixture
def postgres_url(postgres_available: bool) -> Iterator[str]:
    """A PostgreSQL ledger URL in a fresh schema of its own, dropped afterwards."""
    if not postgres_available:
        pytest.skip(PG_UNREACHABLE)
    import psycopg

    schema = f"test_{uuid.uuid4().hex[:12]}"
    dsn = f"host={PG_HOST} port={PG_PORT} dbname={PG_DATABASE} user={PG_USER}"
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield (
            f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{PG_DATABASE}"
            f"?options=-csearch_path%3D{schema}"
        )
    finally:
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite ledger URL for a file (in a folder not created yet) in a fresh temp dir."""
    return f"sqlite:///{tmp_path_factory.mktemp('ledger') / 'data' / 'ledger.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def ledger_url(request: pytest.FixtureRequest) -> str:
    """A fresh, empty ledger URL: a SQLite file, then PostgreSQL when reachable."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(name)
    return url


@pytest.fixture
def ledger(ledger_url: str) -> Iterator[Ledger]:
    """An opened, empty ledger (15-minute grace window) on each backend of ``ledger_url``."""
    with Ledger.open(ledger_url, grace=timedelta(minutes=15)) as opened:
        yield opened


# --- Fake X API (tests/fakes/x_api.py): `fake_x` server, `x_adapter` connected to it ---------

from tests.fakes.x_fixtures import fake_x, x_adapter  # noqa: E402, F401

# --- Daemon: the process environment for in-process runs, and runtimes on a real ledger ----


@pytest.fixture
def daemon_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sqlite_url: str
) -> Callable[..., DaemonSettings]:
    """Builds daemon settings on a fresh SQLite ledger, in a folder without ``.env``.

    Every inherited ``CAMPAIGN_*`` variable is removed first, so only what a test passes
    (``x=FakeX`` sets the X credentials in the environment) reaches the adapters.
    """
    for name in list(os.environ):
        if name.startswith("CAMPAIGN_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)

    def build(x: Any = None, **values: Any) -> DaemonSettings:
        if x is not None:
            for name, value in x.env().items():
                monkeypatch.setenv(name, value)
        values.setdefault("database_url", sqlite_url)
        values.setdefault("backoff_seconds", 0.05)
        return DaemonSettings(**values)

    return build


@pytest.fixture
def open_runtime() -> Iterator[Callable[..., Runtime]]:
    """Opens :class:`Runtime` objects (``Runtime.open`` arguments) and closes them after."""
    opened: list[Runtime] = []

    def make(settings: DaemonSettings, **kwargs: Any) -> Runtime:
        runtime = Runtime.open(settings, **kwargs)
        opened.append(runtime)
        return runtime

    yield make
    for runtime in opened:
        runtime.close()


# --- Daemon: the fake Mastodon (tests/daemon_helpers.py), beside the fake X ---------------

from tests.daemon_helpers import fake_mastodon  # noqa: E402, F401

# --- campaign web: the example ledger served on loopback, and a real Chromium ---------------
from tests.web_helpers import browser, page, served  # noqa: E402, F401
