"""Tests for :mod:`companion.sync`: each primitive checked against asyncio's, scenario by scenario.

A scenario is a coroutine function that takes an implementation (the :mod:`asyncio` module or
:mod:`companion.sync`: both have ``Lock``, ``Event``, ``Semaphore``, ``Queue`` and the rest under
the same names) and returns a record of everything observable: who got what, in which order, at
which virtual time, what was raised (type and message), the state left behind. Each scenario
runs through both implementations and the records must be equal. The cancellation sweeps run a
workload again and again, cancelling one task at every virtual time and after every number of
event-loop steps in turn, so that the cancellation lands at each ``await`` the workload reaches,
including the moment between a waiter being woken and its running.

The reference is asyncio's 3.13 behaviour. Two things are new in 3.13:
:meth:`asyncio.Queue.shutdown`, and a :class:`~asyncio.Semaphore` waiter that gets its permit
wakes as many more waiters as there are free permits (before, it woke one, which woke the next,
and so on). The tests about those check the companion's record against the behaviour 3.13
defines, written out, and check asyncio against the same on 3.13 (so it cannot drift) and, for
the semaphore, against its old order before 3.13.

The harness (:func:`record_of`) fails a scenario that leaves a task pending or makes the loop
report an error, and turns a deadlock into a recorded timeout (the virtual clock jumps to it).
CPython's own tests run against the companion in ``test_sync_cpython.py``.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import sys
from collections.abc import Callable, Coroutine
from types import ModuleType
from typing import Any

import pytest

from companion import sync
from companion.virtualtime import run

Record = Any
Scenario = Callable[[Any], Coroutine[Any, Any, Record]]

HAS_313 = sys.version_info >= (3, 13)
IMPLEMENTATIONS: dict[str, ModuleType] = {"asyncio": asyncio, "companion": sync}
DEADLOCK = 10_000  # virtual seconds: a scenario still waiting then is stuck


def record_of(scenario: Scenario, implementation: ModuleType) -> Record:
    """Run *scenario* with *implementation* on a virtual clock; check that nothing was left."""

    async def main() -> Record:
        loop = asyncio.get_running_loop()
        reported: list[str] = []
        loop.set_exception_handler(lambda _, context: reported.append(context["message"]))
        deadline = asyncio.timeout(DEADLOCK)
        try:
            async with deadline:
                record = await scenario(implementation)
        except TimeoutError:
            if not deadline.expired():
                raise
            record = "deadlock"
        await asyncio.sleep(0)  # let done-callbacks scheduled by the last step run
        gc.collect()  # an exception never retrieved is reported when its future is collected
        leftover = asyncio.all_tasks() - {asyncio.current_task()}
        for task in leftover:
            task.cancel()
        assert not leftover, f"pending after the scenario: {leftover}"
        assert not reported, f"the loop reported: {reported}"
        return record

    return run(main())


def same_record(scenario: Scenario) -> Record:
    """The record of *scenario*, after checking it is the same with both implementations."""
    expected = record_of(scenario, asyncio)
    assert record_of(scenario, sync) == expected
    return expected


def described(error: BaseException) -> tuple[str, tuple[Any, ...]]:
    """An exception as a comparable value: its type's name and its arguments."""
    return type(error).__name__, error.args


class Log:
    """What happened when, on the virtual clock: (time, who, what) triples."""

    def __init__(self) -> None:
        self.events: list[tuple[float, str, str]] = []

    def note(self, who: str, what: str) -> None:
        self.events.append((asyncio.get_running_loop().time(), who, what))


async def outcome(awaitable: Any) -> object:
    """Await *awaitable*: what it returned, or the type and message of what it raised."""
    try:
        result = await awaitable
    except BaseException as error:  # CancelledError included: it is what we look at
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise  # unless it is this task that is cancelled (by the deadlock guard)
        return ("raised", *described(error))
    return ("returned", result)


async def settle(tasks: list[asyncio.Task[Any]]) -> list[object]:
    """Wait for every task; their outcomes in order."""
    return [await outcome(task) for task in tasks]


