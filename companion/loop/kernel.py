"""The kernel of :mod:`companion.loop`: the scheduler that drives tasks, and the calls to reach it.

A :class:`~companion.loop.Kernel` owns three places a task can be in while it is not running:

- the **ready queue**, a :class:`collections.deque` run first in, first out;
- the **timer heap**, a :mod:`heapq` of ``[deadline, sequence number, task]`` entries, for
  tasks that sleep;
- the **poller**, for tasks that wait on a socket: on Linux a :func:`select.epoll` object the
  kernel drives itself, elsewhere a :class:`selectors.DefaultSelector` behind the same four calls
  (each socket's registration is a :class:`~companion.loop.Watch`: which task waits to read it,
  which to write);

and a fourth, less visible one: the list of tasks parked in another task's
:meth:`~companion.loop.Task.join`.

It runs in turns (``Kernel._run_once``): the sockets that are ready and the timers that are
due wake their tasks, which join the back of the ready queue; then a pass over the queue resumes
each task that is in it once, with ``send(None)``, until the task suspends at a trap
(:mod:`companion.loop.traps`). The poller is consulted once per turn, and only when it has
to be: when no task is ready, it blocks until the first timer is due or a socket is ready; when
tasks are ready, it is polled with timeout 0, and only if some task waits on a socket. So a task
that keeps calling ``sleep(0)`` cannot starve the sockets (they are checked after every pass,
as asyncio checks them after every pass over its ready callbacks), and a program that only
switches between tasks never makes a system call.

A socket stays registered with the poller after the wait that registered it is over, as in
curio: a server task that waits on the same socket again and again (read, reply, read ...)
registers it once, instead of making two system calls per wait (``epoll_ctl`` to add it, and to
remove it when it is woken). It is taken out lazily, also as in curio: when a poll reports it
ready for an event nobody waits for any more. A socket closed with
:func:`~companion.loop.sock_close` leaves the poller at once, and its waiters get
:exc:`OSError` (``EBADF``); one closed behind the kernel's back (a plain ``close()``) leaves
epoll by itself, and its record is dropped when its descriptor number comes back with another
socket, or at the end of the run.

When the main task finishes, the kernel cancels the tasks that are left and runs them until
they have finished; it does the same when it stops on an exception, Ctrl-C included, which it
takes care to raise only where no task is halfway between two places (see
``Kernel._on_sigint``).

:func:`~companion.loop.run`, :func:`~companion.loop.spawn`, :func:`~companion.loop.current_task` and
:func:`~companion.loop.sleep` are the calls a program makes; the kernel that is running in this
thread is found through a :class:`threading.local`. A kernel and its tasks belong to one thread.
"""

from __future__ import annotations

import contextlib
import errno
import heapq
import itertools
import select
import selectors
import signal
import socket
import threading
import time
import types
from collections import deque
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any, NamedTuple, TypeVar

from companion.loop import traps
from companion.loop.task import Task, TaskCancelled, Unretrieved
from companion.loop.traps import Sleep, WaitIO, WaitTask, WaitWatch, Yield

__all__ = ["Census", "Kernel", "Watch", "current_task", "run", "sleep", "spawn"]

T = TypeVar("T")

# The longest the poller blocks in one call, as in asyncio: select() rejects huge timeouts, and
# a kernel that wakes once a day to find nothing due costs nothing.
MAX_SELECT_TIMEOUT = 24 * 3600.0


class _Running(threading.local):
    kernel: Kernel | None = None  # the Kernel running in this thread, if any


_running = _Running()

# A timer-heap entry: [deadline, sequence number, task]. The sequence number breaks ties between
# equal deadlines (first come, first woken) and keeps tasks from ever being compared. A list, not
# a tuple, so that a cancelled sleep can drop its task (entry[2] = None) and leave the entry in
# place: finding it in the heap would take a search. Dead entries are purged all at once when
# they outnumber the live ones (and are more than MIN_DEAD_TIMERS), as asyncio does: so the heap
# is never more than about twice the size of what it holds, for O(1) work per cancelled sleep.
TimerEntry = list[Any]
MIN_DEAD_TIMERS = 100


READ, WRITE = selectors.EVENT_READ, selectors.EVENT_WRITE

