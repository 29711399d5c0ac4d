"""Tests for :mod:`companion.generators`, the demos of the chapters "yield and next", "yield is an
expression: send" and "throw and close".

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
import statistics
import sys
import types
from collections.abc import Callable, Generator, Iterable, Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import error_of

from companion import generators
from companion.generators import (
    Pause,
    Reset,
    averager,
    checked_countdown,
    close_returning,
    countdown,
    naturals,
    pauses,
    primed,
    tally,
    traced,
)

# --- Helpers -------------------------------------------------------------------------------------


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


# --- averager ------------------------------------------------------------------------------------


def waiting() -> Generator[None, int, None]:
    """The smallest coroutine: Python's own rules for send() and close(), to compare with."""
    while True:
        yield


def add_in_place(total: float, number: Any) -> float:
    """``total += number``, to see what Python says when *number* cannot be added."""
    total += number
    return total


def close_of(generator: Generator[Any, Any, Any]) -> object:
    """What ``generator.close()`` returns: a value from Python 3.13, though the stubs say None."""
    close: Callable[[], object] = generator.close
    return close()


@given(st.lists(st.integers(min_value=-(10**6), max_value=10**6), max_size=50))
def test_averager_answers_each_number_with_the_mean_so_far(numbers: list[int]) -> None:
    mean = averager()
    assert next(mean) is None
    for count, number in enumerate(numbers, start=1):
        assert mean.send(number) == statistics.fmean(numbers[:count])
    assert inspect.getgeneratorstate(mean) == inspect.GEN_SUSPENDED


def test_averager_refuses_a_number_before_it_is_primed() -> None:
    with pytest.raises(TypeError) as raised:
        averager().send(1)
    assert str(raised.value) == str(error_of(lambda: waiting().send(1)))


def test_a_value_averager_cannot_add_closes_it() -> None:
    mean = averager()
    next(mean)
    mean.send(10)
    bad: Any = "30"
    with pytest.raises(TypeError) as raised:
        mean.send(bad)
    assert str(raised.value) == str(error_of(lambda: add_in_place(0.0, bad)))
    assert inspect.getgeneratorstate(mean) == inspect.GEN_CLOSED
    with pytest.raises(StopIteration):
        mean.send(30)


def test_averager_keeps_its_state_in_its_frame() -> None:
    mean = averager()
    assert inspect.getgeneratorlocals(mean) == {}
    next(mean)
    mean.send(4)
    mean.send(8)
    assert dict(inspect.getgeneratorlocals(mean)) == {
        "total": 4 + 8,
        "count": 2,
        "mean": (4 + 8) / 2,
        "number": 8,
    }


# --- primed --------------------------------------------------------------------------------------


def two_parameters(first: int, *, second: str = "x") -> Generator[str, str, None]:
    """Yield a greeting made of both parameters, then echo whatever is sent."""
    received = yield f"{first}{second}"
    while True:
        received = yield received


def yields_nothing(result: str) -> Generator[int, None, str]:
    """Return a non-empty *result* before reaching the yield."""
    if result:
        return result
    yield 0
    return result


def test_primed_returns_a_generator_paused_at_its_first_yield() -> None:
    started = primed(averager)()
    assert isinstance(started, types.GeneratorType)
    assert inspect.getgeneratorstate(started) == inspect.GEN_SUSPENDED
    assert started.send(6) == 6.0


def test_primed_makes_a_new_generator_at_every_call() -> None:
    make = primed(averager)
    first, second = make(), make()
    assert first is not second
    assert first.send(1) == 1.0
    assert second.send(3) == 3.0
    assert first.send(2) == statistics.fmean([1, 2])


@given(st.integers(min_value=1, max_value=100))
def test_primed_throws_away_the_first_yielded_value(start: int) -> None:
    assert list(primed(countdown)(start)) == list(range(start, 0, -1))[1:]


def test_primed_passes_the_arguments_through() -> None:
    echo = primed(two_parameters)(1, second="y")
    assert echo.send("sent") == "sent"
    # The same call without priming yields the greeting built from the same arguments.
    assert next(two_parameters(1, second="y")) == "1y"


def test_primed_keeps_the_name_docstring_and_signature() -> None:
    wrapped = primed(two_parameters)
    assert wrapped.__name__ == two_parameters.__name__
    assert wrapped.__qualname__ == two_parameters.__qualname__
    assert wrapped.__doc__ == two_parameters.__doc__
    assert wrapped.__wrapped__ is two_parameters  # type: ignore[attr-defined]
    assert inspect.signature(wrapped) == inspect.signature(two_parameters)