def at_once(coroutine: Coroutine[Any, Any, object]) -> bool:
    """Whether *coroutine* finishes without waiting (if not, it is closed, having waited once)."""
    try:
        coroutine.send(None)
    except StopIteration:
        return True
    coroutine.close()
    return False


async def cancel_later(task: asyncio.Task[Any], at: float, steps: int) -> None:
    """Cancel *task* at virtual time *at*, after *steps* more turns of the event loop."""
    await asyncio.sleep(at)
    for _ in range(steps):
        await asyncio.sleep(0)
    task.cancel()


# --- Lock ----------------------------------------------------------------------------------------


async def lock_fifo(impl: ModuleType) -> Record:
    log = Log()
    lock = impl.Lock()

    async def worker(name: str) -> None:
        log.note(name, "asks")
        async with lock:
            log.note(name, "holds")
            await asyncio.sleep(1)
        log.note(name, "leaves")

    tasks = [asyncio.create_task(worker(name)) for name in "abcd"]
    return await settle(tasks), log.events, lock.locked()


async def lock_no_queue_jumping(impl: ModuleType) -> Record:
    # release() wakes "b"; "late" asks before "b" runs, finds the lock free, and must still wait.
    log = Log()
    lock = impl.Lock()
    await lock.acquire()

    async def worker(name: str) -> None:
        await lock.acquire()
        log.note(name, "holds")
        lock.release()

    waiting = asyncio.create_task(worker("b"))
    await asyncio.sleep(0)
    lock.release()
    late = asyncio.create_task(worker("late"))
    locked_before = lock.locked()
    return locked_before, await settle([waiting, late]), log.events, lock.locked()


async def lock_cancel_after_wake(impl: ModuleType) -> Record:
    # The wake-up goes to "b", which is cancelled before it runs: "c" must get the lock.
    log = Log()
    lock = impl.Lock()
    await lock.acquire()

    async def worker(name: str) -> None:
        async with lock:
            log.note(name, "holds")

    b, c = asyncio.create_task(worker("b")), asyncio.create_task(worker("c"))
    await asyncio.sleep(0)
    lock.release()
    b.cancel()
    return await settle([b, c]), log.events, lock.locked()


async def lock_misuse(impl: ModuleType) -> Record:
    lock = impl.Lock()
    raised: list[object] = []
    try:
        lock.release()
    except RuntimeError as error:
        raised.append(("raised", *described(error)))
    try:
        with lock:
            pass
    except (TypeError, AttributeError) as error:
        raised.append(("raised", type(error).__name__))
    return raised


async def lock_workload(impl: ModuleType, at: float, steps: int, victim: int) -> Record:
    """Three holders of a lock for a second each, one of them cancelled at (*at*, *steps*)."""
    log = Log()
    lock = impl.Lock()

    async def worker(name: str) -> None:
        try:
            async with lock:
                log.note(name, "holds")
                await asyncio.sleep(1)
        except asyncio.CancelledError:
            log.note(name, "cancelled")
            raise

    tasks = [asyncio.create_task(worker(name)) for name in "abc"]
    canceller = asyncio.create_task(cancel_later(tasks[victim], at, steps))
    outcomes = await settle(tasks)
    await canceller
    # Nothing lost: the lock is free, and free for anyone at once.
    return outcomes, log.events, at_once(lock.acquire()), at_once(lock.acquire())


# --- Event ---------------------------------------------------------------------------------------


async def event_wakes_all(impl: ModuleType) -> Record:
    log = Log()
    event = impl.Event()

    async def waiter(name: str) -> None:
        log.note(name, f"got {await event.wait()}")

    tasks = [asyncio.create_task(waiter(name)) for name in "abc"]
    await asyncio.sleep(1)
    tasks[1].cancel()
    await asyncio.sleep(1)
    event.set()
    event.clear()  # too late to stop the ones already woken
    outcomes = await settle(tasks)
    late = asyncio.create_task(waiter("late"))
    await asyncio.sleep(1)
    late_waits = not late.done()
    event.set()
    await late
    return outcomes, log.events, late_waits, event.is_set(), await event.wait()