# The poller's own event bits: epoll's where there is epoll, and the same numbers elsewhere.
POLL_IN: int = getattr(select, "EPOLLIN", 1)
POLL_OUT: int = getattr(select, "EPOLLOUT", 4)
# What to register for a watch's events (READ, WRITE, both), indexed by them.
_POLL_MASK = (0, POLL_IN, POLL_OUT, POLL_IN | POLL_OUT)
# A poll result wakes the reader for anything but "writable" alone, and the writer for anything
# but "readable" alone: an error or a hang-up wakes both, to find out with their next call.
_WAKES_READER, _WAKES_WRITER = ~POLL_OUT, ~POLL_IN


class _SelectorPoller:
    """epoll's four calls made of a :class:`selectors.DefaultSelector`, where there is no epoll.

    The kernel speaks to its poller as to an epoll object (descriptor numbers in, ``(fd,
    events)`` pairs out), so that on Linux nothing stands between the two; elsewhere (kqueue,
    poll, select) this translates.
    """

    def __init__(self) -> None:
        self._selector = selectors.DefaultSelector()

    def register(self, fd: int, mask: int) -> None:
        self._selector.register(fd, _selector_events(mask))

    def modify(self, fd: int, mask: int) -> None:
        self._selector.modify(fd, _selector_events(mask))

    def unregister(self, fd: int) -> None:
        self._selector.unregister(fd)  # KeyError if it is not registered, as epoll raises

    def poll(self, timeout: float | None = None, maxevents: int = -1) -> list[tuple[int, int]]:
        return [
            (key.fd, (POLL_IN if events & READ else 0) | (POLL_OUT if events & WRITE else 0))
            for key, events in self._selector.select(timeout)
        ]

    def close(self) -> None:
        self._selector.close()


def _selector_events(mask: int) -> int:
    return (READ if mask & POLL_IN else 0) | (WRITE if mask & POLL_OUT else 0)


def _new_poller() -> Any:
    """Make a kernel's poller: :func:`select.epoll` on Linux, else a :class:`_SelectorPoller`."""
    if hasattr(select, "epoll"):
        return select.epoll()
    return _SelectorPoller()


class Watch:
    """A socket registered with a kernel's poller: who waits on it, for what (a plain record).

    The kernel keeps one per socket that some task waits on, or waited on and has not been
    forgotten yet, keyed by descriptor number, and registers the number (not the socket object,
    whose ``fileno()`` is -1 once it is closed). A watch also holds, made once, the traps
    that wait on its socket (``wait_read``, ``wait_write``: see
    :class:`companion.loop.traps.Yield`): a task that finds its socket's watch awaits one of
    them, and the kernel parks it without building a request or looking the socket up.
    """

    __slots__ = (
        "cancel_read",
        "cancel_write",
        "drained",
        "events",
        "fd",
        "reader",
        "sock",
        "wait_read",
        "wait_write",
        "writer",
    )

    def __init__(self, kernel: Kernel, sock: socket.socket, fd: int) -> None:
        self.sock = sock
        self.fd = fd
        self.events = 0  # the events the poller watches for: READ, WRITE, both, or none yet
        self.reader: Task[Any] | None = None  # the task waiting to read, if any
        self.writer: Task[Any] | None = None  # the task waiting to write, if any
        # The last recv() emptied the socket's buffer: the next one would most likely fail, so
        # sock_recv() waits first (see companion.loop.sockets).
        self.drained = False
        # How a waiter's cancellation takes it out of this watch: made once, used for each wait.
        self.cancel_read = partial(kernel._forget_io, self, READ)
        self.cancel_write = partial(kernel._forget_io, self, WRITE)
        # What the socket functions await to wait on the socket: made once, awaited for each
        # wait (see companion.loop.traps.Yield).
        self.wait_read = Yield((WaitWatch(self, READ),))
        self.wait_write = Yield((WaitWatch(self, WRITE),))


class Census(NamedTuple):
    """What a kernel holds at a moment: a test hook, and a way to watch it work."""

    tasks: int  # unfinished tasks
    ready: int  # tasks in the ready queue
    timers: int  # entries in the timer heap, including those of cancelled sleeps not purged yet
    registered: int  # open sockets registered with the poller (closed ones have left it)
    closed: bool  # True once run() has returned and the poller is closed


