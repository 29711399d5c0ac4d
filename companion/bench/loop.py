"""Benchmark of :mod:`companion.loop` against asyncio's default event loop and uvloop.

``python -m companion.bench loop`` runs every workload on every loop, in one run, and prints a
table of medians and ratios, then the book's targets with PASS or MISS. The workloads:

- task switches: tasks taking turns with ``sleep(0)``, over 1, 100 and 10,000 tasks, beside a
  bare generator trampoline (a deque of plain generators and ``next()``: no tasks, no timers, no
  IO), the ceiling of any loop written in Python;
- spawning and joining 100,000 trivial tasks, and 10,000 tasks each sleeping 10 ms: time, and
  the peak of memory allocated by Python during the run, from :mod:`tracemalloc` (measured in a
  run of its own, since tracing slows everything down);
- echo round trips over loopback: 64-byte messages, one in flight per connection, at 1, 50
  and 1,000 connections, against :mod:`companion.loop.echo`, asyncio streams, a callback server
  on bare :mod:`selectors` (:func:`companion.io_models.serve_selector`, which registers each
  socket once), and, as references, asyncio's Protocol servers on asyncio's loop and uvloop. Each
  server runs in a child process pinned to one CPU, and faces one load client
  (:func:`companion.bench.harness.drive`) pinned to another; the servers are measured in turns.
  The figure that decides the targets is the server's CPU time per round trip (from ``/proc``),
  which does not depend on how fast the client is; round trips per second and the client's own
  CPU time are printed beside it, so that you can see when the client is the limit.

``--only echo`` (or ``switches``, ``spawning``; the option may be repeated) runs only those
parts, and checks only their targets: the echo part alone takes a few minutes, the whole run
several.

The figures depend on the machine and on what else it is doing: read the ratios, not the numbers,
and never turn them into a test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import importlib
import statistics
import time
import tracemalloc
from collections import deque
from collections.abc import Callable, Coroutine, Generator
from dataclasses import dataclass
from functools import partial
from typing import Any

import companion.loop as cloop
from companion.bench import harness
from companion.bench.servers import new_uvloop

__all__ = ["SUMMARY", "Sizes", "add_arguments", "main"]

SUMMARY = "companion.loop against asyncio and uvloop: switches, spawns, sleepers, echo"
SERVERS_MODULE = "companion.bench.servers"

Seconds = float
Runner = Callable[[Coroutine[Any, Any, Any]], Any]


@dataclass(frozen=True, slots=True)
class Sizes:
    """How big each workload is, and how many times it is repeated."""

    repeat: int = 5
    switches: int = 300_000  # sleep(0) calls per repetition, shared among the tasks
    switch_tasks: tuple[int, ...] = (1, 100, 10_000)
    spawns: int = 100_000
    sleepers: int = 10_000
    sleep: Seconds = 0.010
    echo_seconds: Seconds = 1.0  # counting time per repetition, per server
    echo_connections: tuple[int, ...] = (1, 50, 1_000)
    echo_size: int = 64


QUICK = Sizes(
    repeat=3,
    switches=20_000,
    switch_tasks=(1, 100, 1_000),
    spawns=10_000,
    sleepers=1_000,
    echo_seconds=0.05,
    echo_connections=(1, 10),
)


# --- The loops under test -------------------------------------------------------------------------


def _uvloop_version() -> str | None:
    try:
        uvloop = importlib.import_module("uvloop")  # not typed everywhere, nor always installed
    except ImportError:
        return None
    return str(uvloop.__version__)


def _run_asyncio(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coro)


def _run_uvloop(coro: Coroutine[Any, Any, Any]) -> Any:
    with asyncio.Runner(loop_factory=new_uvloop) as runner:
        return runner.run(coro)


# --- Workloads, written once per API --------------------------------------------------------------
# Each returns the seconds it took, timed inside the loop (so that making and closing the loop is
# not counted), and, when tracemalloc is tracing, the peak of memory it added, in bytes.


def _mark() -> tuple[float, int]:
    if tracemalloc.is_tracing():
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
    else:
        base = 0
    return time.perf_counter(), base


def _since(mark: tuple[float, int]) -> tuple[Seconds, int]:
    elapsed = time.perf_counter() - mark[0]
    peak = tracemalloc.get_traced_memory()[1] - mark[1] if tracemalloc.is_tracing() else 0
    return elapsed, peak


async def _c_switcher(turns: int) -> None:
    for _ in range(turns):
        await cloop.sleep(0)


async def _a_switcher(turns: int) -> None:
    for _ in range(turns):
        await asyncio.sleep(0)


async def _trivial() -> None:
    pass


async def _c_switches(tasks: int, turns: int) -> tuple[Seconds, int]:
    spawned = [cloop.spawn(_c_switcher(turns)) for _ in range(tasks)]
    mark = _mark()  # spawning is the next workload's business; the first turn is counted here
    for task in spawned:
        await task.join()
    return _since(mark)


async def _a_switches(tasks: int, turns: int) -> tuple[Seconds, int]:
    spawned = [asyncio.create_task(_a_switcher(turns)) for _ in range(tasks)]
    mark = _mark()
    for task in spawned:
        await task
    return _since(mark)


async def _c_spawns(count: int) -> tuple[Seconds, int]:
    mark = _mark()
    spawned = [cloop.spawn(_trivial()) for _ in range(count)]
    for task in spawned:
        await task.join()
    return _since(mark)


async def _a_spawns(count: int) -> tuple[Seconds, int]:
    mark = _mark()
    spawned = [asyncio.create_task(_trivial()) for _ in range(count)]
    for task in spawned:
        await task
    return _since(mark)


async def _c_sleepers(count: int, seconds: Seconds) -> tuple[Seconds, int]:
    mark = _mark()
    spawned = [cloop.spawn(cloop.sleep(seconds)) for _ in range(count)]
    for task in spawned:
        await task.join()
    return _since(mark)


async def _a_sleepers(count: int, seconds: Seconds) -> tuple[Seconds, int]:
    mark = _mark()
    spawned = [asyncio.create_task(asyncio.sleep(seconds)) for _ in range(count)]
    for task in spawned:
        await task
    return _since(mark)


def _trampoline(tasks: int, turns: int) -> Seconds:
    """Time a bare round robin of plain generators: the ceiling of a loop written in Python."""

    def switcher() -> Generator[None, None, None]:
        for _ in range(turns):
            yield

    ready = deque(switcher() for _ in range(tasks))
    popleft, append = ready.popleft, ready.append
    start = time.perf_counter()
    while ready:
        gen = popleft()
        try:
            next(gen)
        except StopIteration:
            continue
        append(gen)
    return time.perf_counter() - start


# --- Measuring ------------------------------------------------------------------------------------


@dataclass(slots=True)
class Figure:
    """The median of a measurement over the repetitions (None: not measured)."""

    value: float | None
    unit: str  # "/s", "s" or "B"


def _median_time(repeat: int, once: Callable[[], Seconds]) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        times.append(once())
    return statistics.median(times)


def _traced_peak(once: Callable[[], tuple[Seconds, int]]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        return once()[1]
    finally:
        tracemalloc.stop()


@dataclass(slots=True)
class Row:
    """One line of a table: a workload, its figure on each loop, and ratios."""

    label: str
    figures: dict[str, Figure]


LOOPS = ("companion.loop", "asyncio", "uvloop")


def _runners(have_uvloop: bool) -> dict[str, Runner]:
    runners: dict[str, Runner] = {"companion.loop": cloop.run, "asyncio": _run_asyncio}
    if have_uvloop:
        runners["uvloop"] = _run_uvloop
    return runners


def _switch_rows(sizes: Sizes, runners: dict[str, Runner]) -> list[Row]:
    rows = []
    for tasks in sizes.switch_tasks:
        turns = max(1, sizes.switches // tasks)
        total = turns * tasks
        figures = {}
        for name, run in runners.items():
            coro_of = _c_switches if name == "companion.loop" else _a_switches

            def once(
                run: Runner = run, coro_of: Any = coro_of, tasks: int = tasks, turns: int = turns
            ) -> Seconds:
                elapsed: Seconds = run(coro_of(tasks, turns))[0]
                return elapsed

            figures[name] = Figure(total / _median_time(sizes.repeat, once), "/s")
        ceiling = _median_time(sizes.repeat, partial(_trampoline, tasks, turns))
        figures["trampoline"] = Figure(total / ceiling, "/s")
        rows.append(Row(f"sleep(0), {tasks:,} task{'s' if tasks > 1 else ''}", figures))
    return rows


def _time_and_memory(
    sizes: Sizes,
    runners: dict[str, Runner],
    label: str,
    workloads: tuple[Callable[[], Coroutine[Any, Any, tuple[Seconds, int]]], ...],
) -> tuple[Row, Row]:
    times, peaks = {}, {}
    for name, run in runners.items():
        make = workloads[0] if name == "companion.loop" else workloads[1]

        def once(run: Runner = run, make: Any = make) -> tuple[Seconds, int]:
            result: tuple[Seconds, int] = run(make())
            return result

        def elapsed(once: Callable[[], tuple[Seconds, int]] = once) -> Seconds:
            return once()[0]

        times[name] = Figure(_median_time(sizes.repeat, elapsed), "s")
        peaks[name] = Figure(_traced_peak(once), "B")
    return Row(f"{label}: time", times), Row(f"{label}: peak memory", peaks)


@dataclass(slots=True)
class Echo:
    """The medians of one echo server at one number of connections (None: not measurable)."""

    rate: float  # round trips per second
    server_cpu: float | None  # server CPU seconds per round trip
    client_cpu: float | None  # client CPU seconds per round trip
    client_share: float  # client CPU time over wall-clock time: 1.0 is a whole CPU


ECHO_KINDS = ("companion", "asyncio-streams", "selectors", "asyncio-protocol")
UVLOOP_KINDS = ("uvloop-streams", "uvloop-protocol")


def _per_trip(seconds: list[float], trips: list[int]) -> float | None:
    per = [s / t for s, t in zip(seconds, trips, strict=True) if t]
    return statistics.median(per) if per and any(per) else None


def _echo_run(server: harness.ServerProcess, *, sizes: Sizes, connections: int) -> harness.Run:
    return harness.drive(
        server.port,
        connections,
        seconds=sizes.echo_seconds,
        size=sizes.echo_size,
        server=server,
    )


def _echo(sizes: Sizes, have_uvloop: bool, server_cpu: int | None) -> dict[int, dict[str, Echo]]:
    """Measure every echo server at each number of connections, in turns (see harness.in_turns)."""
    kinds = [*ECHO_KINDS, *(UVLOOP_KINDS if have_uvloop else ())]
    results: dict[int, dict[str, Echo]] = {}
    for connections in sizes.echo_connections:
        with contextlib.ExitStack() as stack:
            servers = [
                stack.enter_context(harness.ServerProcess(SERVERS_MODULE, kind, cpu=server_cpu))
                for kind in kinds
            ]
            runs = harness.in_turns(
                servers,
                sizes.repeat,
                partial(_echo_run, sizes=sizes, connections=connections),
            )
        results[connections] = {
            kind: Echo(
                rate=statistics.median(r.round_trips / r.seconds for r in kind_runs),
                server_cpu=_per_trip(
                    [r.server_cpu or 0.0 for r in kind_runs], [r.round_trips for r in kind_runs]
                ),
                client_cpu=_per_trip(
                    [r.client_cpu for r in kind_runs], [r.round_trips for r in kind_runs]
                ),
                client_share=statistics.median(r.client_cpu / r.seconds for r in kind_runs),
            )
            for kind, kind_runs in zip(kinds, runs, strict=True)
        }
    return results


# --- Printing -------------------------------------------------------------------------------------


def _cell(figure: Figure | None) -> harness.Cell:
    if figure is None or figure.value is None:
        return None
    value = figure.value
    if figure.unit == "s":
        return harness.Quantity(value * 1e3, "ms", 1)
    if figure.unit == "B":
        return harness.Quantity(value / 2**20, "MiB", 1)
    return harness.Quantity(value, "/s")


def _ratio(a: Figure | None, b: Figure | None) -> float | None:
    if a is None or b is None or not a.value or not b.value:
        return None
    return a.value / b.value


PARTS = ("switches", "spawning", "echo")


@dataclass(slots=True)
class Target:
    """A goal for companion.loop: *measured* (a ratio) must be >= or <= *bound*."""

    label: str
    measured: float | None
    bound: float
    at_least: bool  # True: measured >= bound; False: measured <= bound
    part: str = "echo"  # the part of the benchmark that measures it (see PARTS)

    def verdict(self) -> str:
        """Return PASS, MISS, or n/a if the figure is missing (uvloop not installed)."""
        if self.measured is None:
            return "n/a"
        return "PASS" if self.margin() >= 0 else "MISS"

    def margin(self) -> float:
        """Return how much better than the bound the measured ratio is (negative: short of it)."""
        assert self.measured is not None
        if self.at_least:
            return self.measured / self.bound - 1
        return self.bound / self.measured - 1


def _targets(rows: dict[str, Row], sizes: Sizes) -> list[Target]:
    def fig(label: str, loop: str) -> Figure | None:
        row = rows.get(label)
        return None if row is None else row.figures.get(loop)

    one = "sleep(0), 1 task"
    hundred = "sleep(0), 100 tasks"
    spawns = f"spawn+join {sizes.spawns:,} tasks"
    sleepers = f"{sizes.sleepers:,} sleepers of {sizes.sleep * 1e3:g} ms"
    c, a, u = "companion.loop", "asyncio", "uvloop"
    switches = [
        Target(
            f"{hundred}: switches/s vs asyncio", _ratio(fig(hundred, c), fig(hundred, a)), 3.0, True
        ),
        Target(
            f"{hundred}: switches/s vs uvloop", _ratio(fig(hundred, c), fig(hundred, u)), 1.5, True
        ),
        Target(f"{one}: switches/s vs asyncio", _ratio(fig(one, c), fig(one, a)), 1.5, True),
    ]
    spawning = [
        Target(
            f"{spawns}: time vs asyncio",
            _ratio(fig(f"{spawns}: time", c), fig(f"{spawns}: time", a)),
            0.5,
            False,
        ),
        Target(
            f"{spawns}: memory vs asyncio",
            _ratio(fig(f"{spawns}: peak memory", c), fig(f"{spawns}: peak memory", a)),
            0.5,
            False,
        ),
        Target(
            f"{sleepers}: time vs asyncio",
            _ratio(fig(f"{sleepers}: time", c), fig(f"{sleepers}: time", a)),
            1.0,
            False,
        ),
    ]
    for target in switches:
        target.part = "switches"
    for target in spawning:
        target.part = "spawning"
    return [*switches, *spawning]


def _echo_targets(echo: dict[int, dict[str, Echo]]) -> list[Target]:
    """The echo targets: companion.loop's server CPU per round trip against two others'."""
    targets = []
    for connections, servers in echo.items():
        plural = "s" if connections > 1 else ""
        label = f"echo, {connections:,} connection{plural}: server CPU/trip"
        mine = servers["companion"].server_cpu
        for other, name, bound in (
            ("asyncio-streams", "asyncio streams", 0.67),
            ("selectors", "selectors server", 1.25),
        ):
            theirs = servers[other].server_cpu
            ratio = None if mine is None or not theirs else mine / theirs
            targets.append(Target(f"{label} vs {name}", ratio, bound, False))
    return targets


def _show_switches(
    run: harness.Report, sizes: Sizes, runners: dict[str, Runner], rows: dict[str, Row]
) -> None:
    """Measure and print the task switches."""
    names = list(runners)
    ratio = harness.Column
    switch_rows = _switch_rows(sizes, runners)
    table = harness.Table(
        "switches",
        [
            "Task switches per second: N tasks taking turns with sleep(0) "
            f"({sizes.switches:,} switches in all per repetition)"
        ],
        [
            harness.Column("workload"),
            *(harness.Column(n, "/s") for n in [*names, "trampoline"]),
            *(ratio(f"vs {n}", "x", 2) for n in names[1:]),
            harness.Column("of trampoline", "%"),
        ],
        notes=[
            "trampoline: a deque of plain generators resumed with next(): no tasks, timers or IO."
        ],
    )
    for row in switch_rows:
        rows[row.label] = row
        c = row.figures["companion.loop"]
        table.add(
            row.label,
            *(_cell(row.figures[n]) for n in [*names, "trampoline"]),
            *(_ratio(c, row.figures[n]) for n in names[1:]),
            (_ratio(c, row.figures["trampoline"]) or 0) * 100,
        )
    harness.show(run, table)


def _show_spawning(
    run: harness.Report, sizes: Sizes, runners: dict[str, Runner], rows: dict[str, Row]
) -> None:
    """Measure and print spawning and sleeping: time and peak memory."""
    names = list(runners)
    ratio = harness.Column
    spawns = _time_and_memory(
        sizes,
        runners,
        f"spawn+join {sizes.spawns:,} tasks",
        (lambda: _c_spawns(sizes.spawns), lambda: _a_spawns(sizes.spawns)),
    )
    sleepers = _time_and_memory(
        sizes,
        runners,
        f"{sizes.sleepers:,} sleepers of {sizes.sleep * 1e3:g} ms",
        (
            lambda: _c_sleepers(sizes.sleepers, sizes.sleep),
            lambda: _a_sleepers(sizes.sleepers, sizes.sleep),
        ),
    )
    table = harness.Table(
        "spawning",
        ["Spawning and sleeping: time (median), and peak memory"],
        [
            harness.Column("workload"),
            *(harness.Column(n) for n in names),
            *(ratio(f"vs {n}", "x", 2) for n in names[1:]),
        ],
        notes=[
            "peak memory: tracemalloc's peak of Python allocations during the workload, above what",
            "was allocated when it started, in one traced run apart from the timed ones.",
        ],
    )
    for row in [*spawns, *sleepers]:
        rows[row.label] = row
        c = row.figures["companion.loop"]
        table.add(
            row.label,
            *(_cell(row.figures[n]) for n in names),
            *(_ratio(c, row.figures[n]) for n in names[1:]),
        )
    harness.show(run, table)


def _show_echo(run: harness.Report, sizes: Sizes, echo: dict[int, dict[str, Echo]]) -> None:
    """Print the echo table."""
    ratio = harness.Column
    table = harness.Table(
        "echo",
        [
            f"Echo over 127.0.0.1: {sizes.echo_size}-byte messages, one in flight per connection, "
            f"{sizes.echo_seconds:g} s per run"
        ],
        [
            harness.Column("server"),
            harness.Column("connections"),
            harness.Column("round trips/s", "/s"),
            harness.Column("server CPU/trip", "us", 1),
            ratio("companion/this", "x", 2),
            harness.Column("client CPU/trip", "us", 1),
            harness.Column("client CPU", "%"),
        ],
        notes=[
            "server CPU/trip: the server process's user + system time (from /proc) over the round",
            "trips it served; companion/this: companion's figure over this one (below 1: companion",
            "used less). client: one selectors loop in this process "
            "(companion.bench.harness.drive),",
            "each server in a child process, measured in turns; client CPU: its share of one CPU.",
            "Near 100% the client, not the server, limits round trips/s; the CPU per trip does not",
            "depend on that.",
        ],
    )
    for connections, servers in echo.items():
        mine = servers["companion"].server_cpu
        for kind, figure in servers.items():
            theirs = figure.server_cpu
            table.add(
                kind,
                connections,
                figure.rate,
                None if theirs is None else theirs * 1e6,
                None if mine is None or not theirs else mine / theirs,
                None if figure.client_cpu is None else figure.client_cpu * 1e6,
                figure.client_share * 100,
            )
    harness.show(run, table)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add this benchmark's options to *parser*."""
    harness.add_arguments(parser, repeat=Sizes().repeat, quick="small workloads, 3 repetitions")
    parser.add_argument(
        "--only",
        choices=PARTS,
        action="append",
        help="run only this part (repeatable; default: every part); its targets alone are checked",
    )