async def event_workload(impl: ModuleType, at: float, steps: int, victim: int) -> Record:
    log = Log()
    event = impl.Event()

    async def waiter(name: str) -> None:
        await event.wait()
        log.note(name, "woken")

    tasks = [asyncio.create_task(waiter(name)) for name in "abc"]
    asyncio.get_running_loop().call_later(1, event.set)
    canceller = asyncio.create_task(cancel_later(tasks[victim], at, steps))
    outcomes = await settle(tasks)
    await canceller
    return outcomes, log.events


# --- Semaphore -----------------------------------------------------------------------------------


async def semaphore_fifo(impl: ModuleType) -> Record:
    log = Log()
    semaphore = impl.Semaphore(2)

    async def worker(name: str, hold: float) -> None:
        async with semaphore:
            log.note(name, "in")
            await asyncio.sleep(hold)

    tasks = [
        asyncio.create_task(worker(name, hold))
        for name, hold in zip("abcde", [3, 1, 2, 1, 1], strict=True)
    ]
    return await settle(tasks), log.events, semaphore.locked()


async def semaphore_workload(impl: ModuleType, at: float, steps: int, victim: int) -> Record:
    """Five tasks share two permits; one is cancelled at (*at*, *steps*)."""
    log = Log()
    semaphore = impl.Semaphore(2)

    async def worker(name: str) -> None:
        try:
            async with semaphore:
                log.note(name, "in")
                await asyncio.sleep(1)
        except asyncio.CancelledError:
            log.note(name, "cancelled")
            raise

    tasks = [asyncio.create_task(worker(name)) for name in "abcde"]
    canceller = asyncio.create_task(cancel_later(tasks[victim], at, steps))
    outcomes = await settle(tasks)
    await canceller
    # Nothing lost: both permits can be taken at once, and no third.
    taken = [at_once(semaphore.acquire()) for _ in range(3)]
    return outcomes, log.events, taken


async def semaphore_release_then_cancel(impl: ModuleType) -> Record:
    # Two permits released in one step go to "b" and "c"; "b" is cancelled before it runs, so
    # its permit must reach "d".
    log = Log()
    semaphore = impl.Semaphore(0)

    async def worker(name: str) -> None:
        await semaphore.acquire()
        log.note(name, "in")

    tasks = [asyncio.create_task(worker(name)) for name in "bcd"]
    await asyncio.sleep(0)
    semaphore.release()
    semaphore.release()
    tasks[0].cancel()
    return await settle(tasks), log.events, semaphore.locked()


async def semaphore_wakes_every_free_permit(impl: ModuleType) -> Record:
    # "a" waits; "b" frees three permits (the first one goes to "a"), then asks for one and, like
    # "c", queues behind "a". When "a" runs, two permits are free and two tasks wait; it also
    # starts "late", which needs no permit: does "late" run before "c"?
    order: list[str] = []
    semaphore = impl.Semaphore(0)

    async def note(name: str) -> None:
        order.append(name)

    async def worker(name: str, releases: int = 0) -> None:
        for _ in range(releases):
            semaphore.release()
        await semaphore.acquire()
        order.append(name)
        if name == "a":
            late.append(asyncio.create_task(note("late")))

    late: list[asyncio.Task[None]] = []
    tasks = [asyncio.create_task(worker("a")), asyncio.create_task(worker("b", releases=3))]
    tasks.append(asyncio.create_task(worker("c")))
    await settle(tasks)
    await settle(late)
    return order


async def semaphore_misuse(impl: ModuleType) -> Record:
    raised = []
    try:
        impl.Semaphore(-1)
    except ValueError as error:
        raised.append(described(error))
    bounded = impl.BoundedSemaphore(2)
    await bounded.acquire()
    bounded.release()
    try:
        bounded.release()
    except ValueError as error:
        raised.append(described(error))
    return raised, bounded.locked()


# --- Queue ---------------------------------------------------------------------------------------


async def queue_fifo_getters(impl: ModuleType) -> Record:
    log = Log()
    queue = impl.Queue()

    async def getter(name: str) -> None:
        log.note(name, f"got {await queue.get()}")

    tasks = [asyncio.create_task(getter(name)) for name in "abc"]
    await asyncio.sleep(1)
    for item in range(3):
        queue.put_nowait(item)
    return await settle(tasks), log.events, queue.qsize()


