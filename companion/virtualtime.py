"""A virtual clock for asyncio: :func:`run` is :func:`asyncio.run` on a loop whose time can jump.

Tests and book examples about timeouts want long timers without long waits. The clock of a
:class:`VirtualTimeLoop` starts at ``0.0`` and moves only while the loop waits, in one of two ways:

* **It jumps** straight to the next timer when nothing else can happen: no callback is ready, no
  file descriptor is registered besides the loop's own self-pipe (no socket, pipe or server), no
  job submitted with :meth:`~asyncio.loop.run_in_executor` (or :func:`asyncio.to_thread`) is
  running, no signal handler is installed, no child process started by the loop is still alive,
  and the default executor is not shutting down. Nobody could tell the difference, so waiting
  would only waste real time.
* **It follows real time** otherwise: the loop waits for real, up to the next timer, exactly as
  a normal loop does, and the clock moves by the time it waited (never past that timer).

So ``asyncio.sleep(3600)`` on its own finishes at once and :meth:`~asyncio.loop.time` then reads
exactly 3600 more, while a reply that a real peer sends after 0.1 s still arrives before a virtual
timer 500 s away fires. Timers fire in deadline order, and :func:`asyncio.timeout`,
:func:`asyncio.wait_for`, :meth:`~asyncio.loop.call_later` and :meth:`~asyncio.loop.call_at`
behave as on a real loop, only sooner.

Timers with equal deadlines fire in the order they were scheduled. The clock stands still while
callbacks run, so four tasks that each start ``asyncio.sleep(1)`` in one step get exactly the
same deadline; on a real loop the clock moves a little between the calls, the deadlines differ,
and the tasks wake in the order they went to sleep. asyncio's own heap of timers compares
deadlines only and keeps no order among equal ones (its documentation calls that order
undefined), so the loop breaks ties itself, by scheduling order, and wakes them as a real loop
would.

>>> import asyncio
>>> async def nap() -> float:
...     loop = asyncio.get_running_loop()
...     start = loop.time()
...     await asyncio.sleep(3600)
...     return loop.time() - start
>>> run(nap())
3600.0

Consequences of the rule, to know before you rely on it:

* Anything registered with the selector keeps the clock real: an idle listening server, an open
  connection nobody writes to. Close what you no longer need, or the timers wait for real.
* The clock stands still while callbacks run: it measures waiting, not computing. A loop that
  polls ``loop.time()`` between ``await asyncio.sleep(0)`` calls never sees it move, and debug
  mode never reports a slow callback.
* Threads you start yourself are invisible: a thread that will call
  :meth:`~asyncio.loop.call_soon_threadsafe` later does not stop a jump. Run blocking work with
  :meth:`~asyncio.loop.run_in_executor` or :func:`asyncio.to_thread`, which hold the clock.
  An executor job whose future was cancelled stops holding it, even if its thread still runs.

The loop is :class:`asyncio.SelectorEventLoop` with a wrapping selector and these overrides of
its public methods; all but the first do what the base class does, and note what matters to the
clock:

* :meth:`~asyncio.loop.time` reads the virtual clock;
* :meth:`~asyncio.loop.call_at` (which :meth:`~asyncio.loop.call_later` calls) gives each timer
  a deadline that sorts after the equal ones scheduled before it, and records it, so that a
  jump lands exactly on a deadline;
* :meth:`~asyncio.loop.run_in_executor` and :meth:`~asyncio.loop.shutdown_default_executor`
  hold the clock to real time while a job runs or the executor shuts down;
* :meth:`~asyncio.loop.add_signal_handler` and :meth:`~asyncio.loop.remove_signal_handler`
  (not on Windows), :meth:`~asyncio.loop.subprocess_exec` and
  :meth:`~asyncio.loop.subprocess_shell` note what else may wake the loop;
* :meth:`~asyncio.loop.close` forgets the recorded timers.

It adds one method, :meth:`VirtualTimeLoop.advance`, for programs that model a blocking call.
The selector decides, at each ``select(timeout)`` that the base class makes with the delay to the
next timer, whether to jump or to wait.

In a web page, under Pyodide (CPython compiled to WebAssembly, ``sys.platform ==
"emscripten"``), the loop works as everywhere else, with two differences that no program can
see. It has no self-pipe: asyncio makes one from a socket pair, which Pyodide cannot make, and
it only serves to wake a waiting loop from another thread or a signal, neither of which a page
has. And :func:`run` runs it inside the page's own loop, which Pyodide keeps installed as the
running loop at all times: the page's loop waits until :func:`run` returns, and since a page
has no socket, thread or process to hold the clock, the virtual loop never waits for real.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import math
import selectors
import sys
import time
import weakref
from collections.abc import Callable, Coroutine, Iterator, Mapping
from concurrent.futures import Executor
from contextvars import Context
from typing import Any, ClassVar, Protocol, TypeAlias, TypeVar, TypeVarTuple, Unpack


class _HasFileno(Protocol):
    def fileno(self) -> int: ...


# What selectors accept (typeshed's _typeshed.FileDescriptorLike, spelled out here so that
# nothing needs importing from a stub-only module, which the API docs' build would try).
FileDescriptorLike: TypeAlias = int | _HasFileno

__all__ = ["VirtualTimeLoop", "run"]

T = TypeVar("T")
Ts = TypeVarTuple("Ts")


# asyncio's own threshold: below this many timers, cancelled ones are not worth sweeping out.
_MIN_TIMERS_TO_COMPACT = 100


class _Deadline(float):
    """A timer's deadline that, among equal deadlines, sorts after those scheduled before it.

    asyncio orders its timers with ``<`` on their deadlines alone, and its heap keeps no order
    among equal ones. Only ``<`` and ``>`` between two deadlines change; arithmetic, equality,
    hashing and printing are the float's.
    """

    __slots__ = ("order",)
    order: int

    def __new__(cls, when: float, order: int) -> _Deadline:
        deadline = super().__new__(cls, when)
        deadline.order = order
        return deadline

    def __lt__(self, other: float) -> bool:
        if isinstance(other, _Deadline) and float(self) == float(other):
            return self.order < other.order
        return float(self) < other

    def __gt__(self, other: float) -> bool:
        if isinstance(other, _Deadline) and float(self) == float(other):
            return self.order > other.order
        return float(self) > other


class _Clock:
    """The virtual time of one loop, and what holds it to real time besides the selector."""

    def __init__(self) -> None:
        self.now = 0.0
        # The loop treats a timer as due when its deadline is below now + resolution.
        self.resolution = time.get_clock_info("monotonic").resolution
        # Every timer the loop scheduled, earliest first, so that a jump lands on a deadline
        # exactly instead of on now + (deadline - now), which floating point may round.
        self.timers: list[asyncio.TimerHandle] = []
        self.compact_above = _MIN_TIMERS_TO_COMPACT
        self.scheduled = itertools.count()  # numbers the timers, in the order they are scheduled
        self.holds = 0  # running executor jobs, and a default executor shutting down
        self.signals: set[int] = set()
        self.processes: weakref.WeakSet[asyncio.SubprocessTransport] = weakref.WeakSet()

    def held(self) -> bool:
        """Whether something outside the selector may wake the loop before the next timer."""
        return (
            self.holds > 0
            or bool(self.signals)
            or any(process.get_returncode() is None for process in self.processes)
        )

    def add(self, timer: asyncio.TimerHandle) -> None:
        """Record *timer*, and sweep the cancelled timers out when they have piled up."""
        heapq.heappush(self.timers, timer)
        # Cancelled timers leave the heap only from its top (in next_deadline), so behind an
        # early live timer they would pile up: 100,000 cancelled timeouts would stay 100,000
        # entries. asyncio sweeps its own heap once more than half its entries are cancelled;
        # without its private count of cancellations, sweep whenever the heap has grown to twice
        # the live timers found by the last sweep (and past asyncio's threshold), so that the
        # sweeps cost a constant amount per timer added.
        if len(self.timers) > self.compact_above:
            self.timers = [timer for timer in self.timers if not timer.cancelled()]
            heapq.heapify(self.timers)
            self.compact_above = max(_MIN_TIMERS_TO_COMPACT, 2 * len(self.timers))

    def next_deadline(self) -> float | None:
        """The deadline of the earliest timer still to fire, forgetting cancelled and due ones."""
        while self.timers and (
            self.timers[0].cancelled() or self.timers[0].when() < self.now + self.resolution
        ):
            heapq.heappop(self.timers)
        return self.timers[0].when() if self.timers else None

    def landing(self, deadline: float) -> float:
        """The time to jump to so that the timer at *deadline* is due: the deadline itself ..."""
        if deadline < deadline + self.resolution:
            return deadline
        # ... unless the resolution is below half the spacing of floats there (from about 2**24 s,
        # half a year): the loop would see the timer as not due yet, and spin. Go one float on.
        return math.nextafter(deadline, math.inf)

    def advance(self, seconds: float) -> None:
        """Move the clock forward by *seconds*, landing on a timer's deadline if it falls due."""
        deadline = self.next_deadline()
        target = self.now + seconds
        if deadline is not None and deadline <= target + self.resolution:
            target = self.landing(deadline)
        self.now = max(self.now, target)


