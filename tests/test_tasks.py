"""Tests for :mod:`companion.tasks`: gather() and as_completed() checked against asyncio's own.

Each scenario is a coroutine function that takes an implementation (asyncio's function or the
companion's) and returns a record of everything observable: results, the type and message of
what was raised, which children finished how, and when, on the virtual clock. The tests run every
scenario through both implementations and compare the records. For :func:`as_completed`, asyncio's
own is the reference on Python 3.13; before 3.13 it has no ``async for`` and checks its argument
later, so there the companion's is checked against 3.13's documented behaviour instead. Where
the two differ on purpose (the chapter "gather and as_completed, rebuilt" lists the corners), a
test named for the difference pins down what each one does.

The harness (:func:`record_of`) fails a scenario that leaves a task pending or makes the loop
report an error (an exception never retrieved, for instance). Events are ordered by the virtual
clock or by futures, never by real sleeps.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import itertools
import sys
import traceback
import warnings
import weakref
from collections.abc import Awaitable, Callable, Coroutine, Generator, Iterable
from pathlib import Path
from typing import Any

import pytest
from support import error_of

from companion import tasks
from companion.virtualtime import run

Gather = Callable[..., asyncio.Future[list[Any]]]
AsCompleted = Callable[..., Any]
Record = Any
Scenario = Callable[[Any], Coroutine[Any, Any, Record]]

GATHERS: dict[str, Gather] = {"asyncio": asyncio.gather, "companion": tasks.gather}
HAS_313 = sys.version_info >= (3, 13)


def record_of(scenario: Scenario, implementation: object) -> Record:
    """Run *scenario* with *implementation* on a virtual clock; check that nothing was left."""

    async def main() -> Record:
        loop = asyncio.get_running_loop()
        reported: list[str] = []
        loop.set_exception_handler(lambda _, context: reported.append(context["message"]))
        record = await scenario(implementation)
        await asyncio.sleep(0)  # let done-callbacks scheduled by the last step run
        gc.collect()  # an exception never retrieved is reported when its future is collected
        leftover = asyncio.all_tasks() - {asyncio.current_task()}
        assert not leftover, f"pending after the scenario: {leftover}"
        assert not reported, f"the loop reported: {reported}"
        return record

    return run(main())


def same_record(scenario: Scenario, reference: object, candidate: object) -> Record:
    """The record of *scenario*, after checking it is the same with both implementations."""
    expected = record_of(scenario, reference)
    assert record_of(scenario, candidate) == expected
    return expected


def described(error: BaseException) -> tuple[str, tuple[Any, ...]]:
    """An exception as a comparable value: its type's name and its arguments."""
    return type(error).__name__, error.args


def depth(error: BaseException) -> int:
    """How many frames *error*'s traceback has been through: passing it on must not add any."""
    return len(traceback.extract_tb(error.__traceback__))


def state(future: asyncio.Future[Any]) -> object:
    """A child's state as a comparable value."""
    if not future.done():
        return "pending"
    if future.cancelled():
        return "cancelled"
    error = future.exception()
    return ("raised", *described(error)) if error is not None else ("returned", future.result())


class Log:
    """When things happened, on the virtual clock: (time, what) pairs."""

    def __init__(self) -> None:
        self.events: list[tuple[float, str]] = []

    def note(self, what: str) -> None:
        self.events.append((asyncio.get_running_loop().time(), what))

    async def job(self, name: str, delay: float, error: BaseException | None = None) -> str:
        """Sleep *delay* seconds, then return *name* or raise *error*; log how it ended."""
        try:
            await asyncio.sleep(delay)
        except asyncio.CancelledError as cancelled:
            self.note(f"{name} cancelled {cancelled.args}")
            raise
        self.note(f"{name} {'failed' if error else 'done'}")
        if error is not None:
            raise error
        return name


async def outcome(awaitable: Awaitable[Any]) -> object:
    """Await *awaitable*: what it returned, or the type and message of what it raised."""
    try:
        result = await awaitable
    except BaseException as error:  # CancelledError included: it is what we look at
        return ("raised", *described(error))
    return ("returned", result)


async def finish(children: Iterable[asyncio.Future[Any]]) -> None:
    """Wait until every child is done, whatever its outcome, without raising."""
    pending = [child for child in children if not child.done()]
    if pending:
        await asyncio.wait(pending)


# --- gather: scenarios -------------------------------------------------------------------------


async def gather_successes(gather: Gather) -> Record:
    log = Log()
    results = await gather(log.job("a", 3), log.job("b", 1), log.job("c", 2))
    return results, log.events