async def queue_back_pressure(impl: ModuleType) -> Record:
    log = Log()
    queue = impl.Queue(maxsize=2)

    async def producer() -> None:
        for item in range(5):
            await queue.put(item)
            log.note("producer", f"put {item}")

    async def consumer() -> None:
        for _ in range(5):
            item = await queue.get()
            await asyncio.sleep(1)
            log.note("consumer", f"done {item}")
            queue.task_done()

    tasks = [asyncio.create_task(producer()), asyncio.create_task(consumer())]
    await asyncio.sleep(0.5)
    full_then = queue.full(), queue.qsize()
    await queue.join()
    log.note("main", "joined")
    return full_then, await settle(tasks), log.events


async def queue_nowait_errors(impl: ModuleType) -> Record:
    queue = impl.Queue(maxsize=1)
    raised = []
    for action in (queue.get_nowait, lambda: [queue.put_nowait(1), queue.put_nowait(2)]):
        try:
            action()
        except (impl.QueueEmpty, impl.QueueFull) as error:
            raised.append(described(error))
    queue.get_nowait()
    queue.task_done()
    try:
        queue.task_done()
    except ValueError as error:
        raised.append(described(error))
    return raised, queue.empty(), queue.full(), queue.maxsize


async def queue_orders(impl: ModuleType) -> Record:
    orders = []
    for kind in (impl.Queue, impl.LifoQueue, impl.PriorityQueue):
        queue = kind()
        for item in [3, 1, 4, 1, 5]:
            queue.put_nowait(item)
        orders.append([queue.get_nowait() for _ in range(queue.qsize())])
    return orders


async def queue_get_cancelled_after_wake(impl: ModuleType) -> Record:
    # put_nowait() wakes "a", which is cancelled before it runs: "b" must get the item.
    log = Log()
    queue = impl.Queue()

    async def getter(name: str) -> None:
        log.note(name, f"got {await queue.get()}")

    a, b = asyncio.create_task(getter("a")), asyncio.create_task(getter("b"))
    await asyncio.sleep(0)
    queue.put_nowait("item")
    a.cancel()
    return await settle([a, b]), log.events, queue.qsize()


async def queue_put_cancelled_after_wake(impl: ModuleType) -> Record:
    # get_nowait() frees a slot and wakes "a", cancelled before it runs: "b" must put instead.
    log = Log()
    queue = impl.Queue(maxsize=1)
    queue.put_nowait("first")

    async def putter(name: str) -> None:
        await queue.put(name)
        log.note(name, "put")

    a, b = asyncio.create_task(putter("a")), asyncio.create_task(putter("b"))
    await asyncio.sleep(0)
    taken = queue.get_nowait()
    a.cancel()
    outcomes = await settle([a, b])
    return taken, outcomes, log.events, [queue.get_nowait() for _ in range(queue.qsize())]


async def queue_workload(impl: ModuleType, at: float, steps: int, victim: int) -> Record:
    """Two producers and two fast consumers on a queue of one slot; one task is cancelled."""
    log = Log()
    queue = impl.Queue(maxsize=1)

    async def producer(name: str) -> None:
        for number in range(3):
            await queue.put(f"{name}{number}")
            log.note(name, f"put {name}{number}")
            await asyncio.sleep(1)

    async def consumer(name: str) -> None:
        while True:
            item = await queue.get()
            log.note(name, f"got {item}")
            await asyncio.sleep(0.25)

    tasks = [
        asyncio.create_task(producer("p")),
        asyncio.create_task(producer("q")),
        asyncio.create_task(consumer("x")),
        asyncio.create_task(consumer("y")),
    ]
    canceller = asyncio.create_task(cancel_later(tasks[victim], at, steps))
    await asyncio.sleep(10)
    await canceller
    for task in tasks:
        task.cancel()
    outcomes = await settle(tasks)
    # Nothing lost: every item put was taken by a consumer or is still in the queue.
    left = [queue.get_nowait() for _ in range(queue.qsize())]
    return outcomes, log.events, left


