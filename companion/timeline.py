"""Task timelines: when each task of a real run ran, waited and finished, on the virtual clock.

The book's timeline figures are drawn from these records (``booktools.figures.timelines``), so a
figure shows what the code did, never what someone thought it would do.

**What is measured.** A task runs in *steps*: its driver resumes its coroutine with
:meth:`~coroutine.send` or :meth:`~coroutine.throw`, and the coroutine runs until it suspends
(it yields to the driver), returns or raises. A :class:`Tracer` wraps each task's coroutine in an
object that implements the coroutine protocol itself and notes every such call: when the step
began and ended, in the loop's time, its place among all the steps of the run, and how it ended.
Between two steps the task *waits*. Nothing private is touched: asyncio tasks get the wrapper
from a task factory (:meth:`~asyncio.loop.set_task_factory`), and any other driver, such as
:mod:`companion.loop`, gets it from :meth:`Tracer.wrap`. The same code works on every Python the
book supports. What the tracer cannot see is work done outside tasks (callbacks the loop runs)
and coroutines awaited inside a task, which run within the task's steps.

**Time is virtual.** Under :func:`run` (or inside :func:`companion.virtualtime.run`) times are
the virtual clock's, so they are exact and the same on every run. That clock stands still while
code runs (:mod:`companion.virtualtime`): a step takes no virtual time at all, only waiting does.
To show a step that holds the thread, a program says so explicitly with :func:`block`, which
moves the virtual clock on during the step, as a blocking call such as :func:`time.sleep` would
let real time pass.

>>> import asyncio
>>> async def fetch(seconds: float) -> float:
...     await asyncio.sleep(seconds)
...     return seconds
>>> async def main() -> list[float]:
...     one = asyncio.create_task(fetch(1.0), name="one")
...     two = asyncio.create_task(fetch(2.0), name="two")
...     return await asyncio.gather(one, two)
>>> tracer = Tracer()
>>> run(main(), tracer=tracer)
[1.0, 2.0]
>>> print(tracer.timeline())
main()  steps at 0.0, 2.0  returned at 2.0
one     steps at 0.0, 1.0  returned at 1.0
two     steps at 0.0, 2.0  returned at 2.0
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Coroutine, Generator
from dataclasses import dataclass
from types import CodeType, FrameType, TracebackType
from typing import Any, Literal, TypeVar

from companion import virtualtime
from companion.loop.task import TaskCancelled

__all__ = [
    "Outcome",
    "Step",
    "TaskTrace",
    "Timeline",
    "TracedCoroutine",
    "Tracer",
    "block",
    "run",
]

T = TypeVar("T")
Y = TypeVar("Y")
S = TypeVar("S")

#: How a task ended: ``"returned"``, ``"raised"``, ``"cancelled"``, or ``"pending"`` if it never
#: finished before the trace was read.
Outcome = Literal["returned", "raised", "cancelled", "pending"]

# asyncio names a task "Task-<n>" unless told otherwise; n counts every task of the process, so it
# says nothing about the program and changes from run to run. Python 3.13.0's create_task names a
# task made by a task factory "None" when given no name (it calls set_name(None)).
_DEFAULT_NAME = re.compile(r"Task-\d+|None")


@dataclass(frozen=True)
class Step:
    """One step of a task: a single ``send()`` or ``throw()`` of its coroutine, up to its end."""

    start: float  #: the loop's time when the step began
    end: float  #: the loop's time when it ended (equal to start unless the clock moved meanwhile)
    index: int  #: its place among all the steps of the run, counting from 0
    suspended: bool  #: True if the coroutine suspended (yielded); False if it returned or raised
    #: how many steps of the run had started when this one ended: ``index + 1``, unless other
    #: tasks' steps ran inside this one (an eager task's first step runs inside ``create_task``)
    end_index: int


@dataclass(frozen=True)
class TaskTrace:
    """What one task did: its name, its steps in order, and how and when it ended."""

    name: str  #: the task's name, or the call that made its coroutine (see :class:`Timeline`)
    steps: tuple[Step, ...]
    outcome: Outcome
    error: str | None  #: the name of the exception's type, when the outcome is "raised"

    @property
    def finished(self) -> float | None:
        """The time the task's last step ended, or ``None`` if it is still pending."""
        return None if self.outcome == "pending" or not self.steps else self.steps[-1].end

    def waits(self) -> list[tuple[float, float]]:
        """The intervals between its steps, as ``(start, end)`` times: when it was suspended."""
        return [(one.end, two.start) for one, two in zip(self.steps, self.steps[1:], strict=False)]

    def waits_by_index(self) -> list[tuple[int, int]]:
        """The same intervals as :meth:`waits`, counted in steps of the whole run."""
        return [
            (one.end_index, two.index) for one, two in zip(self.steps, self.steps[1:], strict=False)
        ]