class Kernel:
    """An event loop made of a ready queue, a timer heap and a poller, one per run() call.

    A kernel runs one coroutine, once: ``Kernel().run(coro)`` is :func:`~companion.loop.run`. Make
    one yourself to choose its *clock* (a function returning seconds, :func:`time.monotonic` by
    default; a test can pass a virtual one) or to look at what it holds, during or after the run,
    with :meth:`census` and :meth:`unfinished`.
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._current: Task[Any] | None = None  # the task being resumed right now
        self._ready: deque[Task[Any]] = deque()
        self._timers: list[TimerEntry] = []
        self._dead_timers = 0  # entries of cancelled sleeps still in the heap
        self._sequence = itertools.count()
        self._poller: Any = _new_poller()
        self._poller_closed = False
        self._watches: dict[int, Watch] = {}  # by descriptor number
        # Tasks waiting on a socket: with no task ready and no timer, none means a deadlock.
        # (Counted: the watches include sockets nobody waits on any more, not forgotten yet.)
        self._io_waiting = 0
        # Socket calls that succeeded at once since a task last waited on a socket: the socket
        # functions make their task let the others run when this grows too long.
        self._io_streak = 0
        # The unfinished tasks, oldest first, as a doubly linked list threaded through the tasks
        # themselves (Task._older, Task._newer): adding and removing one allocates nothing and
        # costs O(1), and 100,000 tasks cost 16 bytes each, a third of what a dict would.
        self._oldest: Task[Any] | None = None
        self._newest: Task[Any] | None = None
        self._task_count = 0
        self._used = False
        self._blocked = False  # True while the kernel waits in poll(): see _on_sigint
        self._interrupted = False  # a Ctrl-C came, and the kernel has not raised it yet
        # While the kernel handles Ctrl-C: the socket pair that signals wake the poller through,
        # and the wakeup descriptor to put back (see _watch_signals).
        self._wakeup: tuple[socket.socket, socket.socket, int] | None = None

    def census(self) -> Census:
        """Count what the kernel holds now (see :class:`~companion.loop.Census`)."""
        registered = sum(
            1
            for watch in self._watches.values()
            if watch.events and watch.sock.fileno() == watch.fd
        )
        return Census(
            tasks=self._task_count,
            ready=len(self._ready),
            timers=len(self._timers),
            registered=registered,
            closed=self._poller_closed,
        )

    # --- Running a program ----------------------------------------------------------------------

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run *coro* as the main task until it finishes; return its result or raise its exception.

        However it ends, nothing is left behind: unfinished tasks are cancelled and run until
        they have finished, and the poller is closed.
        """
        _check_coroutine(coro)
        if _running.kernel is not None:
            coro.close()  # refused, so never to be awaited: don't let it warn about that
            raise RuntimeError("companion.loop.run() cannot be called from a running loop")
        if self._used:
            coro.close()
            raise RuntimeError("this Kernel has already run; make a new one")
        self._used = True
        _running.kernel = self
        handling_ctrl_c = False
        try:
            handling_ctrl_c = self._handle_ctrl_c()
            main = self._spawn(coro)
            try:
                while not main._done:
                    self._run_once()
                    self._raise_if_interrupted()
            finally:
                self._shutdown()
        finally:
            if handling_ctrl_c:
                signal.signal(signal.SIGINT, signal.default_int_handler)
                self._unwatch_signals()
            _running.kernel = None
            self._close()
        return main.result()

    def _handle_ctrl_c(self) -> bool:
        """Have ``_on_sigint`` handle Ctrl-C, if Python's default handler does; say if so.

        Signal handlers belong to the main thread, and a custom one is left alone.
        """
        if (
            threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
        ):
            return False
        signal.signal(signal.SIGINT, self._on_sigint)
        self._watch_signals()
        return True

    def _watch_signals(self) -> None:
        """Have every signal wake the poller, through :func:`signal.set_wakeup_fd`.

        Python runs a signal's handler in the main thread, between two bytecodes; the signal
        itself only leaves a note. A poller blocked in ``epoll_wait()`` usually learns of it
        because the system call fails with EINTR, but not if the signal comes just before the
        call, after Python's last look at its notes (or if it is delivered to another thread):
        the handler would then wait until a socket or a timer wakes the kernel, for ever if
        none does. With a wakeup descriptor, Python also writes a byte to a socket the poller
        watches, and the poll returns at once. Where there is no socket pair (WebAssembly),
        the kernel goes without.
        """
        try:
            receive, send = socket.socketpair()
        except OSError:
            return
        receive.setblocking(False)
        send.setblocking(False)
        # Signals that come faster than the kernel drains the socket fill it; a full buffer
        # loses nothing that matters (one byte is enough to wake the poll), so no warning.
        previous = signal.set_wakeup_fd(send.fileno(), warn_on_full_buffer=False)
        self._poller.register(receive.fileno(), POLL_IN)
        self._wakeup = (receive, send, previous)

    def _unwatch_signals(self) -> None:
        """Undo :meth:`_watch_signals`: put back the previous wakeup descriptor, close ours."""
        if self._wakeup is not None:
            receive, send, previous = self._wakeup
            self._wakeup = None
            signal.set_wakeup_fd(previous)
            self._unregister(receive.fileno())
            receive.close()
            send.close()

    def _drain_wakeup(self) -> None:
        """Empty the wakeup socket (its bytes only say that signals came)."""
        if self._wakeup is not None:
            with contextlib.suppress(BlockingIOError):
                while self._wakeup[0].recv(4096):
                    pass

    def _on_sigint(self, signum: int, frame: types.FrameType | None) -> None:
        """Raise KeyboardInterrupt for Ctrl-C, but only where the kernel has nothing half done.

        Python's own handler raises it wherever the program is, between any two bytecodes,
        possibly halfway through moving a task from the poller to the ready queue: that task
        would be lost, and the shutdown would wait for it for ever. So this raises at once only
        while the kernel waits in poll(), or if an earlier Ctrl-C is still unheeded (a task is
        busy and never awaits: the second Ctrl-C forces its way in, as with asyncio.run).
        Otherwise it leaves a note, and the kernel raises it itself, between two turns.
        """
        if self._blocked or self._interrupted:
            raise KeyboardInterrupt
        self._interrupted = True

    def _raise_if_interrupted(self) -> None:
        if self._interrupted:
            self._interrupted = False  # heeded: a new Ctrl-C during the shutdown forces it
            raise KeyboardInterrupt

    def _shutdown(self) -> None:
        """Cancel every unfinished task and run the kernel until all of them have finished.

        A task spawned during the shutdown (by a task's cleanup code) is cancelled in turn. A task
        that catches :exc:`~companion.loop.TaskCancelled` and never finishes keeps the kernel
        running, as it keeps :func:`asyncio.run` from returning.
        """
        cancelled: set[Task[Any]] = set()
        while self._task_count:
            for task in self.unfinished():
                if task not in cancelled:
                    cancelled.add(task)
                    self._cancel(task)
            self._run_once()

    def unfinished(self) -> list[Task[Any]]:
        """Return the tasks that have not finished yet, in the order they were spawned."""
        tasks = []
        task = self._oldest
        while task is not None:
            tasks.append(task)
            task = task._newer
        return tasks

    def _close(self) -> None:
        """Release the poller, and everything still registered with it."""
        # Sockets nobody waits on any more may still be registered, and, if the shutdown was
        # interrupted (a second Ctrl-C, say), sockets with waiters too.
        for watch in list(self._watches.values()):
            if watch.events:
                self._unregister(watch.fd)
        self._poller.close()
        self._poller_closed = True
        self._watches.clear()
        self._io_waiting = 0
        self._ready.clear()
        self._timers.clear()
        self._dead_timers = 0

    def _run_once(self) -> None:
        """Take one turn: wait for IO and timers if no task is ready, then run the ready ones.

        Waiting comes first so that the caller can check, right after the tasks have run,
        whether the one it waits for has finished, before the kernel blocks again.
        """
        if self._ready:
            if self._io_waiting:
                self._poll(0)  # only a peek: tasks are waiting to run
        else:
            timeout = self._time_to_next_timer()
            if timeout is None and not self._io_waiting:
                raise RuntimeError(
                    f"deadlock: {self._task_count} unfinished tasks all wait for one another"
                    " (none is ready, sleeping or waiting on a socket)"
                )
            self._poll(timeout)  # block: nothing can happen before a timer or a socket
        if self._timers:
            self._wake_sleepers()
        self._run_ready()

    def _run_ready(self) -> None:
        """Resume each task that is ready now once, first in, first out, until it suspends."""
        ready = self._ready
        popleft, append = ready.popleft, ready.append
        parked = 0  # tasks parked on a watch already registered for their event (see below)
        # Only the tasks ready now: those that become ready meanwhile wait for the next turn,
        # after the timers and sockets have had their chance.
        try:
            for _ in range(len(ready)):
                task = popleft()
                self._current = task
                try:
                    if task._throw is None:
                        trap = task._coro.send(None)
                    else:
                        exc, task._throw = task._throw, None
                        trap = task._coro.throw(exc)
                except StopIteration as stop:
                    self._finish(task, stop.value, None)
                except BaseException as exc:
                    self._finish(task, None, exc)
                    if isinstance(exc, KeyboardInterrupt | SystemExit):
                        raise  # as in asyncio: these stop the loop, and run() shuts down
                else:
                    if trap is None:  # sleep(0): back of the queue, without more ado
                        append(task)
                        continue
                    if type(trap) is WaitWatch and task._throw is None:
                        # A server's usual wait: its socket's watch, registered already
                        # for this event, with no other task waiting for it. _park_watch()
                        # in line.
                        watch, event = trap
                        if event == READ:
                            if watch.reader is None and watch.events & READ:
                                watch.reader = task
                                task._cancel_wait = watch.cancel_read
                                parked += 1
                                self._io_streak = 0
                                continue
                        elif watch.writer is None and watch.events & WRITE:
                            watch.writer = task
                            task._cancel_wait = watch.cancel_write
                            parked += 1
                            self._io_streak = 0
                            continue
                    self._park(task, trap)
        finally:
            self._current = None
            self._io_waiting += parked

    def _finish(self, task: Task[Any], result: object, exc: BaseException | None) -> None:
        """Record how *task* ended and wake the tasks that were joining it."""
        task._done = True
        task._result = result
        task._exception = exc
        if exc is not None:
            task._traceback = exc.__traceback__
        if isinstance(exc, Exception):  # not TaskCancelled, nor what the kernel re-raises
            task._unretrieved = Unretrieved(task)
        self._unlink(task)
        joiners = task._joiners
        if joiners:
            task._joiners = None
            for joiner in joiners:
                self._wake(joiner)

    def _wake(self, task: Task[Any]) -> None:
        """Make a parked task ready: its wait is over."""
        task._cancel_wait = None
        self._ready.append(task)

    # --- Parking tasks at traps -----------------------------------------------------------------

    def _park(self, task: Task[Any], trap: object) -> None:
        """Put *task* where its *trap* says it waits, or fail the trap inside the task."""
        if task._throw is not None:
            # Cancelled while it ran: don't park it, deliver the cancellation right away.
            self._ready.append(task)
            return
        try:
            match trap:
                case WaitWatch(watch, event):  # a server's most frequent trap: first
                    self._park_watch(task, watch, event)
                case WaitIO(sock, event):
                    self._park_io(task, sock, event)
                case Sleep(seconds):
                    self._park_timer(task, seconds)
                case WaitTask(target):
                    self._park_join(task, target)
                case _:
                    # An asyncio future, say: it yields itself, expecting asyncio's Task.
                    raise RuntimeError(f"Task got bad yield: {trap!r}")
        except Exception as exc:
            # A wait the kernel cannot arrange (a closed socket, a task joining itself ...)
            # fails inside the task, at its await, rather than inside the kernel.
            task._throw = exc
            self._ready.append(task)

    def _park_timer(self, task: Task[Any], seconds: float) -> None:
        entry: TimerEntry = [self.clock() + seconds, next(self._sequence), task]
        heapq.heappush(self._timers, entry)
        task._cancel_wait = partial(self._forget_timer, entry)

    def _forget_timer(self, entry: TimerEntry, task: Task[Any]) -> None:
        entry[2] = None  # a dead entry: skipped when it reaches the top of the heap ...
        self._dead_timers += 1
        timers = self._timers
        if self._dead_timers > MIN_DEAD_TIMERS and 2 * self._dead_timers > len(timers):
            # ... or purged with the others, once they are most of the heap.
            timers[:] = [entry for entry in timers if entry[2] is not None]
            heapq.heapify(timers)
            self._dead_timers = 0

    def _time_to_next_timer(self) -> float | None:
        """Seconds until the first live timer is due (0 if overdue); None if there is none."""
        timers = self._timers
        while timers and timers[0][2] is None:
            heapq.heappop(timers)  # a dead entry, left by a cancelled sleep
            self._dead_timers -= 1
        if not timers:
            return None
        deadline: float = timers[0][0]
        return min(max(deadline - self.clock(), 0.0), MAX_SELECT_TIMEOUT)

    def _wake_sleepers(self) -> None:
        """Make every task whose deadline has passed ready, in deadline order, ties first come."""
        timers = self._timers
        now = self.clock()
        while timers and timers[0][0] <= now:
            task = heapq.heappop(timers)[2]
            if task is None:
                self._dead_timers -= 1
            else:
                self._wake(task)

    def _park_io(self, task: Task[Any], sock: socket.socket, event: int) -> None:
        fd = sock.fileno()
        watch = self._watches.get(fd)
        if watch is None or watch.sock is not sock:
            watch = self._watch(sock, fd)
        self._park_watch(task, watch, event)

    def _park_watch(self, task: Task[Any], watch: Watch, event: int) -> None:
        """Park *task* until *watch*'s socket is ready for *event*, registering it if need be.

        *watch* is normally the kernel's current watch for its socket; if the kernel has
        forgotten it since the socket functions took it (while they let other tasks run), the
        socket is looked up afresh.
        """
        if self._watches.get(watch.fd) is not watch:
            self._park_io(task, watch.sock, event)
            return
        if event == READ:
            if watch.reader is not None:
                raise RuntimeError(
                    f"{watch.reader!r} is already waiting to read from {watch.sock!r}"
                )
        elif watch.writer is not None:
            raise RuntimeError(f"{watch.writer!r} is already waiting to write to {watch.sock!r}")
        fd = watch.fd
        events = watch.events
        if not events & event:  # most waits find their socket registered for the event already
            try:
                if events:
                    self._poller.modify(fd, _POLL_MASK[events | event])
                else:
                    self._poller.register(fd, _POLL_MASK[event])
            except BaseException:
                if not events and watch.reader is None and watch.writer is None:
                    del self._watches[fd]  # nothing to keep a record of
                raise
            watch.events = events | event
        if event == READ:
            watch.reader = task
            task._cancel_wait = watch.cancel_read
        else:
            watch.writer = task
            task._cancel_wait = watch.cancel_write
        self._io_waiting += 1
        self._io_streak = 0

    def _watch(self, sock: socket.socket, fd: int) -> Watch:
        """Make the watch for *sock*, whose descriptor *fd* may have served another socket."""
        if fd < 0:
            raise OSError(errno.EBADF, f"cannot wait on a closed socket: {sock!r}")
        stale = self._watches.get(fd)
        if stale is not None:
            if stale.sock.fileno() == fd:
                return stale  # another socket object for the same descriptor: share the watch
            # The socket was closed without sock_close(), and *fd* now belongs to *sock*.
            self._drop(stale)
        watch = self._watches[fd] = Watch(self, sock, fd)
        return watch

    def _drop(self, watch: Watch) -> None:
        """Forget *watch* now: its waiters get EBADF, and the poller forgets its descriptor."""
        error = f"Bad file descriptor: {watch.sock!r} was closed while a task waited on it"
        for task in (watch.reader, watch.writer):
            if task is not None:
                task._cancel_wait = None
                task._throw = OSError(errno.EBADF, error)
                self._ready.append(task)
                self._io_waiting -= 1
        watch.reader = watch.writer = None
        del self._watches[watch.fd]
        if watch.events:
            self._unregister(watch.fd)
            watch.events = 0

    def _unregister(self, fd: int) -> None:
        """Take *fd* out of the poller, if it is still there.

        By number: for a socket closed already, epoll has forgotten it by itself, and says
        so with an error (EBADF, or ENOENT if the number serves another socket now).
        """
        with contextlib.suppress(OSError, KeyError, ValueError):
            self._poller.unregister(fd)

    def _forget_io(self, watch: Watch, event: int, task: Task[Any]) -> None:
        """Take the cancelled *task* out of *watch*, and the socket out of the poller if idle.

        At once, not before the next poll as for a woken task: a cancelled task may be about to
        close the socket.
        """
        if event == READ:
            watch.reader = None
        else:
            watch.writer = None
        self._io_waiting -= 1
        self._refresh(watch, watch.events & ~event)

    def _refresh(self, watch: Watch, wanted: int) -> None:
        """Register *watch*'s socket for the events in *wanted* only, or not at all if none.

        The events some task waits for stay, whatever *wanted* says.
        """
        if self._watches.get(watch.fd) is not watch:
            return  # dropped already
        wanted |= (READ if watch.reader is not None else 0) | (
            WRITE if watch.writer is not None else 0
        )
        if wanted == watch.events:
            return
        if wanted:
            # Closed behind the kernel's back, it has left epoll already: nothing to modify.
            with contextlib.suppress(OSError):
                self._poller.modify(watch.fd, _POLL_MASK[wanted])
        else:
            del self._watches[watch.fd]
            self._unregister(watch.fd)
        watch.events = wanted

    def forget_socket(self, sock: socket.socket) -> None:
        """Wake the tasks waiting on *sock* with EBADF and forget it: it is about to be closed.

        This is :func:`~companion.loop.sock_close` for the running kernel, before it closes *sock*.
        """
        fd = sock.fileno()
        watch = self._watches.get(fd)
        if watch is not None and watch.sock is sock:
            self._drop(watch)

    def _poll(self, timeout: float | None) -> None:
        """Wait up to *timeout* seconds (None: for ever) for sockets; wake the tasks they free.

        A socket stays registered when its task is woken: the task will most likely wait on
        it again before the next poll. One that a poll reports ready for an event nobody waits
        for any more is taken out of the poller for that event then (curio's lazy way).
        """
        self._blocked = True  # from here to the end of poll(), Ctrl-C raises at once ...
        try:
            self._raise_if_interrupted()  # ... and one that came just before is not forgotten
            events_ready = self._poller.poll(timeout)
        finally:
            self._blocked = False
        ready_append, watches = self._ready.append, self._watches
        woken = 0
        for fd, events in events_ready:
            watch = watches.get(fd)
            if watch is None:
                # A signal came (its handler runs as soon as this returns to Python code), or
                # the socket was forgotten meanwhile (a duplicate of a closed socket).
                self._drain_wakeup()
                continue
            if events == POLL_IN:  # the usual news: readable, and a task waits to read
                task = watch.reader
                if task is not None:
                    watch.reader = task._cancel_wait = None
                    ready_append(task)
                    woken += 1
                    continue
            idle = 0
            if events & _WAKES_READER:
                task = watch.reader
                if task is not None:
                    watch.reader = task._cancel_wait = None
                    ready_append(task)
                    woken += 1
                elif watch.events & READ:
                    idle = READ
            if events & _WAKES_WRITER:
                task = watch.writer
                if task is not None:
                    watch.writer = task._cancel_wait = None
                    ready_append(task)
                    woken += 1
                elif watch.events & WRITE:
                    idle |= WRITE
            if idle:
                self._refresh(watch, watch.events & ~idle)
        self._io_waiting -= woken

    def _park_join(self, task: Task[Any], target: Task[Any]) -> None:
        if target is task:
            raise RuntimeError(f"Task cannot join itself: {task!r}")
        if target._kernel is not self:
            raise RuntimeError(f"{target!r} belongs to another kernel")
        if target._done:  # join() checks this itself; a bare traps.wait_task() may not
            self._ready.append(task)
            return
        if target._joiners is None:
            target._joiners = []
        target._joiners.append(task)
        task._cancel_wait = target._joiners.remove

    # --- Spawning and cancelling ----------------------------------------------------------------

    def _spawn(self, coro: Coroutine[Any, Any, T]) -> Task[T]:
        """Wrap *coro* in a task and put it at the back of the ready queue."""
        task = Task(coro, self)
        self._link(task)
        self._ready.append(task)
        return task

    def _link(self, task: Task[Any]) -> None:
        """Add *task* at the newest end of the list of unfinished tasks."""
        newest = self._newest
        task._older = newest
        if newest is None:
            self._oldest = task
        else:
            newest._newer = task
        self._newest = task
        self._task_count += 1

    def _unlink(self, task: Task[Any]) -> None:
        """Take the finished *task* out of the list of unfinished tasks."""
        older, newer = task._older, task._newer
        if older is None:
            self._oldest = newer
        else:
            older._newer = newer
        if newer is None:
            self._newest = older
        else:
            newer._older = older
        task._older = task._newer = None
        self._task_count -= 1

    def _cancel(self, task: Task[Any]) -> None:
        """Have :exc:`~companion.loop.TaskCancelled` thrown into the unfinished *task*.

        Called by :meth:`~companion.loop.Task.cancel` once it has checked the task is alive.
        """
        task._throw = TaskCancelled()
        cancel_wait = task._cancel_wait
        if cancel_wait is not None:  # parked: take it out of its wait, let it run
            task._cancel_wait = None
            cancel_wait(task)
            self._ready.append(task)


