"""Benchmark of processes, threads and coroutines on CPU-bound work and on waiting.

``python -m companion.bench workers`` measures, in one run:

- CPU-bound work: N equal jobs of :func:`companion.workers.spin` (a pure-Python loop), run one
  after another, on N threads, on N processes, and as N asyncio tasks, for N = the number of
  CPUs and that number plus two. For each: the wall time, the jobs' CPU time divided by the wall
  time (how many cores were busy, on average), and the speed-up over running them one by one. The
  processes' figure includes starting them; a row of empty jobs shows what starting costs.
- Hand-offs: two threads, two processes, or two asyncio tasks passing a token back and forth,
  in round trips per second: each round trip is two switches from one to the other. Both sides
  are pinned to one CPU (on Linux), so that each hand-off is a context switch on that CPU, not a
  wake-up of another core.
- Waiting: 1,000 and 10,000 threads, or asyncio tasks, each waiting on a timer at the same time.
  Each case runs in a fresh Python process (``python -m companion.bench.workers wait ...``),
  which reports its timings, its peak resident memory (``ru_maxrss`` of
  :func:`resource.getrusage`) and its peak virtual memory (``VmPeak`` of ``/proc/self/status``,
  on Linux); the table shows how much more memory that is than in a fresh process that runs the
  same case with no waiters.

The figures depend on the machine and on what else it is doing: read the ratios, not the numbers,
and never turn them into a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection

from companion.bench import harness
from companion.workers import Job, timed_spin

__all__ = ["SUMMARY", "Sizes", "add_arguments", "main", "wait_case"]

SUMMARY = "processes, threads and asyncio tasks: CPU-bound jobs, hand-offs, 10,000 waits"

Seconds = float


@dataclass(frozen=True, slots=True)
class Sizes:
    """How big each workload is, and how many times it is repeated."""

    repeat: int = 3
    spin: int = 4_000_000  # loop steps per CPU-bound job
    extra_workers: int = 2  # N = CPUs, then CPUs + extra_workers
    handoffs: int = 20_000  # round trips per repetition
    waiters: tuple[int, ...] = (1_000, 10_000)
    wait: Seconds = 5.0  # how long each waiter waits on its timer


QUICK = Sizes(repeat=1, spin=100_000, handoffs=500, waiters=(100, 1_000), wait=0.1)

MODES = ("one by one", "threads", "processes", "asyncio tasks")


def _cores() -> int:
    return os.cpu_count() or 1


# --- CPU-bound jobs -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CpuFigure:
    """One CPU-bound run: the wall time, and the CPU time the jobs' threads used in all."""

    wall: Seconds
    cpu: Seconds


def _one_by_one(jobs: int, spin: int) -> list[Job]:
    return [timed_spin(spin) for _ in range(jobs)]


def _threads(jobs: int, spin: int) -> list[Job]:
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(timed_spin, [spin] * jobs))


def _processes(jobs: int, spin: int) -> list[Job]:
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(timed_spin, [spin] * jobs))


def _asyncio_tasks(jobs: int, spin: int) -> list[Job]:
    async def job() -> Job:
        return timed_spin(spin)  # no await inside: the task keeps the thread until it is done

    async def all_jobs() -> list[Job]:
        return list(await asyncio.gather(*(job() for _ in range(jobs))))

    return asyncio.run(all_jobs())


RUNNERS: dict[str, Callable[[int, int], list[Job]]] = {
    "one by one": _one_by_one,
    "threads": _threads,
    "processes": _processes,
    "asyncio tasks": _asyncio_tasks,
}


def _cpu_run(mode: str, jobs: int, spin: int) -> CpuFigure:
    start = time.perf_counter()
    done = RUNNERS[mode](jobs, spin)
    wall = time.perf_counter() - start
    if len(done) != jobs:
        raise RuntimeError(f"{mode}: {len(done)} of {jobs} jobs came back")
    return CpuFigure(wall, sum(job.cpu for job in done))


def _median_cpu(repeat: int, mode: str, jobs: int, spin: int) -> CpuFigure:
    runs = [_cpu_run(mode, jobs, spin) for _ in range(repeat)]
    wall = statistics.median(run.wall for run in runs)
    return CpuFigure(wall, statistics.median(run.cpu for run in runs))


# --- Hand-offs ------------------------------------------------------------------------------------


