"""Tests for :mod:`companion.loop`: running, spawning, sleeping, joining and cancelling tasks.

Orderings are derived from the rule being tested, stated independently: round robin is "round
after round, each live task one step", timers fire "sorted by deadline, stably", and so on.
Misuse is compared with what asyncio says about the same misuse where asyncio has a word for it.
Nothing here sleeps to order events: the order under test comes from ``sleep(0)``, timers run on
a virtual clock that the test moves by hand, and threads meet at events (the few real sleeps
last 5 ms at most). Ctrl-C is sent for real, with :func:`signal.raise_signal`; the last tests
check how the kernel is built: yields only in the traps, and no select() call it can avoid.
The sockets, and the echo server, are tested in ``tests/test_loop_sockets.py``.
"""

from __future__ import annotations

import ast
import asyncio
import gc
import inspect
import os
import signal
import socket
import sys
import threading
import time
import traceback
import types
from collections.abc import Callable, Coroutine, Generator
from pathlib import Path
from typing import Any, ClassVar, NoReturn

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import companion.loop as loop_package
import companion.loop.kernel as kernel_module
from companion.loop import (
    Census,
    Kernel,
    Task,
    TaskCancelled,
    current_task,
    run,
    sleep,
    sock_recv,
    sock_sendall,
    spawn,
    traps,
)

CLEAN = Census(tasks=0, ready=0, timers=0, registered=0, closed=True)


class FakeClock:
    """A clock that stands still until the test moves it: deadlines become exact numbers."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Boom(Exception):
    """An error a task raises on purpose."""


async def forever() -> NoReturn:
    """Sleep until cancelled (an hour at a time: the tests never wait that long)."""
    while True:
        await sleep(3600)


async def until(condition: Callable[[], bool]) -> None:
    """Let the other tasks run, a round at a time, until *condition* holds."""
    for _ in range(100):
        if condition():
            return
        await sleep(0)
    raise AssertionError("the condition never came true")


async def unstarted() -> str:
    return "never runs"


# --- run ------------------------------------------------------------------------------------------


def test_run_returns_the_result() -> None:
    async def main() -> list[int]:
        await sleep(0)
        return [1, 2, 3]

    assert run(main()) == [1, 2, 3]


def test_run_raises_the_exception_of_the_coroutine() -> None:
    error = Boom("failed")

    async def main() -> None:
        await sleep(0)
        raise error

    with pytest.raises(Boom) as caught:
        run(main())
    assert caught.value is error


@pytest.mark.parametrize("thing", [5, None, unstarted])
def test_run_and_spawn_refuse_what_is_not_a_coroutine(thing: Any) -> None:
    expected = f"a coroutine was expected, got {thing!r}"
    with pytest.raises(TypeError) as error:
        run(thing)
    assert str(error.value) == expected

    async def main() -> str:
        with pytest.raises(TypeError) as error:
            spawn(thing)
        return str(error.value)

    assert run(main()) == expected
    # asyncio.run refuses the same things: on 3.11 to 3.13 with the same message, as a
    # ValueError; from 3.14, which runs any awaitable, with a TypeError that says so.
    if sys.version_info < (3, 14):
        with pytest.raises(ValueError, match=r"^a coroutine was expected") as asyncio_error:
            asyncio.run(thing)
        assert str(asyncio_error.value) == expected
    else:
        with pytest.raises(TypeError, match=r"^An asyncio.Future, a coroutine or an awaitable is"):
            asyncio.run(thing)


def test_run_refuses_a_generator() -> None:
    """asyncio.run accepts a generator on 3.11 (an old-style coroutine), refuses it from 3.12."""
    generator = (n for n in range(3))
    with pytest.raises(TypeError, match=r"^a coroutine was expected, got <generator object "):
        run(generator)  # type: ignore[arg-type]
    assert list(generator) == [0, 1, 2]  # not touched


def test_run_accepts_any_coroutine_object() -> None:
    class Countdown(Coroutine[None, None, str]):
        """A coroutine written by hand: suspends twice, at sleep(0)'s trap, then returns."""

        def __init__(self) -> None:
            self.left = 2

        def send(self, value: None) -> None:
            if self.left == 0:
                raise StopIteration("lift-off")
            self.left -= 1

        def throw(self, *args: Any) -> NoReturn:
            raise args[0]

        def close(self) -> None:
            pass

        def __await__(self) -> Generator[None, None, str]:
            raise NotImplementedError

    assert run(Countdown()) == "lift-off"


