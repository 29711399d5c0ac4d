"""Tests for :mod:`companion.structured`: the supervisor, drain, signal handlers and the server.

Every scenario runs on the virtual clock (:func:`companion.virtualtime.run`) through
:func:`checked`, which fails the test if the loop reports an error nobody expected or if a task
is still pending when the scenario ends: "nothing leaks" is checked, not assumed. Sockets left
open would raise :exc:`ResourceWarning`, which the test configuration turns into errors.
Signals are sent to the test process itself, only while a handler is installed.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import os
import signal
import weakref
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import pytest

from companion import structured
from companion.structured import Drained, Supervisor, drain, on_signals, serve_until
from companion.virtualtime import run

T = TypeVar("T")


def checked(scenario: Callable[[], Coroutine[Any, Any, T]], *, reports: int = 0) -> T:
    """Run *scenario* on a virtual clock; fail if tasks are left or the loop reports errors."""
    reported: list[dict[str, Any]] = []

    async def main() -> T:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda _, context: reported.append(context))
        result = await scenario()
        gc.collect()  # a task whose owner forgot it would be reported now
        await asyncio.sleep(0)
        left = asyncio.all_tasks() - {asyncio.current_task()}
        assert not left, f"tasks left pending: {left}"
        return result

    result = run(main())
    assert len(reported) == reports, reported
    return result


def now() -> float:
    return asyncio.get_running_loop().time()


async def forever() -> None:
    await asyncio.Event().wait()


# --- Supervisor ---------------------------------------------------------------------------


def test_supervisor_keeps_a_reference_to_its_tasks() -> None:
    async def scenario() -> bool:
        done = asyncio.Event()
        finished: list[str] = []

        async def job() -> None:
            await done.wait()
            finished.append("job")

        async with Supervisor() as supervisor:
            watcher = weakref.ref(supervisor.spawn(job()))
            gc.collect()
            assert watcher() is not None  # no reference of ours: the supervisor's keeps it
            done.set()
            await asyncio.sleep(0)
            await asyncio.sleep(0)
        return finished == ["job"]

    assert checked(scenario)


def test_a_failure_is_recorded_reported_and_leaves_the_others_running() -> None:
    async def scenario() -> list[Any]:
        seen: list[Any] = []

        async def fails() -> None:
            await asyncio.sleep(1)
            raise ValueError("boom")

        async def ticks() -> None:
            while True:
                await asyncio.sleep(1)
                seen.append(("tick", now()))

        def on_error(task: asyncio.Task[Any], error: BaseException) -> None:
            seen.append((task.get_name(), repr(error), now()))

        async with Supervisor(on_error=on_error) as supervisor:
            supervisor.spawn(fails(), name="fails")
            supervisor.spawn(ticks(), name="ticks")
            await asyncio.sleep(2.5)
            assert [task.get_name() for task in supervisor.tasks] == ["ticks"]
        seen.append([repr(error) for error in supervisor.failures])
        return seen

    # The failure is retrieved: the loop reports nothing ("never retrieved" would count).
    assert checked(scenario) == [
        ("tick", 1.0),  # both woke at 1.0; the done callback runs after the steps
        ("fails", "ValueError('boom')", 1.0),
        ("tick", 2.0),
        ["ValueError('boom')"],
    ]


def test_close_cancels_and_waits_for_the_cleanup() -> None:
    async def scenario() -> list[str]:
        events: list[str] = []

        async def slow_cleanup() -> None:
            try:
                await forever()
            finally:
                await asyncio.sleep(3)  # a cleanup that takes time
                events.append(f"cleaned at {now()}")

        supervisor = Supervisor()
        supervisor.spawn(slow_cleanup())
        await asyncio.sleep(0)
        await supervisor.aclose()
        events.append(f"closed at {now()}")
        return events

    assert checked(scenario) == ["cleaned at 3.0", "closed at 3.0"]


def test_close_cancelled_keeps_waiting_then_reraises() -> None:
    async def scenario() -> list[str]:
        events: list[str] = []

        async def slow_cleanup() -> None:
            try:
                await forever()
            finally:
                await asyncio.sleep(3)
                events.append(f"cleaned at {now()}")

        supervisor = Supervisor()
        supervisor.spawn(slow_cleanup())
        closing = asyncio.create_task(supervisor.aclose())
        await asyncio.sleep(1)
        closing.cancel()
        try:
            await closing
        except asyncio.CancelledError:
            events.append(f"close cancelled, ended at {now()}")
        return events

    assert checked(scenario) == ["cleaned at 3.0", "close cancelled, ended at 3.0"]


def test_a_task_that_spawns_as_it_is_cancelled_is_refused() -> None:
    async def scenario() -> list[str]:
        supervisor = Supervisor()
        refused: list[str] = []

        async def respawns() -> None:
            try:
                await forever()
            finally:
                try:
                    supervisor.spawn(forever())
                except RuntimeError as error:
                    refused.append(str(error))

        supervisor.spawn(respawns())
        await asyncio.sleep(0)
        await supervisor.aclose()
        return refused

    assert checked(scenario) == ["<Supervisor closed tasks=1 failures=0> is closed"]


def test_spawn_after_close_raises_and_closes_the_coroutine() -> None:
    async def scenario() -> bool:
        supervisor = Supervisor()
        await supervisor.aclose()
        coro = forever()
        with pytest.raises(RuntimeError, match="is closed"):
            supervisor.spawn(coro)
        return inspect.getcoroutinestate(coro) == inspect.CORO_CLOSED

    assert checked(scenario)


def test_spawn_without_a_running_loop_raises_and_closes_the_coroutine() -> None:
    coro = forever()
    with pytest.raises(RuntimeError, match="no running event loop"):
        Supervisor().spawn(coro)
    assert inspect.getcoroutinestate(coro) == inspect.CORO_CLOSED


def test_the_block_closes_the_supervisor_when_the_body_raises() -> None:
    async def scenario() -> tuple[int, str]:
        supervisor = Supervisor()

        async def body() -> None:
            async with supervisor:
                supervisor.spawn(forever())
                await asyncio.sleep(1)
                raise KeyError("body")

        with pytest.raises(KeyError):
            await body()
        return len(supervisor.tasks), repr(supervisor)

    assert checked(scenario) == (0, "<Supervisor closed tasks=0 failures=0>")


# --- drain ----------------------------------------------------------------------------------


def test_drain_counts_finished_and_cancelled_tasks() -> None:
    async def scenario() -> tuple[Drained, float, list[bool]]:
        tasks = [asyncio.create_task(asyncio.sleep(seconds)) for seconds in (1, 2, 10)]
        drained = await drain(tasks, 5)
        return drained, now(), [task.cancelled() for task in tasks]

    assert checked(scenario) == (Drained(finished=2, cancelled=1), 5.0, [False, False, True])


def test_drain_without_a_timeout_and_with_nothing() -> None:
    async def scenario() -> tuple[Drained, Drained, float]:
        tasks = [asyncio.create_task(asyncio.sleep(seconds)) for seconds in (1, 7)]
        return await drain(tasks, None), await drain([], 1), now()

    assert checked(scenario) == (Drained(2, 0), Drained(0, 0), 7.0)


def test_drain_waits_for_a_cancelled_task_to_clean_up() -> None:
    async def scenario() -> tuple[Drained, float]:
        async def slow_cleanup() -> None:
            try:
                await forever()
            finally:
                await asyncio.sleep(2)

        drained = await drain([asyncio.create_task(slow_cleanup())], 1)
        return drained, now()

    assert checked(scenario) == (Drained(0, 1), 3.0)


def test_drain_cancelled_cancels_every_task_and_waits() -> None:
    async def scenario() -> tuple[list[bool], float]:
        async def slow_cleanup() -> None:
            try:
                await forever()
            finally:
                await asyncio.sleep(2)

        tasks = [asyncio.create_task(slow_cleanup()), asyncio.create_task(asyncio.sleep(1))]
        draining = asyncio.create_task(drain(tasks, 100))
        await asyncio.sleep(5)
        draining.cancel()
        with pytest.raises(asyncio.CancelledError):
            await draining
        return [task.cancelled() for task in tasks], now()

    # The short sleep ended on its own at 1.0; the other was cancelled at 5 and cleaned up by 7.
    assert checked(scenario) == ([True, False], 7.0)


def test_drain_refuses_a_negative_timeout() -> None:
    async def scenario() -> None:
        with pytest.raises(ValueError, match="timeout must be >= 0 or None, got -1"):
            await drain([], -1)

    checked(scenario)


# --- on_signals -----------------------------------------------------------------------------


def test_on_signals_calls_back_in_the_loop_and_restores_the_previous_handler() -> None:
    def previous(signum: int, frame: object) -> None:
        raise AssertionError("the previous handler should not run")

    old = signal.signal(signal.SIGUSR1, previous)
    try:

        async def scenario() -> list[signal.Signals]:
            received: list[signal.Signals] = []
            arrived = asyncio.Event()

            def callback(signum: signal.Signals) -> None:
                received.append(signum)
                arrived.set()

            with on_signals(callback, [signal.SIGUSR1, signal.SIGUSR2]):
                os.kill(os.getpid(), signal.SIGUSR2)
                await arrived.wait()
            return received

        assert checked(scenario) == [signal.SIGUSR2]
        assert signal.getsignal(signal.SIGUSR1) is previous
    finally:
        signal.signal(signal.SIGUSR1, old)


def test_on_signals_needs_a_signal_and_a_loop() -> None:
    async def scenario() -> None:
        with pytest.raises(ValueError, match="at least one signal"), on_signals(print, []):
            pass

    checked(scenario)
    with pytest.raises(RuntimeError, match="no running event loop"), on_signals(print):
        pass


def test_on_signals_restores_on_an_exception() -> None:
    async def scenario() -> None:
        before = signal.getsignal(signal.SIGTERM)
        with pytest.raises(KeyError), on_signals(print, [signal.SIGTERM]):
            raise KeyError
        assert signal.getsignal(signal.SIGTERM) is before

    checked(scenario)


# --- serve_until ----------------------------------------------------------------------------

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def echo_after(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Reply 'working', then wait for the request's number of seconds, or forever for '-'."""
    request = (await reader.readline()).decode().strip()
    writer.write(b"working\n")
    try:
        if request == "-":
            await forever()
        await asyncio.sleep(float(request))
        writer.write(b"done\n")
    except asyncio.CancelledError:
        writer.write(b"cancelled\n")
        raise