@dataclass(frozen=True)
class Timeline:
    """The trace of a run: one :class:`TaskTrace` per task, in the order the tasks were created.

    A task is named by its name, if it was given one, or else by the call that made its
    coroutine, such as ``job('a', 1)`` (asyncio's default names, ``Task-<n>``, change from run to
    run and say nothing about the task).
    """

    tasks: tuple[TaskTrace, ...]

    def __getitem__(self, name: str) -> TaskTrace:
        """Return the trace of the task named *name*; :exc:`KeyError` if there is none."""
        for task in self.tasks:
            if task.name == name:
                return task
        raise KeyError(name)

    def names(self) -> list[str]:
        """The tasks' names, in the order they were created."""
        return [task.name for task in self.tasks]

    def order(self) -> list[str]:
        """The name of the task that ran each step of the run, in the order the steps ran."""
        steps = [(step.index, task.name) for task in self.tasks for step in task.steps]
        return [name for _, name in sorted(steps)]

    def end(self) -> float:
        """The time the last step ended (``0.0`` for a run with no steps)."""
        return max((task.steps[-1].end for task in self.tasks if task.steps), default=0.0)

    def __str__(self) -> str:
        width = max((len(name) for name in self.names()), default=0)
        lines = []
        for task in self.tasks:
            starts = ", ".join(repr(step.start) for step in task.steps)
            ending = task.outcome if task.error is None else f"raised {task.error}"
            if task.finished is not None:
                ending += f" at {task.finished!r}"
            lines.append(f"{task.name:<{width}}  steps at {starts}  {ending}")
        return "\n".join(lines)


class _Record:
    """What the tracer has seen of one task so far."""

    def __init__(self, name: Callable[[], str]) -> None:
        self.name = name
        self.steps: list[Step] = []
        self.outcome: Outcome = "pending"
        self.error: str | None = None

    def freeze(self) -> TaskTrace:
        return TaskTrace(self.name(), tuple(self.steps), self.outcome, self.error)


class TracedCoroutine(Coroutine[Y, S, T]):
    """A coroutine that runs another and notes each of its steps in a :class:`Tracer`.

    It implements the coroutine protocol (``send``, ``throw``, ``close``, ``__await__``), so any
    driver that accepts a :class:`collections.abc.Coroutine` runs it as it would run the wrapped
    coroutine. It also answers ``cr_code``, ``cr_frame``, ``cr_running`` and ``cr_await`` for
    the wrapped coroutine, so reprs and stack dumps of its task look as usual. Make one with
    :meth:`Tracer.wrap`.
    """

    def __init__(self, coro: Coroutine[Y, S, T], tracer: Tracer, record: _Record) -> None:
        self._coro = coro
        self._tracer = tracer
        self._record = record
        self.__qualname__ = getattr(coro, "__qualname__", type(coro).__qualname__)
        self.__name__ = getattr(coro, "__name__", type(coro).__name__)

    def send(self, value: S) -> Y:
        """Resume the wrapped coroutine with *value*, as one step."""
        return self._step(self._coro.send, value)

    def throw(  # type: ignore[override]
        self, exc: BaseException, value: None = None, tb: TracebackType | None = None
    ) -> Y:
        """Raise *exc* inside the wrapped coroutine, as one step."""
        return self._step(self._coro.throw, exc)

    def close(self) -> None:
        """Close the wrapped coroutine."""
        self._coro.close()

    def __await__(self) -> Generator[Y, S, T]:
        """Delegate to the wrapped coroutine (the steps are noted only when a driver calls send)."""
        return self._coro.__await__()

    def _step(self, resume: Callable[[Any], Y], argument: Any) -> Y:
        tracer, record = self._tracer, self._record
        start, index = tracer.clock(), tracer._next_index()
        try:
            yielded = resume(argument)
        except StopIteration:
            self._finish(start, index, "returned", None)
            raise
        except BaseException as exc:
            if isinstance(exc, asyncio.CancelledError | TaskCancelled):
                self._finish(start, index, "cancelled", None)
            else:
                self._finish(start, index, "raised", type(exc).__name__)
            raise
        record.steps.append(Step(start, tracer.clock(), index, True, tracer._index))
        return yielded

    def _finish(self, start: float, index: int, outcome: Outcome, error: str | None) -> None:
        record = self._record
        tracer = self._tracer
        record.steps.append(Step(start, tracer.clock(), index, False, tracer._index))
        record.outcome, record.error = outcome, error

    @property
    def cr_code(self) -> CodeType | None:
        """The wrapped coroutine's code object."""
        return getattr(self._coro, "cr_code", None)

    @property
    def cr_frame(self) -> FrameType | None:
        """The wrapped coroutine's frame (``None`` once it has finished)."""
        return getattr(self._coro, "cr_frame", None)

    @property
    def cr_running(self) -> bool:
        """Whether the wrapped coroutine is running."""
        return bool(getattr(self._coro, "cr_running", False))

    @property
    def cr_await(self) -> Any:
        """What the wrapped coroutine is awaiting, if it says."""
        return getattr(self._coro, "cr_await", None)