def main(args: argparse.Namespace, *, command: str = "python -m companion.bench loop") -> int:
    """Run the benchmark with the options in *args*, print the report, return the exit code 0."""
    sizes = harness.sizes_for(args, Sizes(), QUICK)
    uvloop_version = _uvloop_version()
    have_uvloop = uvloop_version is not None
    runners = _runners(have_uvloop)
    started = time.perf_counter()
    limit = harness.raise_fd_limit(max(sizes.echo_connections) + 100)
    client_cpu, server_cpu = harness.cores()
    run = harness.begin(
        "loop",
        args,
        command,
        f"uvloop: {uvloop_version if have_uvloop else 'not installed (its column is skipped)'}",
        limit,
        harness.placement_line(client_cpu, server_cpu) + " (echo only)",
        repeat=sizes.repeat,
        pinned=harness.placement(client_cpu, server_cpu),
    )
    rows: dict[str, Row] = {}
    ratio = harness.Column
    parts = set(args.only or PARTS)
    if "switches" in parts:
        _show_switches(run, sizes, runners, rows)
    if "spawning" in parts:
        _show_spawning(run, sizes, runners, rows)
    echo: dict[int, dict[str, Echo]] = {}
    if "echo" in parts:
        with harness.pinned(client_cpu):
            echo = _echo(sizes, have_uvloop, server_cpu)
        _show_echo(run, sizes, echo)
    table = harness.Table(
        "targets",
        ["Targets for companion.loop"],
        [
            harness.Column("target"),
            harness.Column("required"),
            ratio("measured", "x", 2),
            harness.Column("result"),
            harness.Column("margin", "%", signed=True),
        ],
        notes=[
            "margin: how much better than the bound the measured ratio is "
            "(negative: the shortfall)."
        ],
    )
    for target in [*_targets(rows, sizes), *_echo_targets(echo)]:
        if target.part not in parts:
            continue
        required = f"{'>=' if target.at_least else '<='} {target.bound:g}x"
        margin = None if target.measured is None else target.margin() * 100
        table.add(target.label, required, target.measured, target.verdict(), margin)
    harness.show(run, table)
    harness.finish(run, args, started)
    return 0
