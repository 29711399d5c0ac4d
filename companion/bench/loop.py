"""Benchmark of :mod:`companion.loop` against asyncio's default event loop and uvloop.

``python -m companion.bench loop`` runs every workload on every loop, in one run, and prints a
table of medians and ratios, then the book's targets with PASS or MISS. The workloads:

- task switches: tasks taking turns with ``sleep(0)``, over 1, 100 and 10,000 tasks, beside a
  bare generator trampoline (a deque of plain generators and ``next()``: no tasks, no timers, no
  IO), the ceiling of any loop written in Python;
- spawning and joining 100,000 trivial tasks, and 10,000 tasks each sleeping 10 ms: time, and
  the peak of memory allocated by Python during the run, from :mod:`tracemalloc` (measured in a
  run of its own, since tracing slows everything down);
- echo round trips over loopback: 64-byte messages, 1 and 50 connections, against
  :mod:`companion.loop.echo`, asyncio streams, and a callback server on bare :mod:`selectors`
  (:func:`companion.io_models.serve_selector`); each server in a child process, all facing one
  load client (:mod:`companion.bench.client`).

The figures depend on the machine and on what else it is doing: read the ratios, not the numbers,
and never turn them into a test.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections import deque
from collections.abc import Callable, Coroutine, Generator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import companion.loop as cloop
from companion.bench import client
from companion.bench.servers import new_uvloop

__all__ = ["SUMMARY", "Sizes", "add_arguments", "main"]

SUMMARY = "companion.loop against asyncio and uvloop: switches, spawns, sleepers, echo"

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
    echo_seconds: Seconds = 0.5  # counting time per repetition, per server
    echo_connections: tuple[int, ...] = (1, 50)
    echo_size: int = 64


QUICK = Sizes(
    repeat=3,
    switches=20_000,
    switch_tasks=(1, 100, 1_000),
    spawns=10_000,
    sleepers=1_000,
    echo_seconds=0.05,
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


class EchoServer:
    """An echo server of :mod:`companion.bench.servers` in a child process, as a context manager."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        root = str(Path(cloop.__file__).resolve().parents[2])
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "companion.bench.servers", kind],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.strip().isdigit():
            self.close()
            raise RuntimeError(f"echo server {kind!r} did not start (it printed {line!r})")
        self.port = int(line)

    def close(self) -> None:
        """Stop the server with SIGINT, as Ctrl-C would, and wait for it."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        assert self.process.stdout is not None
        self.process.stdout.close()
        if self.process.returncode != 0:
            raise RuntimeError(f"echo server {self.kind!r} exited with {self.process.returncode}")

    def __enter__(self) -> EchoServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _echo_rows(sizes: Sizes, have_uvloop: bool) -> list[Row]:
    kinds = ["companion", "asyncio-streams", "selectors", "asyncio-protocol"]
    if have_uvloop:
        kinds += ["uvloop-streams", "uvloop-protocol"]
    results: dict[int, dict[str, Figure]] = {n: {} for n in sizes.echo_connections}
    for kind in kinds:
        with EchoServer(kind) as server:
            for connections in sizes.echo_connections:
                rates = [
                    client.round_trips_per_second(
                        server.port, connections, sizes.echo_seconds, size=sizes.echo_size
                    )
                    for _ in range(sizes.repeat)
                ]
                results[connections][kind] = Figure(statistics.median(rates), "/s")
    rows = []
    for connections, figures in results.items():
        best = max(f.value or 0.0 for f in figures.values())
        figures["client ceiling"] = Figure(best, "/s")
        plural = "s" if connections > 1 else ""
        rows.append(Row(f"echo, {connections} connection{plural}", figures))
    return rows


# --- Printing -------------------------------------------------------------------------------------


def _format(figure: Figure | None) -> str:
    if figure is None or figure.value is None:
        return "-"
    value = figure.value
    if figure.unit == "s":
        return f"{value * 1e3:,.1f} ms"
    if figure.unit == "B":
        return f"{value / 2**20:,.1f} MiB"
    return f"{value:,.0f}/s"


def _ratio(a: Figure | None, b: Figure | None) -> float | None:
    if a is None or b is None or not a.value or not b.value:
        return None
    return a.value / b.value


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _times(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio:.2f}x"


@dataclass(slots=True)
class Target:
    """A goal for companion.loop: *measured* (a ratio) must be >= or <= *bound*."""

    label: str
    measured: float | None
    bound: float
    at_least: bool  # True: measured >= bound; False: measured <= bound

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
    echo = f"echo, {max(sizes.echo_connections)} connections"
    c, a, u = "companion.loop", "asyncio", "uvloop"
    return [
        Target(
            f"{hundred}: switches/s vs asyncio", _ratio(fig(hundred, c), fig(hundred, a)), 3.0, True
        ),
        Target(
            f"{hundred}: switches/s vs uvloop", _ratio(fig(hundred, c), fig(hundred, u)), 1.5, True
        ),
        Target(f"{one}: switches/s vs asyncio", _ratio(fig(one, c), fig(one, a)), 1.5, True),
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
        Target(
            f"{echo}: vs asyncio streams",
            _ratio(fig(echo, "companion"), fig(echo, "asyncio-streams")),
            2.0,
            True,
        ),
        Target(
            f"{echo}: vs selectors server",
            _ratio(fig(echo, "companion"), fig(echo, "selectors")),
            0.8,
            True,
        ),
    ]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add this benchmark's options to *parser*."""
    parser.add_argument(
        "--quick", action="store_true", help="small workloads, 3 repetitions: seconds, for tests"
    )
    parser.add_argument(
        "--repeat", type=int, metavar="N", help="repetitions per median (default 5; quick: 3)"
    )