class Tracer:
    """A recorder of task timelines, for one run.

    Use it in one of three ways:

    * as an option of :func:`run`: ``run(main(), tracer=tracer)`` traces every task of the run,
      the main task included;
    * as a context manager inside a running asyncio loop: ``with Tracer() as tracer:`` traces
      the tasks created inside the block (not the task that runs the block);
    * with any other driver: wrap each coroutine yourself with :meth:`wrap`, and pass the
      driver's clock as *clock* (:mod:`companion.loop` is traced this way).

    Then :meth:`timeline` returns what it saw. Under asyncio, the tracer reads the loop's
    :meth:`~asyncio.loop.time`; with *clock* it reads that function instead.

    >>> async def main() -> None:
    ...     with Tracer() as tracer:
    ...         await asyncio.create_task(asyncio.sleep(5), name="nap")
    ...     print(tracer.timeline())
    >>> run(main())
    nap  steps at 0.0, 5.0  returned at 5.0
    """

    def __init__(self, *, clock: Callable[[], float] | None = None) -> None:
        self._clock = clock
        self._records: list[_Record] = []
        self._index = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._previous: Any = None

    def clock(self) -> float:
        """The time now: *clock*'s, or else the loop's the tracer is installed on (0.0 if none)."""
        if self._clock is not None:
            return self._clock()
        return 0.0 if self._loop is None else self._loop.time()

    def _next_index(self) -> int:
        index = self._index
        self._index += 1
        return index

    def wrap(self, coro: Coroutine[Y, S, T], name: str | None = None) -> TracedCoroutine[Y, S, T]:
        """Return *coro* wrapped so that its steps are noted, under *name* (its own by default).

        Raise :exc:`TypeError` if *coro* is not a coroutine, as asyncio does for a task.

        >>> tracer = Tracer(clock=lambda: 0.0)
        >>> async def hello() -> str:
        ...     return "hi"
        >>> traced = tracer.wrap(hello())
        >>> traced.send(None)
        Traceback (most recent call last):
        ...
        StopIteration: hi
        >>> print(tracer.timeline())
        hello()  steps at 0.0  returned at 0.0
        """
        return self._wrap(TracedCoroutine, coro, name)

    def _wrap(
        self, kind: type[TracedCoroutine[Y, S, T]], coro: Coroutine[Y, S, T], name: str | None
    ) -> TracedCoroutine[Y, S, T]:
        if not isinstance(coro, Coroutine):
            raise TypeError(f"a coroutine was expected, got {coro!r}")
        fixed = name if name is not None else _call(coro)
        record = _Record(lambda: fixed)
        self._records.append(record)
        return kind(coro, self, record)

    def _task_factory(
        self, loop: asyncio.AbstractEventLoop, coro: Any, /, **kwargs: Any
    ) -> asyncio.Future[Any]:
        """asyncio's task factory while the tracer is installed: a task of the wrapped coro."""
        if not isinstance(coro, Coroutine):
            # What asyncio.Task itself would refuse: let it say so, with its own message.
            return asyncio.Task(coro, loop=loop, **kwargs)
        call = _call(coro)
        record = _Record(lambda: call)
        self._records.append(record)
        traced = TracedCoroutine(coro, self, record)
        if self._previous is not None:
            task: asyncio.Future[Any] = self._previous(loop, traced, **kwargs)
        else:
            task = asyncio.Task(traced, loop=loop, **kwargs)
        # Read the name when the timeline is made: create_task sets it after the factory returns.
        record.name = lambda: _label(task, call)
        return task

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        """Trace the tasks that *loop* creates from now on, until :meth:`uninstall`.

        A task factory already set on the loop keeps making the tasks, of the wrapped
        coroutines. Raise :exc:`RuntimeError` if the tracer is installed already.
        """
        if self._loop is not None:
            raise RuntimeError("this Tracer is already installed on a loop")
        self._loop = loop
        self._previous = loop.get_task_factory()
        loop.set_task_factory(self._task_factory)

    def uninstall(self) -> None:
        """Stop tracing new tasks, and give the loop its previous task factory back.

        The tasks created meanwhile are still traced until they finish.
        """
        if self._loop is None:
            raise RuntimeError("this Tracer is not installed on a loop")
        self._loop.set_task_factory(self._previous)
        self._previous = None
        # Keep reading this loop's clock: the traced tasks may still run.
        loop, self._loop = self._loop, None
        if self._clock is None:
            self._clock = loop.time

    def __enter__(self) -> Tracer:
        self.install(asyncio.get_running_loop())
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.uninstall()

    def timeline(self) -> Timeline:
        """What the tracer has seen so far, as a :class:`Timeline` (tasks in creation order)."""
        return Timeline(tuple(record.freeze() for record in self._records))


