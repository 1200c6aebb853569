"""Benchmark `campaign serve-links` against nginx answering `return 302`, on loopback.

Both servers are measured in the same run by the same load generator (`wrk`, keep-alive
connections, fixed duration) for redirects per second and p50/p99 latency. Then a fixed
number of requests is sent to serve-links from Python, the server is stopped with SIGTERM,
and the clicks in the ledger are checked: exactly one per redirect answered.

Needs `nginx` and `wrk`; on Debian the script installs them (`apt-get install -y
nginx-light wrk`) unless `--no-install` is given. Only 127.0.0.1 is contacted; every
loop is bounded by a request count or a duration.

    .venv/bin/python bench/bench_redirect.py [--seconds 10] [--connections 32] [--workers 1]

A bare ASGI callable answering 302 under the same uvicorn is measured too: the most any
Python app can reach on this server stack, to tell our cost from the server's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from campaign.store.ledger import Ledger
from campaign.store.schema import ClickRow
from campaign.store.shortlinks import ShortLink, store_short_links

CODE = "BenchBenchBench0"
TARGET = "https://www.media4sec.eu/events/dark-web-workshop/?utm_source=twitter&utm_medium=social"
NGINX_CONF = """
worker_processes {workers};
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{ add_header Cache-Control no-store; return 302 "{target}"; }}
    }}
}}
"""
BARE_ASGI = """
async def app(scope, receive, send):
    if scope["type"] == "http":
        await send({{"type": "http.response.start", "status": 302,
                    "headers": [(b"location", b"{target}"), (b"content-length", b"0")]}})
        await send({{"type": "http.response.body", "body": b""}})
"""
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


@dataclass(frozen=True)
class WrkResult:
    """What wrk measured: redirects per second, latency percentiles in ms, answers counted."""

    rps: float
    p50: float
    p99: float
    requests: int
    errors: int


def ensure_tools(install: bool) -> tuple[str, str]:
    """Paths of nginx and wrk, installing the Debian packages when missing and allowed."""
    os.environ["PATH"] += os.pathsep + "/usr/sbin"
    missing = [
        pkg for tool, pkg in (("nginx", "nginx-light"), ("wrk", "wrk")) if not shutil.which(tool)
    ]
    if missing:
        if not install:
            sys.exit(f"missing tools; install them with: apt-get install -y {' '.join(missing)}")
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, env=env)
    nginx, wrk = shutil.which("nginx"), shutil.which("wrk")
    if not (nginx and wrk):
        sys.exit("nginx or wrk is still missing after apt-get install")
    return nginx, wrk


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

    def latency(percent: str) -> float:
        value, unit = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)$", report, re.M).groups()
        return float(value) * UNITS[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", report)
    return WrkResult(
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", report).group(1)),
        p50=latency("50"),
        p99=latency("99"),
        requests=int(re.search(r"(\d+) requests in", report).group(1)),
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
    """The rows in the ledger's clicks table."""
    with Ledger.open(url) as ledger, ledger.engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(ClickRow)) or 0)


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


def bench_nginx(
    nginx: str, wrk: str, tmp: Path, args: argparse.Namespace, workers: int
) -> WrkResult:
    """wrk against nginx with ``workers`` worker processes answering `return 302`."""
    port = free_port()
    conf = tmp / f"nginx-{workers}.conf"
    conf.write_text(NGINX_CONF.format(workers=workers, tmp=tmp, port=port, target=TARGET))
    process = subprocess.Popen([nginx, "-c", str(conf), "-p", str(tmp)])
    try:
        wait_until_listening(port, process)
        run_wrk(wrk, f"http://127.0.0.1:{port}/{CODE}", 1, args.connections)  # warm-up
        return run_wrk(wrk, f"http://127.0.0.1:{port}/{CODE}", args.seconds, args.connections)
    finally:
        process.send_signal(signal.SIGQUIT)  # nginx's graceful stop
        process.wait(10)


