"""The short-link redirector over real HTTP on loopback: redirects, 404s, click recording."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import Engine, event, func, inspect, select, text
from sqlalchemy.exc import SQLAlchemyError

from campaign.clicks.clicks import Click, ClickRecorder, LedgerStore
from campaign.clicks.spill import Spill
from campaign.store.engine import open_engine
from campaign.store.ledger import Ledger
from campaign.store.schema import ClickRow
from tests.daemon_helpers import wait_for
from tests.linkhelpers import Redirector, click_total, ledger_on, seed, short_link

CODE = "Abc123_-Abc123_-"
OTHER = "Zyx987-_Zyx987-_"
TARGET = "https://www.media4sec.eu/events/dw/?utm_source=twitter&utm_medium=social#programme"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture
def backend() -> str:
    """SQLite unless a test asks for every backend with ``@on_every_backend``."""
    return "sqlite"


on_every_backend = pytest.mark.parametrize("backend", BACKENDS)


@pytest.fixture
def ledger(backend: str, tmp_path: Path) -> Iterator[Ledger]:
    with ledger_on(backend, tmp_path) as opened:
        seed(opened.engine, [short_link(CODE, target=TARGET), short_link(OTHER)])
        yield opened


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    """One client for the module: building an httpx client costs ~50 ms (TLS context)."""
    with httpx.Client(timeout=10) as shared:
        yield shared


@pytest.fixture
def redirector(ledger: Ledger) -> Iterator[Redirector]:
    with Redirector(ledger.engine) as running:
        yield running


def clicks(ledger: Ledger) -> list[ClickRow]:
    with ledger.session() as session:
        return list(session.scalars(select(ClickRow).order_by(ClickRow.id)))


def codes(ledger: Ledger) -> list[str]:
    """The code of every stored click, in the order stored (a row counts ``hits`` clicks)."""
    return [click.code for click in clicks(ledger) for _ in range(click.hits)]


def raw_request(base: str, path: bytes) -> tuple[int, dict[str, str]]:
    """Send ``path`` byte for byte (no client-side normalisation); the status and headers."""
    parts = urlsplit(base)
    request = b"GET " + path + b" HTTP/1.1\r\nHost: go.example.org\r\nConnection: close\r\n\r\n"
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head = answer.partition(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in head[1:])
    return int(head[0].split()[1]), headers


@on_every_backend
def test_a_stored_code_redirects_and_is_counted(
    client: httpx.Client, redirector: Redirector, ledger: Ledger
) -> None:
    headers = {"User-Agent": FIREFOX, "Referer": "https://t.co/AbCdEf?amp=1"}
    response = client.get(f"{redirector.url}/{CODE}?next=//evil.example", headers=headers)
    assert response.status_code == 302
    assert response.headers["location"] == TARGET
    assert response.headers["cache-control"] == "no-store"
    redirector.stop()
    (click,) = clicks(ledger)
    assert (click.code, click.referrer_host, click.agent_class, click.is_bot) == (
        CODE,
        "t.co",
        "desktop",
        False,
    )
    assert abs(click.at.timestamp() - time.time()) < 60


def test_a_short_link_with_a_trailing_slash_still_resolves(
    client: httpx.Client, redirector: Redirector, ledger: Ledger
) -> None:
    for path in (f"/{CODE}/", f"/{CODE}%2F"):
        response = client.get(f"{redirector.url}{path}", headers={"User-Agent": FIREFOX})
        assert response.status_code == 302
        assert response.headers["location"] == TARGET
    redirector.stop()
    assert codes(ledger) == [CODE, CODE]


def test_no_ip_address_is_stored(
    client: httpx.Client, redirector: Redirector, ledger: Ledger
) -> None:
    client.get(f"{redirector.url}/{CODE}", headers={"Referer": "http://127.0.0.1:9/x"})
    redirector.stop()
    columns = {column["name"] for column in inspect(ledger.engine).get_columns("clicks")}
    assert columns == {"id", "code", "at", "referrer_host", "agent_class", "is_bot", "hits"}
    (click,) = clicks(ledger)
    assert click.referrer_host == "127.0.0.1"  # the referring page, not the visitor


@pytest.mark.parametrize(
    ("user_agent", "kind", "is_bot"),
    [
        (GOOGLEBOT, "bot", True),
        (IPHONE, "mobile", False),
        (FIREFOX, "desktop", False),
        ("", "bot", True),  # every browser sends one
        ("Mozilla/5.0 (compatible; Cardyb/1.1; +mailto:support@bsky.app)", "bot", True),
        ("http.rb/5.1.1 (Mastodon/4.2.0; +https://eupolicy.social/)", "bot", True),
    ],
)
def test_user_agent_class_and_bot_flag(
    client: httpx.Client,
    redirector: Redirector,
    ledger: Ledger,
    user_agent: str,
    kind: str,
    is_bot: bool,
) -> None:
    response = client.get(f"{redirector.url}/{OTHER}", headers={"User-Agent": user_agent})
    assert response.status_code == 302
    redirector.stop()
    (click,) = clicks(ledger)
    assert (click.agent_class, click.is_bot, click.referrer_host) == (kind, is_bot, None)


@pytest.mark.parametrize(
    "path",
    [
        "/AAAAAAAAAAAAAAAA",  # the shape of a code, but not stored
        "/",
        "/../x",
        f"/../{CODE}",
        "//evil.example",
        "//evil.example/",
        "/%2F%2Fevil.example",
        f"/{CODE}/..",
        f"/%2e%2e/{CODE}",
        f"/{CODE[:-1]}",
        f"/{CODE}A",
        "/" + "A" * 4000,
        "/%C3%84bc123_-Abc123_-",
        "/https:%2F%2Fevil.example",
        "/healthz/",
    ],
)
def test_anything_but_a_stored_code_is_a_404_page(
    redirector: Redirector, ledger: Ledger, path: str
) -> None:
    status, headers = raw_request(redirector.url, path.encode())
    assert status == 404
    assert "location" not in headers
    assert headers["content-type"].startswith("text/html")
    redirector.stop()
    assert clicks(ledger) == []


def test_raw_non_ascii_in_the_request_line_is_refused_without_redirect(
    redirector: Redirector,
) -> None:
    status, headers = raw_request(redirector.url, "/Äbc123_-Abc123_".encode())
    assert status == 400  # refused by the HTTP parser before the app
    assert "location" not in headers


def test_the_404_page_does_not_echo_the_path(client: httpx.Client, redirector: Redirector) -> None:
    response = client.get(f"{redirector.url}/%3Cscript%3Ealert(1)%3C%2Fscript%3E")
    assert response.status_code == 404
    assert "Link not found" in response.text
    assert "script" not in response.text


@pytest.mark.parametrize("known", [False, True], ids=["first-request", "known-code"])
def test_other_methods_are_refused_without_redirect(
    client: httpx.Client, redirector: Redirector, known: bool
) -> None:
    if known:  # then answered without the router, but not for other methods
        assert client.head(f"{redirector.url}/{CODE}").status_code == 302
    for method in ("POST", "PUT", "DELETE", "OPTIONS"):
        response = client.request(method, f"{redirector.url}/{CODE}")
        assert response.status_code == 405
        assert "location" not in response.headers


@pytest.mark.parametrize("known", [False, True], ids=["first-request", "known-code"])
def test_head_is_answered_but_not_counted(
    client: httpx.Client, redirector: Redirector, ledger: Ledger, known: bool
) -> None:
    if known:
        assert client.get(f"{redirector.url}/{CODE}").status_code == 302
    for path in (f"/{CODE}", f"/{CODE}/"):
        response = client.head(f"{redirector.url}{path}")
        assert response.status_code == 302
        assert response.headers["location"] == TARGET
    redirector.stop()
    assert click_total(ledger.engine) == int(known)


def test_healthz(client: httpx.Client, redirector: Redirector) -> None:
    response = client.get(f"{redirector.url}/healthz")
    assert (response.status_code, response.text) == (200, "ok")


def test_a_code_stored_after_start_is_found(
    client: httpx.Client, redirector: Redirector, ledger: Ledger
) -> None:
    late = "LateLateLateLate"
    assert client.get(f"{redirector.url}/{late}").status_code == 404
    seed(ledger.engine, [short_link(late)])
    assert client.get(f"{redirector.url}/{late}").status_code == 302


@pytest.mark.parametrize(
    ("target", "location"),
    [
        (
            "https://www.media4sec.eu/événements?q=été#à",
            "https://www.media4sec.eu/%C3%A9v%C3%A9nements?q=%C3%A9t%C3%A9#%C3%A0",
        ),
        ("https://bücher.example/x", "https://xn--bcher-kva.example/x"),
        ("javascript:alert(1)", None),
        ("//evil.example/", None),
    ],
)
def test_stored_targets_become_safe_locations(
    client: httpx.Client, ledger: Ledger, target: str, location: str | None
) -> None:
    seed(ledger.engine, [short_link("TargetTargetTarg", target=target)])
    with Redirector(ledger.engine) as running:
        response = client.get(f"{running.url}/TargetTargetTarg")
    assert response.headers.get("location") == location
    assert response.status_code == (302 if location else 404)


@on_every_backend
def test_a_burst_of_concurrent_clicks_is_counted_exactly(
    redirector: Redirector, ledger: Ledger
) -> None:
    def click(index: int) -> int:
        code = CODE if index % 2 else OTHER
        agent = GOOGLEBOT if index % 5 == 0 else IPHONE
        return client.get(f"{redirector.url}/{code}", headers={"User-Agent": agent}).status_code

    with (
        httpx.Client(limits=httpx.Limits(max_connections=20)) as client,
        ThreadPoolExecutor(20) as pool,
    ):
        statuses = list(pool.map(click, range(500)))
        for _ in range(30):
            client.head(f"{redirector.url}/{CODE}")
    assert statuses == [302] * 500
    redirector.stop()
    with ledger.engine.connect() as connection:
        counts = dict(
            connection.execute(
                select(ClickRow.is_bot, func.sum(ClickRow.hits)).group_by(ClickRow.is_bot)
            ).all()
        )
    assert counts == {True: 100, False: 400}


@on_every_backend
def test_a_graceful_stop_writes_every_queued_click(client: httpx.Client, ledger: Ledger) -> None:
    with Redirector(ledger.engine, flush_interval=3600) as running:
        for _ in range(25):
            assert client.get(f"{running.url}/{CODE}").status_code == 302
        recorder: ClickRecorder = running.app.recorder
        assert recorder.pending == 25
        assert clicks(ledger) == []
    assert click_total(ledger.engine) == 25


def recorder_while_clicks_arrive(
    ledger: Ledger, arrivals: list[int]
) -> tuple[ClickRecorder, list[int]]:
    """A recorder (batches of 10, no timed rounds) holding 25 clicks, whose store queues
    ``arrivals[n]`` more clicks while it writes its n-th batch (none after the list); and the
    list the store fills with each batch's size."""
    sizes: list[int] = []
    waves = iter(arrivals)

    class WhileClicksArrive(LedgerStore):
        def store(self, clicks: list[Click]) -> None:
            sizes.append(len(clicks))
            for _ in range(next(waves, 0)):
                recorder.record(CODE, None, FIREFOX)
            super().store(clicks)

    recorder = ClickRecorder(
        ledger.engine, interval=3600, batch=10, store=WhileClicksArrive(ledger.engine)
    )
    for _ in range(25):
        recorder.record(CODE, None, FIREFOX)
    return recorder, sizes


