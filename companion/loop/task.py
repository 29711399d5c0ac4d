"""Tasks of :mod:`companion.loop`: a coroutine the kernel drives, and the handle you keep for it.

:func:`~companion.loop.spawn` wraps a coroutine in a :class:`~companion.loop.Task` and puts it on
the kernel's ready queue. The task is what you hold on to: :meth:`~companion.loop.Task.join` waits
for it and hands back what its coroutine returned or raised, :meth:`~companion.loop.Task.cancel`
throws :exc:`~companion.loop.TaskCancelled` into it. The kernel (:mod:`companion.loop.kernel`) does
the driving and reads and writes the task's private attributes directly: a task is a plain record
with ``__slots__``, because the kernel touches one on every switch and tens of thousands of them may
be alive at once.
"""

from __future__ import annotations

import types
import warnings
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from companion.loop import traps

if TYPE_CHECKING:
    from companion.loop.kernel import Kernel

__all__ = ["Task", "TaskCancelled", "Unretrieved"]

T = TypeVar("T")


class TaskCancelled(BaseException):
    """The exception that cancelling a task raises inside it, at the ``await`` where it waits.

    It derives from :exc:`BaseException`, not :exc:`Exception`, for the reason
    :exc:`asyncio.CancelledError` does since Python 3.8: so that the everyday
    ``except Exception:`` (log the error, carry on) does not swallow a cancellation by accident.
    A task that wants to clean up catches it by name, or uses ``finally``, and lets it go on.
    """


class Task(Generic[T]):
    """A coroutine driven by a :mod:`companion.loop` kernel, made by :func:`~companion.loop.spawn`.

    Await :meth:`join` for its outcome; :meth:`cancel` it to stop it at its next suspension point.
    A task whose coroutine raised an :exc:`Exception` that no one retrieved (with :meth:`join` or
    :meth:`result`) issues a :exc:`RuntimeWarning` when it is garbage collected, as an unawaited
    coroutine does: an exception nobody sees is a bug (see ``Unretrieved`` in this module).
    """

    __slots__ = (
        "_cancel_wait",
        "_coro",
        "_done",
        "_exception",
        "_joiners",
        "_kernel",
        "_newer",
        "_older",
        "_result",
        "_throw",
        "_traceback",
        "_unretrieved",
    )

    def __init__(self, coro: Coroutine[Any, Any, T], kernel: Kernel) -> None:
        self._coro = coro
        self._kernel = kernel
        self._done = False
        self._result: T | None = None
        self._exception: BaseException | None = None
        # The exception's traceback as the task ended: every raise of the same exception object
        # adds frames to it, so each re-raise starts again from this one.
        self._traceback: types.TracebackType | None = None
        self._unretrieved: Unretrieved | None = None  # warns if no one sees the exception
        # What the kernel throws in at the next resumption instead of sending None: a pending
        # cancellation, or the error of a trap it could not honour.
        self._throw: BaseException | None = None
        # While the task is parked, how to take it out of what it waits in (a timer, a
        # socket's watch, another task's joiners); None while it is ready or running.
        self._cancel_wait: Callable[[Task[Any]], None] | None = None
        self._joiners: list[Task[Any]] | None = None  # tasks parked in join(), made on demand
        # Its neighbours in the kernel's list of unfinished tasks, in the order of spawn().
        self._older: Task[Any] | None = None
        self._newer: Task[Any] | None = None

    def __repr__(self) -> str:
        name = getattr(self._coro, "__name__", type(self._coro).__name__)
        if not self._done:
            state = "running" if self._kernel._current is self else "pending"
        elif self._exception is None:
            state = f"done, returned {self._result!r}"
        elif isinstance(self._exception, TaskCancelled):
            state = "cancelled"
        else:
            state = f"failed with {self._exception!r}"
        return f"<Task {name}() {state}>"

    def done(self) -> bool:
        """Return True once the task has finished: returned, raised, or been cancelled."""
        return self._done

    def cancelled(self) -> bool:
        """Return True if the task has finished by raising :exc:`~companion.loop.TaskCancelled`."""
        return self._done and isinstance(self._exception, TaskCancelled)

    def cancel(self) -> bool:
        """Ask the task to stop: raise :exc:`~companion.loop.TaskCancelled` where it is suspended.

        If the task is waiting (sleeping, on a socket, in a join), it is taken out of that wait
        and made ready at once; if it is ready, it gets the exception instead of resuming; if
        it is the running task, it gets it at its next ``await`` that suspends (if it finishes
        first, the request comes to nothing; asyncio would mark such a task cancelled anyway).
        The task may catch the exception to clean up; whatever it then does becomes its outcome.
        Cancelling a finished task does nothing and returns False; otherwise this returns True.
        """
        if self._done:
            return False
        self._kernel._cancel(self)
        return True

    async def join(self) -> T:
        """Wait until the task has finished; return its result or raise its exception.

        Joining a cancelled task raises :exc:`~companion.loop.TaskCancelled`. A task joining
        itself would wait forever, so it gets :exc:`RuntimeError` instead (the kernel raises
        it here, at the ``await``), as an asyncio task awaiting itself does.
        """
        if not self._done:
            await traps.wait_task(self)
        return self.result()

    def result(self) -> T:
        """Return or raise the finished task's outcome: :meth:`join` without waiting.

        Raise :exc:`RuntimeError` if the task has not finished yet.
        """
        if not self._done:
            raise RuntimeError(f"{self!r} has not finished yet; use 'await task.join()'")
        if self._exception is not None:
            if self._unretrieved is not None:
                self._unretrieved.disarm()
                self._unretrieved = None
            raise self._exception.with_traceback(self._traceback)  # as asyncio's Future does
        return cast(T, self._result)


class Unretrieved:
    """The watch on a failed task's exception: it warns if it is collected before anyone looks.

    asyncio logs "Task exception was never retrieved" for the same mistake. The warning could come
    from a ``__del__`` on :class:`~companion.loop.Task` itself, but every task would then pay for a
    call to it when it is freed, and most tasks never fail; so the kernel gives this object only to
    a task that ends with an :exc:`Exception` (not :exc:`~companion.loop.TaskCancelled`), and the
    task drops it, disarmed, when the exception is retrieved. (asyncio's futures used such a helper,
    ``_TracebackLogger``, on Python 3.3, for another reason: until :pep:`442`, in Python 3.4, an
    object with a ``__del__`` in a reference cycle was never collected at all.)
    """

    __slots__ = ("_message",)

    def __init__(self, task: Task[Any]) -> None:
        self._message: str | None = f"{task!r}: its exception was never retrieved"

    def disarm(self) -> None:
        """Stop the warning: the exception has been seen."""
        self._message = None

    def __del__(self) -> None:
        if self._message is not None:
            warnings.warn(self._message, RuntimeWarning, stacklevel=1)