def test_run_inside_a_running_loop_raises_and_closes_the_coroutine() -> None:
    inner = unstarted()

    async def main() -> None:
        run(inner)

    with pytest.raises(RuntimeError, match="cannot be called from a running loop"):
        run(main())
    # Closed, so it cannot warn "coroutine ... was never awaited" (warnings are errors here).
    assert inspect.getcoroutinestate(inner) == inspect.CORO_CLOSED


def test_spawn_outside_a_loop_raises_and_closes_the_coroutine() -> None:
    coro = unstarted()
    with pytest.raises(RuntimeError, match=r"spawn\(\) needs a running companion.loop loop"):
        spawn(coro)
    assert inspect.getcoroutinestate(coro) == inspect.CORO_CLOSED


def test_current_task_outside_a_loop_raises() -> None:
    with pytest.raises(RuntimeError, match=r"current_task\(\) needs a running"):
        current_task()


def test_a_kernel_runs_once() -> None:
    kernel = Kernel()

    async def main() -> int:
        return 1

    assert kernel.run(main()) == 1
    second = unstarted()
    with pytest.raises(RuntimeError, match="already run"):
        kernel.run(second)
    assert inspect.getcoroutinestate(second) == inspect.CORO_CLOSED


def test_each_thread_runs_its_own_loop() -> None:
    """The "already running" check is per thread: a loop in another thread is no obstacle."""
    results: list[str] = []

    async def in_thread() -> str:
        await sleep(0)
        return "other thread"

    async def main() -> str:
        worker = threading.Thread(target=lambda: results.append(run(in_thread())))
        worker.start()
        worker.join()  # blocks this loop; fine here, nothing else runs
        return "main thread"

    assert run(main()) == "main thread"
    assert results == ["other thread"]


def test_current_task_is_the_task_spawn_returned() -> None:
    seen: list[Task[Any]] = []

    async def child() -> None:
        seen.append(current_task())

    async def main() -> None:
        task = spawn(child())
        await task.join()
        assert seen == [task]
        seen.append(current_task())

    run(main())
    assert seen[1] is not seen[0]


# --- Order: FIFO starts, round robin, sleep(0) ----------------------------------------------------


def test_tasks_start_in_the_order_they_were_spawned() -> None:
    started: list[str] = []

    async def child(name: str, spawns: str = "") -> None:
        started.append(name)
        for grandchild in spawns:
            spawn(child(grandchild))

    async def main() -> None:
        spawn(child("a", spawns="xy"))  # x and y queue up behind b and c
        spawn(child("b", spawns="z"))
        spawn(child("c"))
        await until(lambda: len(started) == 6)

    run(main())
    assert started == ["a", "b", "c", "x", "y", "z"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=6), min_size=1, max_size=8))
def test_sleep_0_is_round_robin(steps: list[int]) -> None:
    """Task i takes steps[i] steps, with sleep(0) after each: round after round, in order."""
    log: list[tuple[int, int]] = []

    async def worker(i: int) -> None:
        for step in range(steps[i]):
            log.append((i, step))
            await sleep(0)

    async def main() -> None:
        for task in [spawn(worker(i)) for i in range(len(steps))]:
            await task.join()

    run(main())
    rounds = max(steps)
    assert log == [
        (i, step) for step in range(rounds) for i in range(len(steps)) if step < steps[i]
    ]


@pytest.mark.parametrize("delay", [0, -1, -0.5])
def test_sleep_0_lets_every_other_ready_task_run_once(delay: float) -> None:
    """Negative delays count as 0, as in asyncio: the same rule holds for them."""
    log: list[str] = []

    async def other(name: str) -> None:
        for _ in range(3):
            log.append(name)
            await sleep(0)

    async def main() -> None:
        tasks = [spawn(other(name)) for name in "abc"]
        await sleep(0)  # a, b and c each take a step here
        log.append("main")
        await sleep(delay)
        log.append("main")
        for task in tasks:
            await task.join()

    run(main())
    assert log[: log.index("main")] == ["a", "b", "c"]
    first, second = (i for i, name in enumerate(log) if name == "main")
    assert sorted(log[first + 1 : second]) == ["a", "b", "c"]


def test_sleep_nan_raises_value_error() -> None:
    async def main() -> None:
        await sleep(float("nan"))

    with pytest.raises(ValueError, match=r"^Invalid delay: NaN \(not a number\)$"):
        run(main())