def _label(task: asyncio.Future[Any], call: str) -> str:
    name = task.get_name() if isinstance(task, asyncio.Task) else call
    return call if _DEFAULT_NAME.fullmatch(name) else name


def _call(coro: Coroutine[Any, Any, Any]) -> str:
    """How *coro* was called, as code: ``job('a', 1)``, read from its frame before it starts.

    Each argument's repr is cut to 20 characters; a coroutine object without a frame (one that
    is not native, or has started already) is shown as ``name()``.
    """
    name = getattr(coro, "__name__", type(coro).__name__)
    frame, code = getattr(coro, "cr_frame", None), getattr(coro, "cr_code", None)
    if frame is None or code is None:
        return f"{name}()"
    local = frame.f_locals
    positional = code.co_varnames[: code.co_argcount]
    keyword = code.co_varnames[code.co_argcount : code.co_argcount + code.co_kwonlyargcount]
    shown = [_short(local.get(variable)) for variable in positional]
    shown += [f"{variable}={_short(local.get(variable))}" for variable in keyword]
    return f"{name}({', '.join(shown)})"


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 20 else text[:19] + "…"


class _TracingMain(TracedCoroutine[Y, S, T]):
    """The main coroutine of :func:`run`, traced, with its tracer installed while it runs.

    So the tasks it creates are traced, and those of the runner's clean-up after it are not.
    """

    _started = False

    def _step(self, resume: Callable[[Any], Y], argument: Any) -> Y:
        if not self._started:
            self._tracer.install(asyncio.get_running_loop())
            self._started = True
        try:
            return super()._step(resume, argument)
        except BaseException:  # the coroutine has ended, one way or another
            self._tracer.uninstall()
            raise


def run(
    coro: Coroutine[Any, Any, T], *, tracer: Tracer | None = None, debug: bool | None = None
) -> T:
    """Run *coro* with :func:`companion.virtualtime.run`, tracing every task with *tracer*.

    The main task is traced too, under its coroutine's name, and so is every task created until
    it ends (not the runner's clean-up after it). Misuse fails as in
    :func:`~companion.virtualtime.run`. Without *tracer* this is
    :func:`companion.virtualtime.run` itself.
    """
    if tracer is None or not isinstance(coro, Coroutine):
        return virtualtime.run(coro, debug=debug)  # which refuses what is not a coroutine
    main: TracedCoroutine[Any, Any, T] = tracer._wrap(_TracingMain, coro, None)
    return virtualtime.run(main, debug=debug)


def block(seconds: float) -> None:
    """Stand for a blocking call that holds the thread for *seconds*, on a virtual clock.

    The running :class:`~companion.virtualtime.VirtualTimeLoop`'s clock moves on by *seconds*
    at once, inside the current step, and nothing else runs meanwhile: what :func:`time.sleep`
    or a long computation does on a real loop, in real time. Timers that fall due meanwhile fire
    late, after the step. Raise :exc:`ValueError` for a negative or non-finite time, and
    :exc:`RuntimeError` outside a virtual-time loop.

    >>> async def main() -> float:
    ...     loop = asyncio.get_running_loop()
    ...     block(2.5)
    ...     return loop.time()
    >>> run(main())
    2.5
    """
    if not seconds >= 0 or seconds == float("inf"):
        raise ValueError(f"block() needs a finite number of seconds >= 0, got {seconds!r}")
    loop = asyncio.get_running_loop()
    if not isinstance(loop, virtualtime.VirtualTimeLoop):
        raise RuntimeError("block() models blocking on a virtual clock: run under virtualtime")
    loop.advance(seconds)