async def gather_first_failure(gather: Gather) -> Record:
    log = Log()
    children = [
        asyncio.ensure_future(log.job("slow", 5)),
        asyncio.ensure_future(log.job("bad", 1, ValueError("bad"))),
        asyncio.ensure_future(log.job("worse", 2, KeyError("worse"))),
    ]
    gathered = gather(*children)
    raised = await outcome(gathered)
    assert gathered.exception() is children[1].exception()  # the child's own, passed on as is
    at_failure = [state(child) for child in children]
    # Too late to change the outcome: cancelling now cancels nothing.
    cancelled_late = gathered.cancel()
    await finish(children)
    return raised, at_failure, cancelled_late, [state(child) for child in children], log.events


async def gather_later_failures_not_reported(gather: Gather) -> Record:
    # Nobody looks at the second failure: gather() must, or asyncio reports it as never retrieved.
    log = Log()
    raised = await outcome(gather(log.job("a", 1, ValueError("a")), log.job("b", 2, KeyError())))
    await asyncio.sleep(2)  # the virtual clock: "b" has failed by then
    return raised, log.events


async def gather_return_exceptions(gather: Gather) -> Record:
    log = Log()
    results = await gather(
        log.job("a", 2), log.job("b", 1, ValueError("b")), log.job("c", 3), return_exceptions=True
    )
    listed = [(*described(r), depth(r)) if isinstance(r, BaseException) else r for r in results]
    return listed, log.events


async def gather_child_cancelled_from_outside(gather: Gather) -> Record:
    log = Log()
    children = [asyncio.ensure_future(log.job(name, 5)) for name in "ab"]
    gathered = gather(*children)
    asyncio.get_running_loop().call_later(1, children[0].cancel, "bye")
    raised = await outcome(gathered)
    at_raise = [state(child) for child in children]
    await finish(children)
    return raised, gathered.cancelled(), at_raise, [state(c) for c in children], log.events


async def gather_child_cancelled_with_return_exceptions(gather: Gather) -> Record:
    log = Log()
    children = [asyncio.ensure_future(log.job(name, 5)) for name in "ab"]
    asyncio.get_running_loop().call_later(1, children[0].cancel, "bye")
    results = await gather(*children, return_exceptions=True)
    # The type only: the message differs (see test_cancelled_task_message_in_results).
    return [type(result).__name__ for result in results], log.events


async def gather_future_cancelled_with_return_exceptions(gather: Gather) -> Record:
    loop = asyncio.get_running_loop()
    child: asyncio.Future[str] = loop.create_future()
    loop.call_later(1, child.cancel, "a future's message")
    results = await gather(child, return_exceptions=True)
    return [described(result) for result in results]


async def gather_child_cancels_itself(gather: Gather) -> Record:
    async def gives_up() -> None:
        await asyncio.sleep(1)
        raise asyncio.CancelledError("given up")

    children = [asyncio.ensure_future(gives_up()), asyncio.ensure_future(asyncio.sleep(2, "b"))]
    raised = await outcome(gather(*children))
    at_raise = [state(child) for child in children]
    await finish(children)
    return raised, at_raise, [state(child) for child in children]


async def gather_cancelled(gather: Gather, return_exceptions: bool, message: str | None) -> Record:
    log = Log()
    children = [asyncio.ensure_future(log.job(name, 5)) for name in "ab"]
    gathered = gather(*children, log.job("c", 5), return_exceptions=return_exceptions)
    await asyncio.sleep(1)
    accepted = gathered.cancel(message)
    done_at_once = gathered.done()
    raised = await outcome(gathered)
    await finish(children)
    return accepted, done_at_once, raised, gathered.cancelled(), log.events


async def gather_cancelled_before_children_start(gather: Gather) -> Record:
    log = Log()
    gathered = gather(log.job("a", 1), log.job("b", 1))
    accepted = gathered.cancel()
    return accepted, await outcome(gathered), log.events


async def gather_awaiting_task_cancelled(gather: Gather) -> Record:
    log = Log()
    children = [asyncio.ensure_future(log.job(name, 5)) for name in "ab"]

    async def parent() -> object:
        return await gather(*children)

    waiting = asyncio.ensure_future(parent())
    asyncio.get_running_loop().call_later(1, waiting.cancel, "from above")
    raised = await outcome(waiting)
    await finish(children)
    return raised, waiting.cancelled(), [state(child) for child in children], log.events


async def gather_cancel_ignored(
    gather: Gather, return_exceptions: bool, stubborn_last: bool, message: str | None
) -> Record:
    async def stubborn() -> str:
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            return "kept going"
        return "slept"

    children = [asyncio.ensure_future(stubborn()), asyncio.ensure_future(asyncio.sleep(5))]
    if stubborn_last:
        children.reverse()
    gathered = gather(*children, return_exceptions=return_exceptions)
    await asyncio.sleep(1)
    gathered.cancel(message)
    raised = await outcome(gathered)
    await finish(children)
    return raised, [state(child) for child in children]