# --- Timers ---------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=4), min_size=1, max_size=10))
def test_timers_fire_in_deadline_order_and_ties_first_come(delays: list[int]) -> None:
    clock = FakeClock()
    woken: list[int] = []

    async def sleeper(i: int) -> None:
        await sleep(delays[i])
        woken.append(i)

    async def main() -> None:
        tasks = [spawn(sleeper(i)) for i in range(len(delays))]
        await sleep(0)  # every sleeper is on the heap now, all deadlines measured from 0
        clock.now = 10.0
        for task in tasks:
            await task.join()

    Kernel(clock=clock).run(main())
    # sorted() is stable: equal delays keep the order of the indices, the order of spawn().
    assert woken == sorted(range(len(delays)), key=lambda i: delays[i])


def test_a_timer_fires_only_when_its_deadline_has_passed() -> None:
    clock = FakeClock()
    woken: list[float] = []
    kernel = Kernel(clock=clock)

    async def sleeper(delay: float) -> None:
        await sleep(delay)
        woken.append(delay)

    async def main() -> None:
        tasks = [spawn(sleeper(delay)) for delay in (3.0, 1.0, 2.0)]
        await sleep(0)
        clock.now = 2.0  # 1.0 and 2.0 are due; 3.0 is not
        await sleep(0)  # the turn that wakes them ...
        await sleep(0)  # ... and the one that runs them
        assert woken == [1.0, 2.0]
        assert kernel.census().timers == 1
        clock.now = 3.0
        for task in tasks:
            await task.join()

    kernel.run(main())
    assert woken == [1.0, 2.0, 3.0]


def test_sleep_on_the_real_clock_lasts_at_least_the_delay() -> None:
    async def main() -> float:
        start = time.monotonic()
        await sleep(0.005)
        return time.monotonic() - start

    assert run(main()) >= 0.005


def test_cancelled_sleeps_leave_the_timer_heap() -> None:
    """Dead entries are purged once they are most of the heap (asyncio compacts its heap so)."""
    kernel = Kernel(clock=FakeClock())
    cancelled, kept = 10_000, 10

    async def main() -> list[int]:
        sleepers = [spawn(forever()) for _ in range(cancelled + kept)]
        await sleep(0)
        sizes = [kernel.census().timers]
        for task in sleepers[:cancelled]:
            task.cancel()
        sizes.append(kernel.census().timers)
        for task in sleepers[:cancelled]:
            with pytest.raises(TaskCancelled):
                await task.join()
        sizes.append(kernel.census().timers)
        for task in sleepers[cancelled:]:
            task.cancel()
        return sizes

    sizes = kernel.run(main())
    assert sizes[0] == cancelled + kept
    # At most as many dead entries as live ones, or a hundred, whichever is more.
    assert sizes[1] <= kept + max(kept, 100)
    assert sizes[2] <= kept + max(kept, 100)
    assert kernel.census() == CLEAN


# --- join -----------------------------------------------------------------------------------------


def test_join_returns_results_and_raises_exceptions() -> None:
    error = Boom("child failed")

    async def square(n: int) -> int:
        await sleep(0)
        return n * n

    async def failing() -> None:
        await sleep(0)
        raise error

    async def main() -> None:
        tasks = [spawn(square(n)) for n in range(5)]
        bad = spawn(failing())
        assert [await task.join() for task in tasks] == [n * n for n in range(5)]
        with pytest.raises(Boom) as caught:
            await bad.join()
        assert caught.value is error
        # Joining again, or asking a finished task, gives the same outcome without waiting.
        assert await tasks[3].join() == 9
        assert tasks[3].result() == 9
        with pytest.raises(Boom):
            bad.result()

    run(main())


def test_joining_a_failed_task_again_does_not_grow_its_traceback() -> None:
    """Each join re-raises the task's exception with the traceback it ended with, as asyncio does.

    Raising the same exception object again would add the frames of every join to it.
    """

    async def failing() -> None:
        await sleep(0)
        raise Boom("once")

    async def main() -> list[int]:
        task = spawn(failing())
        depths = []
        for _ in range(4):
            with pytest.raises(Boom) as caught:
                await task.join()
            depths.append(len(traceback.extract_tb(caught.value.__traceback__)))
        with pytest.raises(Boom) as caught:
            task.result()
        depths.append(len(traceback.extract_tb(caught.value.__traceback__)) + 1)  # no join()
        return depths

    depths = run(main())
    assert depths == [depths[0]] * 5, depths


