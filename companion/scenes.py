"""Scenes: the small programs behind the book's timeline figures, each run and traced on demand.

Each public function here runs one program under :func:`companion.timeline.run` (asyncio on the
virtual clock) or on :mod:`companion.loop`, and returns its :class:`~companion.timeline.Timeline`.
The book's ``{timeline}`` directive calls them at build time and draws what they return, and
``tests/test_scenes.py`` checks each trace for what its figure claims. Each program exists only
here: the chapter that shows it includes it from this file, between ``# [scene-start:name]`` and
``# [scene-end:name]`` markers, and runs it by calling the function here and printing its trace.

Tasks that were given no name appear under the call that made their coroutine, such as
``job('a', 1)``.

>>> sequential().end(), gathered().end()
(6.0, 3.0)
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from typing import Any

from companion import crawler, loop, virtualtime
from companion.structured import Supervisor
from companion.timeline import Timeline, Tracer, block, run

__all__ = [
    "as_completed",
    "blocking",
    "crawl",
    "eager_start",
    "gather_failure",
    "gathered",
    "job",
    "lazy_start",
    "round_robin",
    "sequential",
    "supervised",
    "swallowed_cancellation",
    "taskgroup_failure",
]


# [scene-start:job]
async def job(name: str, delay: float) -> str:
    """Wait *delay* seconds, then return *name*: a stand-in for a request that takes that long."""
    await asyncio.sleep(delay)
    return name


async def crash(name: str, delay: float) -> str:
    """Wait *delay* seconds, then raise ``ValueError(name)``."""
    await asyncio.sleep(delay)
    raise ValueError(name)


# [scene-end:job]


def _traced(main: Coroutine[Any, Any, object]) -> Timeline:
    tracer = Tracer()
    run(main, tracer=tracer)
    return tracer.timeline()


def sequential() -> Timeline:
    """Three jobs awaited one after another: one task, whose waits add up (6 s)."""

    # [scene-start:sequential]
    async def one_after_another() -> list[str]:
        return [await job("a", 1), await job("b", 2), await job("c", 3)]

    # [scene-end:sequential]

    return _traced(one_after_another())


def gathered() -> Timeline:
    """The same three jobs run by :func:`asyncio.gather`: three tasks, whose waits overlap."""

    # [scene-start:gathered]
    async def all_at_once() -> list[str]:
        return list(await asyncio.gather(job("a", 1), job("b", 2), job("c", 3)))

    # [scene-end:gathered]

    return _traced(all_at_once())


def as_completed() -> Timeline:
    """Tasks of 3, 1 and 2 s; :func:`asyncio.as_completed` hands each over as it finishes."""

    # [scene-start:as_completed]
    async def main() -> list[str]:
        delays = {"slow": 3, "fast": 1, "medium": 2}
        tasks = [asyncio.create_task(job(name, delays[name]), name=name) for name in delays]
        return [await next_done for next_done in asyncio.as_completed(tasks)]

    # [scene-end:as_completed]

    return _traced(main())


def taskgroup_failure() -> Timeline:
    """A :class:`asyncio.TaskGroup`: ``b`` fails at 2 s, so the group cancels ``c``."""

    # [scene-start:taskgroup_failure]
    async def main() -> str:
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(job("a", 1))
                group.create_task(crash("b", 2))
                group.create_task(job("c", 3))
        except* ValueError:
            pass
        return "the group has ended, and none of its tasks is running"

    # [scene-end:taskgroup_failure]

    return _traced(main())


def swallowed_cancellation() -> Timeline:
    """A task group whose ``stubborn`` task swallows its cancellation: the error waits 10 s."""

    # [scene-start:swallowed_cancellation]
    async def stubborn() -> None:
        try:  # noqa: SIM105  (the book's programs spell it out)
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            pass  # swallowed: the group's cancellation is ignored
        await asyncio.sleep(10)

    async def fails() -> None:
        await asyncio.sleep(1)
        raise ValueError("fails at 1 s")

    async def main() -> None:
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(fails(), name="fails")
                group.create_task(stubborn(), name="stubborn")
        except* ValueError:
            pass

    # [scene-end:swallowed_cancellation]

    return _traced(main())


def gather_failure() -> Timeline:
    """:func:`asyncio.gather` of three jobs; ``b`` fails at 1 s, and ``a`` and ``c`` run on."""

    # [scene-start:gather_failure]
    async def main() -> str:
        try:  # noqa: SIM105  (the book's programs spell it out)
            await asyncio.gather(job("a", 3), crash("b", 1), job("c", 2))
        except ValueError:
            pass  # at 1 s: gather passes on the first exception at once ...
        await asyncio.sleep(2)  # ... and a and c are still running: let them finish
        return "done"

    # [scene-end:gather_failure]

    return _traced(main())


def blocking() -> Timeline:
    """A task that ticks every second, and one that blocks the thread for 2.5 s from 1.5 s on.

    The blocking call is modelled with :func:`companion.timeline.block`: on the virtual clock, a
    step takes no time unless the program says it does.
    """

    # [scene-start:blocking]
    async def ticker(ticks: int) -> None:
        for _ in range(ticks):
            await asyncio.sleep(1)

    async def blocker() -> None:
        await asyncio.sleep(1.5)
        block(2.5)  # a blocking call, such as time.sleep(2.5), holds the thread for 2.5 s

    async def main() -> None:
        await asyncio.gather(
            asyncio.create_task(ticker(6), name="ticker"),
            asyncio.create_task(blocker(), name="blocker"),
        )

    # [scene-end:blocking]

    return _traced(main())


# [scene-start:create_two]
async def quick(name: str) -> None:
    pass  # runs to the end in its first step


async def two_steps(name: str) -> None:
    await asyncio.sleep(0)


async def create_two() -> None:
    a = asyncio.create_task(quick("a"))
    b = asyncio.create_task(two_steps("b"))
    await asyncio.sleep(0)
    await a
    await b


# [scene-end:create_two]


def _create_two(eager: bool) -> Timeline:
    tracer = Tracer()

    def loop_factory() -> asyncio.AbstractEventLoop:
        loop = virtualtime.VirtualTimeLoop()
        if eager:  # before the tracer, which wraps the coroutines and lets this make the tasks
            loop.set_task_factory(asyncio.eager_task_factory)  # type: ignore[attr-defined,unused-ignore]
        tracer.install(loop)
        return loop

    with asyncio.Runner(loop_factory=loop_factory) as runner:
        try:
            runner.run(create_two())
        finally:
            tracer.uninstall()  # before the runner's own clean-up tasks
    return tracer.timeline()


def lazy_start() -> Timeline:
    """Tasks start only when their creator pauses: ``create_two`` on asyncio's default factory."""
    return _create_two(eager=False)