class _VirtualSelector(selectors.BaseSelector):
    """A selector that skips the wait, and moves the clock instead, when nothing can happen."""

    def __init__(self, clock: _Clock) -> None:
        self._clock = clock
        self._selector = selectors.DefaultSelector()
        self._internal: frozenset[int] = frozenset()

    def mark_internal(self) -> None:
        """Treat the descriptors registered so far (the loop's self-pipe) as the loop's own."""
        self._internal = frozenset(key.fd for key in self._selector.get_map().values())

    def _idle(self) -> bool:
        if self._clock.held():
            return False
        return all(key.fd in self._internal for key in self._selector.get_map().values())

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if timeout is not None and timeout > 0 and self._idle():
            self._clock.advance(timeout)
            # Still collect what is already there: a thread may have written to the self-pipe.
            return self._selector.select(0)
        start = time.monotonic()
        events = self._selector.select(timeout)
        waited = time.monotonic() - start
        self._clock.advance(waited if timeout is None else min(waited, max(timeout, 0.0)))
        return events

    def register(
        self, fileobj: FileDescriptorLike, events: int, data: Any = None
    ) -> selectors.SelectorKey:
        return self._selector.register(fileobj, events, data)

    def unregister(self, fileobj: FileDescriptorLike) -> selectors.SelectorKey:
        return self._selector.unregister(fileobj)

    def modify(
        self, fileobj: FileDescriptorLike, events: int, data: Any = None
    ) -> selectors.SelectorKey:
        return self._selector.modify(fileobj, events, data)

    def get_key(self, fileobj: FileDescriptorLike) -> selectors.SelectorKey:
        return self._selector.get_key(fileobj)

    def get_map(self) -> Mapping[FileDescriptorLike, selectors.SelectorKey]:
        return self._selector.get_map()

    def close(self) -> None:
        self._selector.close()


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An asyncio selector event loop whose clock jumps to the next timer when nothing can happen.

    Use it through :func:`run`, or as ``asyncio.Runner(loop_factory=VirtualTimeLoop)``. The
    module docstring states the rule; :meth:`time` starts at ``0.0``.
    """

    # Whether the loop makes asyncio's self-pipe, a socket pair that another thread or a signal
    # handler writes to, to wake the loop from select(). Pyodide can make no socket pair, and
    # has no thread or signal that would write to it (see the module docstring).
    _self_pipe: ClassVar[bool] = sys.platform != "emscripten"

    def __init__(self) -> None:
        self._clock = _Clock()
        selector = _VirtualSelector(self._clock)
        super().__init__(selector)
        # The base class has just registered its self-pipe: that alone never keeps time real.
        selector.mark_internal()

    # asyncio's own hooks for the self-pipe (BaseSelectorEventLoop, 3.11 to 3.15): __init__
    # makes it, close() closes it, and _write_to_self() does nothing while _csock is None.
    def _make_self_pipe(self) -> None:
        if self._self_pipe:
            super()._make_self_pipe()  # type: ignore[misc]
        else:
            self._ssock = self._csock = None

    def _close_self_pipe(self) -> None:
        if self._self_pipe:
            super()._close_self_pipe()  # type: ignore[misc]

    def time(self) -> float:
        """The virtual time: it moves only while the loop waits (see the module docstring)."""
        return self._clock.now

    def call_at(
        self,
        when: float,
        callback: Callable[[Unpack[Ts]], object],
        *args: *Ts,
        context: Context | None = None,
    ) -> asyncio.TimerHandle:
        """Schedule *callback* at *when*, as the base class does, and remember the deadline.

        Among timers with equal deadlines, those scheduled first fire first.
        """
        if isinstance(when, (int, float)):  # anything else: let the base class refuse it
            when = _Deadline(when, next(self._clock.scheduled))
        handle = super().call_at(when, callback, *args, context=context)
        self._clock.add(handle)
        return handle

    def advance(self, seconds: float) -> None:
        """Move the clock on by *seconds* at once, as a blocking call that long would.

        Nothing else runs meanwhile, and timers that fall due fire late, once the running
        callback has returned. Raise :exc:`ValueError` for a negative or non-finite time.

        >>> async def main() -> float:
        ...     loop = asyncio.get_running_loop()
        ...     loop.advance(2.5)  # as time.sleep(2.5) would, on a real loop
        ...     return loop.time()
        >>> run(main())
        2.5
        """
        if not seconds >= 0 or seconds == math.inf:
            raise ValueError(f"advance() needs a finite number of seconds >= 0, got {seconds!r}")
        self._clock.now += seconds

    def run_in_executor(
        self, executor: Executor | None, func: Callable[[Unpack[Ts]], T], *args: *Ts
    ) -> asyncio.Future[T]:
        """Run *func* in *executor* as the base class does; the clock stays real until it ends."""
        future = super().run_in_executor(executor, func, *args)
        self._clock.holds += 1
        future.add_done_callback(self._release)
        return future

    def _release(self, _: object) -> None:
        self._clock.holds -= 1

    async def shutdown_default_executor(self, timeout: float | None = None) -> None:
        """Shut the default executor down as the base class does, on real time.

        From 3.12 the base class waits at most *timeout* for the threads, with a timer: a jump
        would make that timer fire at once and warn about threads that are merely finishing.
        """
        self._clock.holds += 1
        try:
            if sys.version_info >= (3, 12):
                await super().shutdown_default_executor(timeout)
            else:
                await super().shutdown_default_executor()
        finally:
            self._clock.holds -= 1

    if sys.platform != "win32":

        def add_signal_handler(
            self, sig: int, callback: Callable[[Unpack[Ts]], object], *args: *Ts
        ) -> None:
            """Handle signal *sig* as the base class does; the clock stays real meanwhile."""
            if not self._self_pipe:  # the base class would fail on the missing socket
                raise RuntimeError("add_signal_handler() needs the loop's self-pipe: none here")
            super().add_signal_handler(sig, callback, *args)
            self._clock.signals.add(sig)

        def remove_signal_handler(self, sig: int) -> bool:
            """Remove the handler for *sig* as the base class does."""
            removed = super().remove_signal_handler(sig)
            self._clock.signals.discard(sig)
            return removed

    async def subprocess_exec(
        self, *args: Any, **kwargs: Any
    ) -> tuple[asyncio.SubprocessTransport, Any]:
        """Start a child process as the base class does; the clock stays real until it exits."""
        transport, protocol = await super().subprocess_exec(*args, **kwargs)
        self._clock.processes.add(transport)
        return transport, protocol

    async def subprocess_shell(
        self, *args: Any, **kwargs: Any
    ) -> tuple[asyncio.SubprocessTransport, Any]:
        """Start a shell command as the base class does; the clock stays real until it exits."""
        transport, protocol = await super().subprocess_shell(*args, **kwargs)
        self._clock.processes.add(transport)
        return transport, protocol

    def close(self) -> None:
        """Close the loop as the base class does, and drop the recorded timers."""
        super().close()
        self._clock.timers.clear()


def run(coro: Coroutine[Any, Any, T], *, debug: bool | None = None) -> T:
    """Run *coro* like :func:`asyncio.run`, on a fresh :class:`VirtualTimeLoop`.

    The cleanup is asyncio's own (:class:`asyncio.Runner`): leftover tasks are cancelled, async
    generators finalized, the default executor shut down, the loop closed. So is the misuse:
    :exc:`RuntimeError` inside a running loop, and whatever :meth:`asyncio.Runner.run` raises
    for something that is not a coroutine (:exc:`ValueError` on 3.11 to 3.13). Inside a running
    loop the refused coroutine is closed, so that it does not also warn that it was never
    awaited (:func:`asyncio.run` leaves it to warn).

    >>> async def later() -> str:
    ...     await asyncio.sleep(86_400 * 365)
    ...     return "a year later"
    >>> run(later())
    'a year later'
    """
    try:
        outer: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:
        outer = None
    if outer is not None and not _is_page_loop(outer):
        if isinstance(coro, Coroutine):
            coro.close()  # refused, so never to be awaited
        raise RuntimeError("virtualtime.run() cannot be called from a running event loop")
    with _set_aside(outer), asyncio.Runner(debug=debug, loop_factory=VirtualTimeLoop) as runner:
        return runner.run(coro)


if sys.platform == "emscripten":
    from pyodide.webloop import WebLoop

    def _is_page_loop(loop: asyncio.AbstractEventLoop) -> bool:
        return isinstance(loop, WebLoop)

else:

    def _is_page_loop(loop: asyncio.AbstractEventLoop) -> bool:
        """Whether *loop* is a web page's own, which counts as running between its callbacks."""
        return False


@contextlib.contextmanager
def _set_aside(page_loop: asyncio.AbstractEventLoop | None) -> Iterator[None]:
    """Let another loop run, in this thread, inside *page_loop* (Pyodide's, see :func:`run`).

    asyncio refuses to start a loop while one counts as running, and a task while another runs
    in the same thread (from 3.14, per thread): until the block ends, neither counts.
    """
    if page_loop is None:
        yield
        return
    task = asyncio.tasks._swap_current_task(page_loop, None)  # type: ignore[attr-defined]
    asyncio._set_running_loop(None)
    try:
        yield
    finally:
        asyncio._set_running_loop(page_loop)
        asyncio.tasks._swap_current_task(page_loop, task)  # type: ignore[attr-defined]