def bench_serve_links(wrk: str, tmp: Path, args: argparse.Namespace) -> dict[str, object]:
    """wrk against serve-links, then the exact burst and a SIGTERM; figures and click counts."""
    url = f"sqlite:///{tmp / 'ledger.db'}"
    with Ledger.open(url) as ledger:
        link = ShortLink(CODE, TARGET, "post", "twitter", "bench", "save_the_date")
        store_short_links(ledger.engine, [link])
    port = free_port()
    command = [
        str(Path(sys.executable).with_name("campaign")),
        "serve-links",
        "--port",
        str(port),
        "--workers",
        str(args.workers),
    ]
    env = {**os.environ, "CAMPAIGN_DATABASE_URL": url}
    process = subprocess.Popen(command, env=env, cwd=tmp, stderr=subprocess.DEVNULL)
    try:
        wait_until_listening(port, process)
        run_wrk(wrk, f"http://127.0.0.1:{port}/{CODE}", 1, args.connections)  # warm-up
        before = settled_click_count(url)
        measured = run_wrk(wrk, f"http://127.0.0.1:{port}/{CODE}", args.seconds, args.connections)
        after_wrk = settled_click_count(url)
        redirects = asyncio.run(
            exact_burst(port, args.burst_connections, args.burst_per_connection)
        )
        process.send_signal(signal.SIGTERM)
        process.wait(60)
    finally:
        if process.poll() is None:
            process.kill()
    return {
        "wrk": measured,
        "wrk_clicks": after_wrk - before,
        "redirects": redirects,
        "burst_clicks": click_count(url) - after_wrk,
    }


def bench_bare_uvicorn(wrk: str, tmp: Path, args: argparse.Namespace) -> WrkResult:
    """wrk against a bare ASGI callable answering 302 under the same uvicorn: the floor."""
    (tmp / "bare_asgi.py").write_text(BARE_ASGI.format(target=TARGET))
    port = free_port()
    command = [
        str(Path(sys.executable).with_name("uvicorn")),
        "bare_asgi:app",
        "--app-dir",
        str(tmp),
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command)
    try:
        wait_until_listening(port, process)
        run_wrk(wrk, f"http://127.0.0.1:{port}/{CODE}", 1, args.connections)  # warm-up
        return run_wrk(wrk, f"http://127.0.0.1:{port}/{CODE}", args.seconds, args.connections)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(20)


def main() -> None:
    """Run every server under the same load and print the figures and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per server")
    parser.add_argument("--connections", type=int, default=32, help="wrk keep-alive connections")
    parser.add_argument("--workers", type=int, default=1, help="serve-links processes")
    parser.add_argument("--burst-connections", type=int, default=20)
    parser.add_argument("--burst-per-connection", type=int, default=500)
    parser.add_argument("--no-install", action="store_true", help="do not apt-get missing tools")
    args = parser.parse_args()
    nginx, wrk = ensure_tools(install=not args.no_install)
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="bench-redirect-") as name:
        tmp = Path(name)
        ours = bench_serve_links(wrk, tmp, args)
        bare = bench_bare_uvicorn(wrk, tmp, args)
        baseline = bench_nginx(nginx, wrk, tmp, args, workers=1)
        nginx_all = bench_nginx(nginx, wrk, tmp, args, workers=cores)

    measured: WrkResult = ours["wrk"]  # type: ignore[assignment]
    print(f"wrk -t1 -c{args.connections} -d{args.seconds}s on 127.0.0.1, {cores} cores")
    print(f"{'server':<40} {'redirects/s':>12} {'p50 ms':>8} {'p99 ms':>8} {'x nginx':>8}")
    rows = [
        ("nginx return 302, 1 worker (baseline)", baseline),
        (f"nginx return 302, {cores} workers", nginx_all),
        ("bare ASGI 302 under uvicorn, 1 process", bare),
        (f"campaign serve-links, {args.workers} process(es)", measured),
    ]
    for label, result in rows:
        print(
            f"{label:<40} {result.rps:>12,.0f} {result.p50:>8.2f} {result.p99:>8.2f} "
            f"{result.rps / baseline.rps:>8.2f}"
        )
    sent = args.burst_connections * args.burst_per_connection
    surplus = int(ours["wrk_clicks"]) - measured.requests  # type: ignore[call-overload]
    print(f"serve-links non-3xx answers under wrk: {measured.errors}")
    print(
        f"clicks during wrk: {ours['wrk_clicks']:,} for {measured.requests:,} answers wrk "
        f"counted (+{surplus} still in flight when wrk hung up; at most {args.connections})"
    )
    print(
        f"exact burst then SIGTERM: {sent:,} sent, {ours['redirects']:,} redirects, "
        f"{ours['burst_clicks']:,} clicks written"
    )
    exact = ours["redirects"] == sent == ours["burst_clicks"] and 0 <= surplus <= args.connections
    print("click count:", "EXACT" if exact else "MISMATCH")
    sys.exit(0 if exact and measured.errors == 0 else 1)


if __name__ == "__main__":
    main()
