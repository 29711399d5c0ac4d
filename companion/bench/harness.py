"""What the benchmarks share: servers in child processes, one load client, the command line, tables.

Each benchmark module (:mod:`companion.bench.loop`, :mod:`companion.bench.io`,
:mod:`companion.bench.workers`) measures something different; the machinery to measure it is
here, written once:

- :class:`ServerProcess` starts an echo server in a child process (``python -m MODULE KIND``,
  which prints its port on a line of its own), keeps it stopped (SIGSTOP) except while it is
  measured, reads the CPU time it has used from ``/proc``, and stops it with SIGINT;
- :func:`drive` is the one load client every echo server faces: many connections, one message
  in flight on each, stopping after a number of round trips or after a time, and measuring its
  own CPU time and, if given the server, the server's;
- :func:`cores` picks two different CPUs, one for the client and one for the server, so that the
  two never take turns on one CPU (each is pinned with :func:`os.sched_setaffinity`);
- :func:`add_arguments` and :func:`sizes_for` are the shared command line (``--quick``,
  ``--repeat N``, ``--json PATH``);
- :func:`begin` starts a run's report (a :class:`companion.bench.results.Report`: the command,
  Python, the machine, the load average at the start) and prints its header, :func:`show` adds
  a table to it and prints it, and :func:`finish` ends it (the load average at the end, the
  total time) and writes it as JSON if ``--json`` asked for it.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import resource
import selectors
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from companion.bench.results import (
    Cell,
    Column,
    Environment,
    Quantity,
    Report,
    Table,
    load_now,
    reports_to_json,
)

__all__ = [
    "CHUNK",
    "Cell",
    "Column",
    "Quantity",
    "Report",
    "Run",
    "ServerProcess",
    "Table",
    "add_arguments",
    "begin",
    "child_env",
    "cores",
    "drive",
    "finish",
    "in_turns",
    "one_cpu",
    "pinned",
    "placement",
    "placement_line",
    "raise_fd_limit",
    "show",
    "sizes_for",
]

Seconds = float
CHUNK = 65536  # bytes asked of each recv(), by the servers and by the client
S = TypeVar("S")


def child_env() -> dict[str, str]:
    """The environment of a child process: this one's, with this checkout first on the path."""
    root = str(Path(__file__).resolve().parents[2])
    return dict(os.environ, PYTHONPATH=os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]))


def cores() -> tuple[int | None, int | None]:
    """Two different CPUs this process may run on, for the client and the server; or no pinning.

    With fewer than two CPUs (or where affinity is not supported) both are None: the client and
    the server then share what there is.
    """
    try:
        allowed = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return None, None
    if len(allowed) < 2:
        return None, None
    return allowed[0], allowed[1]


def one_cpu() -> int | None:
    """The CPU to run both sides of a hand-off on, or None where pinning is unavailable.

    On two free cores, the two sides of a hand-off would sit on a core each, and a hand-off
    would measure how fast one core wakes the other. On one core, it is a context switch.
    """
    if not hasattr(os, "sched_getaffinity"):
        return None
    return min(os.sched_getaffinity(0))


def _pin(pid: int, cpu: int | None) -> None:
    if cpu is not None:
        os.sched_setaffinity(pid, {cpu})


