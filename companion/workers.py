"""Small jobs for processes, threads and coroutines: importable, so a process pool can run them.

The chapter "Processes, threads and coroutines" hands these functions to
:class:`~concurrent.futures.ThreadPoolExecutor`, :class:`~concurrent.futures.ProcessPoolExecutor`
and asyncio, and :mod:`companion.bench.workers` times them. They live in a module, not in the
chapter, for one reason: a process pool sends a job to another interpreter by pickling it, and a
function pickles as a reference, its module and name, which the other interpreter imports. A
function defined in a REPL session or a doctest has no such address.

>>> spin(1_000)
1000
>>> appended([1, 2], 3)
[1, 2, 3]
"""

from __future__ import annotations

import operator
import os
import threading
import time
from typing import NamedTuple, TypeVar

__all__ = ["Job", "appended", "spin", "timed_spin"]

T = TypeVar("T")


# [workers-start:spin]
def spin(iterations: int) -> int:
    """Count down from *iterations* in a pure-Python loop; return how many steps it took.

    CPU-bound work with no IO and no calls into C that could release the GIL: every step is
    bytecode the interpreter runs while holding it.
    """
    iterations = operator.index(iterations)  # a float would never reach 0
    if iterations < 0:
        raise ValueError(f"iterations must be >= 0, got {iterations}")
    steps = 0
    while iterations:
        iterations -= 1
        steps += 1
    return steps


# [workers-end:spin]


def appended(items: list[T], item: T) -> list[T]:
    """Append *item* to *items*, and return *items*: the list this process or thread sees.

    >>> box: list[int] = []
    >>> appended(box, 7) is box
    True
    """
    items.append(item)
    return items


class Job(NamedTuple):
    """What :func:`timed_spin` reports: where the job ran, and the CPU time it used."""

    pid: int  # the process that ran it
    thread: int  # the operating system's id of the thread that ran it
    cpu: float  # CPU seconds of that thread while it ran (time.thread_time)


def timed_spin(iterations: int) -> Job:
    """Run :func:`spin`; return where it ran and the CPU time its thread spent on it.

    CPU time, not wall time: a thread that waits for the GIL, or for a core, is not charged.

    >>> job = timed_spin(10)
    >>> job.pid == os.getpid(), job.thread == threading.get_native_id(), job.cpu >= 0
    (True, True, True)
    """
    start = time.thread_time()
    spin(iterations)
    return Job(os.getpid(), threading.get_native_id(), time.thread_time() - start)