def eager_start() -> Timeline:
    """``create_two`` with :func:`asyncio.eager_task_factory` (Python 3.12 and later).

    Each task that ``create_two`` makes takes its first step inside the ``create_task`` call that
    makes it. (The main task does not: the runner creates it before its loop runs, and a task
    starts eagerly only on a running loop.) Raise :exc:`RuntimeError` on Python 3.11, which has
    no eager tasks.
    """
    if sys.version_info >= (3, 12):
        return _create_two(eager=True)
    raise RuntimeError("eager tasks need Python 3.12 or later")


def round_robin() -> Timeline:
    """Three :mod:`companion.loop` tasks of three steps each, taking turns in the ready queue.

    No task sleeps, so time plays no part: the tracer's clock is a constant, and the figure counts
    steps instead.
    """
    # [scene-start:round_robin]
    tracer = Tracer(clock=lambda: 0.0)  # no task sleeps: the figure counts steps, not seconds

    async def worker(steps: int) -> None:
        for _ in range(steps):
            await loop.sleep(0)  # back of the ready queue: the next task takes its turn

    async def main() -> None:
        workers = [loop.spawn(tracer.wrap(worker(3), name)) for name in "abc"]
        for task in workers:
            await task.join()

    loop.run(tracer.wrap(main(), "main"))
    # [scene-end:round_robin]

    return tracer.timeline()


def supervised() -> Timeline:
    """A :class:`~companion.structured.Supervisor`: ``config`` fails at 3 s, ``cache`` goes on."""

    # [scene-start:supervised]
    async def refresh(period: float, fail_at: float | None = None) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(period)
            if fail_at is not None and loop.time() >= fail_at:
                raise ConnectionError("source lost")

    async def main() -> None:
        async with Supervisor() as supervisor:
            supervisor.spawn(refresh(2), name="cache")
            supervisor.spawn(refresh(3, fail_at=3), name="config")
            await asyncio.sleep(7)  # the program's real work

    # [scene-end:supervised]

    return _traced(main())


def crawl() -> Timeline:
    """The crawler chapter's crawl of its demo site, in memory: three workers on a queue.

    :meth:`companion.crawler.Site.fetch` stands for the network, so the crawl runs on the
    virtual clock; the timing of each page is the site's, the rest is the crawler's own code.
    """

    # [scene-start:crawl]
    async def main() -> None:
        site = crawler.Site(crawler.DEMO)  # in memory, so on the virtual clock
        await crawler.Crawler("http://site.test/", site.fetch).crawl()

    return _traced(main())
    # [scene-end:crawl]
