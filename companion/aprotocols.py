"""Async iteration and async context managers on asyncio: the demos of Part III.

The chapter "async for" shows :class:`ARange`, an async iterable written out with the protocol's
methods, ``__aiter__`` and ``__anext__``, and :func:`ticker`, the same idea written as an async
generator. The chapter "async with" shows :class:`Timer`, an async context manager written out
with ``__aenter__`` and ``__aexit__``, and :class:`Pool`, whose ``acquire()`` is one async
generator turned into a context manager by :func:`contextlib.asynccontextmanager`.

They await nothing but asyncio, so they run in any asyncio program, and each is safe to cancel at
every ``await``: a cancelled :class:`ARange` step takes no number, a cancelled :func:`ticker`
finishes, a cancelled :class:`Timer` block still records its time, and a :class:`Pool` slot always
comes back.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import math
import operator
from collections.abc import AsyncGenerator, AsyncIterator
from types import TracebackType
from typing import Self, SupportsIndex, overload

__all__ = ["ARange", "Pool", "Timer", "ticker"]


# --- Chapter "async for" -------------------------------------------------------------------------


class ARange:
    """An async iterable of the numbers of a :class:`range`, for ``async for``.

    It takes :class:`range`'s arguments, and each ``async for`` over it starts from the
    beginning, as a ``for`` over a range does. Every step awaits the event loop once, as a
    source that waits for data would, so other tasks run between the numbers.

    >>> import asyncio
    >>> async def main():
    ...     numbers = ARange(1, 10, 3)
    ...     print(numbers)
    ...     print([n async for n in numbers])
    ...     print([n async for n in numbers])
    >>> asyncio.run(main())
    ARange(1, 10, 3)
    [1, 4, 7]
    [1, 4, 7]

    :class:`range` checks the arguments, so its errors are raised when the ARange is made:

    >>> ARange(1, 10, 0)
    Traceback (most recent call last):
    ...
    ValueError: range() arg 3 must not be zero
    """

    @overload
    def __init__(self, stop: SupportsIndex, /) -> None: ...
    @overload
    def __init__(
        self, start: SupportsIndex, stop: SupportsIndex, step: SupportsIndex = 1, /
    ) -> None: ...
    def __init__(self, *args: SupportsIndex) -> None:
        # range() checks the arguments, and raises its own errors, as the ARange is made.
        self._range = range(*args)

    def __aiter__(self) -> AsyncIterator[int]:
        # A fresh iterator each time: the iterable itself keeps no position.
        return _ARangeIterator(self._range)

    def __repr__(self) -> str:
        r = self._range
        step = "" if r.step == 1 else f", {r.step}"
        return f"{type(self).__name__}({r.start}, {r.stop}{step})"


class _ARangeIterator:
    """The async iterator that :meth:`ARange.__aiter__` returns: one pass over the numbers."""

    def __init__(self, numbers: range) -> None:
        self._numbers = iter(numbers)

    def __aiter__(self) -> Self:
        # An async iterator is an async iterable too, one that can be gone through once.
        return self

    async def __anext__(self) -> int:
        # Wait before taking the next number, not after: a step cancelled here takes nothing.
        await asyncio.sleep(0)
        try:
            return next(self._numbers)
        except StopIteration:
            # The async way to end: a StopIteration escaping a coroutine is a RuntimeError.
            raise StopAsyncIteration from None


def ticker(interval: float, count: SupportsIndex) -> AsyncGenerator[int, None]:
    """Return an async generator of the ticks 0, 1, ... *count* - 1, *interval* seconds apart.

    The first tick comes at once, each later one *interval* seconds after it is asked for.

    >>> import asyncio
    >>> async def main():
    ...     async for tick in ticker(0.001, 3):
    ...         print("tick", tick)
    >>> asyncio.run(main())
    tick 0
    tick 1
    tick 2

    This is a plain function that checks its arguments when called, as
    :func:`~companion.generators.checked_countdown` does, and returns the async generator that
    does the ticking. (An async generator function's body, checks included, runs only when the
    first tick is asked for.)

    >>> ticker(-1, 3)
    Traceback (most recent call last):
    ...
    ValueError: ticker() interval must be a number >= 0, got -1
    """
    # math.isnan() takes real numbers only, and raises TypeError for anything else.
    if math.isnan(interval) or interval < 0:
        raise ValueError(f"ticker() interval must be a number >= 0, got {interval!r}")
    count = operator.index(count)
    if count < 0:
        raise ValueError(f"ticker() count must be >= 0, got {count}")
    return _ticks(float(interval), count)


async def _ticks(interval: float, count: int) -> AsyncGenerator[int, None]:
    """The async generator that :func:`ticker` returns, once its arguments are checked."""
    for tick in range(count):
        if tick:
            # Only between ticks: not before the first, nor after the last.
            await asyncio.sleep(interval)
        yield tick


# --- Chapter "async with" ------------------------------------------------------------------------


class Timer:
    """An async context manager that measures how long its block takes, by the loop's clock.

    After the block, :attr:`elapsed` holds the time in seconds, however the block ended:
    normally, with an exception, or cancelled. The exception always goes on. A Timer
    times one block.

    >>> import asyncio
    >>> async def main():
    ...     async with Timer() as timer:
    ...         await asyncio.sleep(0.01)
    ...     print(timer.elapsed >= 0.009)  # it slept 10 ms; timers may fire a hair early
    >>> asyncio.run(main())
    True
    """

    def __init__(self) -> None:
        self._start: float | None = None
        self._elapsed: float | None = None

    @property
    def elapsed(self) -> float:
        """The seconds the block took, by :meth:`asyncio.loop.time`.

        Reading it before the block has ended is a mistake, and raises :exc:`RuntimeError`:

        >>> Timer().elapsed
        Traceback (most recent call last):
        ...
        RuntimeError: Timer.elapsed is not known until its async with block has ended
        """
        if self._elapsed is None:
            message = "Timer.elapsed is not known until its async with block has ended"
            raise RuntimeError(message)
        return self._elapsed

    async def __aenter__(self) -> Self:
        if self._start is not None:
            raise RuntimeError("Timer has already been entered")
        # The loop's clock, not the wall clock: the one that asyncio.sleep() and timeouts use.
        self._start = asyncio.get_running_loop().time()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        # This runs however the block ends, a CancelledError included; returning None
        # (not True) lets the exception go on.
        if self._start is None:
            raise RuntimeError("Timer.__aexit__() called without __aenter__()")
        self._elapsed = asyncio.get_running_loop().time() - self._start


class Pool:
    """A limit of *size* tasks at a time, each holding one numbered slot of the pool.

    ``async with pool.acquire() as slot:`` waits for a free slot, then runs the block holding
    it; ``slot`` is its number, from 0 to *size* - 1, the lowest one free. Waiting tasks get
    slots in the order they asked for them. The slot comes back when the block ends, however
    it ends, and a task cancelled while it waits takes none.

    >>> import asyncio
    >>> async def job(pool, name):
    ...     async with pool.acquire() as slot:
    ...         print(name, "in slot", slot)
    ...         await asyncio.sleep(0)
    ...     print(name, "out")
    >>> async def main():
    ...     pool = Pool(2)
    ...     await asyncio.gather(job(pool, "a"), job(pool, "b"), job(pool, "c"))
    ...     print("slots in use:", pool.in_use, "of", pool.size)
    >>> asyncio.run(main())
    a in slot 0
    b in slot 1
    a out
    b out
    c in slot 0
    c out
    slots in use: 0 of 2

    Like asyncio's own primitives, a pool belongs to the event loop that first waits on it.
    """

    def __init__(self, size: SupportsIndex) -> None:
        size = operator.index(size)
        if size < 1:
            raise ValueError(f"Pool size must be at least 1, got {size}")
        self._size = size
        # The semaphore counts the free slots and queues the tasks that wait for one; the heap
        # says which slots are free.
        self._semaphore = asyncio.Semaphore(size)
        self._free = list(range(size))

    @property
    def size(self) -> int:
        """How many slots the pool has: how many tasks can hold one at a time."""
        return self._size

    @property
    def in_use(self) -> int:
        """How many slots are held now, by tasks inside an ``acquire()`` block."""
        return self._size - len(self._free)

    @contextlib.asynccontextmanager
    async def acquire(self) -> AsyncIterator[int]:
        """Return an async context manager that waits for a free slot and holds it for its
        block; ``as`` gives the slot's number."""
        # Semaphore.acquire() gives nothing away if cancelled, even just after being woken.
        await self._semaphore.acquire()
        # No await from here to the try, so nothing can interrupt: the slot is held, then
        # given back by the finally, whether the block ends, raises or is cancelled.
        slot = heapq.heappop(self._free)
        try:
            yield slot
        finally:
            heapq.heappush(self._free, slot)
            self._semaphore.release()
