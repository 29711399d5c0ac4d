"""Tests for :mod:`companion.debugging`: the task dump, the slow-step recorder, the watchdog.

Nothing here sleeps to order events. The slow-step tests set the loop's threshold to zero, so
that every step is reported, instead of making a step slow; the watchdog's report is awaited by
blocking the loop on a pipe that only faulthandler's thread writes to.
"""

from __future__ import annotations

import asyncio
import faulthandler
import io
import logging
import os
import sys
import types
from collections.abc import AsyncGenerator, Generator
from typing import Any

import pytest

from companion import virtualtime
from companion.debugging import (
    FrameInfo,
    SlowCallbacks,
    Watchdog,
    coroutine_chain,
    describe,
    dump_tasks,
    format_tasks,
)


async def leaf(event: asyncio.Event) -> None:
    await event.wait()


async def middle(event: asyncio.Event) -> None:
    await leaf(event)


def names(chain: list[FrameInfo] | tuple[FrameInfo, ...]) -> list[str]:
    return [frame.name for frame in chain]


def test_chain_follows_every_await_down_to_the_future() -> None:
    async def main() -> list[FrameInfo]:
        event = asyncio.Event()
        task = asyncio.create_task(middle(event))
        await asyncio.sleep(0)
        chain = coroutine_chain(task.get_coro())
        event.set()
        await task
        return chain

    chain = virtualtime.run(main())
    assert names(chain) == ["middle", "leaf", "Event.wait"]
    assert chain[0].filename == __file__
    assert chain[0].lineno == middle.__code__.co_firstlineno + 1
    assert str(chain[0]) == f"middle ({__file__}:{chain[0].lineno})"


def test_chain_through_generator_based_coroutines_and_async_generators() -> None:
    @types.coroutine
    def old_style() -> Generator[None, None, None]:
        yield

    async def uses_old_style() -> None:
        await old_style()

    coroutine = uses_old_style()
    coroutine.send(None)
    assert names(coroutine_chain(coroutine)) == [
        "test_chain_through_generator_based_"
        "coroutines_and_async_generators.<locals>."
        "uses_old_style",
        "test_chain_through_generator_based_coroutines_and_async_generators.<locals>.old_style",
    ]
    coroutine.close()

    async def agen() -> AsyncGenerator[int, None]:
        await uses_old_style()
        yield 1

    generator = agen()
    step = generator.asend(None)
    step.send(None)  # the async generator is now suspended inside uses_old_style
    assert [name.rsplit(".", 1)[-1] for name in names(coroutine_chain(generator))] == [
        "agen",
        "uses_old_style",
        "old_style",
    ]
    # The asend() object does not say what it awaits: the chain stops there.
    assert coroutine_chain(step) == []
    with pytest.raises(StopIteration):  # runs on to `yield 1`
        step.send(None)
    asyncio.run(generator.aclose())


def test_chain_of_finished_and_foreign_objects_is_empty() -> None:
    async def nothing() -> None:
        pass

    coroutine = nothing()
    with pytest.raises(StopIteration):
        coroutine.send(None)
    assert coroutine_chain(coroutine) == []
    assert coroutine_chain(42) == []


def test_describe_names_each_state_and_what_a_task_waits_on() -> None:
    async def main() -> dict[str, Any]:
        event = asyncio.Event()
        waiter = asyncio.create_task(middle(event), name="waiter")

        async def awaits_waiter() -> None:
            await waiter

        outer = asyncio.create_task(awaits_waiter(), name="outer")
        done = asyncio.create_task(asyncio.sleep(0), name="done")
        cancelled = asyncio.create_task(asyncio.sleep(1), name="cancelled")
        await asyncio.sleep(0)
        cancelled.cancel()
        await asyncio.sleep(0)
        me = asyncio.current_task()
        assert me is not None
        me.set_name("main")
        infos = {task.get_name(): describe(task) for task in [waiter, outer, done, cancelled, me]}
        event.set()
        await outer
        return infos

    infos = virtualtime.run(main())
    assert {name: info.state for name, info in infos.items()} == {
        "waiter": "pending",
        "outer": "pending",
        "done": "done",
        "cancelled": "cancelled",
        "main": "running",
    }
    assert infos["waiter"].waits_on is not None
    assert infos["waiter"].waits_on.startswith("<Future pending")
    assert infos["outer"].waits_on is not None
    assert infos["outer"].waits_on.startswith("<Task pending name='waiter'")
    assert infos["done"].waits_on is None
    assert infos["done"].chain == ()
    assert names(infos["main"].chain) == [
        "test_describe_names_each_state_and_what_a_task_waits_on.<locals>.main"
    ]


def test_describe_rejects_what_is_not_a_task() -> None:
    async def main() -> None:
        future = asyncio.get_running_loop().create_future()
        with pytest.raises(TypeError, match="a Task was expected, got Future"):
            describe(future)  # type: ignore[arg-type]

    asyncio.run(main())