def test_a_round_writes_what_was_queued_when_it_began_in_full_batches(ledger: Ledger) -> None:
    """Chasing the clicks that arrive while a round writes would end each round under load in
    a tail of ever smaller batches, a commit each (it cost 6-8 µs more a click)."""
    recorder, sizes = recorder_while_clicks_arrive(ledger, [3, 3, 3])
    assert recorder.flush() == 25
    assert sizes == [10, 10, 5]
    assert recorder.pending == 9
    assert click_total(ledger.engine) == 25


def test_a_backlog_of_a_full_batch_is_written_without_waiting_for_the_interval(
    ledger: Ledger,
) -> None:
    recorder, _ = recorder_while_clicks_arrive(ledger, [12, 12])
    recorder.start()
    try:
        wait_for(lambda: click_total(ledger.engine) == 49, 10, "the backlog to be written")
        assert recorder.pending == 0
    finally:
        recorder.stop()


def test_clicks_the_database_refuses_stay_queued(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'late.db'}"
    from campaign.store.engine import open_engine

    engine = open_engine(url)  # no tables yet: every write fails
    recorder = ClickRecorder(engine, interval=3600)
    recorder.record(CODE, None, FIREFOX)
    with pytest.raises(Exception, match="no such table"):
        recorder.flush()
    assert recorder.pending == 1
    with Ledger.open(url) as ledger:
        seed(ledger.engine, [short_link(CODE)])
        assert recorder.flush() == 1
        assert codes(ledger) == [CODE]
    engine.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_serve_links(
    client: httpx.Client, tmp_path: Path, url: str, workers: int
) -> tuple[subprocess.Popen[str], str]:
    """``campaign serve-links`` over the ledger at ``url``, once it answers; its base URL."""
    port = free_port()
    env = {**os.environ, "CAMPAIGN_DATABASE_URL": url}
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("campaign")),
            "serve-links",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its group: workers and click writers, for kill_group
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            if client.get(f"{base}/healthz").status_code == 200:
                return process, base
        except httpx.TransportError:
            if time.monotonic() > deadline or process.poll() is not None:
                kill_group(process)
                raise
            time.sleep(0.05)