async def start(handler: Handler, grace: float) -> tuple[asyncio.Event, asyncio.Task[Drained], int]:
    stop = asyncio.Event()
    port: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    server = asyncio.create_task(serve_until(stop, handler, grace=grace, ready=port.set_result))
    return stop, server, await port


async def ask(port: int, request: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"{request}\n".encode())
    assert await reader.readline() == b"working\n"
    return reader, writer


async def rest_of(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bytes:
    try:
        return await reader.read()
    finally:
        writer.close()
        await writer.wait_closed()


def test_serve_until_drains_then_cancels_and_refuses_new_connections() -> None:
    async def scenario() -> tuple[Drained, list[bytes], str]:
        # Real time (sockets are open): a grace 40 times the quick request's 0.05 s, so that
        # a stall of a busy machine cannot make it miss the deadline.
        stop, server, port = await start(echo_after, grace=2)
        clients = [await ask(port, request) for request in ["0.05", "-"]]
        stop.set()
        drained = await server
        replies = [await rest_of(*client) for client in clients]
        try:
            await asyncio.open_connection("127.0.0.1", port)
        except ConnectionRefusedError as error:
            refused = type(error).__name__
        return drained, replies, refused

    assert checked(scenario) == (
        Drained(finished=1, cancelled=1),
        [b"done\n", b"cancelled\n"],
        "ConnectionRefusedError",
    )


def test_serve_until_with_no_connection() -> None:
    async def scenario() -> Drained:
        stop, server, _ = await start(echo_after, grace=1)
        stop.set()
        return await server

    assert checked(scenario) == Drained(0, 0)


def test_a_failing_handler_is_reported_and_its_connection_closed() -> None:
    async def broken(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readline()
        raise ValueError("handler bug")

    async def scenario() -> tuple[bytes, Drained]:
        stop, server, port = await start(broken, grace=1)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"hello\n")
        reply = await rest_of(reader, writer)  # EOF: the server closed it
        stop.set()
        return reply, await server

    assert checked(scenario, reports=1) == (b"", Drained(0, 0))


def test_cancelling_serve_until_cancels_the_connections_at_once() -> None:
    async def scenario() -> tuple[bytes, float]:
        _, server, port = await start(echo_after, grace=100)
        client = await ask(port, "-")
        started = now()
        server.cancel()
        with pytest.raises(asyncio.CancelledError):
            await server
        return await rest_of(*client), now() - started

    reply, waited = checked(scenario)
    assert reply == b"cancelled\n"
    assert waited < 100  # no grace period on cancellation


def test_module_exports() -> None:
    assert sorted(structured.__all__) == [
        "Drained",
        "Supervisor",
        "drain",
        "on_signals",
        "serve_until",
    ]


# --- cancellation at every point ----------------------------------------------------------

DELAYS = [0, 0.5, 1, 1.5, 2, 2.5, 3]
STEPS = range(6)


async def cancel_later(target: asyncio.Task[Any], delay: float, steps: int) -> None:
    """Cancel *target* after *delay* virtual seconds and then *steps* turns of the loop."""
    await asyncio.sleep(delay)
    for _ in range(steps):
        await asyncio.sleep(0)
    target.cancel()


async def worker(index: int, log: list[str]) -> None:
    log.append(f"start {index}")
    try:
        await asyncio.sleep(index)
    except asyncio.CancelledError:
        try:
            await asyncio.sleep(0.5)  # a cleanup that itself waits
        except asyncio.CancelledError:
            log.append(f"interrupted {index}")  # cancelled twice: must not happen
            raise
        log.append(f"cleaned {index}")
        raise
    log.append(f"done {index}")


def sweep(workload: Callable[[list[str]], Coroutine[Any, Any, None]]) -> None:
    """Run *workload*, cancelled at each delay and step count; check every worker's end."""

    def scenario(
        log: list[str], delay: float, steps: int
    ) -> Callable[[], Coroutine[Any, Any, None]]:
        async def main() -> None:
            target = asyncio.create_task(workload(log))
            canceller = asyncio.create_task(cancel_later(target, delay, steps))
            await asyncio.wait([target])
            canceller.cancel()
            await asyncio.wait([canceller])

        return main

    for delay in DELAYS:
        for steps in STEPS:
            log: list[str] = []
            checked(scenario(log, delay, steps))
            started = [entry.split()[1] for entry in log if entry.startswith("start")]
            ended = [entry.split()[1] for entry in log if entry.split()[0] in {"done", "cleaned"}]
            assert sorted(started) == sorted(ended), (delay, steps, log)


def test_supervisor_close_under_cancellation_at_every_point() -> None:
    async def workload(log: list[str]) -> None:
        async with Supervisor() as supervisor:
            for index in range(3):
                supervisor.spawn(worker(index, log))
            await asyncio.sleep(2)

    sweep(workload)


def test_drain_under_cancellation_at_every_point() -> None:
    async def workload(log: list[str]) -> None:
        tasks = [asyncio.create_task(worker(index, log)) for index in range(4)]
        await drain(tasks, 1.5)

    sweep(workload)


def test_serve_until_cancelled_at_every_step_leaves_nothing() -> None:
    def scenario(steps: int) -> Callable[[], Coroutine[Any, Any, bytes]]:
        async def main() -> bytes:
            _, server, port = await start(echo_after, grace=100)
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"-\n")
            for _ in range(steps):
                await asyncio.sleep(0)
            server.cancel()
            with pytest.raises(asyncio.CancelledError):
                await server
            return await rest_of(reader, writer)

        return main

    for steps in range(12):
        # Cancelled before the handler replied, or after its "working".
        assert checked(scenario(steps)) in {b"", b"working\ncancelled\n"}
