"""PEP 479 in practice: a generator that it broke, and how to fix it.

Up to Python 3.6, a :exc:`StopIteration` escaping from a generator's body simply ended the
generator, and code relied on that: a bare ``next()`` on an exhausted iterator was a handy way to
stop. (3.5 and 3.6 warned about it, and offered the new rule as ``from __future__ import
generator_stop``.) It also meant that a StopIteration leaking by mistake from some helper ended
the generator silently, and the caller saw a short result instead of an error. PEP 479, the
default since 3.7, turns such a StopIteration into :exc:`RuntimeError` ("generator raised
StopIteration"), with the StopIteration as its ``__cause__``. PEP 525 gave async generators the
same rule from the start (3.6), for :exc:`StopAsyncIteration` as well as for StopIteration.

:func:`pairs_broken` is the old idiom and fails today; :func:`pairs` and
:func:`pairs_with_default` end the generator on purpose, with ``return``. :func:`apairs_broken`
and :func:`apairs` are the same story for async generators. (Outside a lesson, ``zip(it, it)``
pairs the items of an iterator ``it`` with none of this.)
"""

from collections.abc import AsyncGenerator, AsyncIterable, Generator, Iterable
from enum import Enum
from typing import Final, TypeVar

__all__ = ["apairs", "apairs_broken", "pairs", "pairs_broken", "pairs_with_default"]

T = TypeVar("T")


class _Missing(Enum):
    """The type of :data:`_MISSING`: an Enum, so that ``is _MISSING`` narrows the type."""

    MISSING = "missing"

    def __repr__(self) -> str:
        return "<missing>"


#: What ``next(it, _MISSING)`` returns when ``it`` is exhausted; no item can be it.
_MISSING: Final = _Missing.MISSING


def pairs_broken(iterable: Iterable[T]) -> Generator[tuple[T, T], None, None]:
    """Pairs of consecutive items, the pre-3.7 way: ``next()``'s ``StopIteration`` ends it.

    It still yields every pair:

    >>> items = pairs_broken("abcd")
    >>> next(items), next(items)
    (('a', 'b'), ('c', 'd'))

    but the end of the input no longer ends it quietly, whether the last item is odd or not:

    >>> next(items)
    Traceback (most recent call last):
      ...
    RuntimeError: generator raised StopIteration
    >>> list(pairs_broken("abc"))
    Traceback (most recent call last):
      ...
    RuntimeError: generator raised StopIteration
    """
    it = iter(iterable)
    while True:
        # Once `it` runs out, next() raises StopIteration here, in the generator's body.
        yield next(it), next(it)


def pairs(iterable: Iterable[T]) -> Generator[tuple[T, T], None, None]:
    """Pairs of consecutive items, dropping an odd last item: :func:`pairs_broken`, fixed.

    >>> list(pairs("abcd"))
    [('a', 'b'), ('c', 'd')]
    >>> list(pairs("abc"))
    [('a', 'b')]
    """
    it = iter(iterable)
    while True:
        try:
            first, second = next(it), next(it)
        except StopIteration:
            return
        yield first, second


def pairs_with_default(iterable: Iterable[T]) -> Generator[tuple[T, T], None, None]:
    """Pairs of consecutive items, as :func:`pairs`, asking ``next()`` for a default instead.

    ``next(it, default)`` returns *default* rather than raising, so no StopIteration is ever
    raised in the body; the default is a private sentinel, because ``None`` could be an item.

    >>> list(pairs_with_default([None, 0, None]))
    [(None, 0)]
    """
    it = iter(iterable)
    for first in it:
        second = next(it, _MISSING)
        if second is _MISSING:
            return
        yield first, second


async def apairs_broken(aiterable: AsyncIterable[T]) -> AsyncGenerator[tuple[T, T], None]:
    """Pairs of consecutive items of an async iterable, letting ``StopAsyncIteration`` escape.

    >>> import asyncio
    >>> async def letters(text):
    ...     for letter in text:
    ...         yield letter
    >>> async def collect(agen):
    ...     return [pair async for pair in agen]
    >>> asyncio.run(collect(apairs_broken(letters("abcd"))))
    Traceback (most recent call last):
      ...
    RuntimeError: async generator raised StopAsyncIteration
    """
    it = aiter(aiterable)
    while True:
        yield await anext(it), await anext(it)


async def apairs(aiterable: AsyncIterable[T]) -> AsyncGenerator[tuple[T, T], None]:
    """Pairs of consecutive items of an async iterable: :func:`apairs_broken`, fixed.

    >>> import asyncio
    >>> async def letters(text):
    ...     for letter in text:
    ...         yield letter
    >>> async def collect(agen):
    ...     return [pair async for pair in agen]
    >>> asyncio.run(collect(apairs(letters("abc"))))
    [('a', 'b')]
    """
    it = aiter(aiterable)
    while True:
        try:
            first, second = await anext(it), await anext(it)
        except StopAsyncIteration:
            return
        yield first, second
