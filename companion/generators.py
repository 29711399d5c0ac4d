"""Generators, the smallest pieces: the demos of Part I of the book.

Each function here is printed in the chapter that explains it (with ``literalinclude``), and the
chapter's doctests drive it: ``yield`` and ``next()`` first, then the coroutines that values are
sent into (:func:`averager`, :func:`primed`), then what ``throw()`` and ``close()`` push into a
paused generator (:func:`tally`, :func:`close_returning`). They are typed with
:class:`collections.abc.Generator`, whose three parameters say what a generator yields, what it
accepts from ``send()``, and what it returns.
"""

from __future__ import annotations

import functools
import operator
import types
from collections.abc import Callable, Generator, Iterable
from typing import NamedTuple, ParamSpec, SupportsIndex, TypeVar

__all__ = [
    "Pause",
    "Reset",
    "averager",
    "checked_countdown",
    "close_returning",
    "countdown",
    "naturals",
    "pauses",
    "primed",
    "tally",
    "traced",
]

T = TypeVar("T")
P = ParamSpec("P")
Y = TypeVar("Y")
S = TypeVar("S")
R = TypeVar("R")


def countdown(start: int) -> Generator[int, None, None]:
    """Yield *start*, *start* - 1, ..., 1; nothing at all if *start* is below 1.

    >>> list(countdown(3))
    [3, 2, 1]

    Like every generator function, it checks nothing when called: a bad *start* fails at the
    first :func:`next`, see :func:`checked_countdown`.
    """
    n = start
    while n > 0:
        yield n
        n -= 1


def checked_countdown(start: SupportsIndex) -> Generator[int, None, None]:
    """Return :func:`countdown` of *start*, rejecting a non-integer *start* at once.

    This is a plain function, not a generator function, so its check runs when it is called;
    the generator it returns does the counting.

    >>> checked_countdown("3")
    Traceback (most recent call last):
    ...
    TypeError: 'str' object cannot be interpreted as an integer
    """
    return countdown(operator.index(start))


def naturals(start: int = 0) -> Generator[int, None, None]:
    """Yield *start*, *start* + 1, *start* + 2, ... for ever.

    >>> from itertools import islice
    >>> list(islice(naturals(10), 3))
    [10, 11, 12]
    """
    n = start
    while True:
        yield n
        n += 1


def traced(values: Iterable[T], label: str = "gen") -> Generator[T, None, None]:
    """Yield each of *values*, printing a line whenever the generator's body starts, pauses,
    resumes or finishes, so you can watch when it runs.

    >>> for value in traced("ab"):
    ...     print("got", value)
    gen: started
    gen: yielding 'a'
    got a
    gen: resumed
    gen: yielding 'b'
    got b
    gen: resumed
    gen: finished
    """
    print(f"{label}: started")
    for value in values:
        print(f"{label}: yielding {value!r}")
        yield value
        print(f"{label}: resumed")
    print(f"{label}: finished")


class Pause(NamedTuple):
    """One stop of a generator: the *value* it yielded, and the *line* it stopped on.

    *line* counts from the first line of the generator function's definition (its ``def``, or its
    first decorator), which is line 0, so it does not depend on where the function sits in its file.
    """

    value: object
    line: int


def pauses(generator: Generator[object, None, object]) -> Generator[Pause, None, None]:
    """Drive *generator* with :func:`next` and yield a :class:`Pause` each time it stops.

    Two ``yield`` expressions on one line are two pauses on the same line:

    >>> def both():
    ...     pair = (yield "left"), (yield "right")
    >>> list(pauses(both()))
    [Pause(value='left', line=1), Pause(value='right', line=1)]

    Like :func:`checked_countdown`, this is a plain function that checks its argument at once;
    only a generator object has a frame to read the line from:

    >>> pauses(iter([1, 2]))
    Traceback (most recent call last):
    ...
    TypeError: pauses() needs a generator object, not 'list_iterator'
    """
    if not isinstance(generator, types.GeneratorType):
        raise TypeError(f"pauses() needs a generator object, not {type(generator).__name__!r}")
    return _pauses(generator)


