"""Opening the ledger from the CLI: a bad URL or a read-only file is a user error naming the
setting or the file, only ``schedule`` creates a ledger, and it says where it did."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from campaign.cli import app
from campaign.errors import LedgerError
from campaign.store import Ledger
from tests.ledger_helpers import NOW, make_post
from tests.planfiles import write_project

READ_COMMANDS = [
    ["status"],
    ["status", "--json"],
    ["queue"],
    ["run", "--once"],
    ["cancel", "0123456789abcdef"],
    ["retry", "0123456789abcdef"],
    ["resolve", "0123456789abcdef", "--not-posted"],
    ["links", "report"],
    ["serve-links", "--port", "1"],
]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder without ``.env``, no ``CAMPAIGN_*`` variables, and its own XDG data home."""
    for name in list(os.environ):
        if name.startswith("CAMPAIGN_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str) -> Result:
    """``campaign ARGS`` in-process; an unexpected exception stays in ``result.exception``."""
    return CliRunner().invoke(app, list(args))


def assert_user_error(result: Result, *words: str) -> None:
    """Exit 1 with a clean message (no exception escaped) holding each of ``words``."""
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 1, result.output
    for word in words:
        assert word in result.output


# --- Malformed database URLs ---------------------------------------------------------------

BAD_URLS = {
    "postgres//x": "is not a database URL",
    "sqlite:/nope": "is not a database URL",
    "foo://": "supports SQLite and PostgreSQL, not 'foo'",
    "postgresql://user:s3cret@db.example.org:notaport/campaign": "is not a database URL",
    "sqlite://": "names no file",
    "sqlite:///:memory:": "names no file",
}


@pytest.mark.parametrize("command", [["status"], ["queue"], ["schedule"]], ids=" ".join)
@pytest.mark.parametrize("url", BAD_URLS)
def test_a_malformed_url_names_the_setting_and_an_example(
    home: Path, monkeypatch: pytest.MonkeyPatch, url: str, command: list[str]
) -> None:
    monkeypatch.setenv("CAMPAIGN_DATABASE_URL", url)
    args = [*command, str(write_project(home))] if command == ["schedule"] else command
    result = run(*args)
    assert_user_error(result, "CAMPAIGN_DATABASE_URL", BAD_URLS[url], "sqlite:////")
    assert "s3cret" not in result.output


def test_a_url_naming_a_folder_asks_for_the_file_name(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAMPAIGN_DATABASE_URL", f"sqlite:///{home}/")
    result = run("schedule", str(write_project(home)))
    assert_user_error(result, "CAMPAIGN_DATABASE_URL", "not a file", f"{home}/campaign.db")
    assert list(home.glob("*.db")) == []


# --- Read commands never create a ledger -----------------------------------------------------


@pytest.mark.parametrize("command", READ_COMMANDS, ids=" ".join)
def test_read_commands_on_a_mistyped_path_create_nothing(
    home: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    typo = home / "ledgr" / "campaign.db"
    monkeypatch.setenv("CAMPAIGN_DATABASE_URL", f"sqlite:///{typo}")
    result = run(*command)
    assert_user_error(result, "no ledger at", f"{typo} does not exist", "CAMPAIGN_DATABASE_URL")
    assert not typo.parent.exists()


@pytest.mark.parametrize("command", [["status"], ["queue"], ["run", "--once"]], ids=" ".join)
def test_the_default_ledger_is_not_created_by_reading_it(home: Path, command: list[str]) -> None:
    result = run(*command)
    default = home / "xdg" / "campaign" / "campaign.db"
    assert_user_error(result, f"{default} does not exist", "campaign schedule")
    assert not (home / "xdg").exists()


def test_an_empty_file_is_not_taken_for_an_empty_ledger(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = home / "empty.db"
    empty.touch()
    monkeypatch.setenv("CAMPAIGN_DATABASE_URL", f"sqlite:///{empty}")
    assert_user_error(run("queue"), f"{empty} holds no ledger tables")
    assert empty.stat().st_size == 0


def test_an_empty_postgresql_database_is_no_ledger(postgres_url: str) -> None:
    with pytest.raises(LedgerError, match="the database holds no ledger tables"):
        Ledger.open(postgres_url, create=False)
    with Ledger.open(postgres_url) as ledger:  # creating is still the library's default
        assert ledger.created


def test_schedule_creates_the_default_ledger_and_says_where_once(home: Path) -> None:
    campaign = write_project(home)
    default = home / "xdg" / "campaign" / "campaign.db"
    first = CliRunner().invoke(app, ["schedule", str(campaign)], catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert default.is_file()
    assert f"Created a new ledger at sqlite:///{default}" in first.stderr
    assert "Created" not in first.stdout
    again = CliRunner().invoke(app, ["schedule", str(campaign)], catch_exceptions=False)
    assert again.exit_code == 0, again.output
    assert "Created" not in again.output
    assert run("queue").exit_code == 0


# --- A ledger that does not take writes ------------------------------------------------------


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make ``path`` (a file or a folder) read-only, even for root (``chattr +i``)."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(path)]).returncode != 0:
        pytest.skip("running as root, and chattr +i is not available to make a file read-only")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(path)], check=True)


def make_ledger(path: Path) -> str:
    """A ledger with one post at ``path``, closed (no -wal or -shm file left); its URL."""
    url = f"sqlite:///{path}"
    with Ledger.open(url) as ledger:
        ledger.sync([make_post("e1")], now=NOW)
    assert not path.with_name(path.name + "-wal").exists()
    return url


@pytest.mark.parametrize("locked", ["file", "folder"])
def test_schedule_into_a_read_only_ledger_names_the_file(
    home: Path, monkeypatch: pytest.MonkeyPatch, locked: str
) -> None:
    path = home / "data" / "campaign.db"
    monkeypatch.setenv("CAMPAIGN_DATABASE_URL", make_ledger(path))
    campaign = write_project(home)
    with read_only(path if locked == "file" else path.parent):
        result = run("schedule", str(campaign))
    assert_user_error(result, f"cannot use the ledger {path}", "write", str(path.parent))
    with Ledger.open(f"sqlite:///{path}") as ledger:
        assert [post.campaign for post in ledger.list()] == ["spring-2030"]


def test_schedule_into_a_read_only_folder_creates_nothing(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = home / "data"
    folder.mkdir()
    monkeypatch.setenv("CAMPAIGN_DATABASE_URL", f"sqlite:///{folder / 'campaign.db'}")
    with read_only(folder):
        result = run("schedule", str(write_project(home)))
    assert_user_error(result, f"cannot use the ledger {folder / 'campaign.db'}", "write")
    assert list(folder.iterdir()) == []


def test_a_read_only_uri_is_refused_for_writing_but_serves_reading(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = home / "campaign.db"
    make_ledger(path)
    monkeypatch.setenv("CAMPAIGN_DATABASE_URL", f"sqlite:///file:{path}?mode=ro&uri=true")
    with Ledger.open(f"sqlite:///{path}") as ledger:
        [post] = ledger.list()
    assert_user_error(run("schedule", str(write_project(home))), "readonly database")
    assert_user_error(run("cancel", post.id), "readonly database")
    listed = run("queue")
    assert listed.exit_code == 0, listed.output
    assert post.id in listed.output


def test_a_postgresql_user_without_write_access_is_told_so(postgres_url: str) -> None:
    import psycopg

    with Ledger.open(postgres_url) as ledger:
        ledger.sync([make_post("e1")], now=NOW)
    schema = postgres_url.rsplit("%3D", 1)[1]
    role = f"reader_{schema}"
    dsn = "host=127.0.0.1 port=5432 dbname=test user=postgres"
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f'CREATE ROLE "{role}" LOGIN')
        admin.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"')
        admin.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"')
    try:
        reader = postgres_url.replace(
            "postgresql+psycopg://postgres@", f"postgresql+psycopg://{role}@"
        )
        with Ledger.open(reader, create=False) as ledger:  # reading is allowed
            assert [post.event for post in ledger.list()] == ["e1"]
        with pytest.raises(LedgerError, match="refused a write: permission denied") as caught:
            Ledger.open(reader, create=False, write=True)
        assert "CAMPAIGN_DATABASE_URL" in str(caught.value)
    finally:
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(f'DROP OWNED BY "{role}"')
            admin.execute(f'DROP ROLE "{role}"')
