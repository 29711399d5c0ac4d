"""asyncio's gather() and as_completed(), rebuilt from tasks, futures and done-callbacks.

The chapter "gather and as_completed, rebuilt" reads this module. Both functions turn their
arguments into children with :func:`asyncio.ensure_future` (a coroutine becomes a task), and
neither watches its children: a :meth:`~asyncio.Future.add_done_callback` callback on each child
reports its end. For :func:`gather`, the callbacks count the children down and settle one future,
which the caller awaits. For :func:`as_completed`, they queue the finished children, and a timer
from :meth:`~asyncio.loop.call_later` marks the timeout.

* :func:`gather` behaves as :func:`asyncio.gather`: the results in argument order, the first
  exception propagated at once while the other children keep running, cancellation passed down
  to the children, an awaitable given twice run once.
* :func:`as_completed` behaves as :func:`asyncio.as_completed` does from Python 3.13, on every
  version: iterate it with ``for`` and await each item for the next result, or with
  ``async for`` and receive the finished tasks and futures themselves.

>>> import asyncio
>>> from companion.virtualtime import run
>>> async def after(seconds: float) -> float:
...     await asyncio.sleep(seconds)
...     return seconds
>>> async def main() -> None:
...     print(await gather(after(3), after(1), after(2)))
...     print([await next_one for next_one in as_completed([after(3), after(1), after(2)])])
>>> run(main())
[3, 1, 2]
[1, 2, 3]

Where they differ from asyncio's own, it is in the corners, which the chapter lists: a bad
argument is refused before anything starts; :func:`as_completed` starts its children in argument
order, not in a set's order; and the message of a few :exc:`asyncio.CancelledError`, the source
named by one warning and one log message are not asyncio's.
"""

from __future__ import annotations

import asyncio
import inspect
from collections import deque
from collections.abc import Awaitable, Coroutine, Iterable
from typing import Any, Generic, Literal, TypeVar, overload

__all__ = ["AsCompletedIterator", "as_completed", "gather"]

T = TypeVar("T")

_NOT_AWAITABLE = "An asyncio.Future, a coroutine or an awaitable is required"


def _check_awaitables(aws: Iterable[object]) -> None:
    """Raise asyncio's TypeError if ensure_future() would refuse one of *aws*, before it starts any.

    The bare coroutines among *aws* are closed first: nothing will ever run them, and a
    coroutine that is never awaited warns when it is collected.
    """
    # asyncio.iscoroutine(), not inspect's: on 3.11 it still accepts a plain generator (a leftover
    # of generator-based coroutines), and so does ensure_future().
    if not all(
        asyncio.isfuture(aw) or asyncio.iscoroutine(aw) or inspect.isawaitable(aw) for aw in aws
    ):
        _close_coroutines(aws)
        raise TypeError(_NOT_AWAITABLE)


def _close_coroutines(objects: Iterable[object]) -> None:
    """Close the bare coroutines among *objects*, which nothing will run."""
    for candidate in objects:
        if inspect.iscoroutine(candidate):
            candidate.close()


# [tasks-start:outcomes]
def _error(child: asyncio.Future[Any]) -> BaseException | None:
    """The exception a finished *child* ended with (CancelledError if cancelled), or None."""
    if child.cancelled():
        try:
            child.result()  # exception() would raise the CancelledError, not return it
        except asyncio.CancelledError as cancelled:
            return cancelled
    return child.exception()


def _outcome(child: asyncio.Future[T]) -> T | BaseException:
    """What a finished *child* gives: its exception if it has one, else its result."""
    error = _error(child)
    return child.result() if error is None else error
    # [tasks-end:outcomes]


# --- gather ------------------------------------------------------------------------------------


# [tasks-start:gathering-future]
class _GatheringFuture(asyncio.Future[list[Any]]):
    """The future gather() returns: cancelling it cancels the children that are not done."""

    def __init__(
        self, children: list[asyncio.Future[Any]], *, loop: asyncio.AbstractEventLoop
    ) -> None:
        super().__init__(loop=loop)
        self._children = children  # one per argument: a task given twice is asked twice
        self.cancel_requested = False
        self.cancel_message: Any = None

    def cancel(self, msg: Any | None = None) -> bool:
        # Like Task.cancel(): ask the children, and finish only once they have finished.
        if self.done():
            return False
        cancelled_one = False
        for child in self._children:
            if child.cancel(msg):
                cancelled_one = True
        if cancelled_one:
            self.cancel_requested = True
            self.cancel_message = msg
        return cancelled_one

    def cancelled_error(self) -> asyncio.CancelledError:
        """The CancelledError to finish with after cancel(msg) reached the children."""
        if self.cancel_message is None:
            return asyncio.CancelledError()
        return asyncio.CancelledError(self.cancel_message)
        # [tasks-end:gathering-future]