def _pauses(
    generator: types.GeneratorType[object, None, object],
) -> Generator[Pause, None, None]:
    first_line = generator.gi_code.co_firstlineno
    for value in generator:
        # Suspended at the yield that produced *value*, the generator still has its frame.
        frame = generator.gi_frame
        assert frame is not None
        yield Pause(value, frame.f_lineno - first_line)


# --- Chapter "yield is an expression: send" ------------------------------------------------------


def averager() -> Generator[float | None, float, None]:
    """A coroutine that answers each number sent to it with the mean of all numbers so far.

    Its first ``yield`` runs before any number has arrived, so it yields ``None``: start the
    generator with ``next()`` (or make it with :func:`primed`), then send numbers.

    >>> mean = averager()
    >>> print(next(mean))
    None
    >>> mean.send(10), mean.send(20), mean.send(60)
    (10.0, 15.0, 30.0)
    """
    total = 0.0
    count = 0
    mean: float | None = None
    while True:
        number = yield mean
        total += number
        count += 1
        mean = total / count


def primed(function: Callable[P, Generator[Y, S, R]]) -> Callable[P, Generator[Y, S, R]]:
    """Decorate a generator function so that the generators it makes come already started.

    Each call runs the new generator up to its first ``yield`` and returns it paused there,
    ready for ``send()``. The value of that first ``yield`` is thrown away.

    >>> mean = primed(averager)()
    >>> mean.send(4), mean.send(8)
    (4.0, 6.0)

    A generator that finishes without reaching any ``yield`` cannot be primed:

    >>> @primed
    ... def nothing_to_wait_for():
    ...     return
    ...     yield
    >>> nothing_to_wait_for()
    Traceback (most recent call last):
    ...
    RuntimeError: nothing_to_wait_for() finished before its first yield
    """

    @functools.wraps(function)
    def start(*args: P.args, **kwargs: P.kwargs) -> Generator[Y, S, R]:
        generator = function(*args, **kwargs)
        try:
            next(generator)
        except StopIteration as finished:
            # A StopIteration leaking from a plain function would end whatever loop called it.
            name = getattr(function, "__qualname__", repr(function))
            raise RuntimeError(f"{name}() finished before its first yield") from finished
        return generator

    return start


# --- Chapter "throw and close" -------------------------------------------------------------------


class Reset(Exception):
    """Thrown into a :func:`tally` with ``throw()``, to set its total back to zero."""


def tally() -> Generator[float, float, float]:
    """A coroutine that adds up the numbers sent to it, and yields the total after each one.

    ``throw(Reset())`` sets the total back to zero and yields it; ``close()`` makes the
    generator return the total (which ``close()`` hands back from Python 3.13 on).

    >>> counter = tally()
    >>> next(counter)
    0.0
    >>> counter.send(2), counter.send(3), counter.throw(Reset()), counter.send(4)
    (2.0, 5.0, 0.0, 4.0)
    """
    total = 0.0
    while True:
        try:
            number = yield total
        except Reset:
            total = 0.0
        except GeneratorExit:
            # Returning (rather than yielding) is what lets close() succeed.
            return total
        else:
            total += number


def close_returning(generator: Generator[Y, S, R]) -> R | None:
    """Close *generator* and return what it returns as it ends, as ``close()`` does from 3.13.

    It raises ``GeneratorExit`` at the paused ``yield`` with ``throw()``, and reads the return
    value from the ``StopIteration`` that ends the generator, so it works on every Python.
    Like ``close()``, it returns ``None`` for a generator that lets ``GeneratorExit`` through
    or has already finished, and raises ``RuntimeError`` for one that yields again instead.

    >>> counter = tally()
    >>> next(counter), counter.send(2), counter.send(3)
    (0.0, 2.0, 5.0)
    >>> close_returning(counter)
    5.0
    """
    try:
        generator.throw(GeneratorExit)
    except StopIteration as finished:
        result: R = finished.value
        return result
    except GeneratorExit:
        return None
    raise RuntimeError("generator ignored GeneratorExit")
