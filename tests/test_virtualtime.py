"""Tests for :mod:`companion.virtualtime`: a clock that jumps when nothing can happen.

Expected times are derived the way asyncio derives deadlines (``loop.time() + delay``), and
orderings from "timers fire by deadline". The few real delays (a peer that answers after 50 ms,
an executor job of 20 ms, a child process) are the thing under test: the clock must follow real
time while they run. Real durations are only bounded, never printed or compared exactly.
"""

from __future__ import annotations

import asyncio
import heapq
import inspect
import itertools
import socket
import sys
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import error_of

from companion.virtualtime import VirtualTimeLoop, run


def timed(coro: Coroutine[Any, Any, object]) -> float:
    """The real seconds that ``run(coro)`` takes."""
    start = time.monotonic()
    run(coro)
    return time.monotonic() - start


def test_an_hour_of_sleep_passes_at_once_and_exactly() -> None:
    readings: list[float] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        readings.append(loop.time())
        await asyncio.sleep(3600)
        readings.append(loop.time())

    assert timed(main()) < 0.5
    assert readings == [0.0, 3600.0]


def test_sleepers_wake_in_deadline_order_at_their_deadlines() -> None:
    delays = {"a": 5.0, "b": 1.0, "c": 3.25, "d": 2.5, "e": 1000.0, "f": 0.1}
    woke: list[tuple[str, float]] = []
    deadlines: dict[str, float] = {}

    async def sleeper(name: str) -> None:
        loop = asyncio.get_running_loop()
        deadlines[name] = loop.time() + delays[name]
        await asyncio.sleep(delays[name])
        woke.append((name, loop.time()))

    async def main() -> None:
        async with asyncio.TaskGroup() as group:
            for name in delays:
                group.create_task(sleeper(name))

    run(main())
    assert woke == sorted(deadlines.items(), key=lambda item: item[1])


def test_timeout_and_wait_for_expire_at_the_exact_virtual_deadline() -> None:
    async def main() -> list[float]:
        loop = asyncio.get_running_loop()
        expired: list[float] = []
        deadline = loop.time() + 30
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(30):
                await asyncio.sleep(100)
        assert loop.time() == deadline
        expired.append(loop.time())
        deadline = loop.time() + 7.5
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(asyncio.sleep(100), 7.5)
        assert loop.time() == deadline
        expired.append(loop.time())
        return expired

    assert run(main()) == [30.0, 37.5]


def test_call_later_and_call_at_run_by_deadline() -> None:
    async def main() -> list[tuple[str, float]]:
        loop = asyncio.get_running_loop()
        fired: list[tuple[str, float]] = []
        done = loop.create_future()
        start = loop.time()
        plan = {"at 40": start + 40, "later 10": start + 10, "at 25": start + 25}
        loop.call_at(plan["at 40"], lambda: fired.append(("at 40", loop.time())))
        loop.call_later(10, lambda: fired.append(("later 10", loop.time())))
        loop.call_at(plan["at 25"], lambda: fired.append(("at 25", loop.time())))
        cancelled = loop.call_later(5, lambda: fired.append(("cancelled", loop.time())))
        cancelled.cancel()
        loop.call_later(41, done.set_result, None)
        await done
        assert fired == sorted(plan.items(), key=lambda item: item[1])
        return fired

    assert [name for name, _ in run(main())] == ["later 10", "at 25", "at 40"]


async def sleepers_wake_order(tasks: int, delay: float) -> list[int]:
    """The order in which *tasks* tasks, all started in one step, wake from ``sleep(delay)``."""
    woke: list[int] = []

    async def sleeper(number: int) -> None:
        await asyncio.sleep(delay)
        woke.append(number)

    await asyncio.gather(*(sleeper(number) for number in range(tasks)))
    return woke


def test_equal_deadlines_fire_in_scheduling_order_as_on_a_real_loop() -> None:
    # On the virtual clock the deadlines are equal; on a real one the clock moves between the
    # sleep() calls, so they differ by a little. The short real wait is the thing compared.
    virtual = run(sleepers_wake_order(8, 1.0))
    real = asyncio.run(sleepers_wake_order(8, 0.001))
    assert virtual == real == list(range(8))


def test_equal_deadlines_keep_scheduling_order_for_call_at_and_call_later() -> None:
    async def main() -> list[int]:
        loop = asyncio.get_running_loop()
        fired: list[int] = []
        done = loop.create_future()
        deadline = loop.time() + 5
        for number in range(12):
            if number % 3 == 0:
                loop.call_at(deadline, fired.append, number)
            else:
                loop.call_later(5, fired.append, number)
        loop.call_later(6, done.set_result, None)
        await done
        return fired

    assert run(main()) == list(range(12))