@overload
def gather(
    *aws: Awaitable[T], return_exceptions: Literal[False] = False
) -> asyncio.Future[list[T]]: ...
@overload
def gather(
    *aws: Awaitable[T], return_exceptions: bool
) -> asyncio.Future[list[T | BaseException]]: ...
def gather(
    *aws: Awaitable[T], return_exceptions: bool = False
) -> asyncio.Future[list[T]] | asyncio.Future[list[T | BaseException]]:
    """Run *aws* concurrently; return a future of their results, in argument order.

    The same contract as :func:`asyncio.gather`. Bare coroutines become tasks, an awaitable given
    twice is run once and its result appears twice. Without *return_exceptions*, the first child
    to fail (or to be cancelled) sets its exception on the returned future at once, and the
    other children keep running; with it, exceptions take their place among the results.
    Cancelling the returned future cancels every child not yet done, and the future then
    raises :exc:`asyncio.CancelledError`. With no arguments, the future is done already:

    >>> from companion.virtualtime import run
    >>> async def nothing() -> list[object]:
    ...     empty = gather()
    ...     print(empty.done())
    ...     return await empty
    >>> run(nothing())
    True
    []

    Something that cannot be awaited is refused, as asyncio refuses it, before anything starts:

    >>> async def misuse() -> None:
    ...     await gather(asyncio.sleep(1), 42)  # type: ignore[arg-type]
    >>> run(misuse())
    Traceback (most recent call last):
    ...
    TypeError: An asyncio.Future, a coroutine or an awaitable is required
    """
    if not aws:
        # No child tells which loop to use: ask asyncio, as asyncio.gather() does.
        empty: asyncio.Future[list[T]] = asyncio.get_event_loop().create_future()
        empty.set_result([])
        return empty
    _check_awaitables(aws)
    # [tasks-start:gather-children]
    children: list[asyncio.Future[T]] = []  # one per argument, duplicates included
    distinct: dict[Awaitable[T], asyncio.Future[T]] = {}  # one per distinct argument
    loop: asyncio.AbstractEventLoop | None = None  # the first child's, which all must share
    for aw in aws:
        if aw not in distinct:
            distinct[aw] = asyncio.ensure_future(aw, loop=loop)
            loop = distinct[aw].get_loop()
        children.append(distinct[aw])
    outer = _GatheringFuture(children, loop=children[0].get_loop())
    left = len(distinct)
    # [tasks-end:gather-children]

    # [tasks-start:gather-callback]
    def on_child_done(child: asyncio.Future[T]) -> None:
        nonlocal left
        left -= 1
        if outer.done():
            # Too late to matter; fetch the exception so that asyncio does not log it as lost.
            if not child.cancelled():
                child.exception()
            return
        if not return_exceptions:
            error = _error(child)
            if error is not None:
                outer.set_exception(error)
                return
        if left == 0:
            if outer.cancel_requested:
                # Even with return_exceptions, a cancelled gather() raises CancelledError.
                outer.set_exception(outer.cancelled_error())
            else:
                # Once per distinct child: a task hands out its own CancelledError only once.
                firsts = map(_outcome, distinct.values())
                outcomes = dict(zip(distinct.values(), firsts, strict=True))
                outer.set_result([outcomes[each] for each in children])

    finished = []
    for child in distinct.values():
        if child.done():
            finished.append(child)
        else:
            child.add_done_callback(on_child_done)
    for child in finished:
        # Done already (an eager task, a future with a result): count it now, so that a gather()
        # of finished children is itself finished when it returns.
        on_child_done(child)
    return outer
    # [tasks-end:gather-callback]


# --- as_completed --------------------------------------------------------------------------------


