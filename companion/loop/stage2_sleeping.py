"""Stage 2 of the loop: tasks that sleep, parked on a heap of timers.

A standalone program, the second step towards :mod:`companion.loop`. A task now yields how long
it wants to sleep. A task that yields 0 goes to the back of the ready queue, as in stage 1; any
other delay parks it on a heap ordered by deadline, and at every turn the scheduler moves the
tasks whose deadline has passed back to the queue. When no task is ready, the scheduler sleeps
until the first deadline: a loop with nothing to do must not spin.

The sleepers start in one order and wake in another, the order of their deadlines:

>>> from companion.loop.stage2_sleeping import main
>>> main()
slow goes to sleep
medium goes to sleep
fast goes to sleep
fast wakes up
medium wakes up
slow wakes up
"""

import heapq
import itertools
import time
from collections import deque
from collections.abc import Generator, Iterable

__all__ = ["main", "run", "sleeper"]

Task = Generator[float, None, None]


def sleeper(name: str, delay: float) -> Task:
    """Sleep *delay* seconds, saying so before and after."""
    print(name, "goes to sleep")
    yield delay
    print(name, "wakes up")


def run(tasks: Iterable[Task]) -> None:
    """Run *tasks* until all of them have finished, sleeping when none is ready."""
    ready = deque(tasks)
    timers: list[tuple[float, int, Task]] = []  # (deadline, tie-breaker, task)
    sequence = itertools.count()  # equal deadlines wake in the order they were set
    while ready or timers:
        if not ready:  # nothing to run: wait for the first deadline
            time.sleep(max(0.0, timers[0][0] - time.monotonic()))
        now = time.monotonic()
        while timers and timers[0][0] <= now:  # wake every task that is due, earliest first
            ready.append(heapq.heappop(timers)[2])
        if not ready:
            continue  # woke a hair too early: sleep again
        task = ready.popleft()
        try:
            delay = next(task)
        except StopIteration:
            continue
        if delay > 0:
            heapq.heappush(timers, (time.monotonic() + delay, next(sequence), task))
        else:
            ready.append(task)


def main() -> None:
    """Three sleepers that wake in the order of their deadlines, not of their start."""
    # A tenth of a second apart: a stall between two starts would have to last that long to
    # change the order in which they wake, even on a busy machine.
    run([sleeper("slow", 0.3), sleeper("medium", 0.2), sleeper("fast", 0.1)])


if __name__ == "__main__":
    main()