def main(args: argparse.Namespace, *, command: str = "python -m companion.bench loop") -> int:
    """Run the benchmark with the options in *args*, print the report, return the exit code 0."""
    sizes = QUICK if args.quick else Sizes()
    if args.repeat is not None:
        if args.repeat < 1:
            raise ValueError(f"--repeat must be at least 1, got {args.repeat}")
        sizes = Sizes(**{**{f: getattr(sizes, f) for f in Sizes.__slots__}, "repeat": args.repeat})
    uvloop_version = _uvloop_version()
    have_uvloop = uvloop_version is not None
    runners = _runners(have_uvloop)
    started = time.perf_counter()
    print(f"command: {command}")
    print(
        f"Python {platform.python_version()} ({platform.python_implementation()}), "
        f"{platform.platform()}, {os.cpu_count()} CPUs"
    )
    print(f"uvloop: {uvloop_version if have_uvloop else 'not installed (its column is skipped)'}")
    plural = "s" if sizes.repeat != 1 else ""
    mode = " (quick mode: small workloads)" if args.quick else ""
    print(f"medians of {sizes.repeat} repetition{plural}{mode}")
    print(flush=True)
    names = list(runners)
    rows: dict[str, Row] = {}

    switch_rows = _switch_rows(sizes, runners)
    print(
        "Task switches per second: N tasks taking turns with sleep(0) "
        f"({sizes.switches:,} switches in all per repetition)"
    )
    header = ["workload", *names, "trampoline", *(f"vs {n}" for n in names[1:]), "of trampoline"]
    table = []
    for row in switch_rows:
        rows[row.label] = row
        c = row.figures["companion.loop"]
        table.append(
            [row.label, *(_format(row.figures[n]) for n in [*names, "trampoline"])]
            + [_times(_ratio(c, row.figures[n])) for n in names[1:]]
            + [f"{(_ratio(c, row.figures['trampoline']) or 0):.0%}"]
        )
    print(_table(header, table))
    print("trampoline: a deque of plain generators resumed with next(): no tasks, timers or IO.")
    print(flush=True)

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
    print("Spawning and sleeping: time (median), and peak memory")
    header = ["workload", *names, *(f"vs {n}" for n in names[1:])]
    table = []
    for row in [*spawns, *sleepers]:
        rows[row.label] = row
        c = row.figures["companion.loop"]
        table.append(
            [row.label, *(_format(row.figures[n]) for n in names)]
            + [_times(_ratio(c, row.figures[n])) for n in names[1:]]
        )
    print(_table(header, table))
    print("peak memory: tracemalloc's peak of Python allocations during the workload, above what")
    print("was allocated when it started, in one traced run apart from the timed ones.")
    print(flush=True)

    echo_rows = _echo_rows(sizes, have_uvloop)
    print(
        f"Echo round trips per second over 127.0.0.1: {sizes.echo_size}-byte messages, one in "
        f"flight per connection, {sizes.echo_seconds:g} s per repetition"
    )
    header = ["server"]
    for row in echo_rows:
        rows[row.label] = row
        header += [row.label.removeprefix("echo, "), "companion/this"]
    table = []
    for kind in echo_rows[0].figures:
        line = [kind]
        for row in echo_rows:
            line += [
                _format(row.figures[kind]),
                _times(_ratio(row.figures["companion"], row.figures[kind])),
            ]
        table.append(line)
    print(_table(header, table))
    print("client: companion.bench.client, one selectors loop in this process, each server in a")
    print("child process; 'client ceiling' is the fastest server measured: near it, the client,")
    print("not the server, limits the figure.")
    print(flush=True)

    print("Targets for companion.loop")
    table = []
    for target in _targets(rows, sizes):
        required = f"{'>=' if target.at_least else '<='} {target.bound:g}x"
        margin = "-" if target.measured is None else f"{target.margin():+.0%}"
        table.append([target.label, required, _times(target.measured), target.verdict(), margin])
    print(_table(["target", "required", "measured", "result", "margin"], table))
    print("margin: how much better than the bound the measured ratio is (negative: the shortfall).")
    print(f"\ntotal time: {time.perf_counter() - started:.1f} s", flush=True)
    return 0
