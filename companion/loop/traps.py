"""Traps: the only doors from a task into the kernel of :mod:`companion.loop`.

A task is a coroutine, and a coroutine can only talk to whoever drives it by suspending: the value
its innermost ``yield`` produces travels up through every ``await`` to the kernel's ``send()``.
The functions here hold those innermost ``yield`` expressions. Each is a generator turned into
an awaitable with :func:`types.coroutine`, and each yields a small request saying what the task is
waiting for (the classes below); the kernel (:mod:`companion.loop.kernel`) reads the request,
parks the task, and resumes it with ``send(None)`` when the wait is over (or with ``throw()``, to
cancel it). This is the only module of the loop with a ``yield`` or a ``types.coroutine`` in
it; everything above it is plain ``async def``, as in curio, whose ``traps.py`` this follows.

A server waits on the same socket thousands of times, so a socket the kernel watches already
has its requests made once, and :class:`Yield` sends one up without a generator: awaiting it
costs no request to build and no frame to make (:func:`~companion.loop.sock_recv` waits so).

One request is special: a bare ``yield`` (``None``) means "I am still ready, let the others run
first". It is what :func:`~companion.loop.sleep` ``(0)`` yields, and the kernel recognises it
with a single ``is None`` test, which keeps the busiest path of the loop cheap. asyncio's
``sleep(0)`` yields ``None`` for the same reason.
"""

from __future__ import annotations

import selectors
import socket
import types
from collections.abc import Generator
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from companion.loop.kernel import Watch
    from companion.loop.task import Task

__all__ = [
    "Sleep",
    "Trap",
    "WaitIO",
    "WaitTask",
    "WaitWatch",
    "Yield",
    "schedule",
    "sleep",
    "wait_readable",
    "wait_task",
    "wait_writable",
]


class Sleep(NamedTuple):
    """A request to park the task on the timer heap for *seconds* (a positive number)."""

    seconds: float


class WaitIO(NamedTuple):
    """A request to park the task until *sock* is ready for *event*.

    *event* is :data:`selectors.EVENT_READ` or :data:`selectors.EVENT_WRITE`.
    """

    sock: socket.socket
    event: int


class WaitTask(NamedTuple):
    """A request to park the task until *task* has finished."""

    task: Task[Any]


class WaitWatch(NamedTuple):
    """:class:`WaitIO` for a socket the kernel watches already, through its *watch*.

    A :class:`~companion.loop.Watch` makes one of these per event, once, and the socket functions
    yield it (through :class:`Yield`) for each wait: no request to build, and no lookup for the
    kernel, which finds the socket's record in the request.
    """

    watch: Watch
    event: int


Trap = Sleep | WaitIO | WaitTask | WaitWatch
"""Everything a task may yield to the kernel, besides ``None``."""


@types.coroutine
def schedule() -> Generator[None, None, None]:
    """Suspend the task, leaving it ready: every other ready task runs once before it resumes."""
    yield  # None: "put me at the back of the ready queue"


@types.coroutine
def sleep(seconds: float) -> Generator[Trap, None, None]:
    """Suspend the task for *seconds* (a positive number; the kernel does not check)."""
    yield Sleep(seconds)


# WaitIO(sock, event) without the Python-level __new__ a NamedTuple has: a server makes one of
# these for nearly every message, and this way costs a third as much.
_new_tuple = tuple.__new__
_READ, _WRITE = selectors.EVENT_READ, selectors.EVENT_WRITE


@types.coroutine
def wait_readable(sock: socket.socket) -> Generator[Trap, None, None]:
    """Suspend the task until *sock* has data to read (or a connection to accept, or EOF)."""
    yield _new_tuple(WaitIO, (sock, _READ))


@types.coroutine
def wait_writable(sock: socket.socket) -> Generator[Trap, None, None]:
    """Suspend the task until *sock* has room to send (or a connection attempt has ended)."""
    yield _new_tuple(WaitIO, (sock, _WRITE))


class Yield(tuple[Trap]):
    """A trap that needs no generator: awaiting ``Yield((request,))`` yields *request* once.

    ``await`` accepts any object whose ``__await__`` returns an iterator, and a one-item
    tuple's own iterator, written in C, yields its item and is done: the kernel's ``send(None)``
    ends the ``await``, its ``throw()`` raises at it. So a ``Yield`` made once can be awaited
    again and again, each time for the price of a tuple iterator, where a call to a trap
    function makes a generator and a request. (A ``Yield`` returns None from the ``await``, and
    can only be resumed with None: the kernel never sends anything else.)
    """

    __slots__ = ()

    if TYPE_CHECKING:

        def __await__(self) -> Generator[Trap, None, None]: ...

    else:
        __await__ = tuple.__iter__


@types.coroutine
def wait_task(task: Task[Any]) -> Generator[Trap, None, None]:
    """Suspend the task until *task* has finished."""
    yield WaitTask(task)