async def gather_empty(gather: Gather) -> Record:
    gathered = gather()
    return gathered.done(), await gathered


async def gather_duplicates(gather: Gather) -> Record:
    log = Log()
    coroutine = log.job("twice", 1)
    task = asyncio.ensure_future(log.job("task twice", 2))
    results = await gather(coroutine, log.job("once", 1), coroutine, task, task)
    return results, log.events


async def gather_awaitables_of_all_kinds(gather: Gather) -> Record:
    class Later:
        """An awaitable that is neither a coroutine nor a future."""

        def __await__(self) -> Generator[Any, None, str]:
            yield from asyncio.sleep(1).__await__()
            return "custom"

    loop = asyncio.get_running_loop()
    future: asyncio.Future[str] = loop.create_future()
    loop.call_later(2, future.set_result, "future")
    return await gather(Later(), future, asyncio.sleep(0, "coroutine"))


async def gather_already_done(gather: Gather) -> Record:
    future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    future.set_result(1)
    failed: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    failed.set_exception(ValueError("done already"))
    return await gather(future, future), await outcome(gather(future, failed))


async def gather_not_awaitable(gather: Gather) -> Record:
    error = error_of(lambda: gather(42))
    return described(error)


async def gather_futures_of_two_loops(gather: Gather) -> Record:
    ours: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    other_loop = asyncio.new_event_loop()
    try:
        theirs: asyncio.Future[None] = other_loop.create_future()
        return described(error_of(lambda: gather(ours, theirs)))
    finally:
        other_loop.close()


async def gather_cancel_ignored_before_start(gather: Gather, return_exceptions: bool) -> Record:
    # Cancelled before their first step: the children get the message at once, and keep it.
    async def stubborn() -> str:
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError as cancelled:
            return f"kept going after {cancelled.args}"
        return "slept"

    children = [asyncio.ensure_future(stubborn()) for _ in range(2)]
    gathered = gather(*children, return_exceptions=return_exceptions)
    accepted = gathered.cancel("stop")
    return accepted, await outcome(gathered), [state(child) for child in children]


async def gather_same_task_twice_cancelled(gather: Gather) -> Record:
    # A task given twice is asked twice, as Task.cancelling() shows.
    task = asyncio.ensure_future(asyncio.sleep(5))
    gathered = gather(task, task)
    await asyncio.sleep(1)
    accepted = gathered.cancel()
    return accepted, await outcome(gathered), task.cancelling(), state(task)


async def gather_plain_generator(gather: Gather) -> Record:
    # Python 3.11's asyncio still takes a plain generator for a coroutine; 3.12 refuses it.
    def generator() -> Generator[None, None, str]:
        yield  # a bare yield: the task runs again at the loop's next turn
        return "generator"

    try:
        gathered = gather(generator())
    except TypeError as error:
        return described(error)
    return await outcome(gathered)


GATHER_SCENARIOS: dict[str, Scenario] = {
    "successes": gather_successes,
    "first failure": gather_first_failure,
    "later failures": gather_later_failures_not_reported,
    "return_exceptions": gather_return_exceptions,
    "child cancelled from outside": gather_child_cancelled_from_outside,
    "child cancelled, return_exceptions": gather_child_cancelled_with_return_exceptions,
    "future cancelled, return_exceptions": gather_future_cancelled_with_return_exceptions,
    "child cancels itself": gather_child_cancels_itself,
    "cancelled before the children start": gather_cancelled_before_children_start,
    "awaiting task cancelled": gather_awaiting_task_cancelled,
    "empty": gather_empty,
    "duplicates": gather_duplicates,
    "awaitables of all kinds": gather_awaitables_of_all_kinds,
    "already done": gather_already_done,
    "not awaitable": gather_not_awaitable,
    "futures of two loops": gather_futures_of_two_loops,
    "same task twice, cancelled": gather_same_task_twice_cancelled,
    "a plain generator": gather_plain_generator,
}
for _flag in (False, True):
    for _message in (None, "stop"):
        GATHER_SCENARIOS[f"gather cancelled, {_flag=}, {_message=}"] = functools.partial(
            gather_cancelled, return_exceptions=_flag, message=_message
        )
for _flag in (False, True):
    GATHER_SCENARIOS[f"cancel ignored before start, {_flag=}"] = functools.partial(
        gather_cancel_ignored_before_start, return_exceptions=_flag
    )
