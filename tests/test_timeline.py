"""Tests for :mod:`companion.timeline`: what a tracer records of a run, and how it is installed.

Expected times come from the sleeps the programs ask for (the virtual clock makes them exact);
step orders from asyncio's rule that ready tasks run first in, first out.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
from collections.abc import Coroutine
from typing import Any

import pytest
from support import error_of

from companion import loop as cloop
from companion import virtualtime
from companion.timeline import Step, Timeline, TracedCoroutine, Tracer, block, run


async def nap(seconds: float) -> float:
    await asyncio.sleep(seconds)
    return seconds


def traced(main: Coroutine[Any, Any, object]) -> Timeline:
    tracer = Tracer()
    run(main, tracer=tracer)
    return tracer.timeline()


def test_steps_waits_and_outcomes_of_a_run() -> None:
    async def main() -> list[float]:
        one = asyncio.create_task(nap(1.5), name="one")
        two = asyncio.create_task(nap(4), name="two")
        return list(await asyncio.gather(one, two))

    timeline = traced(main())
    assert timeline.names() == ["main()", "one", "two"]
    one, two = timeline["one"], timeline["two"]
    assert [(step.start, step.end) for step in one.steps] == [(0.0, 0.0), (1.5, 1.5)]
    assert one.waits() == [(0.0, 1.5)]
    assert two.waits() == [(0.0, 4.0)]
    assert (one.outcome, one.error, one.finished) == ("returned", None, 1.5)
    assert timeline["main()"].finished == timeline.end() == 4.0
    # Every step of the run has its own index, 0 to n - 1, in the order the steps ran.
    indices = sorted(step.index for task in timeline.tasks for step in task.steps)
    assert indices == list(range(len(indices)))
    assert timeline.order() == ["main()", "one", "two", "one", "two", "main()"]
    assert [step.suspended for step in two.steps] == [True, False]


def test_raised_cancelled_and_pending_tasks() -> None:
    snapshot: list[Timeline] = []
    tracer = Tracer()

    async def fails() -> None:
        await asyncio.sleep(1)
        raise LookupError("gone")

    async def main() -> None:
        failing = asyncio.create_task(fails(), name="failing")
        sleeper = asyncio.create_task(asyncio.sleep(10), name="sleeper")
        await asyncio.sleep(2)
        snapshot.append(tracer.timeline())
        sleeper.cancel()
        with pytest.raises(asyncio.CancelledError):
            await sleeper
        with pytest.raises(LookupError):
            await failing

    run(main(), tracer=tracer)
    during = snapshot[0]
    assert during["sleeper"].outcome == "pending"
    assert during["sleeper"].finished is None
    after = tracer.timeline()
    assert (after["failing"].outcome, after["failing"].error) == ("raised", "LookupError")
    assert after["failing"].finished == 1.0
    assert (after["sleeper"].outcome, after["sleeper"].finished) == ("cancelled", 2.0)


def test_a_task_named_by_asyncio_is_labelled_with_the_call_of_its_coroutine() -> None:
    async def talk(words: str, *, times: int = 2, loud: bool = False) -> None:
        await asyncio.sleep(0)

    async def main() -> None:
        await asyncio.create_task(nap(0))  # asyncio names it Task-<n>
        await asyncio.create_task(talk("x" * 30, loud=True))
        await asyncio.create_task(nap(0), name="named")

    names = traced(main()).names()
    assert names == ["main()", "nap(0)", f"talk('{'x' * 18}…, times=2, loud=True)", "named"]


def test_the_context_manager_traces_only_tasks_created_inside_it() -> None:
    async def main() -> Timeline:
        await asyncio.create_task(nap(1), name="before")
        with Tracer() as tracer:
            inside = asyncio.create_task(nap(1), name="inside")
        await asyncio.create_task(nap(1), name="after")
        await inside
        return tracer.timeline()

    timeline = virtualtime.run(main())
    # The task created inside is traced to its end, after the block was left.
    assert timeline.names() == ["inside"]
    assert timeline["inside"].waits() == [(1.0, 2.0)]
    assert timeline["inside"].outcome == "returned"


def test_a_task_factory_already_set_keeps_making_the_tasks_and_is_restored() -> None:
    made: list[str] = []

    def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        made.append(type(coro).__name__)
        return asyncio.Task(coro, loop=loop, **kwargs)

    async def main() -> bool:
        loop = asyncio.get_running_loop()
        loop.set_task_factory(factory)
        with Tracer() as tracer:
            assert loop.get_task_factory() is not factory
            await asyncio.create_task(nap(0), name="x")
        restored = loop.get_task_factory() is factory
        await asyncio.create_task(nap(0))
        assert tracer.timeline().names() == ["x"]
        return restored

    assert virtualtime.run(main())
    # (asyncio.Runner's own clean-up tasks come after these two.)
    assert made[:2] == ["TracedCoroutine", "coroutine"]


@pytest.mark.skipif(sys.version_info < (3, 12), reason="eager tasks are new in 3.12")
def test_eager_tasks_are_traced_from_their_first_step() -> None:
    async def main() -> Timeline:
        loop = asyncio.get_running_loop()
        loop.set_task_factory(asyncio.eager_task_factory)  # type: ignore[attr-defined,unused-ignore]
        with Tracer() as tracer:
            task = asyncio.create_task(nap(1), name="eager")
            # An eager task has run its first step inside create_task.
            assert len(tracer.timeline()["eager"].steps) == 1
            await task
        return tracer.timeline()

    timeline = virtualtime.run(main())
    assert [step.start for step in timeline["eager"].steps] == [0.0, 1.0]


@pytest.mark.skipif(sys.version_info < (3, 12), reason="eager tasks are new in 3.12")
def test_steps_that_run_inside_a_step_are_counted_inside_it() -> None:
    async def main() -> None:
        await asyncio.create_task(nap(0), name="inner")

    tracer = Tracer()

    def loop_factory() -> asyncio.AbstractEventLoop:
        loop = virtualtime.VirtualTimeLoop()
        loop.set_task_factory(asyncio.eager_task_factory)  # type: ignore[attr-defined,unused-ignore]
        tracer.install(loop)
        return loop

    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(main())
        tracer.uninstall()
    outer, inner = tracer.timeline()["main()"].steps[0], tracer.timeline()["inner"].steps[0]
    assert outer.index < inner.index < inner.end_index <= outer.end_index


def test_a_traced_task_looks_like_any_task() -> None:
    async def main() -> str:
        task = asyncio.create_task(nap(1), name="n")
        await asyncio.sleep(0)
        coro = task.get_coro()
        assert isinstance(coro, TracedCoroutine)
        assert coro.cr_code is nap.__code__
        assert coro.cr_frame is not None
        assert not coro.cr_running
        assert coro.cr_await is not None
        description = repr(task)
        await task
        return description

    description = run(main(), tracer=Tracer())
    assert "name='n' coro=<nap() running at" in description


def test_companion_loop_is_traced_with_wrap_and_its_clock() -> None:
    tracer = Tracer(clock=lambda: 7.0)

    async def worker(steps: int) -> str:
        for _ in range(steps):
            await cloop.sleep(0)
        return "done"

    async def main() -> list[str]:
        tasks = [cloop.spawn(tracer.wrap(worker(2), name)) for name in "xy"]
        return [await task.join() for task in tasks]

    assert cloop.run(tracer.wrap(main())) == ["done", "done"]
    timeline = tracer.timeline()
    assert timeline.order() == ["main()", "x", "y", "x", "y", "x", "y", "main()"]
    assert {step.start for task in timeline.tasks for step in task.steps} == {7.0}
    assert timeline["x"].waits_by_index() == [(2, 3), (4, 5)]


def test_companion_loop_cancellation_is_an_outcome() -> None:
    tracer = Tracer(clock=lambda: 0.0)

    async def main() -> None:
        sleeper = cloop.spawn(tracer.wrap(cloop.sleep(3600), "sleeper"))
        await cloop.sleep(0)
        sleeper.cancel()
        with pytest.raises(cloop.TaskCancelled):
            await sleeper.join()

    cloop.run(main())
    assert tracer.timeline()["sleeper"].outcome == "cancelled"


def test_block_moves_the_virtual_clock_within_one_step() -> None:
    async def blocker() -> None:
        await asyncio.sleep(1)
        block(2.5)

    async def main() -> None:
        await asyncio.gather(
            asyncio.create_task(blocker(), name="blocker"),
            asyncio.create_task(nap(2), name="napper"),
        )

    timeline = traced(main())
    last = timeline["blocker"].steps[-1]
    assert (last.start, last.end) == (1.0, 3.5)
    # The napper's timer fell due at 2.0, during the blocking step: it fires late.
    assert timeline["napper"].finished == 3.5


def test_block_refuses_bad_times_and_real_loops() -> None:
    async def blocks(seconds: float) -> None:
        block(seconds)

    for seconds in (-1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="finite number of seconds >= 0"):
            virtualtime.run(blocks(seconds))
    with pytest.raises(RuntimeError, match="virtual clock"):
        asyncio.run(blocks(1))
    assert str(error_of(lambda: block(1))) == str(error_of(asyncio.get_running_loop))


def test_misuse_raises_what_asyncio_raises() -> None:
    tracer = Tracer()
    with pytest.raises(TypeError, match="a coroutine was expected, got 42"):
        tracer.wrap(42)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="no running event loop"):
        Tracer().__enter__()
    with pytest.raises(RuntimeError, match="not installed"):
        Tracer().uninstall()

    async def twice() -> None:
        with tracer, tracer:
            pass

    with pytest.raises(RuntimeError, match="already installed"):
        virtualtime.run(twice())

    async def not_a_coroutine() -> str:
        expected = error_of(lambda: asyncio.Task(42, loop=asyncio.get_running_loop()))  # type: ignore[arg-type]
        with Tracer():
            got = error_of(lambda: asyncio.get_running_loop().create_task(42))  # type: ignore[arg-type]
        assert (type(got), str(got)) == (type(expected), str(expected))
        return "same error"

    assert virtualtime.run(not_a_coroutine()) == "same error"


def test_run_refuses_a_running_loop_and_closes_the_coroutine() -> None:
    async def inner() -> None:
        pass

    async def outer() -> None:
        coro = inner()
        with pytest.raises(RuntimeError, match="cannot be called from a running event loop"):
            run(coro, tracer=Tracer())
        # Closed, so it will not warn that it was never awaited.
        assert inspect.getcoroutinestate(coro) == inspect.CORO_CLOSED

    virtualtime.run(outer())


def test_run_without_a_tracer_is_virtualtime_run() -> None:
    assert run(nap(3600)) == 3600


def test_a_timeline_is_a_value() -> None:
    timeline = traced(nap(1))
    assert timeline == traced(nap(1))
    assert timeline.tasks[0].steps[0] == Step(0.0, 0.0, 0, True, 1)
    with pytest.raises(KeyError):
        timeline["missing"]
    assert Timeline(()).end() == 0.0
    assert str(timeline) == "nap(1)  steps at 0.0, 1.0  returned at 1.0"
