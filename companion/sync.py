"""asyncio's Lock, Event, Semaphore and Queue, rebuilt from futures.

The chapter "Locks, events, semaphores and queues" reads this module. Every primitive here is the
same machine: a task that must wait creates a future, puts it in a line of waiters
(a :class:`collections.deque`) and awaits it; whoever makes progress possible sets the result of
the right waiter's future, and the event loop resumes that task later. Nothing else is needed, no
thread lock and no callback: asyncio runs one task at a time, and a task is only interrupted at
an ``await``.

* :class:`Lock` and :class:`Semaphore` hand out what they guard in first-come, first-served order:
  a task that arrives while others wait joins the end of the line, even if the lock is free at
  that moment.
* :class:`Event` wakes every waiter at once.
* :class:`Queue` (and :class:`LifoQueue`, :class:`PriorityQueue`) keeps items, a line of getters
  and a line of putters; ``join()`` and ``task_done()`` count unfinished work, and
  :meth:`Queue.shutdown` behaves as Python 3.13 defines it, on every version.

>>> import asyncio
>>> from companion.virtualtime import run
>>> async def worker(name: str, lock: Lock) -> None:
...     async with lock:
...         print(name, "holds the lock")
...         await asyncio.sleep(1)
>>> async def main() -> None:
...     lock = Lock()
...     await asyncio.gather(worker("a", lock), worker("b", lock), worker("c", lock))
...     print(asyncio.get_running_loop().time(), "seconds")
>>> run(main())
a holds the lock
b holds the lock
c holds the lock
3.0 seconds

The hard part is cancellation. Between the moment a waiter's future gets its result and the moment
its task runs again, the task can be cancelled. The wake-up was meant for it, and if it simply
left, the lock would stay free with tasks waiting for it, a permit or an item would be lost. So
each ``await`` on a waiter's future is followed by code that, when the task was cancelled after
being woken, passes the wake-up on to the next in line. The comments mark those lines.

The classes behave as asyncio's 3.13 ones do, names of private attributes that CPython's own tests
look at included (``_waiters``, ``_value``, ``_getters``, ``_putters``, ``_unfinished_tasks``),
and raise the same errors with the same messages. :exc:`QueueEmpty` and :exc:`QueueFull` are
asyncio's own exceptions, and so is :exc:`QueueShutDown` on Python 3.13 and later. One corner
differs on purpose: a task that would wait with no event loop running (a coroutine driven by
hand) gets :exc:`RuntimeError` ("no running event loop"), where asyncio's fails with an
:exc:`AttributeError` about ``None``.
"""

from __future__ import annotations

import asyncio
import collections
import heapq
import sys
from collections.abc import Callable, Collection
from types import GenericAlias, TracebackType
from typing import Any, Generic, Literal, Protocol, TypeVar

__all__ = [
    "BoundedSemaphore",
    "Event",
    "LifoQueue",
    "Lock",
    "PriorityQueue",
    "Queue",
    "QueueEmpty",
    "QueueFull",
    "QueueShutDown",
    "Semaphore",
]

T = TypeVar("T")


class _Ordered(Protocol):
    """What a priority queue's items need: ``<`` (heapq compares nothing else)."""

    def __lt__(self, other: Any, /) -> bool: ...


# Spelled out here rather than imported from typeshed's _typeshed, which exists for type checkers
# only: the API pages' build evaluates the imports guarded by TYPE_CHECKING too.
OrderedT = TypeVar("OrderedT", bound=_Ordered)

QueueEmpty = asyncio.QueueEmpty
QueueFull = asyncio.QueueFull

if sys.version_info >= (3, 13):
    QueueShutDown = asyncio.QueueShutDown
else:

    class QueueShutDown(Exception):
        """Raised by a put or a get on a :class:`Queue` after :meth:`Queue.shutdown`."""


