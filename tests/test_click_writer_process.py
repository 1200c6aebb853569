"""The click writer process of ``campaign serve-links``: a real child process storing clicks
in real ledgers (SQLite and PostgreSQL), refused writes, a killed child, signals, shutdown."""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from campaign.clicks.clicks import Click, ClickRecorder, ClicksRefused, LedgerStore
from campaign.clicks.spill import Spill
from campaign.clicks.writer_process import WriterProcess
from campaign.store.ledger import Ledger
from campaign.store.schema import ClickRow
from tests.daemon_helpers import wait_for
from tests.linkhelpers import click_total, ledger_on, seed, short_link

CODE = "Abc123_-Abc123_-"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
REFUSAL = "clicks are refused for this test"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture
def ledger(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Ledger]:
    backend = getattr(request, "param", "sqlite")
    with ledger_on(backend, tmp_path) as opened:
        seed(opened.engine, [short_link(CODE)])
        yield opened


@pytest.fixture
def writer(ledger: Ledger) -> Iterator[WriterProcess]:
    process = WriterProcess(ledger.engine.url.render_as_string(hide_password=False))
    yield process
    process.close()


def some_clicks(count: int, start: int = 1_790_000_000_123_456_789) -> list[Click]:
    """``count`` clicks a millisecond apart, a referrer and two kinds of agent among them."""
    return [
        (
            start + n * 1_000_000,
            CODE,
            "https://t.co/x" if n % 2 else None,
            (FIREFOX, GOOGLEBOT)[n % 3 == 0],
        )
        for n in range(count)
    ]


def stored(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                select(
                    ClickRow.code,
                    ClickRow.at,
                    ClickRow.referrer_host,
                    ClickRow.agent_class,
                    ClickRow.is_bot,
                    ClickRow.hits,
                ).order_by(ClickRow.id)
            )
        ]