@contextlib.contextmanager
def pinned(cpu: int | None) -> Iterator[None]:
    """Run the calling thread on *cpu* only (None: leave it be) inside the block.

    On Linux this pins the calling thread, and the threads and processes it starts meanwhile
    inherit it.
    """
    if cpu is None:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {cpu})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def _proc_status(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/status") as status:
        return dict(line.split(":\t", 1) for line in status if ":\t" in line)


def _kib(value: str) -> int:
    number, unit = value.split()
    assert unit == "kB", value
    return int(number) * 1024


class ServerProcess:
    """An echo server running in a child process: ``python -m MODULE KIND``, stopped by SIGINT.

    It is kept stopped (SIGSTOP) except inside :meth:`running`, so that a server waiting for its
    turn takes no CPU time from the one being measured; with *cpu*, it runs on that CPU only.
    """

    def __init__(self, module: str, kind: str, *, label: str | None = None, cpu: int | None = None):
        self.label = label or kind
        self.process = subprocess.Popen(
            [sys.executable, "-m", module, kind], stdout=subprocess.PIPE, text=True, env=child_env()
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.strip().isdigit():
            self.close()
            raise RuntimeError(f"echo server {kind!r} did not start (it printed {line!r})")
        self.port = int(line)
        _pin(self.process.pid, cpu)
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
        """Return the user and system CPU time the process (all its threads) has used so far."""
        with open(f"/proc/{self.process.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
        return (utime + stime) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        """Stop the server with SIGINT, as Ctrl-C would, and wait for it.

        The signal is sent again every 2 seconds until the server has gone (for 30 seconds;
        then it is killed): a SIGINT that lands just before the server's loop blocks in
        ``select()`` waits, in asyncio's runner and in a plain selectors loop, until the loop
        wakes for something else, which an idle server never does (see the Control-C section of
        the structured-concurrency chapter). A second signal finds the loop blocked, and wakes
        it; pending signals of one kind merge, so the handler still runs once.
        """
        if self.process.poll() is None:
            for _ in range(15):
                self.process.send_signal(signal.SIGINT)
                self.process.send_signal(signal.SIGCONT)  # a stopped process acts on SIGINT after
                try:
                    self.process.wait(timeout=2)
                    break
                except subprocess.TimeoutExpired:
                    continue
            else:
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


def _own_cpu() -> Seconds:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass(slots=True)
class Run:
    """What one run of :func:`drive` measured."""

    round_trips: int
    seconds: Seconds  # from the first send to the end
    client_cpu: Seconds  # this process's user + system time over the same span
    server_cpu: Seconds | None = None  # the server's, if drive() was given it


def _send(sock: socket.socket, message: bytes) -> None:
    # One message in flight, so the socket's send buffer is empty: a small message fits at once.
    if sock.send(message) != len(message):
        raise RuntimeError(f"a {len(message)}-byte message did not fit in an empty send buffer")


def drive(
    port: int,
    connections: int,
    *,
    each: int | None = None,
    seconds: Seconds | None = None,
    size: int = 64,
    server: ServerProcess | None = None,
    sample: Callable[[], None] | None = None,
    stall: Seconds = 30.0,
) -> Run:
    """Ping-pong *size*-byte messages on *connections* connections to ``127.0.0.1:port``.

    One message is in flight on each connection at a time. Give exactly one of *each* (every
    connection makes that many round trips, then closes) and *seconds* (all of them go on
    until that much time has passed since the first send). The connections are all open before
    the first send, and the figures count from there: the round trips, the time, this process's
    CPU time and, with *server*, the server process's. *sample* is called once before the first
    send, every 50 ms, and once every connection has made its first round trip.
    :exc:`RuntimeError` if nothing comes back for *stall* seconds, or if a message does not fit
    in the socket's send buffer at once (*size* is too big).
    """
    if (each is None) == (seconds is None):
        raise ValueError("give either each or seconds")
    if connections < 1 or size < 1 or (each is not None and each < 1):
        raise ValueError("connections, each and size must be at least 1")
    if seconds is not None and seconds <= 0:
        raise ValueError("seconds must be positive")
    trips = -1 if each is None else each  # -1: no count, run until the time is up
    message = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    selector = selectors.DefaultSelector()
    socks: list[socket.socket] = []
    try:
        for _ in range(connections):
            sock = socket.create_connection(("127.0.0.1", port))
            socks.append(sock)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ, [size, trips])  # bytes due, trips left
        if sample is not None:
            sample()
        clock = time.perf_counter
        server_cpu = server.cpu_seconds() if server is not None else 0.0
        cpu = _own_cpu()
        start = clock()
        deadline = None if seconds is None else start + seconds
        for sock in socks:
            _send(sock, message)
        count, open_, first = 0, connections, connections
        after_first = -2 if each is None else each - 1  # trips left after a connection's first
        next_sample = start
        last_progress = start
        while open_:
            now = clock()
            if deadline is not None and now >= deadline:
                break
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
                data = sock.recv(CHUNK)
                if not data:
                    raise ConnectionError("the echo server closed the connection")
                state: list[int] = key.data
                state[0] -= len(data)
                if state[0] > 0:
                    continue
                count += 1
                state[0], state[1] = size, state[1] - 1
                if state[1] == after_first:
                    first -= 1
                    if first == 0 and sample is not None:
                        sample()
                if state[1]:
                    _send(sock, message)
                else:
                    selector.unregister(sock)
                    sock.close()
                    open_ -= 1
        elapsed = clock() - start
        client_cpu = _own_cpu() - cpu
        server_used = server.cpu_seconds() - server_cpu if server is not None else None
        return Run(count, elapsed, client_cpu, server_used)
    finally:
        for sock in socks:
            sock.close()
        selector.close()


def in_turns(
    servers: Sequence[ServerProcess], repeat: int, measure: Callable[[ServerProcess], Run]
) -> list[list[Run]]:
    """Measure each server *repeat* times, in turns: every server once, then every one again.

    Taking turns spreads a change in the machine's load over all the servers instead of one;
    each server runs only while it is measured (see :meth:`ServerProcess.running`).
    """
    runs: list[list[Run]] = [[] for _ in servers]
    for _ in range(repeat):
        for server, server_runs in zip(servers, runs, strict=True):
            with server.running():
                server_runs.append(measure(server))
    return runs


# --- The command line and the report --------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser, *, repeat: int, quick: str) -> None:
    """Add the options every benchmark takes: ``--quick`` (*quick* says what it does) and
    ``--repeat N`` (*repeat* is the default)."""
    parser.add_argument("--quick", action="store_true", help=f"{quick}: seconds, for tests")
    parser.add_argument(
        "--repeat", type=int, metavar="N", help=f"repetitions per median (default {repeat})"
    )
    parser.add_argument(
        "--json",
        metavar="PATH",
        help="also write the run (every figure, the machine, the load average) as JSON to PATH",
    )


def sizes_for(args: argparse.Namespace, full: S, quick: S) -> S:
    """The sizes a benchmark runs with: *quick* or *full*, with ``--repeat`` if given."""
    sizes = quick if args.quick else full
    if args.repeat is not None:
        if args.repeat < 1:
            raise ValueError(f"--repeat must be at least 1, got {args.repeat}")
        sizes = dataclasses.replace(sizes, repeat=args.repeat)  # type: ignore[type-var]
    return sizes


def raise_fd_limit(needed: int) -> str:
    """Raise the soft limit of open files to *needed* if the hard limit allows; describe it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            raise RuntimeError(f"{needed} open files are needed; the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
        return f"open files: soft limit raised from {soft:,} to {needed:,} (hard {hard:,})"
    return f"open files: soft limit {soft:,}, enough (hard {hard:,})"


def placement(client_cpu: int | None, server_cpu: int | None) -> dict[str, int] | None:
    """Where the client and the servers run, as data (see :func:`cores`); None: not pinned."""
    if client_cpu is None or server_cpu is None:
        return None
    return {"client": client_cpu, "server": server_cpu}


def placement_line(client_cpu: int | None, server_cpu: int | None) -> str:
    """The header line that says where the client and the servers ran (see :func:`cores`)."""
    if client_cpu is None:
        return "CPUs: the client and the servers are not pinned (fewer than two CPUs to choose)"
    return f"CPUs: the client runs on CPU {client_cpu}, every server on CPU {server_cpu}"


def begin(
    benchmark: str,
    args: argparse.Namespace,
    command: str,
    *lines: str,
    repeat: int,
    pinned: dict[str, int] | None = None,
) -> Report:
    """Start the report of a run: note the machine and the load average now, print the header.

    *lines* are the benchmark's own header lines; *pinned* says which CPU each part runs on.
    Each table is then added with :func:`show`, and :func:`finish` ends the report.
    """
    run = Report(
        benchmark=benchmark,
        command=command,
        environment=Environment.here(pinned=pinned, notes=lines),
        repeat=repeat,
        quick=bool(args.quick),
        load_start=load_now(),
    )
    print(run.header_text(), flush=True)
    return run


def show(run: Report, table: Table) -> None:
    """Add *table* to *run*'s report, and print it (with its title and notes, then a blank line)."""
    run.tables.append(table)
    print(table.text() + "\n", flush=True)


def finish(run: Report, args: argparse.Namespace, started: float) -> None:
    """End *run*'s report: note the load average now and the total time, print them, and write
    the run as JSON to the path ``--json`` gave, if any."""
    run.load_end = load_now()
    run.total_seconds = round(time.perf_counter() - started, 1)
    print(run.footer_text(), flush=True)
    if args.json is not None:
        Path(args.json).write_text(reports_to_json([run]), encoding="utf-8")