_NOT_RUNNING = "{}() needs a running companion.loop loop; start one with run()"


def _check_coroutine(coro: object) -> None:
    # The first test is the quick one for native coroutines; the ABC also admits objects that
    # implement send(), throw() and close() themselves.
    if type(coro) is not types.CoroutineType and not isinstance(coro, Coroutine):
        raise TypeError(f"a coroutine was expected, got {coro!r}")


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run *coro* on a fresh kernel in this thread; return its result or raise its exception.

    When it returns, by any way out, the tasks it spawned have finished (those still running
    are cancelled and awaited) and the kernel's poller is closed.

    In the main thread, where Python's default handler for SIGINT is in place, the kernel takes
    Ctrl-C itself while it runs (it raises :exc:`KeyboardInterrupt` between two turns, or at
    once while it waits), and it sets a wakeup descriptor (:func:`signal.set_wakeup_fd`) so that
    a signal always wakes its poll; both are put back when it returns.

    >>> async def answer():
    ...     await sleep(0)
    ...     return 42
    >>> run(answer())
    42

    Misuse raises :exc:`TypeError` for what is not a coroutine (asyncio raises
    :exc:`ValueError` there up to Python 3.13), and :exc:`RuntimeError` inside a running loop,
    after closing the coroutine it refuses, so that it does not also warn that it was never
    awaited (asyncio leaves it to warn).
    """
    _check_coroutine(coro)  # before making a kernel (and its poller) for nothing
    return Kernel().run(coro)


def spawn(coro: Coroutine[Any, Any, T]) -> Task[T]:
    """Start *coro* as a new task of the running kernel; return its :class:`~companion.loop.Task`.

    The task starts after the tasks that are ready already, spawned ones included: tasks start in
    the order they were spawned. Raise :exc:`TypeError` for what is not a coroutine, and
    :exc:`RuntimeError` outside a running loop (after closing *coro*, as :func:`~companion.loop.run`
    does).
    """
    _check_coroutine(coro)
    kernel = _running.kernel
    if kernel is None:
        coro.close()  # refused, so never to be awaited: don't let it warn about that
        raise RuntimeError(_NOT_RUNNING.format("spawn"))
    return kernel._spawn(coro)


def current_task() -> Task[Any]:
    """Return the task that is running; :exc:`RuntimeError` outside a running loop."""
    kernel = _running.kernel
    if kernel is None:
        raise RuntimeError(_NOT_RUNNING.format("current_task"))
    task = kernel._current
    if task is None:  # only the kernel's own code runs between tasks
        raise RuntimeError("current_task() called outside a task")
    return task


async def sleep(seconds: float) -> None:
    """Suspend the calling task for *seconds*; ``sleep(0)`` lets every other ready task run once.

    A negative delay counts as 0, as in :func:`asyncio.sleep`; NaN raises :exc:`ValueError`
    (asyncio does so from Python 3.13 on).
    """
    if seconds <= 0:
        await traps.schedule()
    elif seconds > 0:
        await traps.sleep(seconds)
    else:  # NaN: neither > 0 nor <= 0
        raise ValueError("Invalid delay: NaN (not a number)")