def test_several_tasks_join_the_same_task() -> None:
    async def slow() -> str:
        for _ in range(3):
            await sleep(0)
        return "done"

    async def joiner(task: Task[str]) -> str:
        return await task.join()

    async def main() -> list[str]:
        target = spawn(slow())
        joiners = [spawn(joiner(target)) for _ in range(3)]
        return [await task.join() for task in joiners]

    assert run(main()) == ["done"] * 3


def test_result_of_an_unfinished_task_raises() -> None:
    async def main() -> None:
        task = spawn(unstarted())
        assert not task.done()
        with pytest.raises(RuntimeError, match="has not finished yet"):
            task.result()
        assert await task.join() == "never runs"
        assert task.done()

    run(main())


def test_a_task_joining_itself_gets_runtime_error() -> None:
    async def main() -> str:
        me = current_task()
        with pytest.raises(RuntimeError) as error:
            await me.join()
        return str(error.value)

    # asyncio's message for the same mistake is "Task cannot await on itself: <Task ...>".
    assert run(main()).startswith("Task cannot join itself: <Task ")


def test_joining_a_task_of_another_kernel_raises() -> None:
    handed_over: list[Task[Any]] = []
    parked = threading.Event()
    release = threading.Event()

    async def stuck() -> None:
        parked.set()
        while not release.is_set():
            await sleep(0.001)

    async def owner() -> None:
        handed_over.append(spawn(stuck()))
        await handed_over[0].join()

    thread = threading.Thread(target=run, args=(owner(),))
    thread.start()
    try:
        assert parked.wait(5)

        async def main() -> None:
            with pytest.raises(RuntimeError, match="belongs to another kernel"):
                await handed_over[0].join()

        run(main())
    finally:
        release.set()
        thread.join(5)
    assert not thread.is_alive()


def test_tasks_waiting_for_each_other_are_a_deadlock() -> None:
    cleaned: list[str] = []

    async def partner(main_task: Task[None]) -> None:
        try:
            await main_task.join()
        finally:
            cleaned.append("partner")

    async def main() -> None:
        await spawn(partner(current_task())).join()

    kernel = Kernel()
    with pytest.raises(RuntimeError, match=r"^deadlock: 2 unfinished tasks all wait"):
        kernel.run(main())
    assert cleaned == ["partner"]  # cancelled on the way out, like every unfinished task
    assert kernel.census() == CLEAN


def test_awaiting_something_that_is_not_a_trap_fails_in_the_task() -> None:
    @types.coroutine
    def alien() -> Generator[str, None, None]:
        yield "what asyncio would not understand either"

    async def main() -> str:
        with pytest.raises(RuntimeError) as error:
            await alien()
        return str(error.value)

    assert run(main()) == "Task got bad yield: 'what asyncio would not understand either'"


# --- Cancellation ---------------------------------------------------------------------------------


def test_task_cancelled_is_not_an_exception() -> None:
    assert issubclass(TaskCancelled, BaseException)
    assert not issubclass(TaskCancelled, Exception)


def test_cancel_a_sleeping_task() -> None:
    log: list[str] = []
    kernel = Kernel()

    async def sleeper() -> None:
        try:
            await sleep(3600)
        except Exception:  # does not catch TaskCancelled, which is the point
            log.append("caught by except Exception")
        finally:
            log.append("finally")

    async def main() -> None:
        task = spawn(sleeper())
        await sleep(0)
        assert kernel.census().timers == 1
        assert task.cancel() is True
        with pytest.raises(TaskCancelled):
            await task.join()
        assert task.cancelled()

    start = time.monotonic()
    kernel.run(main())
    assert time.monotonic() - start < 60  # not an hour
    assert log == ["finally"]
    assert kernel.census() == CLEAN


def test_cancel_a_task_waiting_on_a_socket() -> None:
    kernel = Kernel()
    reader, writer = socket.socketpair()
    with reader, writer:
        reader.setblocking(False)

        async def receiver() -> bytes:
            return await sock_recv(reader, 100)

        async def main() -> None:
            task = spawn(receiver())
            await sleep(0)
            assert kernel.census().registered == 1
            task.cancel()
            assert kernel.census().registered == 0  # unregistered at once, not later
            with pytest.raises(TaskCancelled):
                await task.join()

        kernel.run(main())
    assert kernel.census() == CLEAN


