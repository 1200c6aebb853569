"""Benchmark `campaign serve-links` against a bare ASGI app under the same uvicorn, on loopback.

The bare app answers the same 302 (same Location, Cache-Control and Content-Length) and
does nothing else; it runs under uvicorn with the settings serve-links gives it (httptools,
uvloop, no access log, no Server header, no proxy headers, as many worker processes), so
the gap between the two is the cost of our own code: the lookup, recording the click and
writing it to the ledger. Both servers run side by side and wrk measures them in turns,
round after round (keep-alive connections, fixed duration, after a 1 s warm-up), so a moment
when the shared machine is slower falls on both; every round prints its own ratio. Beside
redirects per second, the CPU time each server used per redirect (all its threads and
processes, from /proc) is printed: on a machine shared with other work it is the steadier
figure of the two.

Then a fixed number of requests is sent to serve-links from Python, the server is stopped
with SIGTERM, and the clicks in the ledger are checked: exactly one per redirect answered.
Exit status 1 on any mismatch.

Needs `wrk`; on Debian the script installs it (`apt-get install -y wrk`) unless
`--no-install` is given. Only 127.0.0.1 is contacted; every loop is bounded by a request
count or a duration.

    .venv/bin/python bench/bench_redirect.py [--seconds 10] [--rounds 3] [--connections 32]
                                             [--workers 1]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.linkhelpers import click_total  # noqa: E402

from campaign.store.ledger import Ledger  # noqa: E402
from campaign.store.shortlinks import ShortLink, store_short_links  # noqa: E402

CODE = "BenchBenchBench0"
TARGET = "https://www.media4sec.eu/events/dark-web-workshop/?utm_source=twitter&utm_medium=social"
BARE_ASGI = """
HEADERS = [(b"location", b"{target}"), (b"cache-control", b"no-store"), (b"content-length", b"0")]


async def app(scope, receive, send):
    if scope["type"] == "http":
        await send({{"type": "http.response.start", "status": 302, "headers": HEADERS}})
        await send({{"type": "http.response.body", "body": b""}})
"""
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


@dataclass(frozen=True)
class WrkResult:
    """What wrk measured: redirects per second, latency percentiles in ms, answers counted;
    and the server's CPU time per answer in µs (``None`` without Linux's /proc)."""

    rps: float
    p50: float
    p99: float
    requests: int
    errors: int
    cpu_us: float | None = None


def ensure_wrk(install: bool) -> str:
    """The path of wrk, installing the Debian package when missing and allowed."""
    if not shutil.which("wrk"):
        if not install:
            sys.exit("wrk is missing; install it with: apt-get install -y wrk")
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env)
    wrk = shutil.which("wrk")
    if not wrk:
        sys.exit("wrk is still missing after apt-get install -y wrk")
    return wrk


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_listening(port: int, process: subprocess.Popen[bytes], seconds: float = 20) -> None:
    """Return once ``port`` accepts connections; exit if ``process`` died or time ran out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"server exited early with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"nothing listens on port {port} after {seconds} s")


