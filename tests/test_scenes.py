"""Tests for :mod:`companion.scenes`: each trace shows what its figure in the book claims."""

from __future__ import annotations

import itertools
import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from companion import scenes
from companion.timeline import TaskTrace, Timeline

SCENES = [name for name in scenes.__all__ if name != "job"]


def lifetime(task: TaskTrace) -> tuple[float, float]:
    """From the start of a task's first step to the end of its last."""
    return task.steps[0].start, task.steps[-1].end


def overlap(one: TaskTrace, two: TaskTrace) -> bool:
    (start1, end1), (start2, end2) = lifetime(one), lifetime(two)
    return start1 < end2 and start2 < end1


def times(timeline: Timeline) -> list[tuple[str, str, list[tuple[float, float]]]]:
    """What a figure on the time axis draws of a timeline: names, outcomes and step times."""
    return [
        (task.name, task.outcome, [(step.start, step.end) for step in task.steps])
        for task in timeline.tasks
    ]


@pytest.mark.parametrize("name", SCENES)
def test_every_scene_draws_the_same_on_every_run(name: str) -> None:
    if name == "eager_start" and sys.version_info < (3, 12):
        pytest.skip("eager tasks are new in 3.12")
    scene: Callable[[], Timeline] = getattr(scenes, name)
    # The order of steps at one instant may vary: a TaskGroup cancels the tasks of a set.
    assert times(scene()) == times(scene())


@pytest.mark.parametrize("name", ["round_robin", "lazy_start"])
def test_figures_on_the_steps_axis_are_the_same_step_for_step(name: str) -> None:
    scene: Callable[[], Timeline] = getattr(scenes, name)
    assert scene() == scene()


def test_sequential_awaits_add_up_and_gathered_tasks_overlap() -> None:
    sequential, gathered = scenes.sequential(), scenes.gathered()
    # Awaited in turn, the jobs run inside the one task: its waits follow each other.
    (main,) = sequential.tasks
    waits = main.waits()
    assert all(one[1] == two[0] for one, two in itertools.pairwise(waits))
    jobs = [gathered[f"job({name!r}, {delay})"] for name, delay in [("a", 1), ("b", 2), ("c", 3)]]
    for one, two in itertools.combinations(jobs, 2):
        assert overlap(one, two)
    durations = [end - start for start, end in waits]
    assert [lifetime(task)[1] - lifetime(task)[0] for task in jobs] == durations
    assert sequential.end() == sum(durations)
    assert gathered.end() == max(durations)


def test_as_completed_hands_out_jobs_in_the_order_they_finish() -> None:
    timeline = scenes.as_completed()
    main, *jobs = timeline.tasks
    finished = sorted(jobs, key=lambda task: task.finished or 0.0)
    assert [task.name for task in jobs] == ["slow", "fast", "medium"]  # in creation order
    assert [task.name for task in finished] == ["fast", "medium", "slow"]
    # The main task wakes once as each job finishes.
    assert [step.start for step in main.steps[1:]] == [task.finished for task in finished]


def test_taskgroup_cancels_the_siblings_still_running_when_one_fails() -> None:
    timeline = scenes.taskgroup_failure()
    failed = timeline["crash('b', 2)"]
    assert (failed.outcome, failed.error) == ("raised", "ValueError")
    before, after = timeline["job('a', 1)"], timeline["job('c', 3)"]
    assert before.outcome == "returned"
    assert before.finished is not None
    assert failed.finished is not None
    assert before.finished < failed.finished
    assert (after.outcome, after.finished) == ("cancelled", failed.finished)
    assert timeline["main()"].finished == failed.finished


def test_a_swallowed_cancellation_holds_the_group_until_the_stubborn_task_ends() -> None:
    timeline = scenes.swallowed_cancellation()
    failed, stubborn, main = timeline["fails"], timeline["stubborn"], timeline["main()"]
    assert (failed.outcome, failed.error, failed.finished) == ("raised", "ValueError", 1.0)
    # The group's cancellation reached stubborn at once, and it carried on regardless ...
    assert stubborn.steps[1].start == failed.finished
    assert stubborn.outcome == "returned"
    assert stubborn.finished == failed.finished + 10
    # main, waiting in the group's __aexit__, ran once at 1 s (to cancel stubborn), then waited
    # for stubborn, and got the error only when stubborn had returned.
    assert [step.start for step in main.steps] == [0.0, failed.finished, stubborn.finished]
    assert main.finished == stubborn.finished


