"""Tests for :mod:`companion.pep479`: what PEP 479 does to a leaking StopIteration; the fixes."""

import asyncio
import inspect
from collections.abc import AsyncGenerator, AsyncIterable, Callable, Generator, Iterable
from typing import Any, TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from companion.pep479 import apairs, apairs_broken, pairs, pairs_broken, pairs_with_default

T = TypeVar("T")

Pairing = Callable[[Iterable[Any]], Generator[tuple[Any, Any], None, None]]
FIXED: list[Pairing] = [pairs, pairs_with_default]


def zipped(items: Iterable[T]) -> list[tuple[T, T]]:
    """The pairs the standard library makes: ``zip(it, it)`` drops an odd last item too."""
    it = iter(items)
    return list(zip(it, it, strict=False))


def drain_into(gen: Iterable[T], into: list[T]) -> None:
    """Append what *gen* yields to *into*, so that a caller sees it even if *gen* fails."""
    for item in gen:
        into.append(item)


@pytest.mark.parametrize("text", ["", "a", "ab", "abc", "abcd"])
def test_the_broken_generator_turns_the_end_of_input_into_runtime_error(text: str) -> None:
    gen = pairs_broken(text)
    yielded: list[tuple[str, str]] = []
    with pytest.raises(RuntimeError, match=r"^generator raised StopIteration$") as info:
        drain_into(gen, yielded)
    # Every pair comes out before the failure; the StopIteration is kept as the cause.
    assert yielded == zipped(text)
    assert type(info.value.__cause__) is StopIteration
    assert info.value.__context__ is info.value.__cause__
    assert info.value.__suppress_context__
    assert inspect.getgeneratorstate(gen) == inspect.GEN_CLOSED


@pytest.mark.parametrize("fixed", FIXED)
@pytest.mark.parametrize("text", ["", "a", "ab", "abc", "abcd"])
def test_the_fixed_generators_end_quietly(fixed: Pairing, text: str) -> None:
    gen = fixed(text)
    assert list(gen) == zipped(text)
    assert inspect.getgeneratorstate(gen) == inspect.GEN_CLOSED


@pytest.mark.parametrize("fixed", FIXED)
def test_the_fixed_generators_are_lazy(fixed: Pairing) -> None:
    # Like the broken one, they take two items per pair and no more: an endless input is fine.
    def naturals() -> Generator[int, None, None]:
        n = 0
        while True:
            yield n
            n += 1

    gen = fixed(naturals())
    assert [next(gen), next(gen)] == [(0, 1), (2, 3)]
    gen.close()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.none() | st.integers()))
def test_the_fixed_generators_pair_like_zip(items: list[int | None]) -> None:
    # None among the items must not be taken for the end: the sentinel is private.
    for fixed in FIXED:
        assert list(fixed(items)) == zipped(items)


async def letters(text: str) -> AsyncGenerator[str, None]:
    """An async iterable of the letters of *text*."""
    for letter in text:
        yield letter


async def collect(agen: AsyncIterable[tuple[str, str]], into: list[tuple[str, str]]) -> None:
    """Append what *agen* yields to *into*, so that a caller sees it even if *agen* fails."""
    async for pair in agen:
        into.append(pair)


@pytest.mark.parametrize("text", ["", "a", "abc", "abcd"])
def test_the_broken_async_generator_turns_stop_async_iteration_into_runtime_error(
    text: str,
) -> None:
    yielded: list[tuple[str, str]] = []
    pattern = r"^async generator raised StopAsyncIteration$"
    with pytest.raises(RuntimeError, match=pattern) as info:
        asyncio.run(collect(apairs_broken(letters(text)), yielded))
    assert yielded == zipped(text)
    assert type(info.value.__cause__) is StopAsyncIteration
    assert info.value.__context__ is info.value.__cause__


@pytest.mark.parametrize("text", ["", "a", "abc", "abcd"])
def test_the_fixed_async_generator_ends_quietly(text: str) -> None:
    yielded: list[tuple[str, str]] = []
    asyncio.run(collect(apairs(letters(text)), yielded))
    assert yielded == zipped(text)


def test_an_async_generator_turns_stop_iteration_into_runtime_error_too() -> None:
    # A synchronous next() inside an async generator: the same rule, with its own message.
    async def first_of_each(iterables: list[list[int]]) -> AsyncGenerator[int, None]:
        for iterable in iterables:
            yield next(iter(iterable))

    async def drain() -> list[int]:
        return [item async for item in first_of_each([[1], [], [3]])]

    with pytest.raises(RuntimeError, match=r"^async generator raised StopIteration$") as info:
        asyncio.run(drain())
    assert type(info.value.__cause__) is StopIteration