for _flag, _last, _message in itertools.product((False, True), (False, True), (None, "stop")):
    if (_flag, _last, _message) != (True, True, "stop"):  # see test_cancel_no_child_passes_on
        GATHER_SCENARIOS[f"cancel ignored, {_flag=}, {_last=}, {_message=}"] = functools.partial(
            gather_cancel_ignored, return_exceptions=_flag, stubborn_last=_last, message=_message
        )


# --- gather: tests -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", GATHER_SCENARIOS)
def test_gather_behaves_as_asyncio(name: str) -> None:
    same_record(GATHER_SCENARIOS[name], asyncio.gather, tasks.gather)


@pytest.mark.parametrize("implementation", GATHERS)
def test_gather_results_in_argument_order_and_children_run_concurrently(
    implementation: str,
) -> None:
    results, events = record_of(gather_successes, GATHERS[implementation])
    assert results == ["a", "b", "c"]
    assert events == [(1.0, "b done"), (2.0, "c done"), (3.0, "a done")]


@pytest.mark.parametrize("implementation", GATHERS)
def test_gather_first_failure_leaves_the_others_running(implementation: str) -> None:
    raised, at_failure, cancelled_late, final, _ = record_of(
        gather_first_failure, GATHERS[implementation]
    )
    assert raised == ("raised", "ValueError", ("bad",))
    assert at_failure == ["pending", ("raised", "ValueError", ("bad",)), "pending"]
    assert cancelled_late is False
    assert final[0] == ("returned", "slow")


@pytest.mark.parametrize("implementation", GATHERS)
@pytest.mark.parametrize("return_exceptions", [False, True])
def test_cancelling_gather_cancels_every_child(
    implementation: str, return_exceptions: bool
) -> None:
    accepted, done_at_once, raised, cancelled, events = record_of(
        lambda gather: gather_cancelled(gather, return_exceptions, "stop"),
        GATHERS[implementation],
    )
    assert (accepted, done_at_once, cancelled) == (True, False, False)
    assert raised == ("raised", "CancelledError", ("stop",))
    assert sorted(what for _, what in events) == [f"{n} cancelled ('stop',)" for n in "abc"]


@pytest.mark.parametrize("implementation", GATHERS)
def test_gather_runs_a_duplicate_once(implementation: str) -> None:
    results, events = record_of(gather_duplicates, GATHERS[implementation])
    assert results == ["twice", "once", "twice", "task twice", "task twice"]
    assert sorted(what for _, what in events) == ["once done", "task twice done", "twice done"]


def test_cancelled_task_in_results() -> None:
    """A documented difference: which CancelledError return_exceptions lists for a task."""
    scenario = gather_child_cancelled_with_return_exceptions

    async def messages(gather: Gather) -> Record:
        child = asyncio.ensure_future(asyncio.sleep(5))
        asyncio.get_running_loop().call_later(1, child.cancel, "bye")
        listed = [described(r) for r in await gather(child, return_exceptions=True)]
        return listed, await outcome(child)

    assert record_of(scenario, asyncio.gather) == record_of(scenario, tasks.gather)
    # asyncio lists a new CancelledError without the message, and the task keeps its own;
    assert record_of(messages, asyncio.gather) == (
        [("CancelledError", ("",))],
        ("raised", "CancelledError", ("bye",)),
    )
    # the companion lists the task's own, which the task then no longer has to give.
    assert record_of(messages, tasks.gather) == (
        [("CancelledError", ("bye",))],
        ("raised", "CancelledError", ()),
    )


@pytest.mark.parametrize("return_exceptions", [False, True])
def test_cancel_that_no_child_passes_on(return_exceptions: bool) -> None:
    """A documented difference: asyncio's CancelledError comes from the last argument."""

    async def scenario(gather: Gather) -> Record:
        # Every child that could pass the CancelledError on catches it instead (with
        # return_exceptions, a child that passes it on is only listed, so one is enough).
        async def stubborn() -> str:
            try:
                await asyncio.sleep(5)
            except asyncio.CancelledError:
                return "kept going"
            return "slept"

        first = asyncio.sleep(5) if return_exceptions else stubborn()
        children = [asyncio.ensure_future(first), asyncio.ensure_future(stubborn())]
        gathered = gather(*children, return_exceptions=return_exceptions)
        await asyncio.sleep(1)
        gathered.cancel("stop")
        return await outcome(gathered), [state(child) for child in children]

    asyncio_raised, asyncio_children = record_of(scenario, asyncio.gather)
    companion_raised, companion_children = record_of(scenario, tasks.gather)
    assert asyncio_children == companion_children
    assert asyncio_children[-1] == ("returned", "kept going")
    # The last child was cancelled while it waited: its future got the message, not the task.
    assert asyncio_raised == ("raised", "CancelledError", ())
    assert companion_raised == ("raised", "CancelledError", ("stop",))


