"""Benchmark of the GIL convoy effect: a CPU-bound thread slows two threads that talk over a socket.

David Beazley showed it in 2010: threads that only do IO, next to one that only computes, get far
less done than alone, although they need little CPU time. Each time an IO thread blocks (in
``recv()``, here) it releases the GIL, and the CPU-bound thread can take it; when the IO thread's
data arrives, it has to get the GIL back, and a thread that computes gives the GIL up only when
the interpreter asks it to, which a waiting thread brings about after the switch interval
(:func:`sys.getswitchinterval`). A conversation that blocks at every message meets that at every
message.

``python -m companion.bench convoy`` measures it with a ping-pong of 64-byte messages over a
:func:`socket.socketpair` between two threads of this process, the main one sending and an echo
thread answering, first alone and then beside a third thread spinning in a pure-Python loop
(:func:`companion.workers.spin`, which never releases the GIL of its own accord). It prints the
round trips per second of each, medians of the repetitions, taken in turns, and their ratio.
All the threads run on one CPU (where :func:`os.sched_setaffinity` exists): on two, whether the
two sides of the ping-pong land on one core or on two changes the figures far more than the GIL
does, and from run to run, as the operating system places them.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import threading
import time
from dataclasses import dataclass

from companion.bench import harness
from companion.workers import spin

__all__ = ["QUICK", "SUMMARY", "Sizes", "add_arguments", "main", "ping_pong"]

SUMMARY = "the GIL convoy: a two-thread socket ping-pong, alone and beside a CPU-bound thread"

Seconds = float
MESSAGE = bytes(range(64))


@dataclass(frozen=True, slots=True)
class Sizes:
    """How long each run lasts, and how many times it is repeated."""

    repeat: int = 5
    seconds: Seconds = 1.0


QUICK = Sizes(repeat=1, seconds=0.1)


def _echo(sock: socket.socket) -> None:
    with sock:
        while data := sock.recv(len(MESSAGE)):
            sock.sendall(data)


def _spin_until(stop: threading.Event) -> None:
    while not stop.is_set():
        spin(10_000)  # a few hundred microseconds of bytecode between two looks at the flag


def ping_pong(seconds: Seconds, *, beside_cpu_bound: bool) -> float:
    """Return the round trips per second of a two-thread ping-pong over *seconds*.

    With *beside_cpu_bound*, a third thread spins in pure Python meanwhile.
    """
    mine, theirs = socket.socketpair()
    stop = threading.Event()
    echo = threading.Thread(target=_echo, args=(theirs,))
    spinner = threading.Thread(target=_spin_until, args=(stop,))
    echo.start()
    if beside_cpu_bound:
        spinner.start()
    try:
        with mine:
            count = 0
            clock = time.perf_counter
            start = clock()
            end = start + seconds
            while clock() < end:
                mine.sendall(MESSAGE)
                received = 0
                while received < len(MESSAGE):
                    received += len(mine.recv(len(MESSAGE) - received))
                count += 1
            elapsed = clock() - start
            mine.shutdown(socket.SHUT_WR)  # the echo thread reads EOF and ends
    finally:
        stop.set()
        echo.join()
        if beside_cpu_bound:
            spinner.join()
    return count / elapsed


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add this benchmark's options to *parser*."""
    harness.add_arguments(parser, repeat=Sizes().repeat, quick="0.1 s runs, 1 repetition")


def main(args: argparse.Namespace, *, command: str = "python -m companion.bench convoy") -> int:
    """Run the benchmark with the options in *args*, print the report, return the exit code 0."""
    sizes = harness.sizes_for(args, Sizes(), QUICK)
    started = time.perf_counter()
    cpu = harness.one_cpu()
    where = f"all threads on CPU {cpu}" if cpu is not None else "threads not pinned"
    interval = f"switch interval: {sys.getswitchinterval() * 1e3:g} ms; {where}"
    run = harness.begin(
        "convoy",
        args,
        command,
        interval,
        repeat=sizes.repeat,
        pinned=None if cpu is None else {"threads": cpu},
    )
    alone: list[float] = []
    beside: list[float] = []
    with harness.pinned(cpu):  # the threads started inside inherit it
        for _ in range(sizes.repeat):  # in turns, so that a change of load falls on both
            alone.append(ping_pong(sizes.seconds, beside_cpu_bound=False))
            beside.append(ping_pong(sizes.seconds, beside_cpu_bound=True))
    rate_alone, rate_beside = statistics.median(alone), statistics.median(beside)
    table = harness.Table(
        "convoy",
        [
            f"GIL convoy: a ping-pong of {len(MESSAGE)}-byte messages between two threads over a "
            f"socketpair, {sizes.seconds:g} s per run"
        ],
        [
            harness.Column("ping-pong"),
            harness.Column("round trips/s", "/s"),
            harness.Column("vs alone", "x", 2),
        ],
        notes=[
            "CPU-bound thread: companion.workers.spin in a loop, pure Python, holding the GIL",
            "except when the interpreter asks it to let another thread run.",
        ],
    )
    table.add("alone", rate_alone, 1.0)
    table.add("beside a CPU-bound thread", rate_beside, rate_beside / rate_alone)
    harness.show(run, table)
    harness.finish(run, args, started)
    return 0