# --- Queue.shutdown (3.13) -----------------------------------------------------------------------


async def queue_shutdown(impl: ModuleType, immediate: bool) -> Record:
    log = Log()
    queue = impl.Queue(maxsize=2)
    for item in "ab":
        queue.put_nowait(item)

    async def getter(name: str) -> None:
        while True:
            try:
                item = await queue.get()
            except impl.QueueShutDown:
                log.note(name, "shut down")
                return
            log.note(name, f"got {item}")
            await asyncio.sleep(1)
            queue.task_done()

    blocked_put = asyncio.create_task(queue.put("c"))
    joiner = asyncio.create_task(queue.join())
    await asyncio.sleep(0)
    queue.shutdown(immediate=immediate)
    raised = []
    try:
        queue.put_nowait("d")
    except impl.QueueShutDown as error:
        raised.append(described(error))
    try:
        raised.append(("got", queue.get_nowait()))
        queue.task_done()
    except impl.QueueShutDown as error:
        raised.append(described(error))
    getters = [asyncio.create_task(getter(name)) for name in "xy"]
    outcomes = await settle([blocked_put, joiner, *getters])
    return raised, outcomes, log.events, queue.qsize(), str(queue)


# --- The tests -----------------------------------------------------------------------------------

SCENARIOS: dict[str, Scenario] = {
    "lock_fifo": lock_fifo,
    "lock_no_queue_jumping": lock_no_queue_jumping,
    "lock_cancel_after_wake": lock_cancel_after_wake,
    "lock_misuse": lock_misuse,
    "event_wakes_all": event_wakes_all,
    "semaphore_misuse": semaphore_misuse,
    "semaphore_fifo": semaphore_fifo,
    "semaphore_release_then_cancel": semaphore_release_then_cancel,
    "queue_fifo_getters": queue_fifo_getters,
    "queue_back_pressure": queue_back_pressure,
    "queue_nowait_errors": queue_nowait_errors,
    "queue_orders": queue_orders,
    "queue_get_cancelled_after_wake": queue_get_cancelled_after_wake,
    "queue_put_cancelled_after_wake": queue_put_cancelled_after_wake,
}


Workload = Callable[[ModuleType, float, int, int], Coroutine[Any, Any, Record]]
SWEEPS: dict[str, tuple[Workload, int]] = {
    "lock": (lock_workload, 3),
    "event": (event_workload, 3),
    "semaphore": (semaphore_workload, 5),
    "queue": (queue_workload, 4),
}
MOMENTS = list(itertools.product([0, 1, 2], range(4)))  # (virtual time, loop steps after it)


@pytest.mark.parametrize("name", SCENARIOS)
def test_behaves_as_asyncio(name: str) -> None:
    same_record(SCENARIOS[name])


@pytest.mark.parametrize("name", SWEEPS)
def test_cancellation_at_every_await(name: str) -> None:
    workload, victims = SWEEPS[name]
    for victim, (at, steps) in itertools.product(range(victims), MOMENTS):

        async def scenario(impl: ModuleType) -> Record:
            return await workload(impl, at, steps, victim)  # noqa: B023 (run at once)

        assert same_record(scenario) != "deadlock"


def test_semaphore_permit_goes_to_the_next_waiter() -> None:
    """3.13's rule, on every version: a woken waiter cancelled before it runs passes its permit."""
    outcomes, events, locked = record_of(semaphore_release_then_cancel, sync)
    assert outcomes == [
        ("raised", "CancelledError", ()),
        ("returned", None),
        ("returned", None),
    ]
    assert events == [(0.0, "c", "in"), (0.0, "d", "in")]
    assert locked
    if HAS_313:
        assert record_of(semaphore_release_then_cancel, asyncio) == (outcomes, events, locked)


def test_semaphore_wakes_every_free_permit() -> None:
    """3.13's rule, on every version: a waiter that gets its permit wakes as many more waiters as
    there are free permits, so "c" runs before a task created after it."""
    assert record_of(semaphore_wakes_every_free_permit, sync) == ["a", "b", "c", "late"]
    # Before 3.13, asyncio's woke one more at a time: each woken task woke the next.
    expected = ["a", "b", "c", "late"] if HAS_313 else ["a", "b", "late", "c"]
    assert record_of(semaphore_wakes_every_free_permit, asyncio) == expected