def alive(pid: int) -> bool:
    """Whether process ``pid`` still exists (reaped children do not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def refuse_clicks(engine: Engine) -> None:
    """Make the ledger refuse click inserts from any process (a trigger), until dropped."""
    with engine.begin() as connection:
        connection.execute(
            text(
                f"CREATE TRIGGER refuse_clicks BEFORE INSERT ON clicks "
                f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
            )
        )


def take_clicks_again(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("DROP TRIGGER refuse_clicks"))


@pytest.mark.parametrize("ledger", BACKENDS, indirect=True)
def test_the_child_stores_clicks_exactly_as_this_process_would(
    ledger: Ledger, writer: WriterProcess
) -> None:
    batch = some_clicks(50)
    LedgerStore(ledger.engine).store(batch)
    here = stored(ledger.engine)
    with ledger.engine.begin() as connection:
        connection.execute(ClickRow.__table__.delete())
    writer.store(batch)
    assert writer.pid is not None
    assert writer.pid != os.getpid()
    assert stored(ledger.engine) == here
    assert sum(row[5] for row in here) == 50  # grouped, every click counted
    assert {row[3] for row in here} >= {"bot"}  # classified in the child, as here


def test_the_ledger_url_and_secrets_are_not_on_the_childs_command_line_or_environment(
    ledger: Ledger, writer: WriterProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = ledger.engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("CAMPAIGN_DATABASE_URL", url)
    monkeypatch.setenv("CAMPAIGN_TWITTER_API_SECRET", "not-for-the-child")
    writer.store(some_clicks(1))
    assert writer.pid is not None
    command_line = Path(f"/proc/{writer.pid}/cmdline").read_bytes()
    environment = Path(f"/proc/{writer.pid}/environ").read_bytes()
    assert b"campaign.clicks.writer_process" in command_line
    for secret in (url, "not-for-the-child", str(ledger.engine.url.database)):
        assert secret.encode() not in command_line
        assert secret.encode() not in environment
    assert b"CAMPAIGN_" not in environment


def test_a_child_that_keeps_dying_is_not_restarted_at_every_batch(tmp_path: Path) -> None:
    writer = WriterProcess("no-such-database://anywhere")  # the child fails at once, exit 1
    try:
        for _ in range(2):  # a first death is followed by a new child at once
            with pytest.raises(ClicksRefused, match=r"process stopped \(exit status 1\)$"):
                writer.store(some_clicks(1))
        with pytest.raises(ClicksRefused, match=r"another is started in 1 s"):
            writer.store(some_clicks(1))
        assert writer.pid is None
    finally:
        writer.close()


def test_a_refusal_comes_back_in_the_databases_words_and_the_child_carries_on(
    ledger: Ledger, writer: WriterProcess
) -> None:
    writer.store(some_clicks(1))
    first = writer.pid
    refuse_clicks(ledger.engine)
    with pytest.raises(ClicksRefused, match=REFUSAL):
        writer.store(some_clicks(5, start=2_000_000_000_000_000_000))
    take_clicks_again(ledger.engine)
    writer.store(some_clicks(3, start=2_100_000_000_000_000_000))
    assert writer.pid == first
    assert click_total(ledger.engine) == 4  # the refused batch is not half stored


def test_a_killed_child_is_reported_and_the_next_batch_starts_a_new_one(
    ledger: Ledger, writer: WriterProcess
) -> None:
    writer.store(some_clicks(2))
    killed = writer.pid
    assert killed is not None
    os.kill(killed, signal.SIGKILL)
    wait_for(lambda: Path(f"/proc/{killed}/stat").read_text().split()[2] == "Z", 10, "death")
    with pytest.raises(ClicksRefused, match=r"click writer process stopped \(killed by signal 9\)"):
        writer.store(some_clicks(1, start=2_000_000_000_000_000_000))
    assert writer.pid is None
    writer.store(some_clicks(3, start=2_100_000_000_000_000_000))
    assert writer.pid not in (None, killed)
    assert not alive(killed)  # reaped, not left a zombie
    assert click_total(ledger.engine) == 5


def test_the_child_ignores_sigterm_and_ctrl_c_and_ends_once_its_pipe_closes(
    ledger: Ledger, writer: WriterProcess
) -> None:
    """systemd's stop and a terminal's Ctrl-C reach the whole process group: the child must
    outlive them to store what the server still sends while shutting down."""
    writer.store(some_clicks(1))
    pid = writer.pid
    assert pid is not None
    status = Path(f"/proc/{pid}/status").read_text()
    ignored = int(
        next(line.split()[1] for line in status.splitlines() if line.startswith("SigIgn")), 16
    )
    assert ignored & (1 << (signal.SIGTERM - 1))
    assert ignored & (1 << (signal.SIGINT - 1))
    os.kill(pid, signal.SIGTERM)
    os.kill(pid, signal.SIGINT)
    writer.store(some_clicks(2, start=2_000_000_000_000_000_000))
    assert writer.pid == pid
    writer.close()
    assert not alive(pid)
    assert click_total(ledger.engine) == 3


def test_the_recorder_spills_what_the_childs_ledger_refuses_and_replays_it(
    ledger: Ledger, tmp_path: Path
) -> None:
    writer = WriterProcess(ledger.engine.url.render_as_string(hide_password=False))
    spill = Spill(tmp_path / "spill")
    recorder = ClickRecorder(ledger.engine, interval=0.05, spill=spill, store=writer)
    refuse_clicks(ledger.engine)
    recorder.start()
    try:
        for _ in range(7):
            recorder.record(CODE, None, FIREFOX)
        wait_for(lambda: recorder.trouble is not None, 20, "the refusal")
        assert REFUSAL in recorder.trouble
        wait_for(lambda: recorder.pending == 0, 10, "the clicks to be spilled")
        assert stored(ledger.engine) == []
        take_clicks_again(ledger.engine)
        wait_for(lambda: recorder.trouble is None, 20, "the ledger to take clicks again")
    finally:
        recorder.stop()
    assert recorder.replayed == 7
    assert click_total(ledger.engine) == 7
    assert writer.pid is None  # stopped with the recorder


def test_a_writer_killed_under_the_recorder_loses_and_doubles_nothing(
    ledger: Ledger, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    writer = WriterProcess(ledger.engine.url.render_as_string(hide_password=False))
    recorder = ClickRecorder(ledger.engine, interval=0.05, spill=Spill(tmp_path), store=writer)
    recorder.start()
    try:
        for _ in range(3):
            recorder.record(CODE, None, FIREFOX)
        wait_for(lambda: click_total(ledger.engine) == 3, 20, "the first clicks")
        killed = writer.pid
        assert killed is not None
        os.kill(killed, signal.SIGKILL)
        with caplog.at_level(logging.ERROR, logger="campaign"):
            for _ in range(4):
                recorder.record(CODE, None, FIREFOX)
            wait_for(  # the refused batch is spilled, then replayed (counted once stored)
                lambda: recorder.replayed > 0 and recorder.trouble is None, 20, "the replay"
            )
        assert click_total(ledger.engine) == 7
        assert recorder.replayed <= 4
        assert "clicks cannot be stored: the click writer process stopped (killed by signal 9)" in (
            caplog.text
        )
        assert "refuses writes" not in caplog.text  # the ledger is not blamed
        for _ in range(2):
            recorder.record(CODE, None, FIREFOX)
        wait_for(lambda: click_total(ledger.engine) == 9, 20, "clicks through a new child")
        assert writer.pid not in (None, killed)
    finally:
        recorder.stop()
    assert click_total(ledger.engine) == 9


def test_with_a_fallback_no_batch_is_refused_while_no_child_can_run(
    ledger: Ledger, caplog: pytest.LogCaptureFixture
) -> None:
    """serve-links gives the writer its own connection as fallback: a child that cannot run
    costs the server the interpreter time it saves, never a refusal, a spill or a 503."""
    writer = WriterProcess("no-such-database://anywhere", fallback=LedgerStore(ledger.engine))
    try:
        with caplog.at_level(logging.WARNING, logger="campaign"):
            for n in range(3):  # a child dies, another dies, then the pause: no child at all
                writer.store(some_clicks(2, start=2_000_000_000_000_000_000 + n * 10**9))
        assert writer.pid is None
    finally:
        writer.close()
    assert click_total(ledger.engine) == 6
    said = [r.getMessage() for r in caplog.records if r.name.startswith("campaign")]
    assert said == [
        "the click writer process stopped (exit status 1); this server process stores clicks "
        "itself meanwhile"
    ]