def test_gather_passes_on_the_failure_and_leaves_the_others_running() -> None:
    timeline = scenes.gather_failure()
    failed = timeline["crash('b', 1)"]
    main = timeline["main()"]
    assert main.steps[1].start == failed.finished  # gather raised as soon as b failed
    for name in ["job('a', 3)", "job('c', 2)"]:
        task = timeline[name]
        assert task.outcome == "returned"
        assert task.finished is not None
        assert failed.finished is not None
        assert task.finished > failed.finished


def test_a_blocking_step_keeps_every_other_task_from_running() -> None:
    timeline = scenes.blocking()
    blocking = timeline["blocker"].steps[-1]
    assert blocking.end - blocking.start == 2.5
    others = [step for task in timeline.tasks if task.name != "blocker" for step in task.steps]
    assert not [s for s in others if s.start < blocking.end and s.end > blocking.start]
    # The ticker's timer fell due during the block: it ran late, when the block ended.
    ticker = [step.start for step in timeline["ticker"].steps]
    assert ticker[:3] == [0.0, 1.0, blocking.end]
    assert all(later - earlier == 1.0 for earlier, later in itertools.pairwise(ticker[2:]))


def test_round_robin_steps_alternate() -> None:
    timeline = scenes.round_robin()
    order = timeline.order()
    assert order[0] == order[-1] == "main"
    workers = order[1:-1]
    assert workers == ["a", "b", "c"] * (len(workers) // 3)
    assert len(workers) == sum(len(timeline[name].steps) for name in "abc")


def test_lazy_tasks_start_when_their_creator_pauses() -> None:
    timeline = scenes.lazy_start()
    assert timeline.order() == [
        "create_two()",  # creates a and b, then sleep(0)
        "quick('a')",
        "two_steps('b')",
        "create_two()",  # back after sleep(0), before b's second step
        "two_steps('b')",
        "create_two()",
    ]


@pytest.mark.skipif(sys.version_info < (3, 12), reason="eager tasks are new in 3.12")
def test_eager_tasks_take_their_first_step_inside_create_task() -> None:
    timeline = scenes.eager_start()
    main = timeline["create_two()"].steps[0]
    for name in ["quick('a')", "two_steps('b')"]:
        first = timeline[name].steps[0]
        assert main.index < first.index < first.end_index <= main.end_index
    assert timeline["quick('a')"].outcome == "returned"


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="eager tasks exist from 3.12")
def test_the_eager_scene_says_it_needs_3_12() -> None:
    with pytest.raises(RuntimeError, match=r"need Python 3\.12"):
        scenes.eager_start()


BOOK = Path(__file__).resolve().parent.parent / "book"
FIGURES = [
    (page, scene)
    for page in sorted(BOOK.rglob("*.md"))
    for scene in re.findall(r"^:scenario:(.*)$", page.read_text(encoding="utf-8"), re.MULTILINE)
    for scene in scene.split()
]


def test_every_scene_but_one_has_a_figure() -> None:
    # eager_start has none: create-task.md prints its order of steps instead.
    drawn = {scene.partition(":")[2] for _, scene in FIGURES}
    assert drawn == set(SCENES) - {"eager_start"}


@pytest.mark.parametrize(
    ("page", "scene"), FIGURES, ids=[f"{page.name}:{scene}" for page, scene in FIGURES]
)
def test_each_figure_runs_its_scene_in_its_chapter(page: Path, scene: str) -> None:
    # One program, one copy: a chapter shows a figure's program by including it from scenes.py,
    # and runs it by calling the scene in an example, so that it never needs a copy of its own.
    module, _, name = scene.partition(":")
    assert module == "companion.scenes"
    text = page.read_text(encoding="utf-8")
    assert re.search(rf"^>>> .*\bscenes\.{name}\(\)", text, re.MULTILINE), f"no example runs {name}"
    assert "../../companion/scenes.py" in text


def test_a_supervisor_lets_the_others_run_when_one_fails_and_cancels_them_on_close() -> None:
    timeline = scenes.supervised()
    cache, config, main = timeline["cache"], timeline["config"], timeline["main()"]
    assert (config.outcome, config.error, config.finished) == ("raised", "ConnectionError", 3.0)
    # cache refreshed at 2, 4 and 6 s, after config had failed, and was cancelled at the close
    assert [step.start for step in cache.steps] == [0.0, 2.0, 4.0, 6.0, 7.0]
    assert (cache.outcome, cache.finished) == ("cancelled", 7.0)
    assert (main.outcome, main.finished) == ("returned", 7.0)
