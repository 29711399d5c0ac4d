"""Benchmark of the five IO-model echo servers of :mod:`companion.io_models`.

``python -m companion.bench io`` runs every server at 1, 50 and 1,000 concurrent connections, in
one run, and prints a table: round trips per second, the CPU time each side used, the server's
peak memory, and the threads it ran. Each server runs in a process of its own (``python -m
companion.io_models NAME``), started afresh for each number of connections, and faces one load
client in this process (:func:`drive`). The repetitions are taken in turns (every server once,
then every server again), and each server is kept stopped (SIGSTOP) except while it is measured,
so that a change in the machine's load falls on all of them and no idle server takes CPU time
from the one being measured.

How each figure is taken:

- round trips per second: *connections* connections are opened first; then each sends a 64-byte
  message, waits until all of it has come back, and sends the next, *each* times, then closes.
  The figure is all the round trips divided by the time from the first send to the last close.
- CPU: the user plus system time the server process (from ``/proc/PID/stat``) and the client
  (from :func:`resource.getrusage`) used during the run, as a share of its wall-clock time. A
  side near 100% is the limit: one Python thread cannot use more than one CPU.
- client max: the client's own ceiling, round trips per second of the client's CPU time: what
  it would drive if it had a CPU to itself and the server answered at once. A server whose
  figure comes near it is measuring the client.
- peak RSS: the server process's peak resident set size, ``VmHWM`` in ``/proc/PID/status`` (what
  ``ru_maxrss`` reports), over all the repetitions; "growth" subtracts its resident size when it
  was idle, just started. This is memory the OS gave the whole process, interpreter included,
  not Python's allocations alone.
- threads: the most threads the server process had at once, sampled from
  ``/proc/PID/status`` once all connections are open, every 50 ms, and when every connection
  has made its first round trip. A connection closes after its last round trip, so the thread
  per connection server may never hold all of them at the same moment.
- reference: the same client against the fastest echo server at hand, a
  :class:`asyncio.Protocol` on uvloop (on asyncio's own loop without uvloop), from
  :mod:`companion.bench.servers`.

Linux only (``/proc``). The figures depend on the machine and on what else it is doing.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import platform
import resource
import selectors
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from companion.io_models import SERVERS

__all__ = ["QUICK", "SUMMARY", "ServerProcess", "Sizes", "add_arguments", "drive", "main"]

SUMMARY = "the five IO-model echo servers at 1, 50 and 1,000 connections"

Seconds = float


@dataclass(frozen=True, slots=True)
class Sizes:
    """How big the benchmark is."""

    connections: tuple[int, ...] = (1, 50, 1_000)
    round_trips: int = 12_000  # per run, shared among the connections
    min_each: int = 10  # round trips per connection, at least
    repeat: int = 5
    size: int = 64  # bytes per message

    def each(self, connections: int) -> int:
        """Round trips each connection makes when there are *connections* of them."""
        return max(self.min_each, self.round_trips // connections)


QUICK = Sizes(connections=(1, 10, 50), round_trips=1_000, min_each=5, repeat=1)
"""A run of a few seconds, for tests."""


# --- The servers, in child processes --------------------------------------------------------------


def _proc_status(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/status") as status:
        return dict(line.split(":\t", 1) for line in status if ":\t" in line)


def _kib(value: str) -> int:
    number, unit = value.split()
    assert unit == "kB", value
    return int(number) * 1024


class ServerProcess:
    """An echo server running in a child process: ``python -m MODULE KIND``, stopped by SIGINT."""

    def __init__(self, module: str, kind: str) -> None:
        self.label = kind
        root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]))
        self.process = subprocess.Popen(
            [sys.executable, "-m", module, kind], stdout=subprocess.PIPE, text=True, env=env
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.strip().isdigit():
            self.close()
            raise RuntimeError(f"echo server {kind!r} did not start (it printed {line!r})")
        self.port = int(line)
        self.idle_rss = _kib(_proc_status(self.process.pid)["VmRSS"])
        self.peak_threads = 0
        self.process.send_signal(signal.SIGSTOP)  # until running() lets it go on

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        """Let the stopped process run (SIGCONT) inside the block, and stop it (SIGSTOP) after."""
        self.process.send_signal(signal.SIGCONT)
        try:
            yield
        finally:
            self.process.send_signal(signal.SIGSTOP)

    def peak_rss(self) -> int:
        """Return the peak resident set size of the process so far, in bytes."""
        return _kib(_proc_status(self.process.pid)["VmHWM"])

    def sample_threads(self) -> None:
        """Note how many threads the process has now, keeping the most seen."""
        threads = int(_proc_status(self.process.pid)["Threads"])
        self.peak_threads = max(self.peak_threads, threads)

    def cpu_seconds(self) -> Seconds:
        """Return the user and system CPU time the process has used so far."""
        with open(f"/proc/{self.process.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
        return (utime + stime) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        """Stop the server with SIGINT, as Ctrl-C would, and wait for it."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.send_signal(signal.SIGCONT)  # a stopped process acts on SIGINT after
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        assert self.process.stdout is not None
        self.process.stdout.close()
        if self.process.returncode != 0:
            raise RuntimeError(f"echo server {self.label!r} exited with {self.process.returncode}")

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


