"""Tests for :mod:`companion.workers`: the jobs do what they say, wherever they run.

The point of the module is that a process pool can run its functions, so the tests run them in a
thread pool and a process pool as well as in this thread, and compare what each reports.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest
from support import error_of

from companion.workers import Job, appended, spin, timed_spin


@pytest.mark.parametrize("iterations", [0, 1, 12_345])
def test_spin_takes_one_step_per_iteration(iterations: int) -> None:
    assert spin(iterations) == iterations


def test_spin_rejects_a_negative_count() -> None:
    with pytest.raises(ValueError, match="iterations must be >= 0, got -1"):
        spin(-1)


def test_spin_rejects_what_range_rejects() -> None:
    expected = error_of(lambda: range(1.5))  # type: ignore[call-overload]
    assert type(error_of(lambda: spin(1.5))) is type(expected)  # type: ignore[arg-type]


def test_appended_changes_and_returns_the_same_list() -> None:
    box = [1]
    assert appended(box, 2) is box
    assert box == [1, 2]


def test_timed_spin_reports_this_thread_here() -> None:
    job = timed_spin(1_000)
    assert job == Job(os.getpid(), threading.get_native_id(), job.cpu)
    assert job.cpu >= 0


def test_the_functions_pickle_by_reference() -> None:
    for function in (spin, appended, timed_spin):
        assert pickle.loads(pickle.dumps(function)) is function
    job = Job(1, 2, 0.5)
    assert pickle.loads(pickle.dumps(job)) == job


def test_a_thread_pool_shares_the_list_and_the_process() -> None:
    box: list[int] = []
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(appended, box, 1).result() is box
        job = pool.submit(timed_spin, 10).result()
    assert box == [1]
    assert job.pid == os.getpid()
    assert job.thread != threading.get_native_id()


def test_a_process_pool_works_on_a_copy_in_another_process() -> None:
    box: list[int] = []
    spawn = multiprocessing.get_context("spawn")  # fork beside pytest's threads would be unsafe
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        assert pool.submit(appended, box, 1).result() == [1]
        job = pool.submit(timed_spin, 10).result()
        assert pool.submit(spin, 50_000).result() == 50_000
    assert box == []
    assert job.pid != os.getpid()