def test_tasks_left_pending_are_reported_when_destroyed() -> None:
    """A documented difference: asyncio silences the report for the tasks gather() made."""

    def reports(gather: Gather) -> list[str]:
        async def fails() -> None:
            raise ValueError("fails")

        async def start() -> asyncio.Future[list[Any]]:
            return gather(fails(), asyncio.sleep(10))

        reported: list[str] = []
        loop = asyncio.new_event_loop()
        loop.set_exception_handler(lambda _, context: reported.append(context["message"]))
        try:
            gathered = loop.run_until_complete(start())
            with pytest.raises(ValueError, match="fails"):
                loop.run_until_complete(gathered)  # the first failure: sleep(10) is still pending
            [pending] = map(weakref.ref, asyncio.all_tasks(loop))
        finally:
            loop.close()
        del gathered  # and with it, the last reference to the pending task
        gc.collect()
        assert pending() is None, "the task was not destroyed: the test proves nothing"
        return reported

    assert reports(asyncio.gather) == []
    assert reports(tasks.gather) == ["Task was destroyed but it is pending!"]


def test_gather_of_done_children_is_done_when_it_returns() -> None:
    async def probe(gather: Gather) -> bool:
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        future.set_result(1)
        gathered = gather(future)
        done = gathered.done()
        await gathered
        return done

    assert record_of(probe, tasks.gather) is True
    # asyncio does the same from 3.12; on 3.11 its outer future finishes one loop step later.
    assert record_of(probe, asyncio.gather) is (sys.version_info >= (3, 12))


def test_gather_refuses_a_non_awaitable_before_starting_anything() -> None:
    started: list[str] = []

    async def job() -> None:
        started.append("job")

    async def scenario(gather: Gather) -> Record:
        error = error_of(lambda: gather(job(), 42))
        await asyncio.sleep(0)
        return described(error)

    assert record_of(scenario, tasks.gather) == (
        "TypeError",
        ("An asyncio.Future, a coroutine or an awaitable is required",),
    )
    assert started == []  # and the coroutine was closed: no "never awaited" warning (error here)
    # asyncio raises the same error, but has made a task of job() by then, which runs:
    assert record_of(scenario, asyncio.gather) == record_of(scenario, tasks.gather)
    assert started == ["job"]