@pytest.mark.parametrize("immediate", [False, True])
def test_queue_shutdown(immediate: bool) -> None:
    async def scenario(impl: ModuleType) -> Record:
        return await queue_shutdown(impl, immediate)

    raised, outcomes, events, size, text = record_of(scenario, sync)
    shut = ("QueueShutDown", ())
    assert raised == ([shut, shut] if immediate else [shut, ("got", "a")])
    put, join, *getters = outcomes
    assert put == ("raised", "QueueShutDown", ())
    assert join == ("returned", None)
    assert getters == [("returned", None), ("returned", None)]
    if immediate:
        # The items are dropped, counted as done: join() returns at once, the getters find nothing.
        assert events == [(0.0, "x", "shut down"), (0.0, "y", "shut down")]
        assert (size, text) == (0, "<Queue maxsize=2 shutdown>")
    else:
        # The getters still drain what is there, then learn the queue is shut down.
        assert events == [(0.0, "x", "got b"), (0.0, "y", "shut down"), (1.0, "x", "shut down")]
        assert (size, text) == (0, "<Queue maxsize=2 shutdown>")
    if HAS_313:
        assert record_of(scenario, asyncio) == (raised, outcomes, events, size, text)


def test_queue_shutdown_is_asyncio_exception_on_313() -> None:
    if HAS_313:
        assert sync.QueueShutDown is vars(asyncio)["QueueShutDown"]
    else:
        assert issubclass(sync.QueueShutDown, Exception)
    assert sync.QueueEmpty is asyncio.QueueEmpty
    assert sync.QueueFull is asyncio.QueueFull


@pytest.mark.parametrize("kind", ["Lock", "Event", "Semaphore", "Queue"])
def test_bound_to_one_loop(kind: str) -> None:
    """Used from a second event loop, each primitive raises asyncio's RuntimeError."""

    def messages(impl: ModuleType) -> str:
        primitive = getattr(impl, kind)(0) if kind == "Semaphore" else getattr(impl, kind)()

        async def wait() -> None:
            if kind == "Lock":
                await primitive.acquire()
                await primitive.acquire()
            elif kind == "Queue":
                await primitive.get()
            elif kind == "Semaphore":
                await primitive.acquire()
            else:
                await primitive.wait()

        async def once() -> None:
            task = asyncio.create_task(wait())
            await asyncio.sleep(0)
            task.cancel()
            await outcome(task)

        run(once())
        with pytest.raises(RuntimeError) as raised:
            run(wait())
        return str(raised.value).replace(repr(primitive), "<primitive>")

    assert messages(sync) == messages(asyncio) == "<primitive> is bound to a different event loop"


@pytest.mark.parametrize("kind", ["Lock", "Event", "Semaphore", "BoundedSemaphore"])
def test_repr_as_asyncio(kind: str) -> None:
    async def main(impl: ModuleType) -> list[str]:
        primitive = getattr(impl, kind)()
        shown = [repr(primitive)]
        if kind == "Event":
            task = asyncio.create_task(primitive.wait())
        else:
            await primitive.acquire()
            task = asyncio.create_task(primitive.acquire())
        await asyncio.sleep(0)
        shown.append(repr(primitive))
        task.cancel()
        await outcome(task)
        prefix = f"<{type(primitive).__module__}.{kind} object at {id(primitive):#x} "
        return [text.removeprefix(prefix) for text in shown]

    assert run(main(sync)) == run(main(asyncio))


def test_waiting_without_a_loop() -> None:
    """The one misuse that differs on purpose: no running loop is a RuntimeError, not a crash."""

    def error(impl: ModuleType) -> BaseException:
        lock = impl.Lock()
        assert at_once(lock.acquire())
        waits = lock.acquire()
        with pytest.raises((RuntimeError, AttributeError)) as raised:
            waits.send(None)
        return raised.value

    assert described(error(sync)) == ("RuntimeError", ("no running event loop",))
    assert isinstance(error(asyncio), AttributeError)