class _LoopBound:
    """A primitive belongs to the event loop that first makes one of its users wait."""

    _loop: asyncio.AbstractEventLoop | None = None

    def _get_loop(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        if loop is not self._loop:
            raise RuntimeError(f"{self!r} is bound to a different event loop")
        return loop


def _described(primitive: object, state: str, waiters: collections.deque[Any]) -> str:
    """asyncio's repr for a primitive: the object's own, with its state in brackets."""
    if waiters:
        state = f"{state}, waiters:{len(waiters)}"
    return f"<{object.__repr__(primitive)[1:-1]} [{state}]>"


class _HeldInBlocks:
    """``async with`` acquires on the way in and releases on the way out."""

    async def acquire(self) -> Literal[True]:
        raise NotImplementedError

    def release(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


# --- Lock ----------------------------------------------------------------------------------------


class Lock(_HeldInBlocks, _LoopBound):
    """A mutual-exclusion lock for tasks: the counterpart of :class:`asyncio.Lock`.

    ``async with lock:`` holds it for a block; :meth:`acquire` and :meth:`release` do the same by
    hand. Waiting tasks get the lock in the order they asked for it. It is not owned by a task:
    any task may release it, but releasing a lock that is not held is a mistake.

    >>> lock = Lock()
    >>> lock.release()
    Traceback (most recent call last):
    ...
    RuntimeError: Lock is not acquired.
    """

    def __init__(self) -> None:
        self._locked = False
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    def __repr__(self) -> str:
        return _described(self, "locked" if self._locked else "unlocked", self._waiters)

    def locked(self) -> bool:
        """Whether a task holds the lock."""
        return self._locked

    # [sync-start:lock-acquire]
    async def acquire(self) -> Literal[True]:
        """Wait until the lock is free and it is this task's turn, then take it; return True."""
        if not self._locked and all(waiter.cancelled() for waiter in self._waiters):
            self._locked = True  # free, and nobody is in line before us
            return True
        waiter = self._get_loop().create_future()
        self._waiters.append(waiter)
        try:
            try:
                await waiter
            finally:
                self._waiters.remove(waiter)  # woken or cancelled, it waits no more
        except asyncio.CancelledError:
            # Cancelled while waiting, or after release() woke this task but before it ran. In
            # the second case nobody else was told the lock is free: tell the next in line,
            # or it waits for a release() that has already happened.
            if not self._locked:
                self._wake_first()
            raise
        # No await since the wake-up: nobody can have taken the lock meanwhile.
        self._locked = True
        return True
        # [sync-end:lock-acquire]

    # [sync-start:lock-release]
    def release(self) -> None:
        """Free the lock and wake the first task waiting for it; RuntimeError if it is free."""
        if not self._locked:
            raise RuntimeError("Lock is not acquired.")
        self._locked = False
        self._wake_first()

    def _wake_first(self) -> None:
        # Only the first: if it is done already, it has been woken and will take the lock, or
        # pass the wake-up on if it is cancelled before it runs.
        if self._waiters and not self._waiters[0].done():
            self._waiters[0].set_result(None)
        # [sync-end:lock-release]


# --- Event ---------------------------------------------------------------------------------------


class Event(_LoopBound):
    """A flag that tasks can wait for: the counterpart of :class:`asyncio.Event`.

    :meth:`set` wakes every task in :meth:`wait`, and later waits return at once until
    :meth:`clear`. A task woken by :meth:`set` returns from :meth:`wait` even if the flag is
    cleared before it runs.

    >>> import asyncio
    >>> from companion.virtualtime import run
    >>> async def main() -> None:
    ...     ready = Event()
    ...     waiters = [asyncio.create_task(ready.wait()) for _ in range(3)]
    ...     await asyncio.sleep(0)
    ...     print(ready)
    ...     ready.set()
    ...     ready.clear()
    ...     print(await asyncio.gather(*waiters), ready.is_set())
    >>> run(main())  # doctest: +ELLIPSIS
    <companion.sync.Event object at 0x... [unset, waiters:3]>
    [True, True, True] False
    """

    def __init__(self) -> None:
        self._value = False
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    def __repr__(self) -> str:
        return _described(self, "set" if self._value else "unset", self._waiters)

    def is_set(self) -> bool:
        """Whether the flag is set."""
        return self._value

    def set(self) -> None:
        """Set the flag and wake every task waiting for it."""
        if self._value:
            return
        self._value = True
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        """Reset the flag: from now on, :meth:`wait` waits again."""
        self._value = False

    async def wait(self) -> Literal[True]:
        """Wait until the flag is set (return at once if it is); return True."""
        if self._value:
            return True
        waiter = self._get_loop().create_future()
        self._waiters.append(waiter)
        try:
            # Every waiter is woken: one that is cancelled takes nothing from the others.
            await waiter
        finally:
            self._waiters.remove(waiter)
        return True


# --- Semaphore -----------------------------------------------------------------------------------


class Semaphore(_HeldInBlocks, _LoopBound):
    """A counter of permits: the counterpart of :class:`asyncio.Semaphore` (as of Python 3.13).

    It starts with *value* permits; :meth:`acquire` takes one, waiting in line if none is free or
    others wait already; :meth:`release` gives one back. ``async with semaphore:`` holds one for
    a block. A permit freed by :meth:`release` is handed straight to the first waiter, so no task
    arriving later can take it first.

    >>> Semaphore(-1)
    Traceback (most recent call last):
    ...
    ValueError: Semaphore initial value must be >= 0
    """

    def __init__(self, value: int = 1) -> None:
        if value < 0:
            raise ValueError("Semaphore initial value must be >= 0")
        self._value = value  # the permits free and not promised to a woken waiter
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    def __repr__(self) -> str:
        state = "locked" if self.locked() else f"unlocked, value:{self._value}"
        return _described(self, state, self._waiters)

    def locked(self) -> bool:
        """Whether :meth:`acquire` would wait: no permit free, or tasks waiting before it."""
        return self._value == 0 or any(not waiter.cancelled() for waiter in self._waiters)

    # [sync-start:semaphore-acquire]
    async def acquire(self) -> Literal[True]:
        """Take a permit, waiting for one in line if needed; return True."""
        if not self.locked():
            self._value -= 1
            return True
        waiter = self._get_loop().create_future()
        self._waiters.append(waiter)
        try:
            try:
                await waiter
            finally:
                self._waiters.remove(waiter)
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                # Woken, with a permit taken out for us by _wake_next(), then cancelled before
                # running: put the permit back, for the loop below to hand on.
                self._value += 1
            raise
        finally:
            # Free permits and waiters can coexist: a permit put back above, or a task that
            # queued behind us while a permit was free. Hand out every free permit.
            while self._value > 0 and self._wake_next():
                pass
        return True
        # [sync-end:semaphore-acquire]

    # [sync-start:semaphore-release]
    def release(self) -> None:
        """Give a permit back; if a task waits, it gets the permit."""
        self._value += 1
        self._wake_next()

    def _wake_next(self) -> bool:
        """Promise a permit to the first waiter not woken yet; False if there is none."""
        for waiter in self._waiters:
            if not waiter.done():
                self._value -= 1  # the permit is the woken task's from now on
                waiter.set_result(None)
                return True
        return False
        # [sync-end:semaphore-release]


class BoundedSemaphore(Semaphore):
    """A :class:`Semaphore` that refuses to be released above its initial value.

    >>> semaphore = BoundedSemaphore(1)
    >>> semaphore.release()
    Traceback (most recent call last):
    ...
    ValueError: BoundedSemaphore released too many times
    """

    def __init__(self, value: int = 1) -> None:
        self._bound_value = value
        super().__init__(value)

    def release(self) -> None:
        """Give a permit back; ValueError if that would exceed the initial value."""
        if self._value >= self._bound_value:
            raise ValueError("BoundedSemaphore released too many times")
        super().release()


# --- Queues --------------------------------------------------------------------------------------


class Queue(Generic[T], _LoopBound):
    """A first-in, first-out queue for tasks: the counterpart of :class:`asyncio.Queue` (3.13).

    With *maxsize* above zero, :meth:`put` waits while the queue holds that many items: producers
    are held back until consumers catch up. Every item put counts as unfinished work until a
    consumer calls :meth:`task_done` for it, and :meth:`join` waits until there is none.
    :meth:`shutdown` ends the queue: puts raise :exc:`QueueShutDown`, and gets too once the queue
    is empty (at once with ``immediate=True``, which drops the items left).

    >>> import asyncio
    >>> from companion.virtualtime import run
    >>> async def consumer(queue: Queue[int]) -> None:
    ...     while True:
    ...         try:
    ...             item = await queue.get()
    ...         except QueueShutDown:
    ...             return
    ...         await asyncio.sleep(item)
    ...         print("done with", item)
    ...         queue.task_done()
    >>> async def main() -> None:
    ...     queue: Queue[int] = Queue(maxsize=1)
    ...     worker = asyncio.create_task(consumer(queue))
    ...     for item in [3, 1, 2]:
    ...         await queue.put(item)
    ...     print(queue)
    ...     await queue.join()
    ...     queue.shutdown()
    ...     await worker
    >>> run(main())
    done with 3
    <Queue maxsize=1 _queue=[2] tasks=2>
    done with 1
    done with 2
    """

    def __init__(self, maxsize: int = 0) -> None:
        self._maxsize = maxsize
        self._getters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._putters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._unfinished_tasks = 0  # items put and not yet marked done
        self._finished = Event()
        self._finished.set()
        self._is_shutdown = False
        self._init(maxsize)

    # At run time, Queue[int] is a types.GenericAlias, as asyncio.Queue[int] is.
    __class_getitem__: Any = classmethod(GenericAlias)

    # How the items are kept: a subclass that changes the order changes these three, and keeps
    # its items in self._queue.
    def _init(self, maxsize: int) -> None:
        self._fifo: collections.deque[T] = collections.deque()
        self._queue: Collection[T] = self._fifo

    def _put(self, item: T) -> None:
        self._fifo.append(item)

    def _get(self) -> T:
        return self._fifo.popleft()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} at {id(self):#x} {self._format()}>"

    def __str__(self) -> str:
        return f"<{type(self).__name__} {self._format()}>"

    def _format(self) -> str:
        parts = [f"maxsize={self._maxsize!r}"]
        if self._queue:
            parts.append(f"_queue={list(self._queue)!r}")
        if self._getters:
            parts.append(f"_getters[{len(self._getters)}]")
        if self._putters:
            parts.append(f"_putters[{len(self._putters)}]")
        if self._unfinished_tasks:
            parts.append(f"tasks={self._unfinished_tasks}")
        if self._is_shutdown:
            parts.append("shutdown")
        return " ".join(parts)

    def qsize(self) -> int:
        """How many items the queue holds."""
        return len(self._queue)

    @property
    def maxsize(self) -> int:
        """How many items the queue may hold; zero or less means no limit."""
        return self._maxsize

    def empty(self) -> bool:
        """Whether the queue holds no item."""
        return not self._queue

    def full(self) -> bool:
        """Whether the queue holds *maxsize* items (never, with no limit)."""
        return 0 < self._maxsize <= self.qsize()

    @staticmethod
    def _wake_next(waiters: collections.deque[asyncio.Future[None]]) -> None:
        """Wake the first of *waiters* still waiting; the woken ones leave the line."""
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    # [sync-start:queue-wait]
    async def _wait_in(
        self, waiters: collections.deque[asyncio.Future[None]], blocked: Callable[[], bool]
    ) -> None:
        """Wait in the line *waiters* for a wake-up (one is due once *blocked* turns false)."""
        waiter = self._get_loop().create_future()
        waiters.append(waiter)
        try:
            await waiter
        except BaseException:
            waiter.cancel()  # if it is still pending, nobody may wake it now
            if waiter in waiters:
                waiters.remove(waiter)  # the waker takes woken ones out of the line itself
            if not blocked() and not waiter.cancelled():
                # Woken (an item or a free slot is there for us), then cancelled before
                # running: the next in line gets the wake-up instead, or the item or the slot
                # waits for nobody.
                self._wake_next(waiters)
            raise
        # [sync-end:queue-wait]

    # [sync-start:queue-put-get]
    async def put(self, item: T) -> None:
        """Put *item* in the queue, waiting for a free slot if it is full."""
        while self.full():
            if self._is_shutdown:
                raise QueueShutDown
            await self._wait_in(self._putters, self.full)
        self.put_nowait(item)

    def put_nowait(self, item: T) -> None:
        """Put *item* in the queue at once; :exc:`QueueFull` if it is full."""
        if self._is_shutdown:
            raise QueueShutDown
        if self.full():
            raise QueueFull
        self._put(item)
        self._unfinished_tasks += 1
        self._finished.clear()
        self._wake_next(self._getters)

    async def get(self) -> T:
        """Take the next item, waiting for one if the queue is empty."""
        while self.empty():
            if self._is_shutdown:
                raise QueueShutDown
            await self._wait_in(self._getters, self.empty)
        return self.get_nowait()

    def get_nowait(self) -> T:
        """Take the next item at once; :exc:`QueueEmpty` if there is none."""
        if self.empty():
            if self._is_shutdown:
                raise QueueShutDown
            raise QueueEmpty
        item = self._get()
        self._wake_next(self._putters)
        return item
        # [sync-end:queue-put-get]

    # [sync-start:queue-join]
    def task_done(self) -> None:
        """Mark one item taken from the queue as processed; ValueError if none is unfinished."""
        if self._unfinished_tasks <= 0:
            raise ValueError("task_done() called too many times")
        self._unfinished_tasks -= 1
        if self._unfinished_tasks == 0:
            self._finished.set()

    async def join(self) -> None:
        """Wait until every item put has been marked done with :meth:`task_done`."""
        if self._unfinished_tasks > 0:
            await self._finished.wait()
            # [sync-end:queue-join]

    # [sync-start:queue-shutdown]
    def shutdown(self, immediate: bool = False) -> None:
        """End the queue: puts raise :exc:`QueueShutDown` from now on, and so do gets once the
        queue is empty. With *immediate*, the items left are dropped (each counted as done)."""
        self._is_shutdown = True
        if immediate:
            while not self.empty():
                self._get()
                if self._unfinished_tasks > 0:
                    self._unfinished_tasks -= 1
            if self._unfinished_tasks == 0:
                self._finished.set()
        # Wake every waiting put and get: each looks again and raises QueueShutDown.
        for waiters in (self._getters, self._putters):
            while waiters:
                self._wake_next(waiters)
        # [sync-end:queue-shutdown]


class LifoQueue(Queue[T]):
    """A :class:`Queue` that gives the item put last first: the counterpart of
    :class:`asyncio.LifoQueue`."""

    def _init(self, maxsize: int) -> None:
        self._stack: list[T] = []
        self._queue = self._stack

    def _put(self, item: T) -> None:
        self._stack.append(item)

    def _get(self) -> T:
        return self._stack.pop()


class PriorityQueue(Queue[OrderedT]):
    """A :class:`Queue` that gives the smallest item first: the counterpart of
    :class:`asyncio.PriorityQueue`.

    Items are compared with ``<``; put ``(priority, data)`` tuples to order data that does not
    compare."""

    def _init(self, maxsize: int) -> None:
        self._heap: list[OrderedT] = []
        self._queue = self._heap

    def _put(self, item: OrderedT) -> None:
        heapq.heappush(self._heap, item)

    def _get(self) -> OrderedT:
        return heapq.heappop(self._heap)
