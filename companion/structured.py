"""Structured concurrency past one block: an owner for background tasks, and a graceful shutdown.

The chapter "Structured concurrency and shutdown" reads this module. An
:class:`asyncio.TaskGroup` ties tasks to one ``async with`` block, and cancels them all when one
fails. Two jobs of a real program fit that shape badly, and this module gives each a small tool:

* Long-lived background tasks (a cache refresher, a heartbeat, work a request handler starts and
  does not wait for) need an owner that keeps a reference to each (the event loop keeps only weak
  ones), notices when one fails without cancelling the others, and cancels whatever is left when
  the program stops: :class:`Supervisor`.
* A server stops in steps: a signal asks for it (:func:`on_signals`), the server stops accepting,
  the connections under way get a deadline to finish, and those still running then are
  cancelled (:func:`drain`, :func:`serve_until`), and the result says how many were which
  (:class:`Drained`).

One rule runs through all of it: whatever is cancelled is also waited for. A task told to stop
may still run its ``finally`` blocks; the code that cancelled it returns only once it has ended,
and if that code is itself cancelled meanwhile, it keeps waiting, then re-raises, as the exit of
a task group does. So nothing outlives the call that was meant to end it.

>>> import asyncio
>>> from companion.virtualtime import run
>>> async def tick(name: str, period: float) -> None:
...     while True:
...         await asyncio.sleep(period)
...         print(f"{name} at {asyncio.get_running_loop().time()}")
>>> async def main() -> None:
...     async with Supervisor() as supervisor:
...         supervisor.spawn(tick("heartbeat", 1))
...         await asyncio.sleep(2.5)
...     print("left running:", len(supervisor.tasks))
>>> run(main())
heartbeat at 1.0
heartbeat at 2.0
left running: 0
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable, Collection, Coroutine, Iterable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar

__all__ = ["Drained", "Supervisor", "drain", "on_signals", "serve_until"]

T = TypeVar("T")
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


# [structured-start:cancel-and-wait]
async def _cancel_and_wait(tasks: Collection[asyncio.Task[Any]]) -> None:
    """Cancel *tasks*; wait until all have ended, even if the caller is cancelled."""
    for task in tasks:
        task.cancel()
    interrupted = False
    while True:
        try:
            await asyncio.wait(tasks)  # wait() never cancels what it waits for
        except asyncio.CancelledError:
            interrupted = True  # they were told to stop: wait for them, then re-raise
        else:
            break
    if interrupted:
        raise asyncio.CancelledError
    # [structured-end:cancel-and-wait]


class Supervisor:
    """The owner of long-lived background tasks: keeps them, reports failures, cancels on close.

    Unlike a :class:`asyncio.TaskGroup`, a failing task does not cancel the others: its exception
    is kept in :attr:`failures` and handed to *on_error* if given. :meth:`aclose` (or the end of
    ``async with``) cancels every task still running and waits for all of them.
    """

    def __init__(
        self, *, on_error: Callable[[asyncio.Task[Any], BaseException], object] | None = None
    ) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._failures: list[BaseException] = []
        self._on_error = on_error
        self._closed = False

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<Supervisor {state} tasks={len(self._tasks)} failures={len(self._failures)}>"

    @property
    def tasks(self) -> frozenset[asyncio.Task[Any]]:
        """The tasks still running."""
        return frozenset(self._tasks)

    @property
    def failures(self) -> tuple[BaseException, ...]:
        """The exceptions the supervised tasks raised, in the order they ended."""
        return tuple(self._failures)

    # [structured-start:supervisor-spawn]
    def spawn(
        self,
        coro: Coroutine[Any, Any, T],
        *,
        name: str | None = None,
    ) -> asyncio.Task[T]:
        """Start *coro* as a task that this supervisor owns, and return the task."""
        if self._closed:
            coro.close()  # never started: close it, or Python warns it was never awaited
            raise RuntimeError(f"{self!r} is closed")
        try:
            task = asyncio.get_running_loop().create_task(coro, name=name)
        except BaseException:
            coro.close()
            raise
        self._tasks.add(task)  # the loop keeps a weak reference only: this one keeps it
        task.add_done_callback(self._forget)
        return task

    def _forget(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()  # retrieved: no "exception was never retrieved" later
        if error is not None:
            self._failures.append(error)
            if self._on_error is not None:
                self._on_error(task, error)
        # [structured-end:supervisor-spawn]

    # [structured-start:supervisor-close]
    async def aclose(self) -> None:
        """Refuse new tasks, cancel those still running, and wait until all have ended."""
        self._closed = True
        while self._tasks:  # a task may spawn as it is cancelled: refused, but check
            await _cancel_and_wait(list(self._tasks))

    async def __aenter__(self) -> Supervisor:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()
        # [structured-end:supervisor-close]


@dataclass(frozen=True)
class Drained:
    """What :func:`drain` did: how many tasks ended in time, and how many it cancelled."""

    finished: int
    cancelled: int


# [structured-start:drain]
async def drain(tasks: Iterable[asyncio.Task[Any]], timeout: float | None) -> Drained:
    """Give *tasks* up to *timeout* seconds to end; cancel those left, wait for them.

    If the caller is cancelled while it waits, every task still running is cancelled
    at once (and waited for) before the :exc:`asyncio.CancelledError` goes on.
    """
    if timeout is not None and timeout < 0:
        raise ValueError(f"timeout must be >= 0 or None, got {timeout!r}")
    pending = set(tasks)
    if not pending:
        return Drained(finished=0, cancelled=0)
    try:
        done, pending = await asyncio.wait(pending, timeout=timeout)
    except asyncio.CancelledError:
        if left := [task for task in pending if not task.done()]:
            await _cancel_and_wait(left)
        raise
    if pending:
        await _cancel_and_wait(pending)
    return Drained(finished=len(done), cancelled=len(pending))
    # [structured-end:drain]


# [structured-start:on-signals]
@contextlib.contextmanager
def on_signals(
    callback: Callable[[signal.Signals], object],
    signals: Iterable[signal.Signals] = (signal.SIGINT, signal.SIGTERM),
) -> Iterator[None]:
    """Call ``callback(signal)`` in the running loop when one of *signals* arrives.

    On exit, the handlers that were there before (asyncio.Runner's for SIGINT, say)
    are back. Needs a running event loop in the main thread, and Unix.
    """
    loop = asyncio.get_running_loop()
    installed: list[tuple[signal.Signals, Any]] = []
    try:
        for sig in signals:
            previous = signal.getsignal(sig)
            loop.add_signal_handler(sig, callback, sig)
            installed.append((sig, previous))
        if not installed:
            raise ValueError("on_signals() needs at least one signal")
        yield
    finally:
        for sig, previous in reversed(installed):
            loop.remove_signal_handler(sig)  # restores the default, not the previous
            if previous is not None:
                signal.signal(sig, previous)
    # [structured-end:on-signals]


# [structured-start:serve-until]
async def serve_until(
    stop: asyncio.Event,
    handler: Handler,
    *,
    grace: float,
    host: str = "127.0.0.1",
    port: int = 0,
    ready: Callable[[int], object] | None = None,
) -> Drained:
    """Serve *handler* on *host*:*port* until *stop* is set, then drain the rest.

    *ready*, if given, is called with the port once the server listens. When *stop* is
    set, the server stops accepting, the connections under way get *grace* seconds to
    end, those left are cancelled, and every connection is closed before this returns.
    """
    loop = asyncio.get_running_loop()
    connections: set[asyncio.Task[None]] = set()

    async def connection(
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        try:
            await handler(reader, writer)
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    def report(task: asyncio.Task[None]) -> None:
        connections.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            context = {"message": "connection handler failed", "exception": error}
            loop.call_exception_handler(context | {"task": task})

    def accepted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # A plain function, called as the connection is made: the task is in the set
        # at once, so a stop that comes before its first step cannot miss it.
        task = loop.create_task(connection(reader, writer))
        connections.add(task)
        task.add_done_callback(report)

    server = await asyncio.start_server(accepted, host, port)
    try:
        if ready is not None:
            ready(server.sockets[0].getsockname()[1])
        await stop.wait()
    except BaseException:
        server.close()
        await drain(connections, 0)  # cancelled: no grace
        raise
    server.close()  # stop accepting; the connections under way go on
    drained = await drain(connections, grace)
    await server.wait_closed()
    return drained
    # [structured-end:serve-until]