def test_cancel_a_task_waiting_through_its_sockets_watch() -> None:
    """After a recv() that emptied the buffer, sock_recv waits first, on the socket's own watch."""
    kernel = Kernel()
    reader, writer = socket.socketpair()
    with reader, writer:
        reader.setblocking(False)
        received: list[bytes] = []

        async def receiver() -> None:
            while True:
                received.append(await sock_recv(reader, 100))

        async def main() -> None:
            writer.sendall(b"one")
            task = spawn(receiver())
            while not received:
                await sleep(0)
            await sleep(0)  # recv() failed, and the receiver waits: its socket gets a watch
            watch = kernel._watches[reader.fileno()]
            assert watch.reader is task
            assert kernel._watches[reader.fileno()].drained is False
            writer.sendall(b"two")
            while len(received) < 2:
                await sleep(0)
            await sleep(0)  # this time it waits first, through the same watch
            assert watch.drained
            assert watch.reader is task
            assert kernel._watches[reader.fileno()] is watch
            task.cancel()
            assert kernel.census().registered == 0  # unregistered at once
            with pytest.raises(TaskCancelled):
                await task.join()

        kernel.run(main())
        assert received == [b"one", b"two"]
    assert kernel.census() == CLEAN


def test_a_yield_trap_yields_its_request_at_each_await() -> None:
    request = traps.Sleep(1.0)
    trap = traps.Yield((request,))

    async def twice() -> str:
        await trap
        await trap
        return "done"

    coro = twice()
    assert coro.send(None) is request
    assert coro.send(None) is request
    with pytest.raises(StopIteration) as stop:
        coro.send(None)
    assert stop.value.value == "done"
    coro = twice()
    coro.send(None)
    with pytest.raises(KeyError):
        coro.throw(KeyError("thrown"))  # raised at the await, as a cancellation is


def test_cancel_a_task_waiting_in_join() -> None:
    async def target() -> str:
        for _ in range(5):
            await sleep(0)
        return "target finished"

    async def waiter(task: Task[str]) -> str:
        return await task.join()

    async def main() -> str:
        slow = spawn(target())
        joining = spawn(waiter(slow))
        await sleep(0)  # joining is parked in slow.join() now
        joining.cancel()
        with pytest.raises(TaskCancelled):
            await joining.join()
        assert not slow.done()  # cancelling the joiner leaves the joined task alone
        return await slow.join()

    assert run(main()) == "target finished"


def test_cancel_a_task_before_it_starts() -> None:
    started: list[bool] = []

    async def child() -> None:
        started.append(True)

    async def main() -> None:
        task = spawn(child())
        task.cancel()
        with pytest.raises(TaskCancelled):
            await task.join()

    run(main())
    assert started == []  # the body never ran; and no "never awaited" warning either


def test_a_task_that_cancels_itself_stops_at_its_next_suspension() -> None:
    log: list[str] = []

    async def child() -> None:
        assert current_task().cancel() is True
        log.append("still running until it suspends")
        await sleep(0)
        log.append("never")

    async def main() -> None:
        with pytest.raises(TaskCancelled):
            await spawn(child()).join()

    run(main())
    assert log == ["still running until it suspends"]


def test_a_task_cancelled_while_running_is_not_parked() -> None:
    """Cancelled before it reaches a wait, it gets TaskCancelled at that wait, at once."""

    async def child() -> None:
        current_task().cancel()
        await sleep(3600)

    async def main() -> None:
        with pytest.raises(TaskCancelled):
            await spawn(child()).join()

    kernel = Kernel()
    kernel.run(main())
    assert kernel.census() == CLEAN


def test_cancelling_a_finished_task_does_nothing() -> None:
    async def main() -> None:
        task = spawn(unstarted())
        await task.join()
        assert task.cancel() is False
        assert not task.cancelled()
        assert await task.join() == "never runs"

    run(main())


def test_a_cancelled_task_can_clean_up_with_awaits_and_reraise() -> None:
    log: list[str] = []

    async def child() -> None:
        try:
            await forever()
        except TaskCancelled:
            log.append("cancelled")
            await sleep(0)  # cleanup may await
            log.append("cleaned up")
            raise

    async def main() -> None:
        task = spawn(child())
        await sleep(0)
        task.cancel()
        task.cancel()  # a second request before the first is delivered changes nothing
        with pytest.raises(TaskCancelled):
            await task.join()

    run(main())
    assert log == ["cancelled", "cleaned up"]


def test_a_task_that_swallows_the_cancellation_finishes_normally() -> None:
    async def stubborn() -> str:
        try:
            await forever()
        except TaskCancelled:
            return "returned anyway"

    async def main() -> None:
        task = spawn(stubborn())
        await sleep(0)
        assert task.cancel()
        assert await task.join() == "returned anyway"
        assert not task.cancelled()

    run(main())


