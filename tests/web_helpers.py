"""The calendar app over a real ledger holding the example campaign, served by uvicorn on a
loopback port, and a real Chromium (Debian's ``chromium``) driven by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright
from pydantic import SecretStr
from starlette.types import ASGIApp

from campaign.render.planner import plan_files
from campaign.store.ledger import Ledger
from campaign.web.app import create_app
from campaign.web.security import WebSettings

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "schedules" / "darkweb-2017.yaml"
NOW = datetime(2017, 8, 1, 8, 0, tzinfo=UTC)  # before every post of the example
PASSWORD = "correct horse battery staple"
FEED_TOKEN = "feed-token-0123456789"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def settings(**values: object) -> WebSettings:
    """Web settings for tests: a password and a feed token unless ``values`` say otherwise."""
    given: dict[str, object] = {
        "password": SecretStr(PASSWORD),
        "feed_token": SecretStr(FEED_TOKEN),
        "session_secret": SecretStr("s" * 32),
        **values,
    }
    return WebSettings.model_construct(**given)  # not read from the environment


def example_ledger(url: str) -> Ledger:
    """A ledger at ``url`` holding the example campaign, scheduled before its time."""
    ledger = Ledger.open(url)
    ledger.sync(plan_files([EXAMPLE]), now=NOW)
    return ledger


@dataclass
class Served:
    """A running server: its base URL and the ledger behind it."""

    url: str
    ledger: Ledger


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """The example ledger behind ``campaign web`` on 127.0.0.1, with sign-in enabled."""
    ledger = example_ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    app = create_app(ledger, host="127.0.0.1", settings=settings(), clock=lambda: NOW)
    with serve(app) as url:
        yield Served(url, ledger)
    ledger.close()


@contextmanager
def serve(app: ASGIApp) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port until the block ends."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(500):
            if server.started:
                break
            threading.Event().wait(0.01)
        assert server.started, "the test server did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def chromium_path() -> str | None:
    """Debian's Chromium, or the one ``CAMPAIGN_CHROMIUM`` names."""
    return os.environ.get("CAMPAIGN_CHROMIUM") or shutil.which("chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the session (skipped, saying why, when none is installed)."""
    executable = chromium_path()
    if executable is None:
        pytest.skip("no Chromium: install Debian's chromium package (.ci/run does)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) and page."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def screenshot(page: Page, name: str, tmp_path: Path) -> Path:
    """Save a screenshot of the whole page as ``name``.png: under ``CAMPAIGN_SCREENSHOTS``
    when set (docs/ keeps current ones), else in the test's temporary folder."""
    folder = Path(os.environ.get("CAMPAIGN_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