def test_format_tasks_covers_every_task_in_name_order() -> None:
    async def main() -> str:
        asyncio.current_task().set_name("main")  # type: ignore[union-attr]
        event = asyncio.Event()
        tasks = [asyncio.create_task(middle(event), name=name) for name in "cab"]
        await asyncio.sleep(0)
        text = format_tasks()
        event.set()
        await asyncio.gather(*tasks)
        return text

    text = virtualtime.run(main())
    headers = [line for line in text.splitlines() if line.startswith("Task ")]
    assert headers == [
        "Task 'a' (pending)",
        "Task 'b' (pending)",
        "Task 'c' (pending)",
        "Task 'main' (running)",
    ]
    block = text.split("Task 'a' (pending)\n")[1].split("Task 'b'")[0]
    lines = block.splitlines()
    assert [line.split(" (")[0] for line in lines[:3]] == ["  middle", "  leaf", "  Event.wait"]
    assert lines[3].startswith("  waits on <Future pending")


def test_format_tasks_outside_a_loop_raises_like_all_tasks() -> None:
    with pytest.raises(RuntimeError, match="no running event loop"):
        format_tasks()
    assert format_tasks([]) == ""


def test_dump_tasks_prints_the_report(capsys: pytest.CaptureFixture[str]) -> None:
    async def main() -> str:
        asyncio.current_task().set_name("main")  # type: ignore[union-attr]
        text = io.StringIO()
        for file in [text, None]:  # the same line, so the same report
            dump_tasks(file=file)
        return text.getvalue()

    written = asyncio.run(main())
    assert written.startswith("Task 'main' (running)\n")
    assert capsys.readouterr().err == written


def test_slow_callbacks_collects_every_step_over_the_threshold() -> None:
    async def step_twice() -> None:
        await asyncio.sleep(0)

    async def main() -> None:
        # Every step takes at least zero seconds: all are reported, however fast the machine.
        asyncio.get_running_loop().slow_callback_duration = 0
        await asyncio.create_task(step_twice(), name="stepper")

    other = SlowCallbacks()  # stands for any other handler of the logger
    logging.getLogger("asyncio").addHandler(other)
    try:
        with SlowCallbacks() as slow:
            assert slow in logging.getLogger("asyncio").handlers
            asyncio.run(main(), debug=True)
            logging.getLogger("asyncio").warning("not about a slow step")
    finally:
        logging.getLogger("asyncio").removeHandler(other)
    assert slow not in logging.getLogger("asyncio").handlers
    steps = [r for r in slow.reports if "name='stepper'" in r.what.split(" coro=")[0]]
    assert len(steps) == 2  # the step up to the sleep, and the one after it
    assert all(report.seconds >= 0 for report in slow.reports)
    assert other.reports == slow.reports


def test_slow_callbacks_sees_nothing_without_debug_mode() -> None:
    async def main() -> None:
        asyncio.get_running_loop().slow_callback_duration = 0
        await asyncio.sleep(0)

    with SlowCallbacks() as slow:
        asyncio.run(main(), debug=False)
    assert slow.reports == []


def test_watchdog_reports_a_blocked_loop_from_its_own_thread() -> None:
    read_end, write_end = os.pipe()
    with os.fdopen(write_end, "w") as report, os.fdopen(read_end, "rb") as reader:

        def blocking_call() -> bytes:
            # Blocks the loop until faulthandler's thread starts its report...
            first = os.read(reader.fileno(), 1)
            # ...and until it has finished: cancelling waits for that thread to end, while
            # this frame is still on the stack the report describes.
            faulthandler.cancel_dump_traceback_later()
            return first

        async def main() -> bytes:
            async with Watchdog(0.2, file=report):
                first = blocking_call()
            return first

        first = asyncio.run(main())
        report.close()
        text = (first + reader.read()).decode()
    assert text.startswith("Timeout (0:00:00.200000)!\n")
    assert "in blocking_call" in text, text
    assert "in main" in text


def test_watchdog_rearms_before_its_timer_can_fire(monkeypatch: pytest.MonkeyPatch) -> None:
    # On the virtual clock, with faulthandler's timer replaced by a recorder: while the loop
    # turns, the timer is re-armed every timeout / 2, so it never runs out; leaving cancels it.
    calls: list[tuple[str, float]] = []

    def arm(timeout: float, **_options: object) -> None:
        calls.append(("arm", asyncio.get_running_loop().time()))
        assert timeout == 1.0

    def cancel() -> None:
        calls.append(("cancel", asyncio.get_running_loop().time()))

    monkeypatch.setattr(faulthandler, "dump_traceback_later", arm)
    monkeypatch.setattr(faulthandler, "cancel_dump_traceback_later", cancel)

    async def main() -> None:
        async with Watchdog(1.0, file=sys.stderr):
            await asyncio.sleep(2.2)  # two timeouts' worth, and a little more

    virtualtime.run(main())
    kinds = [kind for kind, _when in calls]
    assert kinds == ["arm"] * 5 + ["cancel"]
    times = [when - calls[0][1] for _kind, when in calls]
    assert times == pytest.approx([0.0, 0.5, 1.0, 1.5, 2.0, 2.2])


def test_watchdog_misuse() -> None:
    with pytest.raises(ValueError, match="timeout must be greater than 0, got 0"):
        Watchdog(0)

    async def main() -> None:
        async with Watchdog(60, file=sys.stderr):
            with pytest.raises(RuntimeError, match="another Watchdog is active"):
                async with Watchdog(60, file=sys.stderr):
                    pass
        async with Watchdog(60, file=sys.stderr):  # free again once the first has left
            pass

    asyncio.run(main())