# --- The load client ------------------------------------------------------------------------------


def _client_cpu() -> Seconds:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass(slots=True)
class Run:
    """What one run of :func:`drive` measured."""

    round_trips: int
    seconds: Seconds
    client_cpu: Seconds


def _send(sock: socket.socket, message: bytes) -> None:
    # One message in flight, so the socket's send buffer is empty: a small message fits at once.
    if sock.send(message) != len(message):
        raise RuntimeError(f"a {len(message)}-byte message did not fit in an empty send buffer")


def drive(
    port: int,
    connections: int,
    each: int,
    *,
    size: int = 64,
    sample: Callable[[], None] | None = None,
    stall: Seconds = 30.0,
) -> Run:
    """Open *connections* to the echo server on ``127.0.0.1:port``; make *each* round trips on each.

    One message of *size* bytes is in flight on each connection at a time; a connection closes
    once it has made its round trips. *sample* is called every 50 ms and once every connection
    has made its first round trip (and once before the first send).
    :exc:`RuntimeError` if nothing comes back for *stall* seconds, or if a message does not fit
    in the socket's send buffer at once (*size* is too big).
    """
    if connections < 1 or each < 1 or size < 1:
        raise ValueError("connections, each and size must be at least 1")
    message = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    selector = selectors.DefaultSelector()
    socks: list[socket.socket] = []
    try:
        for _ in range(connections):
            sock = socket.create_connection(("127.0.0.1", port))
            socks.append(sock)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ, [size, each])  # bytes due, trips left
        if sample is not None:
            sample()
        clock = time.perf_counter
        cpu = _client_cpu()
        start = clock()
        for sock in socks:
            _send(sock, message)
        count, open_, first = 0, connections, connections
        next_sample = start
        last_progress = start
        while open_:
            now = clock()
            if sample is not None and now >= next_sample:
                sample()
                next_sample = now + 0.05
            ready = selector.select(0.05)
            if ready:
                last_progress = now
            elif now - last_progress > stall:
                raise RuntimeError(f"no echo for {stall} s; {count} round trips made")
            for key, _events in ready:
                sock = key.fileobj  # type: ignore[assignment]
                data = sock.recv(65536)
                if not data:
                    raise ConnectionError("the echo server closed the connection")
                state: list[int] = key.data
                state[0] -= len(data)
                if state[0] > 0:
                    continue
                count += 1
                state[0], state[1] = size, state[1] - 1
                if state[1] == each - 1:
                    first -= 1
                    if first == 0 and sample is not None:
                        sample()
                if state[1]:
                    _send(sock, message)
                else:
                    selector.unregister(sock)
                    sock.close()
                    open_ -= 1
        return Run(count, clock() - start, _client_cpu() - cpu)
    finally:
        for sock in socks:
            sock.close()
        selector.close()


# --- Measuring ------------------------------------------------------------------------------------


@dataclass(slots=True)
class Row:
    """The medians of one server at one number of connections."""

    server: str
    connections: int
    each: int
    rate: float  # round trips per second
    server_cpu: float  # share of the wall-clock time
    client_cpu: float
    client_max: float  # round trips per second of client CPU time
    peak_rss: int  # bytes
    growth: int  # bytes above the idle server's resident size
    threads: int
    runs: list[Run] = field(default_factory=list)


def _measure(servers: list[tuple[str, str, str]], connections: int, sizes: Sizes) -> list[Row]:
    """Measure every server at *connections* connections, the repetitions taken in turns.

    All the servers are started first, and each is stopped (SIGSTOP) except while it is being
    measured: a busy-polling server would otherwise spin through the others' runs. Taking the
    repetitions in turns (each server once, then each again) spreads a change in the machine's
    load over all of them instead of one.
    """
    each = sizes.each(connections)
    with contextlib.ExitStack() as stack:
        processes = [
            stack.enter_context(ServerProcess(module, kind)) for module, kind, _ in servers
        ]
        runs: list[list[Run]] = [[] for _ in servers]
        shares: list[list[float]] = [[] for _ in servers]
        for _ in range(sizes.repeat):
            for server, server_runs, server_shares in zip(processes, runs, shares, strict=True):
                with server.running():
                    cpu = server.cpu_seconds()
                    run = drive(
                        server.port,
                        connections,
                        each,
                        size=sizes.size,
                        sample=server.sample_threads,
                    )
                    server_shares.append((server.cpu_seconds() - cpu) / run.seconds)
                server_runs.append(run)
        return [
            Row(
                server=label,
                connections=connections,
                each=each,
                rate=statistics.median(r.round_trips / r.seconds for r in server_runs),
                server_cpu=statistics.median(server_shares),
                client_cpu=statistics.median(r.client_cpu / r.seconds for r in server_runs),
                client_max=statistics.median(
                    r.round_trips / max(r.client_cpu, 1e-9) for r in server_runs
                ),
                peak_rss=server.peak_rss(),
                growth=server.peak_rss() - server.idle_rss,
                threads=server.peak_threads,
                runs=server_runs,
            )
            for (_, _, label), server, server_runs, server_shares in zip(
                servers, processes, runs, shares, strict=True
            )
        ]