# Sleepers, each a list of whole-second delays slept one after another: small numbers, so that
# deadlines often tie, and none zero (sleep(0) sets no timer).
schedules = st.lists(st.lists(st.integers(1, 3), min_size=1, max_size=4), min_size=1, max_size=8)


def expected_wakes(schedule: list[list[int]]) -> list[tuple[int, int, float]]:
    """Who wakes when, by the rule: by deadline, and equal deadlines in scheduling order.

    The sleepers start in one step and schedule their first timers in order; each schedules
    its next timer in the step in which it wakes.
    """
    order = itertools.count()
    timers = [(float(delays[0]), next(order), number, 0) for number, delays in enumerate(schedule)]
    heapq.heapify(timers)
    wakes = []
    while timers:
        deadline, _, sleeper, step = heapq.heappop(timers)
        wakes.append((sleeper, step, deadline))
        if step + 1 < len(schedule[sleeper]):
            later = deadline + schedule[sleeper][step + 1]
            heapq.heappush(timers, (later, next(order), sleeper, step + 1))
    return wakes


@settings(max_examples=150, deadline=None)
@given(schedule=schedules)
def test_sleepers_wake_by_deadline_then_scheduling_order(schedule: list[list[int]]) -> None:
    async def main() -> list[tuple[int, int, float]]:
        loop = asyncio.get_running_loop()
        wakes: list[tuple[int, int, float]] = []

        async def sleeper(number: int, delays: list[int]) -> None:
            for step, delay in enumerate(delays):
                await asyncio.sleep(delay)
                wakes.append((number, step, loop.time()))

        await asyncio.gather(*(sleeper(number, delays) for number, delays in enumerate(schedule)))
        return wakes

    assert run(main()) == expected_wakes(schedule)


@settings(max_examples=40, deadline=None)
@given(
    timers=st.lists(st.tuples(st.integers(1, 20), st.booleans()), min_size=1, max_size=400),
)
def test_many_timers_some_cancelled_fire_in_order(timers: list[tuple[int, bool]]) -> None:
    # Hundreds of timers, so that cancelled ones get swept out of the recorded heap on the way.
    async def main() -> list[int]:
        loop = asyncio.get_running_loop()
        fired: list[int] = []
        handles = [loop.call_later(delay, fired.append, n) for n, (delay, _) in enumerate(timers)]
        for handle, (_, cancel) in zip(handles, timers, strict=True):
            if cancel:
                handle.cancel()
        await asyncio.sleep(21)
        return fired

    live = [(delay, n) for n, (delay, cancel) in enumerate(timers) if not cancel]
    assert run(main()) == [n for _, n in sorted(live)]


def test_cancelled_timeouts_do_not_pile_up_behind_a_live_timer() -> None:
    async def main() -> list[int]:
        loop = asyncio.get_running_loop()
        assert isinstance(loop, VirtualTimeLoop)
        early = loop.call_later(1, lambda: None)  # stays first in the heap throughout
        sizes = []
        for _ in range(20):
            for _ in range(1_000):
                async with asyncio.timeout(60):  # a timer, cancelled on the way out
                    pass
            sizes.append(len(loop._clock.timers))
        early.cancel()
        return sizes

    sizes = run(main())
    # asyncio's threshold: up to 100 entries are left alone; above, half at least are live.
    assert max(sizes) <= 101


def test_advance_moves_the_clock_at_once_and_timers_fire_late() -> None:
    async def main() -> list[tuple[str, float]]:
        loop = asyncio.get_running_loop()
        assert isinstance(loop, VirtualTimeLoop)
        events: list[tuple[str, float]] = []
        loop.call_later(1, lambda: events.append(("timer", loop.time())))
        loop.advance(2.5)
        events.append(("advanced", loop.time()))
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        return events

    assert run(main()) == [("advanced", 2.5), ("timer", 2.5)]


def test_advance_refuses_negative_and_non_finite_times() -> None:
    loop = VirtualTimeLoop()
    try:
        for seconds in (-1.0, float("nan"), float("inf")):
            with pytest.raises(ValueError, match="finite number of seconds >= 0"):
                loop.advance(seconds)
        assert loop.time() == 0.0
    finally:
        loop.close()