def _echo_token(conn: Connection, rounds: int, cpu: int | None) -> None:
    """Send back each token that arrives on *conn*, *rounds* times (the far side of a ping-pong)."""
    with harness.pinned(cpu), conn:  # a child of a fork server inherits the server's CPUs, not ours
        for _ in range(rounds):
            conn.send_bytes(conn.recv_bytes())


def _ping(conn: Connection, rounds: int) -> Seconds:
    conn.send_bytes(b"x")  # one round trip first, untimed: the peer has started
    conn.recv_bytes()
    start = time.perf_counter()
    for _ in range(rounds):
        conn.send_bytes(b"x")
        conn.recv_bytes()
    return time.perf_counter() - start


def _handoff_threads(rounds: int) -> Seconds:
    mine, theirs = multiprocessing.Pipe()
    cpu = harness.one_cpu()
    peer = threading.Thread(target=_echo_token, args=(theirs, rounds + 1, cpu))
    with harness.pinned(cpu), mine:
        peer.start()
        try:
            return _ping(mine, rounds)
        finally:
            peer.join()


def _handoff_processes(rounds: int) -> Seconds:
    mine, theirs = multiprocessing.Pipe()
    cpu = harness.one_cpu()
    peer = multiprocessing.Process(target=_echo_token, args=(theirs, rounds + 1, cpu))
    with harness.pinned(cpu), mine:
        peer.start()
        theirs.close()  # the child has its own copy
        try:
            return _ping(mine, rounds)
        finally:
            peer.join()
            peer.close()


def _handoff_tasks(rounds: int) -> Seconds:
    async def echo(inbox: asyncio.Queue[bytes], outbox: asyncio.Queue[bytes]) -> None:
        for _ in range(rounds):
            outbox.put_nowait(await inbox.get())

    async def ping() -> Seconds:
        there: asyncio.Queue[bytes] = asyncio.Queue()
        back: asyncio.Queue[bytes] = asyncio.Queue()
        peer = asyncio.create_task(echo(there, back))
        start = time.perf_counter()
        for _ in range(rounds):
            there.put_nowait(b"x")
            await back.get()
        elapsed = time.perf_counter() - start
        await peer
        return elapsed

    with harness.pinned(harness.one_cpu()):  # one thread anyway; pinned like the others
        return asyncio.run(ping())


HANDOFFS: dict[str, Callable[[int], Seconds]] = {
    "threads": _handoff_threads,
    "processes": _handoff_processes,
    "asyncio tasks": _handoff_tasks,
}


# --- Waiting, each case in a fresh process --------------------------------------------------------


def _vm_peak() -> int | None:
    """Return the peak virtual memory of this process in bytes (Linux), or None."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmPeak:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _max_rss() -> int:
    """Return the peak resident memory of this process in bytes (ru_maxrss is KiB on Linux)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024


# Each waiter notes when its wait began and ended. No gate holds them back until all have
# started: a gate would wake them all at the same instant afterwards, and 10,000 threads woken
# at once spend seconds queueing for the GIL. The report says whether the waits overlapped.

Marks = list[tuple[float, float]]  # (began, ended) of each waiter's wait


