"""Tools to see inside a running asyncio program: a task dump, a slow-step recorder, a watchdog.

The chapter "Debugging and testing asyncio programs" reads this module. Each tool answers one
question you ask of a program that misbehaves:

* *Where is every task waiting?* :func:`format_tasks` (and :func:`dump_tasks`, which prints it)
  follows each task's chain of coroutines down to the innermost ``await`` and names what the task
  waits on. :meth:`asyncio.Task.get_stack` shows the outermost coroutine's frame only; this
  follows ``cr_await`` all the way, on every version (Python 3.14's
  ``asyncio.capture_call_graph()`` does the same, for one task, and adds who awaits it).
* *Which step held the loop?* :class:`SlowCallbacks` collects the warnings that asyncio's
  :term:`debug mode` logs for each callback or task step slower than
  :attr:`~asyncio.loop.slow_callback_duration`, as values a test can check.
* *Is the loop stuck in a blocking call?* :class:`Watchdog` keeps :mod:`faulthandler`'s timer
  from firing as long as the loop turns; when the loop stops turning, faulthandler's own thread
  writes every thread's traceback, the blocking line included.

A program can be stuck in two ways, and the tools split along that line. Every task may be
waiting for something that never comes: the loop is idle, and a task dump says where each task
waits. Or one step never ends: the loop cannot run anything, not even the code that would print a
dump, and only a thread of its own (faulthandler's) can still report.

>>> import asyncio
>>> async def waits(event: asyncio.Event) -> None:
...     await event.wait()
>>> async def main() -> None:
...     event = asyncio.Event()
...     task = asyncio.create_task(waits(event), name="waiter")
...     await asyncio.sleep(0)
...     print(format_tasks([task]), end="")
...     event.set()
...     await task
>>> asyncio.run(main())  # doctest: +ELLIPSIS
Task 'waiter' (pending)
  waits (<doctest ...>:2)
  Event.wait (.../asyncio/locks.py:...)
  waits on <Future pending cb=[Task.task_wakeup()]>
"""

from __future__ import annotations

import asyncio
import faulthandler
import logging
import sys
import types
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, TextIO

__all__ = [
    "FrameInfo",
    "SlowCallback",
    "SlowCallbacks",
    "TaskInfo",
    "Watchdog",
    "coroutine_chain",
    "describe",
    "dump_tasks",
    "format_tasks",
]


@dataclass(frozen=True)
class FrameInfo:
    """One suspended (or running) coroutine in a chain: its qualified name, file and line."""

    name: str
    filename: str
    lineno: int

    def __str__(self) -> str:
        return f"{self.name} ({self.filename}:{self.lineno})"


# [debugging-start:chain]
def coroutine_chain(awaitable: object) -> list[FrameInfo]:
    """The frames of *awaitable* and of everything it awaits, outermost first.

    A coroutine suspended at ``await inner()`` keeps *inner* in ``cr_await``; a
    generator-based coroutine keeps it in ``gi_yieldfrom``, an async generator in
    ``ag_await``. The chain stops at the first object that is none of these: a
    future's iterator, most often, or an object (like an async generator's
    ``asend()``) that does not show what it awaits.
    """
    chain: list[FrameInfo] = []
    current: object = awaitable
    while True:
        if isinstance(current, types.CoroutineType):
            frame, current = current.cr_frame, current.cr_await
        elif isinstance(current, types.GeneratorType):
            frame, current = current.gi_frame, current.gi_yieldfrom
        elif isinstance(current, types.AsyncGeneratorType):
            frame, current = current.ag_frame, current.ag_await
        else:
            return chain
        if frame is None:  # finished: nothing below it either
            return chain
        code = frame.f_code
        chain.append(FrameInfo(code.co_qualname, code.co_filename, frame.f_lineno))


# [debugging-end:chain]


@dataclass(frozen=True)
class TaskInfo:
    """What :func:`describe` learns about one task."""

    name: str
    #: ``"running"`` (the current task), ``"pending"``, ``"done"`` or ``"cancelled"``.
    state: str
    chain: tuple[FrameInfo, ...]
    #: The :func:`repr` of the future the task waits on, or ``None`` when it waits on none.
    waits_on: str | None

    def __str__(self) -> str:
        lines = [f"Task {self.name!r} ({self.state})"]
        lines += [f"  {frame}" for frame in self.chain]
        if self.waits_on is not None:
            lines.append(f"  waits on {self.waits_on}")
        return "\n".join(lines) + "\n"


