"""Tests for :mod:`companion.generators`, the demos of the chapter "yield and next".

Each test derives what it expects from an independent statement of the same fact: a ``range`` for
the values, the error Python itself raises for the same misuse, the source lines of the generator
being watched, the order of events a consumer records. None of the expected values comes from
running the code under test.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import io
import itertools
import operator
import types
from collections.abc import Callable, Generator, Iterable, Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from companion import generators
from companion.generators import Pause, checked_countdown, countdown, naturals, pauses, traced

# --- Helpers -------------------------------------------------------------------------------------


def error_of(action: Callable[[], object]) -> Exception:
    """The exception *action* raises: what Python says about a misuse, to compare messages with."""
    try:
        action()
    except Exception as error:
        return error
    raise AssertionError(f"{action!r} raised nothing")


def printed(action: Callable[[], object]) -> list[str]:
    """The lines *action* prints (without pytest's capsys, so that hypothesis can call it)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        action()
    return out.getvalue().splitlines()


def line_of(function: Callable[..., object], marker: str) -> int:
    """The line of *function*'s source holding *marker*, counted from its first line as 0."""
    lines, _ = inspect.getsourcelines(function)
    (index,) = [number for number, line in enumerate(lines) if marker in line]
    return index


class Index:
    """Not an int, but usable as one: it has ``__index__``."""

    def __init__(self, value: int) -> None:
        self.value = value

    def __index__(self) -> int:
        return self.value


# --- countdown -----------------------------------------------------------------------------------


@given(st.integers(min_value=-20, max_value=300))
def test_countdown_yields_what_the_matching_range_holds(start: int) -> None:
    assert list(countdown(start)) == list(range(start, 0, -1))


def test_countdown_is_a_generator_function() -> None:
    assert inspect.isgeneratorfunction(countdown)
    assert isinstance(countdown(3), types.GeneratorType)


def test_countdown_checks_nothing_until_the_first_next() -> None:
    bad: Any = "3"
    late = countdown(bad)
    assert inspect.getgeneratorstate(late) == inspect.GEN_CREATED
    with pytest.raises(TypeError) as raised:
        next(late)
    assert str(raised.value) == str(error_of(lambda: operator.gt(bad, 0)))
    # The exception escaped the body, which closes the generator.
    assert inspect.getgeneratorstate(late) == inspect.GEN_CLOSED


def test_an_exhausted_countdown_raises_stopiteration_on_every_call() -> None:
    numbers = countdown(1)
    assert list(numbers) == [1]
    for _ in range(3):
        with pytest.raises(StopIteration):
            next(numbers)
    assert next(numbers, None) is None
    assert list(numbers) == []


def test_each_call_makes_an_independent_generator() -> None:
    first, second = countdown(2), countdown(2)
    assert first is not second
    assert next(first) == 2
    assert list(second) == list(range(2, 0, -1))
    assert list(first) == list(range(1, 0, -1))


# --- checked_countdown ---------------------------------------------------------------------------


@given(st.integers(min_value=-20, max_value=300))
def test_checked_countdown_counts_like_countdown(start: int) -> None:
    assert list(checked_countdown(start)) == list(countdown(start))
    assert list(checked_countdown(Index(start))) == list(countdown(start))


@pytest.mark.parametrize("bad", ["3", 3.0, None, [3]], ids=repr)
def test_checked_countdown_rejects_a_non_integer_at_the_call(bad: Any) -> None:
    with pytest.raises(TypeError) as raised:
        checked_countdown(bad)
    assert str(raised.value) == str(error_of(lambda: operator.index(bad)))


def test_checked_countdown_is_a_plain_function_returning_a_generator() -> None:
    assert not inspect.isgeneratorfunction(checked_countdown)
    made = checked_countdown(3)
    assert isinstance(made, types.GeneratorType)
    assert inspect.getgeneratorstate(made) == inspect.GEN_CREATED


# --- naturals ------------------------------------------------------------------------------------


@given(st.integers(min_value=-1000, max_value=1000), st.integers(min_value=0, max_value=500))
def test_naturals_counts_up_from_start(start: int, count: int) -> None:
    assert list(itertools.islice(naturals(start), count)) == list(range(start, start + count))


def test_naturals_defaults_to_zero() -> None:
    assert next(naturals()) == 0


def test_naturals_never_finishes() -> None:
    numbers = naturals()
    for _ in itertools.islice(numbers, 10_000):
        pass
    assert inspect.getgeneratorstate(numbers) == inspect.GEN_SUSPENDED


# --- traced --------------------------------------------------------------------------------------


def expected_trace(values: Iterable[object], label: str) -> list[str]:
    """What a ``for`` loop that prints ``got <value>!r`` sees when it drives ``traced``."""
    lines = [f"{label}: started"]
    for value in values:
        lines += [f"{label}: yielding {value!r}", f"got {value!r}", f"{label}: resumed"]
    return [*lines, f"{label}: finished"]


def consume(values: Iterable[object]) -> None:
    for value in values:
        print(f"got {value!r}")


@given(
    st.lists(st.one_of(st.integers(), st.text(), st.none()), max_size=20),
    st.text(alphabet=st.characters(categories=["L", "N"]), min_size=1, max_size=10),
)
def test_traced_interleaves_with_its_consumer(values: list[object], label: str) -> None:
    assert printed(lambda: consume(traced(values, label))) == expected_trace(values, label)


def test_traced_labels_itself_gen_by_default() -> None:
    assert printed(lambda: consume(traced("ab"))) == expected_trace("ab", "gen")


def test_traced_prints_nothing_until_the_first_next() -> None:
    made: list[Generator[str, None, None]] = []
    assert printed(lambda: made.append(traced("ab"))) == []
    (gen,) = made
    assert printed(lambda: next(gen)) == ["gen: started", "gen: yielding 'a'"]
    gen.close()


def test_traced_passes_the_values_through_unchanged() -> None:
    values = [object(), object()]
    seen: list[list[object]] = []
    printed(lambda: seen.append(list(traced(values))))
    assert all(got is sent for got, sent in zip(seen[0], values, strict=True))


def test_traced_is_lazy_on_an_infinite_iterable() -> None:
    got: list[list[int]] = []
    lines = printed(lambda: got.append(list(itertools.islice(traced(naturals(), "n"), 2))))
    assert got == [list(range(2))]
    # islice stops asking after two values, so the body never reaches its last print.
    assert lines == ["n: started", "n: yielding 0", "n: resumed", "n: yielding 1"]


# --- pauses --------------------------------------------------------------------------------------


def two_steps() -> Generator[str, None, None]:
    yield "first"  # first pause
    yield "second"  # second pause


def two_on_one_line() -> Generator[str, None, tuple[None, None]]:
    pair = (yield "left"), (yield "right")  # both pauses
    return pair


def shout(function: Callable[[], Iterator[str]]) -> Callable[[], Iterator[str]]:
    """A decorator, to see that lines count from the decorator line."""

    @functools.wraps(function)
    def wrapper() -> Iterator[str]:
        return (value.upper() for value in function())

    return wrapper


@shout
def decorated() -> Generator[str, None, None]:
    yield "quiet"  # decorated pause


def test_pauses_reports_the_line_of_each_yield() -> None:
    assert list(pauses(two_steps())) == [
        Pause("first", line_of(two_steps, "# first pause")),
        Pause("second", line_of(two_steps, "# second pause")),
    ]


def test_two_yields_on_one_line_are_two_pauses_on_that_line() -> None:
    line = line_of(two_on_one_line, "# both pauses")
    assert list(pauses(two_on_one_line())) == [Pause("left", line), Pause("right", line)]


def test_pauses_counts_lines_from_the_first_decorator() -> None:
    undecorated = decorated.__wrapped__  # type: ignore[attr-defined]
    line = line_of(undecorated, "# decorated pause")
    assert inspect.getsourcelines(undecorated)[0][0].startswith("@shout")
    assert list(pauses(undecorated())) == [Pause("quiet", line)]


@given(st.integers(min_value=-5, max_value=100))
def test_pauses_yields_the_generators_values_in_order(start: int) -> None:
    watched = countdown(start)
    found = list(pauses(watched))
    assert [pause.value for pause in found] == list(range(start, 0, -1))
    # Every value of countdown comes from its one yield.
    assert {pause.line for pause in found} <= {line_of(countdown, "yield n")}
    assert inspect.getgeneratorstate(watched) == inspect.GEN_CLOSED


def test_pauses_picks_up_where_a_started_generator_is() -> None:
    started = countdown(3)
    next(started)
    assert [pause.value for pause in pauses(started)] == list(range(2, 0, -1))
    assert list(pauses(started)) == []


def test_pauses_is_lazy() -> None:
    watched = naturals()
    first = list(itertools.islice(pauses(watched), 3))
    assert [pause.value for pause in first] == list(range(3))
    assert inspect.getgeneratorstate(watched) == inspect.GEN_SUSPENDED


def test_pauses_lets_the_generators_exceptions_through() -> None:
    def failing() -> Generator[int, None, None]:
        yield 1
        raise LookupError("from the body")

    watching = pauses(failing())
    assert next(watching).value == 1
    with pytest.raises(LookupError, match="from the body"):
        next(watching)


class Imitation(Generator[int, None, None]):
    """A class that is a Generator by the ABC, but has no frame."""

    def send(self, value: None) -> int:
        raise StopIteration

    def throw(self, *args: Any) -> int:
        raise StopIteration


@pytest.mark.parametrize(
    "not_a_generator",
    [iter([1, 2]), Imitation(), countdown],
    ids=["list_iterator", "Imitation", "generator function"],
)
def test_pauses_rejects_anything_but_a_generator_object_at_the_call(not_a_generator: Any) -> None:
    with pytest.raises(TypeError) as raised:
        pauses(not_a_generator)
    assert str(raised.value) == (
        f"pauses() needs a generator object, not {type(not_a_generator).__name__!r}"
    )


# --- The module ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", generators.__all__)
def test_every_public_name_exists_and_says_what_it_is(name: str) -> None:
    obj = getattr(generators, name)
    assert obj.__module__ == generators.__name__
    assert inspect.getdoc(obj)
