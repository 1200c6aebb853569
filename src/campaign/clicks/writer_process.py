"""Clicks stored in the ledger by a process of their own, for ``campaign serve-links``.

Storing a click costs the database driver a few microseconds of CPU, and a writer thread in
the server process shares the interpreter lock with the event loop answering redirects:
with the writer in the same process, serve-links answered 0.50-0.59x the redirects of a bare
ASGI app, against 0.9-1.1x with clicks queued but never written (bench/README.md). So the
server's writer thread (:class:`~campaign.clicks.clicks.ClickRecorder`, which keeps the
batching, the spill files and ``/healthz``) only sends each batch, as raw tuples, down a
pipe to this child process and waits, without the interpreter lock, for its one-line
answer: ``ok``, or ``refused`` and what the database said. Answers come on a pipe of their
own; the child's standard output goes to the server's standard error.

The child ignores SIGINT and SIGTERM from its first instructions on (before its imports),
as a terminal's Ctrl-C and systemd's stop reach the whole process group: it stores every
batch it is sent and ends when the server closes its pipe, so a graceful stop still stores
every click, and a server that is killed closes the pipe too. When a child dies, a new one
is started for a later batch, at once the first time, then after a pause that doubles up to
a minute while they keep dying; meanwhile the batches go to the ``fallback`` store (the
server process's own connection, as ``campaign serve-links`` sets it up), or are refused
(spilled, then replayed) without one. (A child killed between committing a batch and
answering would have that batch counted twice; nothing but a signal sent to it alone does
that.)

The ledger URL, password included, reaches the child on its standard input: never on its
command line, and no ``CAMPAIGN_*`` variable is in its environment.
"""

from __future__ import annotations

import contextlib
import logging
import marshal
import math
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import IO

from campaign.clicks.clicks import Click, ClicksRefused, ClickStore, LedgerStore
from campaign.collector import quiet_collector
from campaign.store.engine import open_engine

log = logging.getLogger(__name__)

FRAME = 4  # bytes of the length before each marshalled batch, little-endian
OK = b"ok\n"
REFUSED = b"refused "
STOP_SECONDS = 30.0  # for the child to store what it holds once its input is closed
DYING_SECONDS = 2.0  # for a child whose answers ended to finish exiting on its own
PAUSES = (0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0)  # before each new child in a row
# The signals are ignored before anything heavy is imported (half a second, more on a busy
# machine), so that a stop sent to the group just after the start cannot end the child.
BOOTSTRAP = (
    "import signal; signal.signal(signal.SIGINT, signal.SIG_IGN); "
    "signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "import sys; from campaign.clicks.writer_process import main; main(int(sys.argv[1]))"
)