def _wait_threads(count: int, seconds: Seconds) -> tuple[Seconds, Marks]:
    marks: Marks = []  # list.append is thread-safe in CPython: no lock needed

    def waiter() -> None:
        began = time.perf_counter()
        time.sleep(seconds)
        marks.append((began, time.perf_counter()))

    threads = [threading.Thread(target=waiter) for _ in range(count)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return start, marks


def _wait_tasks(count: int, seconds: Seconds) -> tuple[Seconds, Marks]:
    async def run() -> tuple[Seconds, Marks]:
        marks: Marks = []

        async def waiter() -> None:
            began = time.perf_counter()
            await asyncio.sleep(seconds)
            marks.append((began, time.perf_counter()))

        start = time.perf_counter()
        await asyncio.gather(*(waiter() for _ in range(count)))
        return start, marks

    return asyncio.run(run())


WAITERS: dict[str, Callable[[int, Seconds], tuple[Seconds, Marks]]] = {
    "threads": _wait_threads,
    "asyncio tasks": _wait_tasks,
}


def wait_case(kind: str, count: int, seconds: Seconds) -> dict[str, float | None]:
    """Start *count* waiters of *kind*, each waiting *seconds* on a timer; report how it went.

    Meant to run in a fresh process (it is what ``python -m companion.bench.workers wait KIND
    COUNT SECONDS`` runs), so that the memory figures belong to this case alone; a run with
    *count* 0 is the baseline to subtract. The report, in seconds and bytes:

    - ``start``: from starting the first waiter until the last had begun to wait;
    - ``total``: from starting the first until the last had finished;
    - ``overlap``: how long they were all waiting at once (negative: never all at once);
    - ``late`` and ``latest``: the median and the maximum of how much longer than *seconds*
      each waiter's wait took;
    - ``rss`` and ``virtual``: the process's peak resident and virtual memory so far
      (``virtual`` is None off Linux).

    With no waiters, the timings are None.
    """
    if kind not in WAITERS:
        raise ValueError(f"kind must be one of {sorted(WAITERS)}, got {kind!r}")
    if count < 0 or seconds < 0:
        raise ValueError(f"count and seconds must be >= 0, got {count} and {seconds}")
    start, marks = WAITERS[kind](count, seconds)
    if len(marks) != count:
        raise RuntimeError(f"{len(marks)} of {count} waiters finished")
    report: dict[str, float | None] = dict.fromkeys(["start", "total", "overlap", "late", "latest"])
    if marks:
        began, ended = [b for b, _ in marks], [e for _, e in marks]
        report["start"] = max(began) - start
        report["total"] = max(ended) - start
        report["overlap"] = min(ended) - max(began)
        lateness = [e - b - seconds for b, e in marks]
        report["late"], report["latest"] = statistics.median(lateness), max(lateness)
    return {**report, "rss": _max_rss(), "virtual": _vm_peak()}


def _wait_in_child(kind: str, count: int, seconds: Seconds) -> dict[str, float | None]:
    command = [sys.executable, "-m", "companion.bench.workers", "wait", kind, str(count)]
    result = subprocess.run(
        [*command, repr(seconds)],
        capture_output=True,
        text=True,
        env=harness.child_env(),
        timeout=120 + 2 * seconds,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{kind} waiting case failed: {result.stderr.strip()}")
    report: dict[str, float | None] = json.loads(result.stdout)
    return report


# --- Printing -------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add this benchmark's options to *parser*."""
    harness.add_arguments(parser, repeat=Sizes().repeat, quick="small workloads, 1 repetition")


def _gil_line() -> str:
    gil = getattr(sys, "_is_gil_enabled", lambda: True)()
    return (
        f"GIL: {'enabled' if gil else 'disabled'}; switch interval "
        f"{sys.getswitchinterval() * 1e3:g} ms; "
        f"process start method: {multiprocessing.get_start_method()}"
    )


def _cpu_table(sizes: Sizes) -> harness.Table:
    cores = _cores()
    table = harness.Table(
        "cpu",
        [
            f"CPU-bound: N jobs of {sizes.spin:,} steps of a pure-Python loop "
            "(companion.workers.spin)"
        ],
        [
            harness.Column("N"),
            harness.Column("run as"),
            harness.Column("wall time", "ms"),
            harness.Column("busy cores", "", 2),
            harness.Column("speed-up", "x", 2),
        ],
        notes=[
            "busy cores: the jobs' CPU time (time.thread_time in each job) over the wall time.",
            "speed-up: wall time one by one over this wall time. processes: a new pool each",
            "time, so starting N processes is counted; 'empty jobs' is that cost alone.",
        ],
    )
    for jobs in (cores, cores + sizes.extra_workers):
        serial: CpuFigure | None = None
        for mode in MODES:
            figure = _median_cpu(sizes.repeat, mode, jobs, sizes.spin)
            serial = serial or figure
            table.add(
                jobs, mode, figure.wall * 1e3, figure.cpu / figure.wall, serial.wall / figure.wall
            )
        empty = _median_cpu(sizes.repeat, "processes", jobs, 0)
        table.add(jobs, "processes, empty jobs", empty.wall * 1e3, None, None)
    return table


def _handoff_table(sizes: Sizes) -> harness.Table:
    pinned = (
        "all on one CPU" if harness.one_cpu() is not None else "not pinned (no sched_setaffinity)"
    )
    table = harness.Table(
        "handoffs",
        [f"Hand-offs: two parties passing a token back and forth, {sizes.handoffs:,} round trips"],
        [
            harness.Column("between two"),
            harness.Column("round trips", "/s"),
            harness.Column("per hand-off", "us", 1),
        ],
        notes=[
            "threads and processes: a multiprocessing.Pipe, each side blocking in recv_bytes();",
            "asyncio tasks: two asyncio.Queue objects in one thread. A round trip is two switches.",
            f"Both sides: {pinned}, so that a hand-off is a switch, not a wake-up of another core.",
        ],
    )
    for name, run in HANDOFFS.items():
        seconds = statistics.median(run(sizes.handoffs) for _ in range(sizes.repeat))
        per_switch = seconds / (2 * sizes.handoffs)
        table.add(name, sizes.handoffs / seconds, per_switch * 1e6)
    return table


def _median(reports: list[dict[str, float | None]], key: str) -> float | None:
    values = [report[key] for report in reports]
    numbers = [value for value in values if value is not None]
    return statistics.median(numbers) if numbers and len(numbers) == len(values) else None


def _growth(after: float | None, before: float | None) -> float | None:
    return None if after is None or before is None else after - before


def _wait_table(sizes: Sizes) -> harness.Table:
    mib, kib = 2**20, 2**10
    table = harness.Table(
        "waiting",
        [f"Waiting: N waiters each waiting {sizes.wait:g} s on a timer, all at once"],
        [
            harness.Column("N"),
            harness.Column("waiters"),
            harness.Column("start", "ms"),
            harness.Column("total", "ms"),
            harness.Column("all waiting"),
            harness.Column("late", "ms", 1),
            harness.Column("latest", "ms"),
            harness.Column("memory", "MiB", 1),
            harness.Column("per waiter", "KiB", 1),
            harness.Column("virtual", "MiB", 1),
        ],
        notes=[
            "start: until the last waiter began to wait; total: until the last had finished; all",
            "waiting: whether every waiter was waiting at one moment; late / latest: the median /",
            f"the maximum of how much longer than {sizes.wait:g} s each wait took.",
            "memory / virtual: peak resident memory (ru_maxrss) / peak virtual memory "
            "(VmPeak) of a",
            "fresh process that ran the case, minus the same in a fresh process with no waiters.",
        ],
    )
    for kind in WAITERS:
        runs = [_wait_in_child(kind, 0, sizes.wait) for _ in range(sizes.repeat)]
        rss0, virtual0 = _median(runs, "rss"), _median(runs, "virtual")
        for count in sizes.waiters:
            runs = [_wait_in_child(kind, count, sizes.wait) for _ in range(sizes.repeat)]
            rss = _growth(_median(runs, "rss"), rss0)
            virtual = _growth(_median(runs, "virtual"), virtual0)
            overlap = _median(runs, "overlap")
            table.add(
                count,
                kind,
                (_median(runs, "start") or 0.0) * 1e3,
                (_median(runs, "total") or 0.0) * 1e3,
                None if overlap is None else ("yes" if overlap > 0 else "no"),
                (_median(runs, "late") or 0.0) * 1e3,
                (_median(runs, "latest") or 0.0) * 1e3,
                None if rss is None else rss / mib,
                None if rss is None else rss / count / kib,
                None if virtual is None else virtual / mib,
            )
    return table


def main(args: argparse.Namespace, *, command: str = "python -m companion.bench workers") -> int:
    """Run the benchmark with the options in *args*, print the report, return the exit code 0."""
    sizes = harness.sizes_for(args, Sizes(), QUICK)
    started = time.perf_counter()
    cpu = harness.one_cpu()
    run = harness.begin(
        "workers",
        args,
        command,
        _gil_line(),
        repeat=sizes.repeat,
        pinned=None if cpu is None else {"hand-offs": cpu},
    )
    harness.show(run, _cpu_table(sizes))
    harness.show(run, _handoff_table(sizes))
    harness.show(run, _wait_table(sizes))
    harness.finish(run, args, started)
    return 0


def _child_main(argv: Sequence[str]) -> int:
    """Run one waiting case (``wait KIND COUNT SECONDS``) and print its report as JSON."""
    if len(argv) != 4 or argv[0] != "wait":
        print("usage: python -m companion.bench.workers wait KIND COUNT SECONDS", file=sys.stderr)
        return 2
    print(json.dumps(wait_case(argv[1], int(argv[2]), float(argv[3]))))
    return 0


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1:]))