def _ceiling_server() -> tuple[str, str]:
    if importlib.util.find_spec("uvloop") is not None:
        return "uvloop-protocol", "reference: uvloop Protocol"
    return "asyncio-protocol", "reference: asyncio Protocol"


def _raise_fd_limit(needed: int) -> str:
    """Raise the soft limit of open files to *needed* if the hard limit allows; describe it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            raise RuntimeError(f"{needed} open files are needed; the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
        return f"open files: soft limit raised from {soft:,} to {needed:,} (hard {hard:,})"
    return f"open files: soft limit {soft:,}, enough (hard {hard:,})"


# --- Printing -------------------------------------------------------------------------------------


def _mib(value: int) -> str:
    return f"{value / 2**20:,.1f} MiB"


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


HEADER = [
    "server",
    "connections",
    "round trips/s",
    "vs asyncio",
    "server CPU",
    "client CPU",
    "client max",
    "peak RSS",
    "growth",
    "threads",
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add this benchmark's options to *parser*."""
    parser.add_argument(
        "--quick",
        action="store_true",
        help="1, 10 and 50 connections, 1,000 round trips, 1 repetition: seconds, for tests",
    )
    parser.add_argument(
        "--repeat", type=int, metavar="N", help="repetitions per median (default 5; quick: 1)"
    )


def main(args: argparse.Namespace, *, command: str = "python -m companion.bench io") -> int:
    """Run the benchmark with the options in *args*, print the report, return the exit code 0."""
    sizes = QUICK if args.quick else Sizes()
    if args.repeat is not None:
        if args.repeat < 1:
            raise ValueError(f"--repeat must be at least 1, got {args.repeat}")
        sizes = replace(sizes, repeat=args.repeat)
    started = time.perf_counter()
    limit = _raise_fd_limit(max(sizes.connections) + 100)
    print(f"command: {command}")
    print(
        f"Python {platform.python_version()} ({platform.python_implementation()}), "
        f"{platform.platform()}, {os.cpu_count()} CPUs"
    )
    print(limit)
    print(
        "load average at the start: {:.2f} {:.2f} {:.2f} (1, 5, 15 minutes)".format(
            *os.getloadavg()
        )
    )
    plural = "s" if sizes.repeat != 1 else ""
    mode = " (quick mode: small workloads)" if args.quick else ""
    print(f"medians of {sizes.repeat} repetition{plural}{mode}")
    print(flush=True)

    ceiling_kind, ceiling_label = _ceiling_server()
    servers = [("companion.io_models", kind, kind) for kind in SERVERS]
    servers.append(("companion.bench.servers", ceiling_kind, ceiling_label))
    rows: list[Row] = []
    for connections in sizes.connections:
        rows += _measure(servers, connections, sizes)

    print(
        f"Echo round trips over 127.0.0.1: {sizes.size}-byte messages, one in flight per "
        f"connection; {sizes.round_trips:,} round trips per run, shared among the connections"
    )
    print(f"(at least {sizes.min_each} each); each server in a process of its own")
    table = []
    for row in rows:
        (asyncio_row,) = [
            r for r in rows if r.server == "asyncio" and r.connections == row.connections
        ]
        table.append(
            [
                row.server,
                f"{row.connections:,}",
                f"{row.rate:,.0f}/s",
                f"{row.rate / asyncio_row.rate:.2f}x",
                f"{row.server_cpu:.0%}",
                f"{row.client_cpu:.0%}",
                f"{row.client_max:,.0f}/s",
                _mib(row.peak_rss),
                _mib(row.growth),
                f"{row.threads:,}",
            ]
        )
    print(_table(HEADER, table))
    print("round trips/s: all round trips of a run over its time, first send to last close.")
    print("server CPU, client CPU: user + system time over wall-clock time (100% = one CPU).")
    print("peak RSS: the server process's VmHWM (= ru_maxrss); growth: above its idle RSS.")
    print("threads: the most the server process had during the runs, read from /proc.")
    print("client max: round trips per second of client CPU time, the client's own ceiling;")
    print("near it, or near 100% client CPU, the client, not the server, limits the figure.")
    print("reference: this client against the fastest echo server at hand.")
    print("load average at the end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(f"\ntotal time: {time.perf_counter() - started:.1f} s", flush=True)
    return 0
