"""Benchmark of the five IO-model echo servers of :mod:`companion.io_models`.

``python -m companion.bench io`` runs every server at 1, 50 and 1,000 concurrent connections, in
one run, and prints a table: round trips per second, the CPU time each side used, the server's
peak memory, and the threads it ran. Each server runs in a process of its own (``python -m
companion.io_models NAME``), started afresh for each number of connections, and faces one load
client in this process (:func:`companion.bench.harness.drive`); where there are two CPUs or
more, the servers run on one and the client on another. The repetitions are taken in turns (every
server once, then every server again), and each server is kept stopped (SIGSTOP) except while it
is measured, so that a change in the machine's load falls on all of them and no idle server takes
CPU time from the one being measured.

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
import statistics
import time
from dataclasses import dataclass, field

from companion.bench import harness
from companion.io_models import SERVERS

__all__ = ["QUICK", "SUMMARY", "Sizes", "add_arguments", "main"]

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
    runs: list[harness.Run] = field(default_factory=list)


def _measure(servers: list[tuple[str, str, str]], connections: int, sizes: Sizes) -> list[Row]:
    """Measure every server at *connections* connections, the repetitions taken in turns.

    All the servers are started first, each pinned to the server's CPU, and each is stopped
    (SIGSTOP) except while it is being measured: a busy-polling server would otherwise spin
    through the others' runs.
    """
    each = sizes.each(connections)
    _client_cpu, server_cpu = harness.cores()
    with contextlib.ExitStack() as stack:
        processes = [
            stack.enter_context(harness.ServerProcess(module, kind, label=label, cpu=server_cpu))
            for module, kind, label in servers
        ]
        runs = harness.in_turns(
            processes,
            sizes.repeat,
            lambda server: harness.drive(
                server.port,
                connections,
                each=each,
                size=sizes.size,
                server=server,
                sample=server.sample_threads,
            ),
        )
        return [
            Row(
                server=server.label,
                connections=connections,
                each=each,
                rate=statistics.median(r.round_trips / r.seconds for r in server_runs),
                server_cpu=statistics.median((r.server_cpu or 0) / r.seconds for r in server_runs),
                client_cpu=statistics.median(r.client_cpu / r.seconds for r in server_runs),
                client_max=statistics.median(
                    r.round_trips / max(r.client_cpu, 1e-9) for r in server_runs
                ),
                peak_rss=server.peak_rss(),
                growth=server.peak_rss() - server.idle_rss,
                threads=server.peak_threads,
                runs=server_runs,
            )
            for server, server_runs in zip(processes, runs, strict=True)
        ]


def _ceiling_server() -> tuple[str, str]:
    if importlib.util.find_spec("uvloop") is not None:
        return "uvloop-protocol", "reference: uvloop Protocol"
    return "asyncio-protocol", "reference: asyncio Protocol"


# --- Printing -------------------------------------------------------------------------------------


COLUMNS = [
    harness.Column("server"),
    harness.Column("connections"),
    harness.Column("round trips/s", "/s"),
    harness.Column("vs asyncio", "x", 2),
    harness.Column("server CPU", "%"),
    harness.Column("client CPU", "%"),
    harness.Column("client max", "/s"),
    harness.Column("peak RSS", "MiB", 1),
    harness.Column("growth", "MiB", 1),
    harness.Column("threads"),
]
NOTES = [
    "round trips/s: all round trips of a run over its time, first send to last close.",
    "server CPU, client CPU: user + system time over wall-clock time (100% = one CPU).",
    "peak RSS: the server process's VmHWM (= ru_maxrss); growth: above its idle RSS.",
    "threads: the most the server process had during the runs, read from /proc.",
    "client max: round trips per second of client CPU time, the client's own ceiling;",
    "near it, or near 100% client CPU, the client, not the server, limits the figure.",
    "reference: this client against the fastest echo server at hand.",
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add this benchmark's options to *parser*."""
    harness.add_arguments(
        parser, repeat=Sizes().repeat, quick="1, 10 and 50 connections, 1,000 round trips, once"
    )


def main(args: argparse.Namespace, *, command: str = "python -m companion.bench io") -> int:
    """Run the benchmark with the options in *args*, print the report, return the exit code 0."""
    sizes = harness.sizes_for(args, Sizes(), QUICK)
    started = time.perf_counter()
    limit = harness.raise_fd_limit(max(sizes.connections) + 100)
    client_cpu, server_cpu = harness.cores()
    run = harness.begin(
        "io",
        args,
        command,
        limit,
        harness.placement_line(client_cpu, server_cpu),
        repeat=sizes.repeat,
        pinned=harness.placement(client_cpu, server_cpu),
    )

    ceiling_kind, ceiling_label = _ceiling_server()
    servers = [("companion.io_models", kind, kind) for kind in SERVERS]
    servers.append(("companion.bench.servers", ceiling_kind, ceiling_label))
    rows: list[Row] = []
    with harness.pinned(client_cpu):
        for connections in sizes.connections:
            rows += _measure(servers, connections, sizes)

    table = harness.Table(
        "echo",
        [
            f"Echo round trips over 127.0.0.1: {sizes.size}-byte messages, one in flight per "
            f"connection; {sizes.round_trips:,} round trips per run, shared among the connections",
            f"(at least {sizes.min_each} each); each server in a process of its own",
        ],
        COLUMNS,
        notes=NOTES,
    )
    mib = 2**20
    for row in rows:
        (asyncio_row,) = [
            r for r in rows if r.server == "asyncio" and r.connections == row.connections
        ]
        table.add(
            row.server,
            row.connections,
            row.rate,
            row.rate / asyncio_row.rate,
            row.server_cpu * 100,
            row.client_cpu * 100,
            row.client_max,
            row.peak_rss / mib,
            row.growth / mib,
            row.threads,
        )
    harness.show(run, table)
    harness.finish(run, args, started)
    return 0