def test_primed_makes_a_plain_function() -> None:
    assert inspect.isgeneratorfunction(two_parameters)
    assert not inspect.isgeneratorfunction(primed(two_parameters))


def test_primed_runs_the_body_at_the_call() -> None:
    bad: Any = "3"
    make = primed(countdown)
    with pytest.raises(TypeError) as raised:
        make(bad)
    assert str(raised.value) == str(error_of(lambda: operator.gt(bad, 0)))


def test_primed_reports_a_generator_that_finishes_before_its_first_yield() -> None:
    with pytest.raises(RuntimeError) as raised:
        primed(yields_nothing)("the result")
    assert str(raised.value) == f"{yields_nothing.__qualname__}() finished before its first yield"
    cause = raised.value.__cause__
    assert isinstance(cause, StopIteration)
    assert cause.value == "the result"


def test_primed_does_not_let_stopiteration_end_the_callers_loop() -> None:
    make = primed(countdown)
    with pytest.raises(RuntimeError, match=r"^countdown\(\) finished before its first yield$"):
        list(map(make, [2, 0, 5]))


def test_primed_rejects_what_is_not_an_iterator_as_next_does() -> None:
    not_a_generator_function: Any = lambda: 42  # noqa: E731
    with pytest.raises(TypeError) as raised:
        primed(not_a_generator_function)()
    assert str(raised.value) == str(error_of(lambda: next(not_a_generator_function())))


# --- tally ---------------------------------------------------------------------------------------

# An operation on a tally: a number to send, or None to throw Reset in.
operations = st.lists(st.one_of(st.integers(min_value=-1000, max_value=1000), st.none()))


def expected_totals(steps: list[int | None]) -> list[int]:
    """The total after each step: the sum of the numbers sent since the last reset."""
    totals = []
    since_reset: list[int] = []
    for step in steps:
        since_reset = [] if step is None else [*since_reset, step]
        totals.append(sum(since_reset))
    return totals


def run_tally(steps: list[int | None]) -> tuple[Generator[float, float, float], list[float]]:
    counter = tally()
    assert next(counter) == 0
    got = [counter.throw(Reset()) if step is None else counter.send(step) for step in steps]
    return counter, got


@given(operations)
def test_tally_yields_the_total_since_the_last_reset(steps: list[int | None]) -> None:
    counter, got = run_tally(steps)
    assert got == expected_totals(steps)
    assert inspect.getgeneratorstate(counter) == inspect.GEN_SUSPENDED


@given(operations)
def test_tally_returns_its_total_when_asked_to_finish(steps: list[int | None]) -> None:
    counter, _ = run_tally(steps)
    with pytest.raises(StopIteration) as raised:
        counter.throw(GeneratorExit)
    assert raised.value.value == ([0, *expected_totals(steps)])[-1]
    assert inspect.getgeneratorstate(counter) == inspect.GEN_CLOSED


@pytest.mark.skipif(sys.version_info < (3, 13), reason="close() returns a value from 3.13")
@given(operations)
def test_tally_close_returns_the_total_from_3_13(steps: list[int | None]) -> None:
    counter, _ = run_tally(steps)
    assert close_of(counter) == ([0, *expected_totals(steps)])[-1]
    assert close_of(counter) is None


@pytest.mark.skipif(sys.version_info >= (3, 13), reason="close() returns a value from 3.13")
def test_tally_close_returns_none_before_3_13() -> None:
    counter, _ = run_tally([2, 3])
    assert close_of(counter) is None
    assert inspect.getgeneratorstate(counter) == inspect.GEN_CLOSED


def test_a_reset_thrown_into_a_new_tally_escapes() -> None:
    fresh = tally()
    with pytest.raises(Reset, match=r"^too early$"):
        fresh.throw(Reset("too early"))
    assert inspect.getgeneratorstate(fresh) == inspect.GEN_CLOSED


def test_other_exceptions_go_through_tally_and_close_it() -> None:
    counter, _ = run_tally([1])
    with pytest.raises(LookupError, match=r"^not a reset$"):
        counter.throw(LookupError("not a reset"))
    assert inspect.getgeneratorstate(counter) == inspect.GEN_CLOSED


