"""Tests for :mod:`companion.aprotocols`, the demos of the chapters "async for" and "async with".

Expected values come from independent statements of the same facts: :class:`range` for the numbers
and the errors of :class:`~companion.aprotocols.ARange`, :func:`operator.index` and
:func:`math.isnan` for what Python says about a non-integer or a non-number, the event loop's own
clock (or a stand-in for it) for :class:`~companion.aprotocols.Timer`.

Every coroutine runs under :func:`run`, which fails a test that leaves a task pending or an async
generator unfinished: left alone, :func:`asyncio.run` would close such a generator quietly on its
way out (``loop.shutdown_asyncgens()``) and hide the leak. Tests order their tasks with events and
queues, never with sleeps; the only sleeps are the ones under test, of a few milliseconds at most.
A test that cancels "at every suspension point" names each ``await`` where the code under test
can be suspended, and cancels it there.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import inspect
import math
import operator
import re
import sys
import time
import types
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Callable, Coroutine
from typing import Any, TypeVar, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import error_of

from companion import aprotocols
from companion.aprotocols import ARange, Pool, Timer, ticker

T = TypeVar("T")

# --- Helpers -------------------------------------------------------------------------------------


def run(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """``asyncio.run(main())``, failing if *main* leaves a task pending or an async generator
    unfinished when it returns."""

    async def watched() -> T:
        started: list[AsyncGenerator[Any, Any]] = []
        firstiter, finalizer = sys.get_asyncgen_hooks()

        # The loop learns of each async generator at its first step, through this hook; keeping a
        # reference also stops the garbage collector from finalizing one before we look at it.
        def record(agen: AsyncGenerator[Any, Any]) -> None:
            started.append(agen)
            if firstiter is not None:
                firstiter(agen)

        sys.set_asyncgen_hooks(firstiter=record, finalizer=finalizer)
        try:
            result = await main()
        finally:
            sys.set_asyncgen_hooks(firstiter=firstiter, finalizer=finalizer)
        unfinished = [agen for agen in started if not finished(agen)]
        assert not unfinished, f"async generators left unfinished: {unfinished}"
        pending = asyncio.all_tasks() - {asyncio.current_task()}
        assert not pending, f"tasks left pending: {pending}"
        return result

    return asyncio.run(watched())


def finished(agen: AsyncGenerator[Any, Any]) -> bool:
    """Whether *agen* has finished (exhausted, closed, or ended by an exception): its frame is
    gone. (``inspect.getasyncgenstate()`` says the same from Python 3.12 on.)"""
    assert isinstance(agen, types.AsyncGeneratorType)
    return agen.ag_frame is None


def suspensions(coroutine: Coroutine[Any, Any, T]) -> tuple[int, T]:
    """Drive *coroutine* by hand, outside any event loop, the way a task does; return how many
    times it suspended and what it returned. It must await nothing but ``asyncio.sleep(0)``,
    whose single bare ``yield`` asks the loop for nothing but a turn."""
    count = 0
    while True:
        try:
            request = coroutine.send(None)
        except StopIteration as done:
            result: T = done.value
            return count, result
        assert request is None, f"awaited more than asyncio.sleep(0): {request!r}"
        count += 1


async def collect(iterable: AsyncIterable[T]) -> list[T]:
    return [item async for item in iterable]


async def enter_every_slot_at_once(pool: Pool) -> list[int]:
    """Take all of *pool*'s slots, none of which may need waiting for; return their numbers.

    A slot lost to a bug makes the last ``acquire()`` wait, and the zero timeout turns that wait
    into a failure at once, instead of a test that hangs.
    """
    async with asyncio.timeout(0), contextlib.AsyncExitStack() as stack:
        return [await stack.enter_async_context(pool.acquire()) for _ in range(pool.size)]


class Index:
    """Not an int, but usable as one: it has ``__index__``."""

    def __init__(self, value: int) -> None:
        self.value = value

    def __index__(self) -> int:
        return self.value


def test_the_module_exports_the_four_demos() -> None:
    assert sorted(aprotocols.__all__) == ["ARange", "Pool", "Timer", "ticker"]
    for name in aprotocols.__all__:
        assert (getattr(aprotocols, name).__doc__ or "").strip(), f"{name} has no docstring"


# --- ARange --------------------------------------------------------------------------------------

range_arguments = st.one_of(
    st.tuples(st.integers(-20, 20)),
    st.tuples(st.integers(-20, 20), st.integers(-20, 20)),
    st.tuples(st.integers(-20, 20), st.integers(-20, 20), st.integers(-7, 7).filter(bool)),
)


@given(range_arguments)
def test_arange_holds_the_numbers_of_the_matching_range(args: tuple[int, ...]) -> None:
    assert run(lambda: collect(ARange(*args))) == list(range(*args))


@given(range_arguments)
def test_arange_repr_is_the_matching_ranges(args: tuple[int, ...]) -> None:
    assert repr(ARange(*args)) == "ARange" + repr(range(*args)).removeprefix("range")


def test_arange_takes_anything_with_index_like_range() -> None:
    numbers = ARange(Index(1), Index(8), Index(3))
    assert run(lambda: collect(numbers)) == list(range(1, 8, 3))
    assert repr(numbers) == "ARange" + repr(range(1, 8, 3)).removeprefix("range")


@pytest.mark.parametrize(
    "args",
    [(), ("3",), (1.5,), (None,), (1, "b"), (1, 2, 0), (1, 2, 3.0), (1, 2, 3, 4)],
    ids=repr,
)
def test_arange_raises_ranges_own_error_when_made(args: tuple[Any, ...]) -> None:
    expected = error_of(lambda: range(*args))
    with pytest.raises(type(expected)) as raised:
        ARange(*args)
    assert str(raised.value) == str(expected)


def test_arange_takes_no_keyword_arguments_like_range() -> None:
    for made in (range, ARange):
        with pytest.raises(TypeError):
            cast(Any, made)(stop=3)


def test_arange_follows_the_async_iteration_protocol() -> None:
    numbers = ARange(3)
    # An async iterable, not an async iterator: it has no __anext__ of its own ...
    assert isinstance(numbers, AsyncIterable)
    assert not isinstance(numbers, AsyncIterator)
    # ... and each aiter() is a fresh iterator, which is its own aiter().
    first, second = aiter(numbers), aiter(numbers)
    assert first is not second
    assert isinstance(first, AsyncIterator)
    assert aiter(first) is first
    assert inspect.iscoroutinefunction(type(first).__anext__)


def test_each_async_for_over_an_arange_starts_afresh() -> None:
    async def main() -> list[list[int]]:
        numbers = ARange(4)
        passes = []
        for _ in range(2):
            seen = []
            async for n in numbers:
                seen.append(n)
            passes.append(seen)
        passes.append([n async for n in numbers if n % 2])  # an async comprehension
        return passes

    assert run(main) == [list(range(4)), list(range(4)), [n for n in range(4) if n % 2]]


def test_an_arange_iterator_can_be_gone_through_once() -> None:
    async def main() -> tuple[list[int], list[int], int]:
        iterator = aiter(ARange(5))
        async for n in iterator:
            if n == 1:
                break
        rest = await collect(iterator)  # picks up after the number that ended the first loop
        again = await collect(iterator)
        return rest, again, await anext(iterator, -1)

    assert run(main) == (list(range(5))[2:], [], -1)


def test_every_arange_step_suspends_exactly_once_the_last_one_too() -> None:
    iterator = aiter(ARange(3))

    def step() -> Coroutine[Any, Any, int]:
        awaitable = iterator.__anext__()
        assert inspect.iscoroutine(awaitable)
        return awaitable

    for expected in range(3):
        assert suspensions(step()) == (1, expected)
    for _ in range(2):
        with pytest.raises(StopAsyncIteration):
            suspensions(step())


def test_other_tasks_run_between_the_numbers_of_an_arange() -> None:
    async def main() -> list[tuple[str, int]]:
        order: list[tuple[str, int]] = []

        async def consume(name: str) -> None:
            async for n in ARange(3):
                order.append((name, n))

        await asyncio.gather(consume("a"), consume("b"))
        return order

    # Each step hands the loop a turn, so the two loops alternate.
    expected = [pair for n in range(3) for pair in (("a", n), ("b", n))]
    assert run(main) == expected


@pytest.mark.parametrize("step", range(4))
def test_an_arange_step_cancelled_takes_no_number(step: int) -> None:
    # ARange(3) suspends at four places: the await in each of its four __anext__ calls, the
    # last one being the step that ends the iteration.
    async def main() -> tuple[list[int], list[int], bool]:
        iterator = aiter(ARange(3))
        got: list[int] = []

        async def consume() -> None:
            while True:
                if len(got) == step:
                    # Cancelling a running task takes effect at its next suspension point: the
                    # await inside the __anext__ called just below.
                    task = asyncio.current_task()
                    assert task is not None
                    task.cancel()
                got.append(await anext(iterator))

        consumer = asyncio.create_task(consume())
        with pytest.raises(asyncio.CancelledError):
            await consumer
        return got, await collect(iterator), consumer.cancelled()

    got, rest, cancelled = run(main)
    assert cancelled
    assert got == list(range(3))[:step]
    assert rest == list(range(3))[step:]


# --- ticker --------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", range(5))
def test_ticker_yields_the_ticks_from_zero(count: int) -> None:
    assert run(lambda: collect(ticker(0, count))) == list(range(count))


def test_ticker_takes_anything_with_index_as_count() -> None:
    assert run(lambda: collect(ticker(0, Index(3)))) == list(range(3))


@pytest.mark.parametrize("count", [0, 1, 2, 4])
def test_ticker_sleeps_between_ticks_only(count: int, monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    real_sleep = asyncio.sleep

    async def recorded_sleep(delay: float) -> None:
        events.append(f"sleep {delay}")
        await real_sleep(0)

    monkeypatch.setattr(asyncio, "sleep", recorded_sleep)

    async def main() -> None:
        async for tick in ticker(0.5, count):
            events.append(f"tick {tick}")

    run(main)
    ticks = [f"tick {tick}" for tick in range(count)]
    # The ticks, with one sleep of the interval between each two: none first, none last.
    expected = [event for tick in ticks for event in ("sleep 0.5", tick)][1:]
    assert events == expected


def test_ticker_really_waits_the_interval_by_the_loops_clock() -> None:
    interval = 0.002

    async def main() -> list[float]:
        loop = asyncio.get_running_loop()
        return [loop.time() async for _ in ticker(interval, 3)]

    first, second, third = run(main)
    # The loop runs a timer once its time is within the clock's resolution, not strictly after.
    resolution = time.get_clock_info("monotonic").resolution
    assert second - first >= interval - resolution
    assert third - second >= interval - resolution


def test_ticker_with_one_tick_never_waits_even_for_ever() -> None:
    async def main() -> list[int]:
        async with asyncio.timeout(0):  # any wait at all would time out
            return await collect(ticker(math.inf, 1))

    assert run(main) == [0]


def test_ticker_checks_its_arguments_when_called_not_when_iterated() -> None:
    # No event loop and no iteration here: the errors come from the call itself.
    assert not inspect.isasyncgenfunction(ticker)
    assert inspect.isasyncgen(ticker(0, 3))
    with pytest.raises(ValueError, match=r"^ticker\(\) count must be >= 0, got -1$"):
        ticker(0, -1)


@pytest.mark.parametrize("bad", ["1", None, 1j, [1]], ids=repr)
def test_ticker_rejects_an_interval_that_is_not_a_number(bad: Any) -> None:
    with pytest.raises(TypeError) as raised:
        ticker(bad, 3)
    assert str(raised.value) == str(error_of(lambda: math.isnan(bad)))


@pytest.mark.parametrize("bad", [-1, -0.001, -math.inf, math.nan], ids=repr)
def test_ticker_rejects_a_negative_interval(bad: float) -> None:
    message = f"ticker() interval must be a number >= 0, got {bad!r}"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        ticker(bad, 3)


@pytest.mark.parametrize("bad", [1.5, "3", None], ids=repr)
def test_ticker_rejects_a_count_that_is_not_an_integer(bad: Any) -> None:
    with pytest.raises(TypeError) as raised:
        ticker(0, bad)
    assert str(raised.value) == str(error_of(lambda: operator.index(bad)))


@pytest.mark.parametrize("taken", range(4))
def test_ticker_finishes_when_closed_after_any_tick(taken: int) -> None:
    # Closed before its first tick (taken == 0), at the yield of any tick, or at the end.
    async def main() -> tuple[list[int], bool, int]:
        ticks = ticker(0, 3)
        got = [await anext(ticks) for _ in range(taken)]
        await ticks.aclose()
        return got, finished(ticks), await anext(ticks, -1)

    assert run(main) == (list(range(3))[:taken], True, -1)


@pytest.mark.parametrize("interval", [0, 0.001])
@pytest.mark.parametrize("tick", range(1, 4))
def test_ticker_cancelled_while_it_waits_finishes_by_itself(tick: int, interval: float) -> None:
    # ticker(interval, 4) waits before ticks 1, 2 and 3: cancel each wait in turn. An interval of
    # 0 waits in a bare yield to the loop; a longer one waits on a timer's future.
    async def main() -> tuple[list[int], bool, bool]:
        ticks = ticker(interval, 4)
        got: list[int] = []
        waiting = asyncio.Event()

        async def consume() -> None:
            async for n in ticks:  # no aclosing(): the CancelledError ends the generator itself
                got.append(n)
                if len(got) == tick:
                    # Setting an event does not suspend: this task goes on into the next wait,
                    # and the loop resumes the test, which cancels it there, only after that.
                    waiting.set()

        consumer = asyncio.create_task(consume())
        await waiting.wait()
        consumer.cancel()
        with pytest.raises(asyncio.CancelledError):
            await consumer
        return got, consumer.cancelled(), finished(ticks)

    assert run(main) == (list(range(tick)), True, True)


@pytest.mark.parametrize("closing", [True, False], ids=["aclosing", "bare"])
@pytest.mark.parametrize("tick", range(3))
def test_ticker_paused_at_a_tick_needs_aclosing_when_its_consumer_is_cancelled(
    tick: int, closing: bool
) -> None:
    # The consumer awaits something else while the ticker sits at the yield of a tick.
    async def main() -> bool:
        ticks = ticker(0, 3)
        busy = asyncio.Event()

        async def consume() -> None:
            async with contextlib.AsyncExitStack() as stack:
                if closing:
                    await stack.enter_async_context(contextlib.aclosing(ticks))
                async for n in ticks:
                    if n == tick:
                        busy.set()
                        await asyncio.Event().wait()  # until cancelled

        consumer = asyncio.create_task(consume())
        await busy.wait()
        consumer.cancel()
        with pytest.raises(asyncio.CancelledError):
            await consumer
        closed = finished(ticks)
        await ticks.aclose()  # what aclosing() would have done, so that the test leaks nothing
        return closed

    # async for does not close the generator it leaves: only aclosing() does.
    assert run(main) is closing


# --- Timer ---------------------------------------------------------------------------------------


class FakeClock:
    """A stand-in for the loop's clock: it moves only when told to."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