class AsCompletedIterator(Generic[T]):
    """What :func:`as_completed` returns: an iterator and an async iterator, in completion order.

    Iterated with ``for``, it gives coroutines, one per distinct awaitable: awaiting the next
    one returns (or raises) the outcome of the next child to finish. Iterated with
    ``async for``, it gives the children themselves, each once it is done: the futures and tasks
    you passed, and a new task for each bare coroutine. Do not create it directly.
    """

    # [tasks-start:as-completed-init]
    def __init__(self, aws: Iterable[Awaitable[T]], timeout: float | None) -> None:
        self._loop = asyncio.get_event_loop()
        distinct = list(dict.fromkeys(aws))
        _check_awaitables(distinct)
        todo = [asyncio.ensure_future(aw, loop=self._loop) for aw in distinct]
        self._todo: dict[asyncio.Future[T], None] = dict.fromkeys(todo)  # an ordered set
        self._done: deque[asyncio.Future[T] | None] = deque()  # None stands for the timeout
        self._waiters: list[asyncio.Future[None]] = []
        self._left = len(self._todo)  # items still to hand out
        for child in todo:
            child.add_done_callback(self._on_child_done)
        self._timeout_handle: asyncio.TimerHandle | None = None
        if todo and timeout is not None:
            self._timeout_handle = self._loop.call_later(timeout, self._on_timeout)
        # [tasks-end:as-completed-init]

    # [tasks-start:as-completed-callbacks]
    def _on_child_done(self, child: asyncio.Future[T]) -> None:
        if child not in self._todo:
            return  # the timeout came first
        del self._todo[child]
        self._put(child)
        if not self._todo and self._timeout_handle is not None:
            self._timeout_handle.cancel()

    def _on_timeout(self) -> None:
        # Stop listening, and tell every item still to come that time is up. The children
        # themselves keep running: they are the caller's to cancel.
        for child in self._todo:
            child.remove_done_callback(self._on_child_done)
            self._put(None)
        self._todo.clear()

    def _put(self, item: asyncio.Future[T] | None) -> None:
        self._done.append(item)
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def _next_done(self) -> asyncio.Future[T]:
        while not self._done:
            # Every waiter wakes at each put and looks again, so one that is cancelled on its way
            # out takes nothing with it.
            waiter = self._loop.create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
        child = self._done.popleft()
        if child is None:
            raise TimeoutError
        return child
        # [tasks-end:as-completed-callbacks]

    # [tasks-start:as-completed-iteration]
    def __iter__(self) -> AsCompletedIterator[T]:
        return self

    def __next__(self) -> Coroutine[Any, Any, T]:
        if not self._left:
            raise StopIteration
        self._left -= 1
        return self._next_result()

    async def _next_result(self) -> T:
        return (await self._next_done()).result()

    def __aiter__(self) -> AsCompletedIterator[T]:
        return self

    async def __anext__(self) -> asyncio.Future[T]:
        if not self._left:
            raise StopAsyncIteration
        self._left -= 1
        return await self._next_done()
        # [tasks-end:as-completed-iteration]


def as_completed(
    aws: Iterable[Awaitable[T]], *, timeout: float | None = None
) -> AsCompletedIterator[T]:
    """Run *aws* concurrently; iterate over them in the order they finish.

    The contract of :func:`asyncio.as_completed` from Python 3.13, on every version. With
    ``for``, each item is a coroutine to await for the next outcome; with ``async for``, each
    item is one of the children, already done. An awaitable given twice counts once. After
    *timeout* seconds, counted from the call, what is still to come raises
    :exc:`TimeoutError`, and the children that have not finished keep running.

    >>> from companion.virtualtime import run
    >>> async def after(seconds: float) -> float:
    ...     await asyncio.sleep(seconds)
    ...     return seconds
    >>> async def main() -> None:
    ...     slow, fast = asyncio.create_task(after(10)), asyncio.create_task(after(1))
    ...     async for child in as_completed([slow, fast]):
    ...         print(child is fast, child.result())
    >>> run(main())
    True 1
    False 10

    A bare coroutine or a future is refused where the iterable belongs, as asyncio refuses it:

    >>> as_completed(asyncio.sleep(1))
    Traceback (most recent call last):
    ...
    TypeError: expects an iterable of awaitables, not coroutine
    """
    if inspect.isawaitable(aws):
        _close_coroutines([aws])  # it will never run: spare it the "never awaited" warning
        raise TypeError(f"expects an iterable of awaitables, not {type(aws).__name__}")
    return AsCompletedIterator(aws, timeout)