def run_wrk(wrk: str, url: str, seconds: int, connections: int) -> WrkResult:
    """Run wrk (one thread, keep-alive) against ``url`` and parse its report."""
    report = subprocess.run(
        [wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout

    def found(pattern: str) -> re.Match[str]:
        match = re.search(pattern, report, re.M)
        if match is None:
            sys.exit(f"unexpected wrk report (no {pattern!r}):\n{report}")
        return match

    def latency(percent: str) -> float:
        value, unit = found(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)$").groups()
        return float(value) * UNITS[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", report)
    return WrkResult(
        rps=float(found(r"Requests/sec:\s+([\d.]+)").group(1)),
        p50=latency("50"),
        p99=latency("99"),
        requests=int(found(r"(\d+) requests in").group(1)),
        errors=int(errors.group(1)) if errors else 0,
    )


async def exact_burst(port: int, connections: int, per_connection: int) -> int:
    """Send ``connections`` x ``per_connection`` keep-alive GETs; the number of 302s received."""
    request = (
        f"GET /{CODE} HTTP/1.1\r\nHost: go.example.org\r\n"
        "User-Agent: Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0\r\n\r\n"
    ).encode()

    async def one_connection() -> int:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        redirects = 0
        for _ in range(per_connection):
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = re.search(rb"(?i)content-length: (\d+)", head)
            if length:
                await reader.readexactly(int(length.group(1)))
            redirects += head.startswith(b"HTTP/1.1 302")
        writer.close()
        await writer.wait_closed()
        return redirects

    return sum(await asyncio.gather(*(one_connection() for _ in range(connections))))


def click_count(url: str) -> int:
    """The clicks in the ledger at ``url`` (each row counts its ``hits``)."""
    with Ledger.open(url) as ledger:
        return click_total(ledger.engine)


def settled_click_count(url: str, timeout: float = 30) -> int:
    """The click count once the redirector's batches have stopped landing."""
    last, deadline = -1, time.monotonic() + timeout
    while time.monotonic() < deadline:
        count = click_count(url)
        if count == last:
            return count
        last = count
        time.sleep(1.2)  # longer than the recorder's flush interval
    return last


def start_serve_links(tmp: Path, url: str, workers: int) -> tuple[subprocess.Popen[bytes], int]:
    """`campaign serve-links` on a new port over the ledger at ``url``."""
    port = free_port()
    command = [
        str(Path(sys.executable).with_name("campaign")),
        "serve-links",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    env = {**os.environ, "CAMPAIGN_DATABASE_URL": url, "CAMPAIGN_CLICKS_SPILL_DIR": str(tmp)}
    process = subprocess.Popen(
        command, env=env, cwd=tmp, stderr=subprocess.DEVNULL, start_new_session=True
    )
    return process, port


def start_bare(tmp: Path, workers: int) -> tuple[subprocess.Popen[bytes], int]:
    """The bare ASGI app under uvicorn with the settings `campaign serve-links` uses."""
    (tmp / "bare_asgi.py").write_text(BARE_ASGI.format(target=TARGET))
    port = free_port()
    command = [
        str(Path(sys.executable).with_name("uvicorn")),
        "bare_asgi:app",
        "--app-dir",
        str(tmp),
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--no-server-header",
        "--no-proxy-headers",
        "--log-level",
        "warning",
    ]
    return subprocess.Popen(command, start_new_session=True), port


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system, every thread) of process ``pid`` and its descendants so far,
    from Linux's /proc; ``None`` where there is no /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [pid]
    while todo:
        process = Path(f"/proc/{todo.pop()}")
        try:
            fields = (process / "stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
            for task in (process / "task").iterdir():
                todo += [int(child) for child in (task / "children").read_text().split()]
        except (OSError, IndexError, ValueError):
            if process.name == str(pid):
                return None
    return total


def measure(
    wrk: str, process: subprocess.Popen[bytes], port: int, args: argparse.Namespace
) -> WrkResult:
    """One wrk run of ``--seconds`` against ``port``, with the server's CPU time per answer."""
    before = cpu_seconds(process.pid)
    result = run_wrk(wrk, f"http://127.0.0.1:{port}/{CODE}", args.seconds, args.connections)
    after = cpu_seconds(process.pid)
    if before is None or after is None or not result.requests:
        return result
    return dataclasses.replace(result, cpu_us=(after - before) / result.requests * 1e6)


def print_turn(turn: int, label: str, result: WrkResult, bare: WrkResult) -> None:
    """One line of the table: a server's figures in one round, and its ratio to the bare app."""
    cpu = f"{result.cpu_us:.1f}" if result.cpu_us is not None else "n/a"
    print(
        f"{turn:<6} {label:<22} {result.rps:>12,.0f} {result.p50:>8.2f} {result.p99:>8.2f} "
        f"{cpu:>8} {result.rps / bare.rps:>7.2f}"
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (a graceful stop for uvicorn) and wait; if it hangs, kill its whole group (its
    own session: with ``--workers`` the workers and their click writers too)."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def spread(ratios: list[float]) -> str:
    """``ratios`` from lowest to highest, and their median."""
    ordered = ", ".join(f"{ratio:.2f}" for ratio in sorted(ratios))
    return f"{ordered} (median {statistics.median(ratios):.2f})"


def main() -> None:
    """Measure both servers in turns, check the clicks, print the figures and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per turn")
    parser.add_argument("--rounds", type=int, default=3, help="turns of each server")
    parser.add_argument("--connections", type=int, default=32, help="wrk keep-alive connections")
    parser.add_argument("--workers", type=int, default=1, help="server processes, both servers")
    parser.add_argument("--burst-connections", type=int, default=20)
    parser.add_argument("--burst-per-connection", type=int, default=500)
    parser.add_argument("--no-install", action="store_true", help="do not apt-get wrk")
    args = parser.parse_args()
    wrk = ensure_wrk(install=not args.no_install)
    print(
        f"wrk -t1 -c{args.connections} -d{args.seconds}s on 127.0.0.1, {os.cpu_count()} cores, "
        f"{args.workers} process(es) each, load average {os.getloadavg()[0]:.1f} at start"
    )
    print(
        f"{'round':<6} {'server':<22} {'redirects/s':>12} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'CPU µs':>8} {'x bare':>7}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-redirect-") as name:
        tmp = Path(name)
        url = f"sqlite:///{tmp / 'ledger.db'}"
        with Ledger.open(url) as ledger:
            link = ShortLink(CODE, TARGET, "post", "twitter", "bench", "save_the_date")
            store_short_links(ledger.engine, [link])
        ours_process, ours_port = start_serve_links(tmp, url, args.workers)
        bare_process, bare_port = start_bare(tmp, args.workers)
        try:
            wait_until_listening(ours_port, ours_process)
            wait_until_listening(bare_port, bare_process)
            for port in (ours_port, bare_port):
                run_wrk(wrk, f"http://127.0.0.1:{port}/{CODE}", 1, args.connections)  # warm-up
            before = settled_click_count(url)
            ours, ratios, cpu_ratios = [], [], []
            for turn in range(1, args.rounds + 1):
                bare = measure(wrk, bare_process, bare_port, args)
                ours.append(measure(wrk, ours_process, ours_port, args))
                ratios.append(ours[-1].rps / bare.rps)
                if ours[-1].cpu_us and bare.cpu_us:
                    cpu_ratios.append(bare.cpu_us / ours[-1].cpu_us)
                print_turn(turn, "bare ASGI app", bare, bare)
                print_turn(turn, "campaign serve-links", ours[-1], bare)
            wrk_clicks = settled_click_count(url) - before
            burst_start = click_count(url)
            redirects = asyncio.run(
                exact_burst(ours_port, args.burst_connections, args.burst_per_connection)
            )
        finally:
            stop(ours_process)
            stop(bare_process)
        burst_clicks = click_count(url) - burst_start

    answered = sum(result.requests for result in ours)
    errors = sum(result.errors for result in ours)
    in_flight = wrk_clicks - answered
    sent = args.burst_connections * args.burst_per_connection
    print(
        f"serve-links / bare redirects/s, per round: {spread(ratios)} (goal >= 0.80); "
        f"worst p99 {max(result.p99 for result in ours):.2f} ms (goal < 10 ms)"
    )
    if cpu_ratios:
        print(f"bare CPU / serve-links CPU per redirect, per round: {spread(cpu_ratios)}")
    print(f"serve-links non-3xx answers under wrk: {errors}")
    print(
        f"clicks during wrk: {wrk_clicks:,} for {answered:,} answers wrk counted "
        f"(+{in_flight} still in flight when wrk hung up; at most "
        f"{args.connections * args.rounds})"
    )
    print(
        f"exact burst then SIGTERM: {sent:,} sent, {redirects:,} redirects, "
        f"{burst_clicks:,} clicks written"
    )
    exact = redirects == sent == burst_clicks and 0 <= in_flight <= args.connections * args.rounds
    print("click count:", "EXACT" if exact else "MISMATCH")
    sys.exit(0 if exact and errors == 0 else 1)


if __name__ == "__main__":
    main()