def test_timer_measures_by_the_loops_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    async def main() -> float:
        clock = FakeClock(1000.0)
        with monkeypatch.context() as patch:
            patch.setattr(asyncio.get_running_loop(), "time", clock.time)
            async with Timer() as timer:
                clock.now += 2.5
                await asyncio.sleep(0)
        return timer.elapsed

    assert run(main) == 2.5


def test_timer_measures_a_real_sleep() -> None:
    interval = 0.002

    async def main() -> tuple[float, float]:
        loop = asyncio.get_running_loop()
        before = loop.time()
        async with Timer() as timer:
            await asyncio.sleep(interval)
        after = loop.time()
        return timer.elapsed, after - before

    elapsed, around = run(main)
    resolution = time.get_clock_info("monotonic").resolution
    assert interval - resolution <= elapsed <= around


def test_timer_elapsed_is_an_error_until_the_block_ends() -> None:
    message = r"^Timer\.elapsed is not known until its async with block has ended$"
    timer = Timer()
    with pytest.raises(RuntimeError, match=message):
        _ = timer.elapsed

    async def main() -> None:
        async with timer:
            with pytest.raises(RuntimeError, match=message):
                _ = timer.elapsed
        assert timer.elapsed >= 0

    run(main)


def test_timer_lets_an_exception_through_and_still_records(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def main() -> tuple[BaseException, float]:
        clock = FakeClock(50.0)
        failure = ValueError("in the block")
        timer = Timer()
        with monkeypatch.context() as patch:
            patch.setattr(asyncio.get_running_loop(), "time", clock.time)

            async def block() -> None:
                async with timer:
                    clock.now += 0.25
                    raise failure

            with pytest.raises(ValueError, match=r"^in the block$") as raised:
                await block()
        assert raised.value is failure
        return raised.value, timer.elapsed

    error, elapsed = run(main)
    assert str(error) == "in the block"
    assert elapsed == 0.25


def test_timer_cancelled_in_its_block_still_records(monkeypatch: pytest.MonkeyPatch) -> None:
    async def main() -> tuple[bool, float]:
        clock = FakeClock(7.0)
        timer = Timer()
        inside = asyncio.Event()

        async def timed() -> None:
            async with timer:
                clock.now += 1.5
                inside.set()
                await asyncio.Event().wait()  # until cancelled

        with monkeypatch.context() as patch:
            patch.setattr(asyncio.get_running_loop(), "time", clock.time)
            task = asyncio.create_task(timed())
            await inside.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        return task.cancelled(), timer.elapsed

    assert run(main) == (True, 1.5)


def test_a_timer_times_one_block() -> None:
    async def main() -> float:
        timer = Timer()
        async with timer:
            with pytest.raises(RuntimeError, match=r"^Timer has already been entered$"):
                async with timer:
                    pass
        first = timer.elapsed
        with pytest.raises(RuntimeError, match=r"^Timer has already been entered$"):
            async with timer:
                pass
        assert timer.elapsed == first
        return first

    assert run(main) >= 0


def test_timer_adds_no_suspension_point_of_its_own() -> None:
    # Entering and leaving never wait, so a Timer cannot be where a cancellation lands.
    async def main() -> None:
        timer = Timer()
        assert suspensions(timer.__aenter__()) == (0, timer)
        assert suspensions(timer.__aexit__(None, None, None)) == (0, None)
        assert timer.elapsed >= 0

    run(main)


def test_timer_needs_a_running_event_loop() -> None:
    expected = error_of(asyncio.get_running_loop)
    entering = Timer().__aenter__()
    with pytest.raises(RuntimeError) as raised:
        entering.send(None)
    assert str(raised.value) == str(expected)


# --- Pool ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 2, 5])
def test_pool_hands_out_numbered_slots_and_takes_them_back(size: int) -> None:
    async def main() -> None:
        pool = Pool(size)
        assert (pool.size, pool.in_use) == (size, 0)
        async with contextlib.AsyncExitStack() as stack:
            for held in range(size):
                slot = await stack.enter_async_context(pool.acquire())
                assert slot == held  # the lowest free slot
                assert pool.in_use == held + 1
        assert pool.in_use == 0
        assert await enter_every_slot_at_once(pool) == list(range(size))

    run(main)


def test_pool_hands_out_the_lowest_free_slot() -> None:
    async def main() -> None:
        pool = Pool(3)
        async with pool.acquire() as first, pool.acquire() as second:
            async with pool.acquire() as third:
                pass
            async with pool.acquire() as again:
                assert (first, second, third, again) == (0, 1, 2, 2)
        async with pool.acquire() as middle, pool.acquire() as low:
            assert (middle, low) == (0, 1)

    run(main)


def test_pool_size_is_read_only() -> None:
    pool = Pool(2)
    with pytest.raises(AttributeError):
        pool.size = 3  # type: ignore[misc]
    assert pool.size == 2


def test_pool_takes_anything_with_index_as_size() -> None:
    assert Pool(Index(3)).size == 3


@pytest.mark.parametrize("bad", [0, -1])
def test_pool_rejects_a_size_below_one(bad: int) -> None:
    with pytest.raises(ValueError, match=rf"^Pool size must be at least 1, got {bad}$"):
        Pool(bad)


@pytest.mark.parametrize("bad", [1.5, "2", None], ids=repr)
def test_pool_rejects_a_size_that_is_not_an_integer(bad: Any) -> None:
    with pytest.raises(TypeError) as raised:
        Pool(bad)
    assert str(raised.value) == str(error_of(lambda: operator.index(bad)))


def test_pool_lets_size_tasks_in_at_a_time_in_the_order_they_asked() -> None:
    names = "abcdef"

    async def main() -> None:
        pool = Pool(2)
        arrived: asyncio.Queue[str] = asyncio.Queue()
        entered: asyncio.Queue[tuple[str, int]] = asyncio.Queue()
        leave = {name: asyncio.Event() for name in names}
        inside: set[str] = set()
        most_inside = 0

        async def worker(name: str) -> None:
            nonlocal most_inside
            arrived.put_nowait(name)
            async with pool.acquire() as slot:
                inside.add(name)
                most_inside = max(most_inside, len(inside))
                entered.put_nowait((name, slot))
                await leave[name].wait()
                inside.discard(name)

        workers = [asyncio.create_task(worker(name)) for name in names]
        # A worker goes on from its arrival to its acquire() with no await in between: once all
        # have arrived, all are inside or waiting.
        assert [await arrived.get() for _ in names] == list(names)
        assert [entered.get_nowait() for _ in range(2)] == [("a", 0), ("b", 1)]
        assert entered.empty()
        assert pool.in_use == 2
        # Each leaving worker lets in the longest-waiting one, which gets the slot just freed.
        for leaving, slot, coming in [("a", 0, "c"), ("c", 0, "d"), ("b", 1, "e"), ("e", 1, "f")]:
            leave[leaving].set()
            assert await entered.get() == (coming, slot)
            assert pool.in_use == 2
        leave["d"].set()
        leave["f"].set()
        await asyncio.gather(*workers)
        assert most_inside == 2
        assert pool.in_use == 0

    run(main)


def test_pool_takes_the_slot_back_when_the_block_raises() -> None:
    async def main() -> None:
        pool = Pool(1)
        failure = KeyError("in the block")
        with pytest.raises(KeyError) as raised:
            async with pool.acquire():
                raise failure
        assert raised.value is failure
        assert pool.in_use == 0
        assert await enter_every_slot_at_once(pool) == [0]

    run(main)


@pytest.mark.parametrize("size", [1, 3])
def test_pool_takes_the_slot_back_from_a_task_cancelled_while_holding_it(size: int) -> None:
    async def main() -> None:
        pool = Pool(size)
        holding = asyncio.Event()

        async def hold() -> None:
            async with pool.acquire():
                holding.set()
                await asyncio.Event().wait()  # until cancelled

        holder = asyncio.create_task(hold())
        await holding.wait()
        assert pool.in_use == 1
        holder.cancel()
        with pytest.raises(asyncio.CancelledError):
            await holder
        assert pool.in_use == 0
        assert await enter_every_slot_at_once(pool) == list(range(size))

    run(main)


@pytest.mark.parametrize("size", [1, 2])
def test_a_task_cancelled_while_waiting_for_a_slot_takes_none(size: int) -> None:
    async def main() -> None:
        pool = Pool(size)
        asked = asyncio.Event()
        entered: list[int] = []

        async def wait_for_slot() -> None:
            asked.set()  # then straight into acquire(), which waits: every slot is held
            async with pool.acquire() as slot:
                entered.append(slot)

        async with contextlib.AsyncExitStack() as stack:
            for _ in range(size):
                await stack.enter_async_context(pool.acquire())
            waiter = asyncio.create_task(wait_for_slot())
            await asked.wait()
            waiter.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiter
            assert pool.in_use == size
        assert entered == []
        assert pool.in_use == 0
        assert await enter_every_slot_at_once(pool) == list(range(size))

    run(main)


class HandOffPool:
    """A pool with the classic bug: a leaving task hands its slot straight to the first waiter,
    and a waiter cancelled after that hand-off, before it runs, drops the slot."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.free = size
        self.waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    @contextlib.asynccontextmanager
    async def acquire(self) -> AsyncIterator[None]:
        if self.free and not self.waiters:
            self.free -= 1
        else:
            handed = asyncio.get_running_loop().create_future()
            self.waiters.append(handed)
            try:
                await handed
            finally:
                if not handed.done():
                    self.waiters.remove(handed)
        try:
            yield
        finally:
            if self.waiters:
                self.waiters.popleft().set_result(None)
            else:
                self.free += 1


async def wake_and_cancel_at_once(
    pool: Pool | HandOffPool, got_in: list[str]
) -> asyncio.Task[None]:
    """Hold every slot of *pool*, queue ``size + 1`` waiters, then, in one step with no await,
    give every slot back (which wakes the first ``size`` waiters) and cancel those same waiters
    before they run. Return the last waiter once the cancelled ones have finished; each waiter
    that gets a slot appends its name to *got_in*."""
    asked: asyncio.Queue[str] = asyncio.Queue()

    async def wait_for_slot(name: str) -> None:
        asked.put_nowait(name)  # then straight into acquire(), which waits
        async with pool.acquire():
            got_in.append(name)

    holding = contextlib.AsyncExitStack()
    for _ in range(pool.size):
        await holding.enter_async_context(pool.acquire())
    names = [f"w{n}" for n in range(pool.size + 1)]
    waiters = [asyncio.create_task(wait_for_slot(name)) for name in names]
    assert [await asked.get() for _ in names] == names
    await holding.aclose()  # gives every slot back without suspending ...
    *woken, last = waiters
    for task in woken:
        task.cancel()  # ... so these cancellations arrive after the wake-ups
    await asyncio.wait(woken)
    assert all(task.cancelled() for task in woken)
    return last


@pytest.mark.parametrize("size", [1, 2, 3])
def test_a_waiter_woken_and_cancelled_at_once_loses_no_slot(size: int) -> None:
    async def main() -> list[str]:
        pool = Pool(size)
        got_in: list[str] = []
        last = await wake_and_cancel_at_once(pool, got_in)
        async with asyncio.timeout(1):  # a lost slot would strand the last waiter: fail, not hang
            await last
        assert pool.in_use == 0
        assert await enter_every_slot_at_once(pool) == list(range(size))
        return got_in

    assert run(main) == [f"w{size}"]


@pytest.mark.parametrize("size", [1, 2])
def test_the_woken_and_cancelled_race_is_real(size: int) -> None:
    # The same steps strand the last waiter of a pool that hands its slots over naively: the
    # test above would catch that bug.
    async def main() -> None:
        pool = HandOffPool(size)
        got_in: list[str] = []
        last = await wake_and_cancel_at_once(pool, got_in)
        # Nobody holds a slot, yet none is free, and the last waiter's future is still pending:
        # nothing will ever wake it.
        assert got_in == []
        assert pool.free == 0
        assert [handed.done() for handed in pool.waiters] == [False]
        last.cancel()
        await asyncio.gather(last, return_exceptions=True)

    run(main)


def test_pool_acquire_is_an_async_context_manager_per_call() -> None:
    pool = Pool(1)
    first, second = pool.acquire(), pool.acquire()
    assert first is not second
    assert isinstance(first, contextlib.AbstractAsyncContextManager)
    assert run(lambda: enter_every_slot_at_once(pool)) == [0]


def test_timer_exit_without_enter_is_a_runtime_error() -> None:
    async def main() -> None:
        with pytest.raises(RuntimeError, match=r"without __aenter__\(\)"):
            await Timer().__aexit__(None, None, None)

    asyncio.run(main())