def test_reset_is_an_exception() -> None:
    assert issubclass(Reset, Exception)


# --- close_returning -----------------------------------------------------------------------------


def returns_on_exit(value: str) -> Generator[int, None, str]:
    try:
        yield 1
    except GeneratorExit:
        return value
    return "finished normally"


def lets_exit_through() -> Generator[int, None, str]:
    yield 1
    return "finished normally"


def yields_on_exit() -> Generator[int, None, None]:
    try:
        yield 1
    except GeneratorExit:
        yield 2


def raises_on_exit() -> Generator[int, None, None]:
    try:
        yield 1
    except GeneratorExit:
        raise OSError("cleanup failed") from None


def created(make: Callable[[], Generator[int, None, object]]) -> Generator[int, None, object]:
    return make()


def suspended(make: Callable[[], Generator[int, None, object]]) -> Generator[int, None, object]:
    generator = make()
    next(generator)
    return generator


def finished(make: Callable[[], Generator[int, None, object]]) -> Generator[int, None, object]:
    generator = make()
    for _ in generator:
        pass
    return generator


def closed(make: Callable[[], Generator[int, None, object]]) -> Generator[int, None, object]:
    generator = make()
    generator.close()
    return generator


STATES = [created, suspended, finished, closed]
KINDS = [functools.partial(returns_on_exit, "returned on exit"), lets_exit_through]


@pytest.mark.skipif(sys.version_info < (3, 13), reason="close() returns a value from 3.13")
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("kind", KINDS, ids=["returns_on_exit", "lets_exit_through"])
def test_close_returning_returns_what_close_returns_from_3_13(
    kind: Callable[[], Generator[int, None, object]],
    state: Callable[[Callable[[], Generator[int, None, object]]], Generator[int, None, object]],
) -> None:
    ours, pythons = state(kind), state(kind)
    assert close_returning(ours) == close_of(pythons)
    assert inspect.getgeneratorstate(ours) == inspect.getgeneratorstate(pythons)


def test_close_returning_returns_the_value_returned_on_exit() -> None:
    assert close_returning(suspended(lambda: returns_on_exit("mine"))) == "mine"


@pytest.mark.parametrize("state", [created, finished, closed])
def test_close_returning_returns_none_when_no_handler_runs(
    state: Callable[[Callable[[], Generator[int, None, object]]], Generator[int, None, object]],
) -> None:
    generator = state(lambda: returns_on_exit("mine"))
    assert close_returning(generator) is None
    assert inspect.getgeneratorstate(generator) == inspect.GEN_CLOSED


def test_close_returning_returns_none_when_generatorexit_goes_through() -> None:
    generator = suspended(lets_exit_through)
    assert close_returning(generator) is None
    assert inspect.getgeneratorstate(generator) == inspect.GEN_CLOSED


def test_close_returning_refuses_a_generator_that_yields_as_close_does() -> None:
    ours, pythons = suspended(yields_on_exit), suspended(yields_on_exit)
    expected = error_of(pythons.close)
    with pytest.raises(type(expected)) as raised:
        close_returning(ours)
    assert str(raised.value) == str(expected)
    # Both are left paused at the yield in the handler; closing them again finishes them.
    for generator in (ours, pythons):
        assert inspect.getgeneratorstate(generator) == inspect.GEN_SUSPENDED
        generator.close()
        assert inspect.getgeneratorstate(generator) == inspect.GEN_CLOSED


def test_close_returning_lets_the_cleanups_exception_out_as_close_does() -> None:
    ours, pythons = suspended(raises_on_exit), suspended(raises_on_exit)
    expected = error_of(pythons.close)
    with pytest.raises(type(expected)) as raised:
        close_returning(ours)
    assert str(raised.value) == str(expected)
    assert inspect.getgeneratorstate(ours) == inspect.GEN_CLOSED


def test_close_returning_runs_finally_blocks() -> None:
    cleaned: list[str] = []

    def holds() -> Generator[int, None, None]:
        try:
            yield 1
        finally:
            cleaned.append("cleaned")

    close_returning(suspended(holds))
    assert cleaned == ["cleaned"]


# --- The module ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", generators.__all__)
def test_every_public_name_exists_and_says_what_it_is(name: str) -> None:
    obj = getattr(generators, name)
    assert obj.__module__ == generators.__name__
    assert inspect.getdoc(obj)
