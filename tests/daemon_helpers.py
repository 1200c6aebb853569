"""Run ``campaign run`` as a real subprocess against a ledger and the fake X and Mastodon
servers, and wait on it; the ``fake_mastodon`` fixture (imported by ``conftest.py``)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from campaign.render.post import Post
from tests.fakes.mastodon_api import TOKEN, FakeMastodon
from tests.fakes.x_api import FakeX
from tests.ledger_helpers import make_post

CAMPAIGN = str(Path(sys.executable).with_name("campaign"))


def wait_for(predicate: Callable[[], bool], timeout: float = 15.0, what: str = "") -> None:
    """Poll ``predicate`` every 20 ms until true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
        time.sleep(0.02)


def mastodon_env(fake: FakeMastodon) -> dict[str, str]:
    """``CAMPAIGN_MASTODON_*`` variables for ``fake``."""
    return {
        "CAMPAIGN_MASTODON_API_BASE_URL": fake.url,
        "CAMPAIGN_MASTODON_ACCESS_TOKEN": TOKEN,
    }


@pytest.fixture
def fake_mastodon(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeMastodon]:
    """A fake Mastodon instance whose address and token are in the environment."""
    with FakeMastodon() as fake:
        for name, value in mastodon_env(fake).items():
            monkeypatch.setenv(name, value)
        yield fake


def daemon_env(
    url: str, fake: FakeX | None, mastodon: FakeMastodon | None = None, **settings: str
) -> dict[str, str]:
    """The environment of a daemon subprocess: no inherited ``CAMPAIGN_*``, fast polling.

    ``fake`` None leaves the X credentials unset; ``mastodon`` adds the Mastodon ones.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAMPAIGN_")}
    env.update(
        {
            "CAMPAIGN_DATABASE_URL": url,
            "CAMPAIGN_POLL_SECONDS": "0.2",
            "CAMPAIGN_BACKOFF_SECONDS": "0.2",
            "CAMPAIGN_BACKOFF_CAP_SECONDS": "0.5",
        }
    )
    if fake is not None:
        env.update(fake.env())
    if mastodon is not None:
        env.update(mastodon_env(mastodon))
    env.update({f"CAMPAIGN_{k.upper()}": v for k, v in settings.items()})
    return env


class Daemon:
    """One ``campaign run`` subprocess with JSON logs, its output kept in files."""

    def __init__(self, env: Mapping[str, str], cwd: Path, *args: str) -> None:
        self.cwd = cwd
        cwd.mkdir(parents=True, exist_ok=True)
        stamp = f"{time.monotonic_ns()}"
        self._out_path = cwd / f"daemon-{stamp}.out"
        self._err_path = cwd / f"daemon-{stamp}.err"
        with self._out_path.open("wb") as out, self._err_path.open("wb") as err:
            self.process = subprocess.Popen(
                [CAMPAIGN, "run", "--log-format", "json", *args],
                env=dict(env),
                cwd=cwd,
                stdout=out,
                stderr=err,
            )

    @property
    def stdout(self) -> str:
        return self._out_path.read_text()

    @property
    def stderr(self) -> str:
        return self._err_path.read_text()

    def events(self) -> list[dict[str, Any]]:
        """The JSON log lines written so far (every stderr line must be one)."""
        return [json.loads(line) for line in self.stderr.splitlines() if line.strip()]

    def wait(self, timeout: float = 30.0) -> int:
        """Wait for the process to exit and return its exit code."""
        return self.process.wait(timeout)

    def signal(self, sig: signal.Signals) -> None:
        self.process.send_signal(sig)

    def kill(self) -> None:
        """``kill -9``: no cleanup of any kind."""
        self.process.kill()
        self.process.wait(10)

    def stop(self) -> int:
        """SIGTERM, then the exit code."""
        if self.process.poll() is None:
            self.signal(signal.SIGTERM)
        return self.wait()


Spawn = Callable[..., Daemon]


def run_cli(env: Mapping[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``campaign ARGS`` to completion and return what it did."""
    return subprocess.run(
        [CAMPAIGN, *args], env=dict(env), cwd=cwd, capture_output=True, text=True, timeout=60
    )


def x_posts(count: int, at: datetime, prefix: str = "post") -> list[Post]:
    """``count`` distinct single posts for X, all due at ``at``."""
    return [
        make_post(f"{prefix}{n}", platform="twitter", at=at, text=f"{prefix} number {n} goes out")
        for n in range(count)
    ]


def texts_on(fake: FakeX) -> list[str]:
    """The text of every post on the fake, in publishing order."""
    with fake.lock:
        return [tweet.text for tweet in fake.tweets]


def toots_on(fake: FakeMastodon) -> dict[str, str]:
    """Status id -> text of every status on the fake Mastodon."""
    with fake.lock:
        return {status["id"]: status["text"] for status in fake.statuses}
