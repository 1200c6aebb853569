"""Clicks stored in the ledger by a process of their own, for ``campaign serve-links``.

Storing a click costs the database driver a few microseconds of CPU, and a writer thread in
the server process shares the interpreter lock with the event loop answering redirects:
with the writer in the same process, serve-links answered 0.50-0.59x the redirects of a bare
ASGI app, against 0.9-1.1x with clicks queued but never written (bench/README.md). So the
server's writer thread (:class:`~campaign.clicks.clicks.ClickRecorder`, which keeps the
batching, the spill files and ``/healthz``) only sends each batch, as raw tuples, down a
pipe to this child process and waits, without the interpreter lock, for its one-line
answer: ``ok``, or ``refused`` and what the database said.

The child ignores SIGINT and SIGTERM, which a terminal's Ctrl-C and systemd's stop send to
the whole process group: it stores every batch it is sent and ends when the server closes
its pipe, so a graceful stop still stores every click, and a server that is killed closes
the pipe too. A child that dies counts its batch as refused (spilled, then replayed); the
next batch starts a new child. (A child killed between committing a batch and answering
would have that batch counted twice; nothing but a signal sent to it alone does that.)

The ledger URL, password included, reaches the child on its standard input, never on its
command line or in its environment.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from typing import IO

from campaign.clicks.clicks import Click, ClicksRefused, LedgerStore
from campaign.collector import quiet_collector
from campaign.store.engine import open_engine

FRAME = 4  # bytes of the length before each marshalled batch, little-endian
OK = b"ok\n"
REFUSED = b"refused "
STOP_SECONDS = 30.0


class WriterProcess:
    """A :class:`~campaign.clicks.clicks.ClickStore` that stores batches in a child process.

    ``url`` is the ledger's URL with its password. The child is started with the first batch
    (and again after it died); :meth:`close` lets it finish and end.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._child: _Child | None = None

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs (for tests and operators)."""
        return self._child.process.pid if self._child is not None else None

    def store(self, clicks: list[Click]) -> None:
        """Have the child store ``clicks`` in one transaction; raises
        :class:`~campaign.clicks.clicks.ClicksRefused` when the ledger refuses them or the
        child cannot be started or has died."""
        child = self._child if self._child is not None else self._start()
        data = marshal.dumps(clicks)
        try:
            child.requests.write(len(data).to_bytes(FRAME, "little") + data)
            child.requests.flush()
            answer = child.answers.readline()
        except OSError:  # the pipe broke: the child has died
            answer = b""
        if answer == OK:
            return
        if answer.startswith(REFUSED):
            raise ClicksRefused(answer[len(REFUSED) :].decode(errors="replace").strip())
        self._child = None
        raise ClicksRefused(f"the click writer process stopped ({child.end(0)})")

    def close(self) -> None:
        """Close the child's input and wait for it to store what it holds and end."""
        child, self._child = self._child, None
        if child is not None:
            child.end(STOP_SECONDS)

    def _start(self) -> _Child:
        command = [sys.executable, "-m", __name__]
        try:
            process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        except OSError as exc:
            raise ClicksRefused(f"the click writer process cannot start ({exc})") from exc
        assert process.stdin is not None
        assert process.stdout is not None
        self._child = _Child(process, process.stdin, process.stdout)
        with contextlib.suppress(OSError):  # if it died at once, the batch's answer says so
            process.stdin.write(self.url.encode() + b"\n")
        return self._child


@dataclass(frozen=True)
class _Child:
    """A running writer process and its two pipes."""

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
    store = LedgerStore(open_engine(requests.readline().decode().strip(), create=False))
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


def main() -> None:
    """Run as the child: ``python -m campaign.clicks.writer_process``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    quiet_collector()
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print cannot garble an answer
    serve(sys.stdin.buffer, answers)


if __name__ == "__main__":
    main()