def fresh_policy() -> None:
    """Forget every event loop set so far: the state of a program that never ran one."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the policy system, from 3.14
        asyncio.set_event_loop_policy(None)


@pytest.mark.parametrize("history", ["fresh", "after asyncio.run"])
def test_empty_gather_outside_a_running_loop_asks_asyncio_for_a_loop(history: str) -> None:
    def outcome_outside(gather: Gather) -> object:
        fresh_policy()
        if history == "after asyncio.run":
            asyncio.run(asyncio.sleep(0))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                future = gather()
            except RuntimeError as error:
                result: object = ("raised", *described(error))
            else:
                result = ("returned", future.done() and future.result())
                future.get_loop().close()
        fresh_policy()
        return result, [(w.category, str(w.message)) for w in caught]

    assert outcome_outside(tasks.gather) == outcome_outside(asyncio.gather)


@pytest.mark.parametrize("history", ["fresh", "after asyncio.run"])
def test_as_completed_outside_a_running_loop_asks_asyncio_for_a_loop(history: str) -> None:
    def outcome_outside(as_completed: AsCompleted) -> object:
        fresh_policy()
        if history == "after asyncio.run":
            asyncio.run(asyncio.sleep(0))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result: object = ("returned", list(as_completed([])))
            except RuntimeError as error:
                result = ("raised", *described(error))
            else:
                asyncio.get_event_loop().close()  # the loop it was given, now the current one
        fresh_policy()
        return result, [(w.category, str(w.message)) for w in caught]

    assert outcome_outside(tasks.as_completed) == outcome_outside(asyncio.as_completed)


@pytest.mark.skipif(
    not (3, 12) <= sys.version_info < (3, 14),
    reason="3.12 and 3.13 warn; 3.11 does not, 3.14 raises",
)
def test_the_warning_outside_a_loop_names_the_companion() -> None:
    """A documented difference: the DeprecationWarning names companion/tasks.py as its source."""

    def source_of_warning(function: Callable[[], object]) -> str:
        fresh_policy()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            function()
        asyncio.get_event_loop().close()  # the loop the warning was about
        fresh_policy()
        [warning] = caught
        return Path(warning.filename).name

    here, companion = Path(__file__).name, Path(tasks.__file__).name
    assert source_of_warning(asyncio.gather) == here
    assert source_of_warning(tasks.gather) == companion
    if sys.version_info >= (3, 13):  # before 3.13, asyncio's is a generator: nothing runs yet
        assert source_of_warning(lambda: asyncio.as_completed([])) == here
    assert source_of_warning(lambda: tasks.as_completed([])) == companion


# --- as_completed: scenarios -------------------------------------------------------------------


async def plain_iteration(as_completed: AsCompleted) -> Record:
    log = Log()
    results = []
    for next_one in as_completed(
        [log.job("a", 3), log.job("b", 1, KeyError("b")), log.job("c", 2)]
    ):
        result = await outcome(next_one)
        results.append((asyncio.get_running_loop().time(), result))
    return results, log.events


async def plain_iteration_with_timeout(as_completed: AsCompleted) -> Record:
    log = Log()
    children = [asyncio.ensure_future(log.job(name, delay)) for name, delay in [("a", 5), ("b", 1)]]
    results = []
    for next_one in as_completed([*children, log.job("c", 2)], timeout=3):
        result = await outcome(next_one)
        results.append((asyncio.get_running_loop().time(), result))
    at_timeout = [state(child) for child in children]
    await finish(children)
    return results, at_timeout, log.events


async def plain_iteration_timeout_after_results_arrive(as_completed: AsCompleted) -> Record:
    # Children done before the timeout but handed out after it still come first.
    loop = asyncio.get_running_loop()
    quick = [asyncio.ensure_future(asyncio.sleep(1, n)) for n in range(2)]
    slow = asyncio.ensure_future(asyncio.sleep(10, "slow"))
    items = list(as_completed([*quick, slow], timeout=2))
    await asyncio.sleep(5)
    results = [(loop.time(), await outcome(item)) for item in items]
    await finish([slow])
    return sorted(results, key=repr), state(slow)


async def plain_iteration_duplicates(as_completed: AsCompleted) -> Record:
    task = asyncio.ensure_future(asyncio.sleep(1, "task"))
    coroutine = asyncio.sleep(2, "coroutine")
    items = list(as_completed([task, coroutine, task, coroutine]))
    return [await item for item in items]


async def plain_iteration_empty(as_completed: AsCompleted) -> Record:
    return list(as_completed([])), list(as_completed([], timeout=0))


async def plain_iteration_already_done(as_completed: AsCompleted) -> Record:
    futures = []
    for n in range(5):
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        future.set_result(n)
        futures.append(future)
    # asyncio hands out children that are done already in an unspecified (set) order.
    return sorted([await item for item in as_completed(futures)])


async def plain_iteration_consumer_cancelled(as_completed: AsCompleted) -> Record:
    # Three consumers wait on three items; the first is cancelled before anything finishes.
    loop = asyncio.get_running_loop()
    children = [asyncio.ensure_future(asyncio.sleep(d, f"after {d}")) for d in (3, 1, 2)]
    consumers = [asyncio.ensure_future(outcome(item)) for item in as_completed(children)]
    await asyncio.sleep(0.5)
    consumers[0].cancel()
    await finish(consumers)
    finished_at = loop.time()
    await finish(children)  # nobody takes the last one any more
    return [state(consumer) for consumer in consumers], finished_at


async def plain_iteration_consumer_cancelled_late(
    as_completed: AsCompleted,
) -> Record:
    # The first child wakes the first consumer, which is cancelled before it can run: the item
    # must go to the next consumer at once, not wait for the next child to finish.
    children = [asyncio.ensure_future(asyncio.sleep(d, f"after {d}")) for d in (1, 2, 3)]

    async def consume(item: Awaitable[Any]) -> object:
        result = await outcome(item)
        return asyncio.get_running_loop().time(), result

    consumers = [asyncio.ensure_future(consume(item)) for item in as_completed(children)]
    await asyncio.sleep(0)  # the consumers are waiting now
    children[0].add_done_callback(lambda _: consumers[0].cancel())
    await finish(consumers)
    await finish(children)  # one child is left over: nobody takes the last item
    return [state(consumer) for consumer in consumers]


async def plain_iteration_bad_item(as_completed: AsCompleted) -> Record:
    # No coroutine among the arguments: asyncio may or may not have wrapped it (set order).
    future = asyncio.get_running_loop().create_future()
    return described(error_of(lambda: next(iter(as_completed([future, 42])))))


async def plain_iteration_child_cancelled(as_completed: AsCompleted) -> Record:
    children = [asyncio.ensure_future(asyncio.sleep(d, f"after {d}")) for d in (2, 3)]
    asyncio.get_running_loop().call_later(1, children[1].cancel, "bye")
    results = []
    for next_one in as_completed(children):
        results.append((asyncio.get_running_loop().time(), await outcome(next_one)))
    return results


async def plain_iteration_timeout_zero(as_completed: AsCompleted) -> Record:
    ready: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    ready.set_result("ready")
    later = asyncio.ensure_future(asyncio.sleep(1, "later"))
    results = [await outcome(item) for item in as_completed([ready, later], timeout=0)]
    await finish([later])
    return results


async def plain_iteration_not_iterable(as_completed: AsCompleted) -> Record:
    return described(error_of(lambda: next(iter(as_completed(42)))))


async def async_iteration(as_completed: AsCompleted) -> Record:
    log = Log()
    children = [
        asyncio.ensure_future(log.job("a", 3)),
        asyncio.ensure_future(log.job("b", 1, KeyError("b"))),
    ]
    coroutine = log.job("c", 2)
    seen = []
    async for child in as_completed([*children, coroutine, children[0]]):
        seen.append(
            (
                asyncio.get_running_loop().time(),
                children.index(child) if child in children else type(child).__name__,
                state(child),
            )
        )
    return seen, log.events


async def async_iteration_with_timeout(as_completed: AsCompleted) -> Record:
    children = [asyncio.ensure_future(asyncio.sleep(d, d)) for d in (5, 1)]
    seen = []
    try:
        async for child in as_completed(children, timeout=3):
            seen.append((asyncio.get_running_loop().time(), child.result()))
    except TimeoutError as error:
        seen.append((asyncio.get_running_loop().time(), described(error)))
    at_timeout = [state(child) for child in children]
    await finish(children)
    return seen, at_timeout


PLAIN_SCENARIOS: dict[str, Scenario] = {
    "plain iteration": plain_iteration,
    "timeout": plain_iteration_with_timeout,
    "timeout after results arrive": plain_iteration_timeout_after_results_arrive,
    "duplicates": plain_iteration_duplicates,
    "empty": plain_iteration_empty,
    "already done": plain_iteration_already_done,
    "a consumer cancelled": plain_iteration_consumer_cancelled,
    "a consumer cancelled as its item arrives": plain_iteration_consumer_cancelled_late,
    "bad item": plain_iteration_bad_item,
    "a child cancelled": plain_iteration_child_cancelled,
    "timeout 0": plain_iteration_timeout_zero,
    "not iterable": plain_iteration_not_iterable,
}


async def async_iteration_child_cancelled(as_completed: AsCompleted) -> Record:
    children = [asyncio.ensure_future(asyncio.sleep(d, f"after {d}")) for d in (2, 3)]
    asyncio.get_running_loop().call_later(1, children[1].cancel, "bye")
    seen = []
    async for child in as_completed(children):
        seen.append((asyncio.get_running_loop().time(), children.index(child), state(child)))
    return seen


ASYNC_SCENARIOS: dict[str, Scenario] = {
    "async iteration": async_iteration,
    "async iteration, timeout": async_iteration_with_timeout,
    "async iteration, a child cancelled": async_iteration_child_cancelled,
}


# --- as_completed: tests -----------------------------------------------------------------------


@pytest.mark.parametrize("name", PLAIN_SCENARIOS)
def test_plain_iteration_behaves_as_asyncio(name: str) -> None:
    # Plain iteration is the same on every version, so asyncio's is the reference everywhere.
    same_record(PLAIN_SCENARIOS[name], asyncio.as_completed, tasks.as_completed)


def test_plain_iteration_gives_outcomes_in_completion_order() -> None:
    results, events = record_of(plain_iteration, tasks.as_completed)
    assert results == [
        (1.0, ("raised", "KeyError", ("b",))),
        (2.0, ("returned", "c")),
        (3.0, ("returned", "a")),
    ]
    assert [time for time, _ in events] == [1.0, 2.0, 3.0]


def test_timeout_raises_timeout_error_and_leaves_children_running() -> None:
    results, at_timeout, events = record_of(plain_iteration_with_timeout, tasks.as_completed)
    assert results == [
        (1.0, ("returned", "b")),
        (2.0, ("returned", "c")),
        (3.0, ("raised", "TimeoutError", ())),
    ]
    assert at_timeout == ["pending", ("returned", "b")]
    assert events[-1] == (5.0, "a done")


@pytest.mark.skipif(not HAS_313, reason="asyncio.as_completed is an async iterator from 3.13")
@pytest.mark.parametrize("name", ASYNC_SCENARIOS)
def test_async_iteration_behaves_as_asyncio_313(name: str) -> None:
    same_record(ASYNC_SCENARIOS[name], asyncio.as_completed, tasks.as_completed)


def test_async_iteration_gives_the_children_in_completion_order() -> None:
    # Python 3.13's documented behaviour, checked on every version.
    seen, _ = record_of(async_iteration, tasks.as_completed)
    assert seen == [
        (1.0, 1, ("raised", "KeyError", ("b",))),
        (2.0, "Task", ("returned", "c")),
        (3.0, 0, ("returned", "a")),
    ]
    seen_with_timeout, at_timeout = record_of(async_iteration_with_timeout, tasks.as_completed)
    assert seen_with_timeout == [(1.0, 1), (3.0, ("TimeoutError", ()))]
    assert at_timeout == ["pending", ("returned", 1)]


@pytest.mark.skipif(HAS_313, reason="asyncio.as_completed is an async iterator from 3.13")
def test_asyncio_as_completed_before_313_has_no_async_iteration() -> None:
    async def scenario(as_completed: AsCompleted) -> Record:
        iterator = as_completed([])
        return hasattr(iterator, "__aiter__"), list(iterator)

    assert record_of(scenario, asyncio.as_completed) == (False, [])
    assert record_of(scenario, tasks.as_completed) == (True, [])


class Custom:
    """An awaitable that is neither a coroutine nor a future."""

    def __await__(self) -> Generator[Any, None, None]:
        yield from asyncio.sleep(0).__await__()


@pytest.mark.parametrize("kind", ["coroutine", "Future", "Custom"])
def test_as_completed_refuses_an_awaitable_in_place_of_an_iterable(kind: str) -> None:
    async def scenario(as_completed: AsCompleted) -> Record:
        wrong: Awaitable[Any] = {
            "coroutine": lambda: asyncio.sleep(0),
            "Future": asyncio.get_running_loop().create_future,
            "Custom": Custom,
        }[kind]()
        error = described(error_of(lambda: as_completed(wrong)))
        if asyncio.iscoroutine(wrong):
            wrong.close()  # asyncio leaves it unclosed, the companion's closes it
        return error

    # The message of 3.13, where asyncio checks at the call (see the next test for 3.11, 3.12).
    expected = ("TypeError", (f"expects an iterable of awaitables, not {kind}",))
    assert record_of(scenario, tasks.as_completed) == expected
    if HAS_313:
        assert record_of(scenario, asyncio.as_completed) == expected


def test_as_completed_refuses_before_iteration_starts() -> None:
    # 3.13 checks at the call; before 3.13, asyncio's generator checks at the first next().
    async def scenario(as_completed: AsCompleted) -> Record:
        coroutine = asyncio.sleep(0)
        try:
            iterator = as_completed(coroutine)
        except TypeError:
            return "at the call"
        finally:
            coroutine.close()
        return f"at first next(): {described(error_of(lambda: next(iterator)))}"

    assert record_of(scenario, tasks.as_completed) == "at the call"
    if HAS_313:
        assert record_of(scenario, asyncio.as_completed) == "at the call"
    else:
        assert record_of(scenario, asyncio.as_completed) == (
            "at first next(): ('TypeError', ('expect an iterable of futures, not coroutine',))"
        )


def test_as_completed_starts_the_clock_at_the_call() -> None:
    async def scenario(as_completed: AsCompleted) -> Record:
        child = asyncio.ensure_future(asyncio.sleep(2.5, "late"))
        iterator = iter(as_completed([child], timeout=2))
        await asyncio.sleep(1)
        raised = await outcome(next(iterator))
        when = asyncio.get_running_loop().time()
        await finish([child])
        return when, raised

    assert record_of(scenario, tasks.as_completed) == (2.0, ("raised", "TimeoutError", ()))
    # asyncio before 3.13 starts it at the first next(): a second later, and too late here.
    expected = record_of(scenario, asyncio.as_completed)
    if HAS_313:
        assert expected == record_of(scenario, tasks.as_completed)
    else:
        assert expected == (2.5, ("returned", "late"))


def test_as_completed_takes_a_generator_expression() -> None:
    # On 3.11, asyncio takes a generator for a coroutine, and refuses it in place of the iterable.
    async def scenario(as_completed: AsCompleted) -> Record:
        children = [asyncio.ensure_future(asyncio.sleep(d, d)) for d in (2, 1)]
        try:
            return [await item for item in as_completed(child for child in children)]
        except TypeError as error:
            return described(error)
        finally:
            await finish(children)

    assert record_of(scenario, tasks.as_completed) == [1, 2]
    if sys.version_info >= (3, 12):
        assert record_of(scenario, asyncio.as_completed) == [1, 2]
    else:
        assert record_of(scenario, asyncio.as_completed) == (
            "TypeError",
            ("expect an iterable of futures, not generator",),
        )