def test_a_task_that_finishes_before_it_sees_its_cancellation_is_not_cancelled() -> None:
    """Unlike asyncio, which marks such a task cancelled: here the outcome is what the task did."""

    async def child() -> int:
        current_task().cancel()
        return 5

    async def main() -> None:
        task = spawn(child())
        assert await task.join() == 5
        assert not task.cancelled()

    run(main())


# --- Nothing left behind --------------------------------------------------------------------------


@pytest.mark.parametrize("ending", ["return", "raise", "KeyboardInterrupt"])
def test_run_cancels_and_awaits_what_is_left(ending: str) -> None:
    """However main ends, tasks left sleeping, reading, joining or not started are cancelled."""
    reader, writer = socket.socketpair()
    with reader, writer:
        reader.setblocking(False)
        cleaned: list[str] = []
        left: list[Task[Any]] = []

        async def guarded(name: str, waiting: Callable[[], Coroutine[Any, Any, object]]) -> None:
            try:
                await waiting()
            finally:
                cleaned.append(name)

        async def interrupt() -> None:
            raise KeyboardInterrupt

        async def main() -> str:
            sleeper = spawn(guarded("sleeper", forever))
            left.append(sleeper)
            left.append(spawn(guarded("reader", lambda: sock_recv(reader, 100))))
            left.append(spawn(guarded("joiner", sleeper.join)))
            await sleep(0)  # all three are parked now
            if ending == "KeyboardInterrupt":
                # From a task other than main: it stops the loop all the same, as in asyncio,
                # before the next task in the queue has started.
                interrupter = spawn(interrupt())
            left.append(spawn(guarded("unstarted", forever)))
            if ending == "raise":
                raise Boom("main failed")
            if ending == "KeyboardInterrupt":
                await interrupter.join()
            return "main done"

        kernel = Kernel()
        if ending == "return":
            assert kernel.run(main()) == "main done"
        else:
            with pytest.raises(Boom if ending == "raise" else KeyboardInterrupt):
                kernel.run(main())
        assert cleaned == ["sleeper", "reader", "joiner"]  # cancelled in the order of spawn
        assert [task.cancelled() for task in left] == [True] * 4
        assert kernel.census() == CLEAN
        assert kernel.unfinished() == []


def test_a_task_spawned_by_cleanup_code_is_cancelled_too() -> None:
    log: list[str] = []
    late: list[Task[None]] = []

    async def child() -> None:
        try:
            await forever()
        finally:
            late.append(spawn(forever()))
            await sleep(0)
            log.append("cleanup finished")

    async def main() -> None:
        spawn(child())
        await sleep(0)

    kernel = Kernel()
    kernel.run(main())
    assert log == ["cleanup finished"]
    assert late[0].cancelled()  # cancelled by the shutdown's next round, before it started
    assert kernel.census() == CLEAN


def test_unfinished_lists_tasks_in_spawn_order() -> None:
    kernel = Kernel()

    async def main() -> list[str]:
        tasks = [spawn(forever()) for _ in range(3)]
        await sleep(0)
        tasks[1].cancel()
        await sleep(0)
        return [repr(task) for task in kernel.unfinished()]

    names = kernel.run(main())
    assert names == [
        "<Task main() running>",
        "<Task forever() pending>",
        "<Task forever() pending>",
    ]


# --- Exceptions nobody sees -----------------------------------------------------------------------


def test_an_exception_never_joined_warns_when_the_task_is_collected() -> None:
    async def failing() -> None:
        raise Boom("nobody listens")

    async def main() -> None:
        spawn(failing())
        await sleep(0)

    def run_and_collect() -> None:
        run(main())
        gc.collect()  # the task sits in a reference cycle (through its exception's traceback)

    with pytest.warns(RuntimeWarning, match=r"Boom\('nobody listens'\).*never retrieved"):
        run_and_collect()


@pytest.mark.parametrize("case", ["joined", "cancelled"])
def test_no_warning_for_a_joined_or_cancelled_task(case: str) -> None:
    async def failing() -> None:
        raise Boom("seen")

    async def main() -> None:
        task = spawn(forever() if case == "cancelled" else failing())
        await sleep(0)
        if case == "cancelled":
            task.cancel()
            await sleep(0)
        else:
            with pytest.raises(Boom):
                await task.join()

    run(main())
    gc.collect()  # a warning would be an error here


# --- Ctrl-C --------------------------------------------------------------------------------------