def test_a_real_peer_answers_before_a_far_virtual_timer() -> None:
    left, right = socket.socketpair()

    def peer() -> None:
        with right:
            request = right.recv(100)
            time.sleep(0.05)  # the real delay under test, not an ordering device
            right.sendall(request.upper())

    async def main() -> tuple[list[str], float]:
        loop = asyncio.get_running_loop()
        events: list[str] = []
        start = loop.time()
        timer = loop.call_later(500, events.append, "timer")
        await loop.sock_sendall(left, b"ping")
        events.append((await loop.sock_recv(left, 100)).decode())
        timer.cancel()
        return events, loop.time() - start

    thread = threading.Thread(target=peer)
    thread.start()
    try:
        with left:
            left.setblocking(False)
            events, elapsed = run(main())
    finally:
        thread.join()
    assert events == ["PING"]
    assert 0.0 < elapsed < 500


@pytest.mark.parametrize("via", ["run_in_executor", "to_thread"])
def test_an_executor_job_keeps_the_clock_real(via: str) -> None:
    def job() -> str:
        time.sleep(0.02)  # real work under test
        return "result"

    async def main() -> tuple[str, float, float]:
        loop = asyncio.get_running_loop()
        start = loop.time()
        work = (
            loop.run_in_executor(None, job) if via == "run_in_executor" else asyncio.to_thread(job)
        )
        result = await asyncio.wait_for(work, 1000)
        during = loop.time() - start
        await asyncio.sleep(1000)  # the job is over: time jumps again
        return result, during, loop.time() - start - during

    result, during, after = run(main())
    assert result == "result"
    assert 0.0 < during < 1000
    assert after == pytest.approx(1000)


def test_an_idle_listening_server_keeps_the_clock_real() -> None:
    async def main() -> tuple[float, float]:
        loop = asyncio.get_running_loop()
        server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        async with server:
            real = time.monotonic()
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(loop.create_future(), 0.03)
            waited = time.monotonic() - real
        start = loop.time()
        await asyncio.sleep(3600)  # the server is closed: time jumps again
        return waited, loop.time() - start

    waited, jumped = run(main())
    assert waited >= 0.02
    assert jumped == 3600.0


@pytest.mark.skipif(sys.platform == "win32", reason="the child is a POSIX process wait")
def test_a_running_child_process_keeps_the_clock_real() -> None:
    async def main() -> tuple[int, float]:
        loop = asyncio.get_running_loop()
        start = loop.time()
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-c", "import time; time.sleep(0.05)"
        )
        code = await asyncio.wait_for(child.wait(), 1000)
        return code, loop.time() - start

    code, elapsed = run(main())
    assert code == 0
    assert elapsed < 1000


def test_nothing_is_left_behind() -> None:
    loops: list[asyncio.AbstractEventLoop] = []
    fates: list[str] = []
    # Compared as sets: on 3.11 a child watcher's thread from an earlier test may end meanwhile.
    threads = set(threading.enumerate())

    async def forgotten() -> None:
        try:
            await asyncio.sleep(10**6)
        except asyncio.CancelledError:
            fates.append("cancelled")
            raise

    async def main() -> None:
        loops.append(asyncio.get_running_loop())
        asyncio.get_running_loop().create_task(forgotten())
        await asyncio.to_thread(lambda: None)
        await asyncio.sleep(0)

    run(main())
    assert fates == ["cancelled"]
    assert loops[0].is_closed()
    assert isinstance(loops[0], VirtualTimeLoop)
    assert set(threading.enumerate()) <= threads
    with pytest.raises(RuntimeError):
        asyncio.get_running_loop()


def test_errors_and_debug_pass_through() -> None:
    async def fail() -> None:
        await asyncio.sleep(60)
        raise KeyError("boom")

    async def debug() -> bool:
        return asyncio.get_running_loop().get_debug()

    with pytest.raises(KeyError, match="boom"):
        run(fail())
    assert run(debug(), debug=True) is True
    assert run(debug(), debug=False) is False


def test_the_loop_works_with_asyncio_runner() -> None:
    async def nap() -> float:
        await asyncio.sleep(86_400 * 365)
        return asyncio.get_running_loop().time()

    with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
        assert runner.get_loop().time() == 0.0
        assert runner.run(nap()) >= 86_400 * 365


def test_a_non_coroutine_is_refused_like_asyncio_run() -> None:
    def not_a_coroutine() -> None:
        pass

    ours = error_of(lambda: run(not_a_coroutine))  # type: ignore[arg-type]
    theirs = error_of(lambda: asyncio.run(not_a_coroutine))  # type: ignore[arg-type]
    assert type(ours) is type(theirs)
    assert str(ours) == str(theirs)


