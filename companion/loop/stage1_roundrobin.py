"""Stage 1 of the loop: plain generators, taking turns from a queue.

The first of the standalone programs the book builds :mod:`companion.loop` from (the package
itself does not use them). A task is a generator; each ``yield`` hands control back to the
scheduler, which puts the task at the back of the queue and resumes the next one. This is
round robin, and it is already what ``sleep(0)`` does in the finished loop.

>>> from companion.loop.stage1_roundrobin import main
>>> main()
a 3
b 2
a 2
b 1
a 1
b is done
a is done
"""

from collections import deque
from collections.abc import Generator, Iterable

__all__ = ["countdown", "main", "run"]

Task = Generator[None, None, None]


def countdown(name: str, n: int) -> Task:
    """Print *name* and a count from *n* down to 1, letting the other tasks run after each."""
    while n > 0:
        print(name, n)
        yield  # "let the others run": the scheduler decides who goes next
        n -= 1
    print(name, "is done")


def run(tasks: Iterable[Task]) -> None:
    """Run *tasks* in turns until all of them have finished."""
    ready = deque(tasks)
    while ready:
        task = ready.popleft()
        try:
            next(task)  # run it up to its next yield
        except StopIteration:
            continue  # finished: it leaves the queue
        ready.append(task)  # back of the queue: everyone else goes first


def main() -> None:
    """Two countdowns sharing one thread."""
    run([countdown("a", 3), countdown("b", 2)])


if __name__ == "__main__":
    main()