@pytest.fixture
def default_sigint() -> None:
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signal handlers can only be set in the main thread")
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.usefixtures("default_sigint")
def test_ctrl_c_in_a_busy_task_is_raised_by_the_kernel_between_turns() -> None:
    log: list[str] = []

    async def busy() -> None:
        signal.raise_signal(signal.SIGINT)  # Python's own handler would raise right here
        log.append("noted, not raised")
        await sleep(0)
        log.append("never: the kernel stopped before this turn")

    async def bystander() -> None:
        log.append("the rest of the turn runs")
        await forever()

    async def main() -> None:
        spawn(busy())
        spawn(bystander())
        await forever()

    kernel = Kernel()
    with pytest.raises(KeyboardInterrupt):
        kernel.run(main())
    assert log == ["noted, not raised", "the rest of the turn runs"]
    assert kernel.census() == CLEAN
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back


@pytest.mark.usefixtures("default_sigint")
def test_a_second_ctrl_c_raises_at_once() -> None:
    log: list[str] = []

    async def stubborn() -> None:
        signal.raise_signal(signal.SIGINT)
        log.append("first noted")
        try:
            signal.raise_signal(signal.SIGINT)
        except KeyboardInterrupt:
            log.append("second raised at once")
            raise

    kernel = Kernel()
    with pytest.raises(KeyboardInterrupt):
        kernel.run(stubborn())
    assert log == ["first noted", "second raised at once"]
    assert kernel.census() == CLEAN


@pytest.mark.usefixtures("default_sigint")
def test_ctrl_c_while_the_kernel_waits_on_sockets() -> None:
    parked = threading.Event()
    cleaned: list[str] = []
    reader, writer = socket.socketpair()
    with reader, writer:
        reader.setblocking(False)

        async def main() -> None:
            try:
                parked.set()
                await sock_recv(reader, 1)  # nothing ever comes: the kernel blocks in select()
            finally:
                cleaned.append("main")

        def interrupt() -> None:
            assert parked.wait(5)
            signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)

        helper = threading.Thread(target=interrupt)
        helper.start()
        kernel = Kernel()
        try:
            with pytest.raises(KeyboardInterrupt):
                kernel.run(main())
        finally:
            helper.join(5)
    assert cleaned == ["main"]
    assert kernel.census() == CLEAN


@pytest.mark.usefixtures("default_sigint")
@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="needs pthread_sigmask")
def test_ctrl_c_wakes_a_blocked_kernel_even_when_the_poll_misses_the_signal() -> None:
    """The kernel's wakeup descriptor wakes its poll for a signal the poll itself never sees.

    A signal that comes just before ``epoll_wait()`` (after Python's last look at its notes)
    does not interrupt the call: that instant cannot be hit on purpose, but the same thing
    happens, every time, when the main thread blocks SIGINT and another thread takes it. If
    nothing woke the kernel, the helper thread would after 5 s, by sending data: the test
    checks that it never had to.
    """
    parked = threading.Event()
    woken_by_data: list[bool] = []
    reader, writer = socket.socketpair()
    with reader, writer:
        reader.setblocking(False)

        async def main() -> None:
            parked.set()
            await sock_recv(reader, 1)  # nothing comes unless the fallback below sends it

        def interrupt() -> None:
            assert parked.wait(5)
            os.kill(os.getpid(), signal.SIGINT)  # taken by this thread: the main one blocks it
            if not done.wait(5):
                woken_by_data.append(True)
                writer.send(b"!")

        done = threading.Event()
        helper = threading.Thread(target=interrupt)
        helper.start()  # before the block: a thread starts with its creator's signal mask
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            kernel = Kernel()
            with pytest.raises(KeyboardInterrupt):
                kernel.run(main())
        finally:
            done.set()
            helper.join(10)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    assert woken_by_data == []
    assert kernel.census() == CLEAN
    assert signal.set_wakeup_fd(-1) == -1  # the wakeup descriptor was put back


@pytest.mark.usefixtures("default_sigint")
def test_a_custom_sigint_handler_is_left_alone() -> None:
    received: list[int] = []

    def handler(signum: int, frame: types.FrameType | None) -> None:
        received.append(signum)

    async def main() -> str:
        signal.raise_signal(signal.SIGINT)
        await sleep(0)
        return "not interrupted"

    signal.signal(signal.SIGINT, handler)
    try:
        assert run(main()) == "not interrupted"
        assert signal.getsignal(signal.SIGINT) is handler
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    assert received == [signal.SIGINT]


# --- How the kernel is built ----------------------------------------------------------------------


