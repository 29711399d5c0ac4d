"""Generators, the smallest pieces: the demos of Part I of the book.

Each function here is printed in the chapter that explains it (with ``literalinclude``), and the
chapter's doctests drive it. They are typed with :class:`collections.abc.Generator`, whose three
parameters say what a generator yields, what it accepts from ``send()``, and what it returns.
"""

from __future__ import annotations

import operator
import types
from collections.abc import Generator, Iterable
from typing import NamedTuple, SupportsIndex, TypeVar

__all__ = ["Pause", "checked_countdown", "countdown", "naturals", "pauses", "traced"]

T = TypeVar("T")


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


def _pauses(generator: types.GeneratorType[object, None, object]) -> Generator[Pause, None, None]:
    first_line = generator.gi_code.co_firstlineno
    for value in generator:
        # The generator is suspended at the yield that produced *value*: its frame is still there.
        frame = generator.gi_frame
        assert frame is not None
        yield Pause(value, frame.f_lineno - first_line)