class WriterProcess:
    """A :class:`~campaign.clicks.clicks.ClickStore` that stores batches in a child process.

    ``url`` is the ledger's URL with its password. The child is started with the first batch
    (and again after it died); :meth:`close` lets it finish and end. ``fallback`` stores the
    batches no child can take (none: they are refused).
    """

    def __init__(self, url: str, fallback: ClickStore | None = None) -> None:
        self.url = url
        self.fallback = fallback
        self._falling_back = False  # said once per outage
        self._child: _Child | None = None
        self._closed = threading.Event()
        self._deaths = 0  # children in a row that died (reset by an answer)
        self._not_before = 0.0  # time.monotonic() before which no new child is started
        self._last_end = ""

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs (for tests and operators)."""
        return self._child.process.pid if self._child is not None else None

    def store(self, clicks: list[Click]) -> None:
        """Have the child store ``clicks`` in one transaction, or the fallback when no child
        can; raises :class:`~campaign.clicks.clicks.ClicksRefused` when the ledger refuses
        them, or when no child can and there is no fallback."""
        try:
            self._store(clicks)
        except ClicksRefused as refused:
            if refused.by_ledger or self.fallback is None:
                raise
            if not self._falling_back:
                log.warning("%s; this server process stores clicks itself meanwhile", refused)
                self._falling_back = True
            self.fallback.store(clicks)
        else:
            if self._falling_back:
                log.warning("a new click writer process stores clicks again")
                self._falling_back = False

    def _store(self, clicks: list[Click]) -> None:
        child = self._child if self._child is not None else self._start()
        data = marshal.dumps(clicks)
        try:
            child.requests.write(len(data).to_bytes(FRAME, "little") + data)
            child.requests.flush()
            answer = child.answers.readline()
        except (OSError, ValueError):  # a broken pipe (it died), or closed by close()
            answer = b""
        if answer == OK or answer.startswith(REFUSED):
            self._deaths = 0
            if answer == OK:
                return
            raise ClicksRefused(answer[len(REFUSED) :].decode(errors="replace").strip())
        self._child = None
        self._last_end = child.end(DYING_SECONDS)
        self._deaths += 1
        pause = PAUSES[min(self._deaths, len(PAUSES)) - 1]
        self._not_before = time.monotonic() + pause
        raise ClicksRefused(f"the click writer process stopped ({self._last_end})", by_ledger=False)

    def close(self) -> None:
        """Close the child's input and wait for it to store what it holds and end (the
        fallback is its owner's to close)."""
        self._closed.set()
        child, self._child = self._child, None
        if child is not None:
            child.end(STOP_SECONDS)

    def _start(self) -> _Child:
        if self._closed.is_set():
            raise ClicksRefused(
                "the click writer is closed (the server is stopping)", by_ledger=False
            )
        wait = self._not_before - time.monotonic()
        if wait > 0:
            raise ClicksRefused(
                f"the click writer process stopped ({self._last_end}); another is started "
                f"in {math.ceil(wait)} s",
                by_ledger=False,
            )
        answers, theirs = os.pipe()
        env = {
            name: value for name, value in os.environ.items() if not name.startswith("CAMPAIGN_")
        }
        try:
            process = subprocess.Popen(
                [sys.executable, "-c", BOOTSTRAP, str(theirs)],
                stdin=subprocess.PIPE,
                stdout=2,  # to our standard error: a stray print cannot pass for an answer
                pass_fds=(theirs,),
                env=env,
            )
        except OSError as exc:
            os.close(answers)
            self._not_before = time.monotonic() + PAUSES[-1]
            self._last_end = f"it cannot start: {exc}"
            raise ClicksRefused(
                f"the click writer process cannot start ({exc})", by_ledger=False
            ) from exc
        finally:
            os.close(theirs)
        assert process.stdin is not None
        self._child = _Child(process, process.stdin, os.fdopen(answers, "rb"))
        with contextlib.suppress(OSError):  # if it died at once, the batch's answer says so
            process.stdin.write(self.url.encode() + b"\n")
        return self._child


@dataclass(frozen=True)
class _Child:
    """A running writer process, the pipe it reads batches from and the one it answers on."""

    process: subprocess.Popen[bytes]
    requests: IO[bytes]
    answers: IO[bytes]

    def end(self, seconds: float) -> str:
        """Close its input, give it ``seconds`` to end (then kill it); how it ended, in words."""
        with contextlib.suppress(OSError):  # a broken pipe: it has died already
            self.requests.close()
        try:
            code = self.process.wait(seconds)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self.answers.close()
        return f"killed by signal {-code}" if code < 0 else f"exit status {code}"


def serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    """The child's loop: read the URL, then store each batch and answer, until end of input."""
    store = LedgerStore(open_engine(requests.readline().decode().rstrip("\n"), create=False))
    try:
        while (clicks := _read_batch(requests)) is not None:
            try:
                store.store(clicks)
            except ClicksRefused as refused:
                answers.write(REFUSED + refused.reason.encode() + b"\n")
            else:
                answers.write(OK)
            answers.flush()
    finally:
        store.engine.dispose()


def _read_batch(requests: IO[bytes]) -> list[Click] | None:
    """The next batch on ``requests``, or ``None`` at its end (a batch cut short included)."""
    head = requests.read(FRAME)
    if len(head) < FRAME:
        return None
    size = int.from_bytes(head, "little")
    body = requests.read(size)
    if len(body) < size:
        return None
    clicks: list[Click] = marshal.loads(body)  # noqa: S302 (only our parent writes this pipe)
    return clicks


def main(answers_fd: int) -> None:
    """The child, started by :data:`BOOTSTRAP` (stop signals already ignored): store the
    batches read on standard input, answering on the file descriptor ``answers_fd``."""
    quiet_collector()
    with os.fdopen(answers_fd, "wb") as answers:
        serve(sys.stdin.buffer, answers)