def test_only_the_traps_module_yields() -> None:
    """Every yield of the loop is in traps.py; the rest is async def (the stages stand apart)."""
    package = Path(loop_package.__file__).parent
    yielding = set()
    for path in package.glob("*.py"):
        if path.name.startswith("stage"):
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Yield | ast.YieldFrom) or (
                isinstance(node, ast.Attribute) and node.attr == "coroutine"
            ):
                yielding.add(path.name)
    assert yielding == {"traps.py"}


REAL_NEW_POLLER = kernel_module._new_poller


class CountingPoller:
    """A kernel's own poller, with its calls recorded: each poll's timeout, and the changes.

    The changes include the kernel's own wakeup socket when it handles Ctrl-C.
    """

    polls: ClassVar[list[float | None]] = []
    changes: ClassVar[list[tuple[str, int]]] = []  # (call, descriptor)

    def __init__(self) -> None:
        self._poller = REAL_NEW_POLLER()

    def poll(self, timeout: float | None = None, maxevents: int = -1) -> list[tuple[int, int]]:
        self.polls.append(timeout)
        result: list[tuple[int, int]] = self._poller.poll(timeout, maxevents)
        return result

    def register(self, fd: int, mask: int) -> None:
        self.changes.append(("register", fd))
        self._poller.register(fd, mask)

    def modify(self, fd: int, mask: int) -> None:
        self.changes.append(("modify", fd))
        self._poller.modify(fd, mask)

    def unregister(self, fd: int) -> None:
        self.changes.append(("unregister", fd))
        self._poller.unregister(fd)

    def close(self) -> None:
        self._poller.close()


@pytest.fixture
def counting_poller(monkeypatch: pytest.MonkeyPatch) -> type[CountingPoller]:
    monkeypatch.setattr(CountingPoller, "polls", [])
    monkeypatch.setattr(CountingPoller, "changes", [])
    monkeypatch.setattr(kernel_module, "_new_poller", CountingPoller)
    return CountingPoller


@pytest.fixture
def select_calls(counting_poller: type[CountingPoller]) -> list[float | None]:
    return counting_poller.polls


async def spinner(steps: int, log: list[str] | None = None) -> None:
    for _ in range(steps):
        if log is not None:
            log.append("spin")
        await sleep(0)


def test_switching_tasks_makes_no_select_call(select_calls: list[float | None]) -> None:
    async def main() -> None:
        for task in [spawn(spinner(100)) for _ in range(3)]:
            await task.join()

    run(main())
    assert select_calls == []


def test_sockets_are_polled_once_per_turn_while_tasks_are_ready(
    select_calls: list[float | None],
) -> None:
    """A socket is polled, without blocking, in each turn in which a task waits on it."""
    log: list[str] = []
    reader, writer = socket.socketpair()
    with reader, writer:
        reader.setblocking(False)

        async def receive() -> None:
            await sock_recv(reader, 10)
            log.append("received")

        async def main() -> None:
            receiving = spawn(receive())
            spinners = [spawn(spinner(50, log)) for _ in range(4)]
            await sleep(0)  # turn 2: receive() parks on the socket, the spinners spin once
            writer.send(b"x")
            for task in [receiving, *spinners]:
                await task.join()

        run(main())
    # Turn 3 starts with a select(0), which finds the data: receive() is woken, behind the
    # spinners that were ready already. One select() call in all, since the socket was
    # registered for that one turn; with 200 task switches.
    assert log[:9] == ["spin"] * 8 + ["received"]
    assert select_calls == [0]


def test_a_socket_stays_registered_while_its_task_keeps_waiting_on_it(
    counting_poller: type[CountingPoller],
) -> None:
    """A ping-pong of 100 messages registers each socket once, and unregisters it once."""
    left, right = socket.socketpair()
    ours = {left.fileno(), right.fileno()}
    with left, right:
        left.setblocking(False)
        right.setblocking(False)

        async def pong() -> None:
            while data := await sock_recv(right, 100):
                await sock_sendall(right, data)

        async def main() -> list[bytes]:
            ponger = spawn(pong())
            replies = []
            for number in range(100):
                await sock_sendall(left, b"%d" % number)
                replies.append(await sock_recv(left, 100))
            left.shutdown(socket.SHUT_WR)
            await ponger.join()
            return replies

        assert run(main()) == [b"%d" % number for number in range(100)]
    calls = sorted(call for call, fd in counting_poller.changes if fd in ours)
    assert calls == ["register"] * 2 + ["unregister"] * 2