def kill_group(process: subprocess.Popen[str]) -> None:
    """Kill what is left of ``process``'s group: with ``--workers``, killing the server alone
    would leave its workers (and their click writers) running."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=10)


def click_writers(pid: int) -> list[int]:
    """The click writer processes among the descendants of process ``pid``."""
    found, todo = [], [pid]
    while todo:
        for task in Path(f"/proc/{todo.pop()}/task").glob("*"):
            with contextlib.suppress(OSError):
                children = [int(child) for child in (task / "children").read_text().split()]
                todo += children
                found += [
                    child
                    for child in children
                    if b"campaign.clicks.writer_process"
                    in Path(f"/proc/{child}/cmdline").read_bytes()
                ]
    return found


def ended(pid: int) -> bool:
    """Whether process ``pid`` has ended (gone, or a zombie its new parent has not reaped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_serve_links_command_flushes_on_sigterm(
    client: httpx.Client, tmp_path: Path, workers: int
) -> None:
    """Every click is stored through the server processes' click writers, which outlive a
    SIGTERM sent to the whole group (systemd's stop) and end with their server."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    with Ledger.open(url) as ledger:
        seed(ledger.engine, [short_link(CODE, target=TARGET)])
    process, base = start_serve_links(client, tmp_path, url, workers)
    try:
        for _ in range(40):
            assert client.get(f"{base}/{CODE}").headers["location"] == TARGET
        with Ledger.open(url) as ledger:  # stored: each click writer is past its start
            wait_for(lambda: click_total(ledger.engine) == 40, 20, "the 40 clicks to be stored")
        writers = click_writers(process.pid)
        assert 1 <= len(writers) <= workers  # a worker starts its writer at its first click
        for pid in [process.pid, *writers]:
            os.kill(pid, signal.SIGTERM)
        late = 0  # redirects answered while the server shuts down: counted too
        for _ in range(10):
            with contextlib.suppress(httpx.TransportError):
                late += client.get(f"{base}/{CODE}").status_code == 302
        output, _ = process.communicate(timeout=20)
        for pid in writers:
            wait_for(lambda pid=pid: ended(pid), 10, f"click writer {pid} to end")
    finally:
        kill_group(process)
    # uvicorn re-raises the signal once it has shut down gracefully
    assert process.returncode in (0, -signal.SIGTERM), output
    assert "Application shutdown complete" in output
    assert "cannot be stored" not in output  # the writers outlived the SIGTERM sent to them
    assert "127.0.0.1:" not in output.replace(base.removeprefix("http://"), "")  # no visitor
    with Ledger.open(url) as ledger:
        assert click_total(ledger.engine) == 40 + late


@pytest.mark.slow
def test_a_killed_server_leaves_no_click_writer_behind(
    client: httpx.Client, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    with Ledger.open(url) as ledger:
        seed(ledger.engine, [short_link(CODE, target=TARGET)])
    process, base = start_serve_links(client, tmp_path, url, 1)
    try:
        assert client.get(f"{base}/{CODE}").status_code == 302
        wait_for(lambda: len(click_writers(process.pid)) == 1, 20, "the click writer")
        (writer,) = click_writers(process.pid)
        process.kill()  # the server alone, as `kill -9 <its pid>`
        process.communicate(timeout=10)
        wait_for(lambda: ended(writer), 10, "the click writer to end with its server")
    finally:
        kill_group(process)


def test_the_server_process_quiets_the_collector_and_only_it() -> None:
    """serve-links freezes what start-up loaded and spaces out full GC passes (its p99 was
    the collector's); importing the redirector, as a library user does, changes nothing."""
    script = (
        "import gc; from campaign.clicks import redirector as r; "
        "before = (gc.get_threshold()[2], gc.get_freeze_count()); r.quiet_collector(); "
        "print(before, (gc.get_threshold()[2], gc.get_freeze_count() > 0))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split() == ["(10,", "0)", "(1000,", "True)"]


# --- A ledger that refuses clicks: spilled to a local file, replayed once it takes them ----


class ReadOnly:
    """Opens each new connection of the SQLite ``engine`` read-only while ``on``.

    SQLite's ``mode=ro`` is what it falls back to for a ledger file without write permission
    ("attempt to write a readonly database"); file modes themselves cannot be used here, as
    root (CI containers) is never refused a write.
    """

    def __init__(self, engine: Engine) -> None:
        self.on = True
        event.listen(engine, "do_connect", self._connect)
        engine.dispose()

    def _connect(self, _dialect: Any, _record: Any, cargs: list[Any], cparams: Any) -> None:
        if self.on:
            cargs[0] = f"file:{Path(cargs[0]).resolve()}?mode=ro"
            cparams["uri"] = True


def spilled(folder: Path) -> int:
    """How many clicks wait in the spill files under ``folder``."""
    return sum(len(f.read_bytes().splitlines()) for f in folder.rglob("clicks-*.jsonl"))


@pytest.fixture
def spill_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``CAMPAIGN_CLICKS_SPILL_DIR`` set to a fresh folder."""
    folder = tmp_path / "spill"
    monkeypatch.setenv("CAMPAIGN_CLICKS_SPILL_DIR", str(folder))
    return folder


@pytest.fixture
def app_engine(ledger: Ledger) -> Iterator[Engine]:
    """A second engine on the ledger, for the app (so tests can make it read-only)."""
    engine = open_engine(ledger.engine.url.render_as_string(hide_password=False))
    yield engine
    engine.dispose()


def test_a_read_only_ledger_spills_clicks_says_503_and_replays_them_once_writable(
    client: httpx.Client, ledger: Ledger, app_engine: Engine, spill_dir: Path
) -> None:
    read_only = ReadOnly(app_engine)
    with Redirector(app_engine) as running:
        health = f"{running.url}/healthz"
        wait_for(lambda: client.get(health).status_code == 503, 10, "/healthz to say 503")
        assert "attempt to write a readonly database" in client.get(health).text
        for _ in range(30):
            assert client.get(f"{running.url}/{CODE}").status_code == 302
        wait_for(lambda: spilled(spill_dir) == 30, 10, "30 clicks in the spill file")
        recorder: ClickRecorder = running.app.recorder
        assert recorder.pending == 0
        assert clicks(ledger) == []
        read_only.on = False
        wait_for(lambda: client.get(health).status_code == 200, 10, "/healthz to say ok")
        assert click_total(ledger.engine) == 30
        assert spilled(spill_dir) == 0
        assert recorder.replayed == 30
    with Redirector(app_engine):
        pass
    assert click_total(ledger.engine) == 30  # replayed exactly once


def test_clicks_spilled_at_a_stop_are_replayed_at_the_next_start(
    client: httpx.Client, ledger: Ledger, app_engine: Engine, spill_dir: Path
) -> None:
    ReadOnly(app_engine)
    with Redirector(app_engine, flush_interval=3600) as running:
        for _ in range(12):
            assert client.get(f"{running.url}/{CODE}").status_code == 302
    assert spilled(spill_dir) == 12
    keys = {
        tuple(sorted(json.loads(line)))
        for spill in spill_dir.rglob("clicks-*.jsonl")
        for line in spill.read_text().splitlines()
    }
    assert keys == {("agent_class", "at", "code", "is_bot", "referrer_host")}  # no address
    assert clicks(ledger) == []
    with Redirector(ledger.engine, flush_interval=3600):
        wait_for(lambda: click_total(ledger.engine) == 12, 10, "the spilled clicks to be replayed")
    assert spilled(spill_dir) == 0
    assert click_total(ledger.engine) == 12


def test_with_nowhere_to_keep_clicks_memory_stays_bounded_and_the_loss_is_counted(
    ledger: Ledger, app_engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ReadOnly(app_engine)
    (tmp_path / "a-file").write_text("not a folder")
    spill = Spill(tmp_path / "a-file" / "spill")
    recorder = ClickRecorder(app_engine, interval=3600, limit=10, spill=spill)
    recorder.start()
    for _ in range(25):
        recorder.record(CODE, None, FIREFOX)
    assert (recorder.pending, recorder.lost) == (10, 15)
    with caplog.at_level(logging.ERROR, logger="campaign"):
        recorder.stop()
    assert f"25 clicks could not be written to the ledger nor kept in {spill.folder}" in (
        caplog.text
    )
    assert clicks(ledger) == []


def test_a_replay_cut_short_keeps_exactly_the_clicks_not_yet_in_the_ledger(
    ledger: Ledger, tmp_path: Path
) -> None:
    """The ledger refuses the second batch of a replay: the first stays in, the file keeps
    only the rest, and the next replay adds just those."""
    spill = Spill(tmp_path / "spill")
    at = time.time_ns()
    spill.write([(code, at, None, "desktop", False) for code in (CODE, CODE, OTHER, CODE, OTHER)])
    refuse_other = text(
        f"CREATE TRIGGER refuse BEFORE INSERT ON clicks WHEN NEW.code = '{OTHER}' "
        "BEGIN SELECT RAISE(ABORT, 'refused'); END"
    )
    with ledger.engine.begin() as connection:
        connection.execute(refuse_other)
    with pytest.raises(SQLAlchemyError, match="refused"):
        spill.replay(ledger.engine, batch=2)
    assert codes(ledger) == [CODE, CODE]
    assert spilled(tmp_path / "spill") == 3
    with ledger.engine.begin() as connection:
        connection.execute(text("DROP TRIGGER refuse"))
    assert spill.replay(ledger.engine, batch=2) == 3
    assert codes(ledger) == [CODE, CODE, OTHER, CODE, OTHER]
    assert spilled(tmp_path / "spill") == 0