def describe(task: asyncio.Task[Any]) -> TaskInfo:
    """Describe *task*: its name, its state, its chain of coroutines, the future it waits on."""
    if not isinstance(task, asyncio.Task):
        raise TypeError(f"a Task was expected, got {type(task).__name__}")
    if task.cancelled():
        state = "cancelled"
    elif task.done():
        state = "done"
    elif task is asyncio.current_task(task.get_loop()):
        state = "running"
    else:
        state = "pending"
    # The future a suspended task waits on is kept in the task's `_fut_waiter`: asyncio's own
    # repr of a task (its `wait_for=`) and Python 3.14's call graphs read it there too. It is
    # only read here, never written.
    waiter = getattr(task, "_fut_waiter", None)
    return TaskInfo(
        name=task.get_name(),
        state=state,
        chain=tuple(coroutine_chain(task.get_coro())),
        waits_on=None if waiter is None else repr(waiter),
    )


# [debugging-start:format-tasks]
def format_tasks(tasks: Iterable[asyncio.Task[Any]] | None = None) -> str:
    """A report on *tasks* (default: every unfinished task of the running loop).

    One block per task, in order of their names, so that two dumps of the same
    program compare line by line. Called with no argument outside a running loop, it
    raises :exc:`RuntimeError`, as :func:`asyncio.all_tasks` does.
    """
    if tasks is None:
        tasks = asyncio.all_tasks()
    infos = sorted((describe(task) for task in tasks), key=lambda info: info.name)
    return "".join(str(info) for info in infos)


def dump_tasks(
    tasks: Iterable[asyncio.Task[Any]] | None = None, *, file: TextIO | None = None
) -> None:
    """Print :func:`format_tasks` to *file* (default: :data:`sys.stderr`)."""
    text = format_tasks(tasks)
    print(text, end="", file=sys.stderr if file is None else file, flush=True)


# [debugging-end:format-tasks]


@dataclass(frozen=True)
class SlowCallback:
    """One slow callback or task step reported by debug mode: what ran, for how long."""

    what: str
    seconds: float


# [debugging-start:slow]
class SlowCallbacks(logging.Handler):
    """Collect debug mode's reports of slow callbacks and steps while the block runs.

    In :term:`debug mode` the loop logs ``Executing <what> took <n> seconds`` on the
    ``asyncio`` logger for each callback or task step that runs longer than
    :attr:`~asyncio.loop.slow_callback_duration`. Inside
    ``with SlowCallbacks() as slow:``, ``slow.reports`` lists them as
    :class:`SlowCallback` values, with the duration unrounded; other handlers of the
    logger still see them.
    """

    #: The format of the loop's warning (``asyncio.base_events``, 3.11 to 3.15).
    MESSAGE: ClassVar[str] = "Executing %s took %.3f seconds"

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.reports: list[SlowCallback] = []
        self._logger = logging.getLogger("asyncio")

    def emit(self, record: logging.LogRecord) -> None:
        """Keep *record* in ``reports`` if it is the loop's slow-callback warning; ignore any
        other record."""
        if record.msg == self.MESSAGE and isinstance(record.args, tuple):
            what, seconds = record.args
            seconds = float(seconds)  # type: ignore[arg-type]
            self.reports.append(SlowCallback(str(what), seconds))

    def __enter__(self) -> SlowCallbacks:
        self._logger.addHandler(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._logger.removeHandler(self)


# [debugging-end:slow]


_ONE_TIMER = "another Watchdog is active: faulthandler has one timer"


# [debugging-start:watchdog]
class Watchdog:
    """Dump every thread's traceback if the loop stays blocked for *timeout* seconds.

    ``async with Watchdog(timeout):`` arms :func:`faulthandler.dump_traceback_later`
    and has the loop re-arm it every ``timeout / 2`` seconds. While the loop turns,
    the timer never fires. When a step blocks, nothing re-arms it, and faulthandler's
    own thread, which needs neither the loop nor the GIL, writes the tracebacks to
    *file* (default: :data:`sys.stderr`; a real file, as faulthandler writes to its
    file descriptor). A block longer than *timeout* is always reported, one shorter
    than ``timeout / 2`` never; the report comes once per block, and the watchdog
    re-arms when the loop turns again.

    faulthandler has one such timer per process: one watchdog may be active at a time.
    """

    _active: ClassVar[Watchdog | None] = None

    def __init__(self, timeout: float, *, file: TextIO | None = None) -> None:
        if timeout <= 0:
            raise ValueError(f"timeout must be greater than 0, got {timeout!r}")
        self.timeout = timeout
        self.file = file
        self._beat: asyncio.TimerHandle | None = None

    def _rearm(self) -> None:
        file = sys.stderr if self.file is None else self.file
        faulthandler.dump_traceback_later(self.timeout, file=file)
        loop = asyncio.get_running_loop()
        self._beat = loop.call_later(self.timeout / 2, self._rearm)

    async def __aenter__(self) -> Watchdog:
        if Watchdog._active is not None:
            raise RuntimeError(_ONE_TIMER)
        Watchdog._active = self
        self._rearm()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._beat is not None:
            self._beat.cancel()
            self._beat = None
        faulthandler.cancel_dump_traceback_later()
        Watchdog._active = None


# [debugging-end:watchdog]