def test_running_inside_a_running_loop_is_refused_like_asyncio_run() -> None:
    async def inner() -> None:
        pass

    def attempt(runner: Callable[[Coroutine[Any, Any, None]], None]) -> Exception:
        coro = inner()
        try:
            return error_of(lambda: runner(coro))
        finally:
            coro.close()

    async def main() -> tuple[Exception, Exception]:
        return attempt(run), attempt(asyncio.run)

    ours, theirs = asyncio.run(main())
    assert type(ours) is type(theirs) is RuntimeError
    assert "cannot be called from a running event loop" in str(ours)


def test_a_coroutine_refused_inside_a_running_loop_is_closed() -> None:
    async def inner() -> None:
        pass

    async def main() -> str:
        coro = inner()
        with pytest.raises(RuntimeError, match="cannot be called from a running event loop"):
            run(coro)
        return inspect.getcoroutinestate(coro)

    # Closed, so it will not also warn that it was never awaited.
    assert asyncio.run(main()) == inspect.CORO_CLOSED


# -- In a web page (Pyodide) -------------------------------------------------------------------
# Pyodide cannot make a socket pair, and keeps the page's own loop installed as the running loop
# (see the module docstring). Both are reproduced here on CPython: socket.socketpair fails as it
# does there, and a running loop is taken for the page's.


class PageLoop(VirtualTimeLoop):
    """The loop as it is built in Pyodide: with no self-pipe."""

    _self_pipe = False


def no_socketpair(*args: object, **kwargs: object) -> tuple[socket.socket, socket.socket]:
    raise OSError(138, "Not supported")  # what Pyodide's socket.socketpair raises in Chromium


async def timers_and_timeouts() -> list[tuple[str, float]]:
    """A little of everything the book's examples do on a virtual clock, with what it read."""
    loop = asyncio.get_running_loop()
    seen: list[tuple[str, float]] = []

    async def sleeper(name: str, delay: float) -> None:
        await asyncio.sleep(delay)
        seen.append((name, loop.time()))

    loop.call_later(2.5, lambda: seen.append(("call_later", loop.time())))
    loop.call_soon_threadsafe(lambda: seen.append(("threadsafe", loop.time())))
    await asyncio.gather(sleeper("a", 3), sleeper("b", 1), sleeper("c", 1))
    try:
        async with asyncio.timeout(10):
            await asyncio.sleep(3600)
    except TimeoutError:
        seen.append(("timeout", loop.time()))
    return seen


def test_a_loop_without_self_pipe_runs_where_there_is_no_socket_pair(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    expected = run(timers_and_timeouts())
    assert expected == [
        ("threadsafe", 0.0),
        ("b", 1.0),
        ("c", 1.0),
        ("call_later", 2.5),
        ("a", 3.0),
        ("timeout", 13.0),
    ]
    monkeypatch.setattr(socket, "socketpair", no_socketpair)  # what asyncio's self-pipe uses
    loops: list[asyncio.AbstractEventLoop] = []

    async def main() -> list[tuple[str, float]]:
        loops.append(asyncio.get_running_loop())
        return await timers_and_timeouts()

    with asyncio.Runner(loop_factory=PageLoop) as runner:
        assert runner.run(main()) == expected
    assert loops[0].is_closed()


def test_a_loop_without_self_pipe_refuses_signal_handlers() -> None:
    if sys.platform == "win32":
        pytest.skip("asyncio has no signal handlers on Windows")
    loop = PageLoop()
    try:
        with pytest.raises(RuntimeError, match="needs the loop's self-pipe"):
            loop.add_signal_handler(2, lambda: None)
    finally:
        loop.close()


@pytest.mark.skipif(
    sys.version_info < (3, 12), reason="asyncio swaps a thread's current task from 3.12"
)
def test_run_inside_a_page_loop_sets_it_aside_and_puts_it_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from companion import virtualtime

    monkeypatch.setattr(virtualtime, "_is_page_loop", lambda loop: True)

    async def page() -> tuple[object, ...]:
        outer, task = asyncio.get_running_loop(), asyncio.current_task()
        readings = run(timers_and_timeouts())
        return readings[-1], asyncio.get_running_loop() is outer, asyncio.current_task() is task

    # Without the set-aside, asyncio would refuse: a loop already runs, and a task in it.
    assert asyncio.run(page()) == (("timeout", 13.0), True, True)
