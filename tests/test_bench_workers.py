"""Tests for :mod:`companion.bench.workers`: the report's structure, never its speeds.

The quick benchmark runs once, end to end, in a child process, and the tests read its tables back:
every mode has a row for each N, every row a figure of the right kind. Figures the table derives
from others (a speed-up of 1.00x for the jobs run one by one) are checked; whether threads or
processes are faster is for a human reading a full run to judge.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from support import check_json, run_bench_json
from test_bench import cells, own_header_lines, table

from companion.bench import harness, workers
from companion.bench.__main__ import main
from companion.bench.workers import MODES, QUICK, WAITERS, wait_case

TIME = re.compile(r"[\d,]+ ms")
TENTHS = re.compile(r"-?[\d,]+\.\d ms")
RATE = re.compile(r"[\d,]+/s")
MICROS = re.compile(r"[\d,]+\.\d us")
MEMORY = re.compile(r"-?[\d,]+\.\d [MK]iB")
CORES = os.cpu_count() or 1
LOAD = r"(\d+\.\d\d \d+\.\d\d \d+\.\d\d \(1, 5, 15 minutes\)|unknown)"


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """Run the quick benchmark once, writing its JSON too; return what it printed, and the file."""
    return run_bench_json(tmp_path_factory.mktemp("bench"), "workers", "--quick", timeout=120)


@pytest.fixture(scope="module")
def report(ran: tuple[str, Path]) -> str:
    """What the quick run printed."""
    return ran[0]


def test_the_json_file_holds_every_figure_printed(ran: tuple[str, Path]) -> None:
    check_json(*ran, "workers", ["cpu", "handoffs", "waiting"])


def test_header_says_what_ran_where(report: str) -> None:
    (gil_line,) = own_header_lines(report, "workers --quick", own=1)
    gil = "enabled" if getattr(sys, "_is_gil_enabled", lambda: True)() else "disabled"
    assert gil_line.startswith(f"GIL: {gil}; switch interval {sys.getswitchinterval() * 1e3:g} ms")
    assert re.search(r"process start method: (fork|forkserver|spawn)$", gil_line)


def test_cpu_table_has_every_mode_for_each_n(report: str) -> None:
    header, rows = table(report, "CPU-bound")
    assert header == ["N", "run as", "wall time", "busy cores", "speed-up"]
    expected = [
        (str(n), mode)
        for n in (CORES, CORES + QUICK.extra_workers)
        for mode in [*MODES, "processes, empty jobs"]
    ]
    assert [(row[0], row[1]) for row in rows] == expected
    for row in rows:
        assert TIME.fullmatch(row[2]), row
        if row[1] == "processes, empty jobs":
            assert row[3:] == ["-", "-"]
            continue
        assert re.fullmatch(r"\d+\.\d\d", row[3]), row
        assert re.fullmatch(r"\d+\.\d\dx", row[4]), row
        if row[1] == "one by one":
            assert row[4] == "1.00x"


def test_handoff_table_has_each_pair(report: str) -> None:
    header, rows = table(report, "Hand-offs")
    assert header == ["between two", "round trips", "per hand-off"]
    assert [row[0] for row in rows] == list(workers.HANDOFFS)
    for row in rows:
        assert RATE.fullmatch(row[1]), row
        assert MICROS.fullmatch(row[2]), row
    pinned = "all on one CPU" if hasattr(os, "sched_getaffinity") else "not pinned"
    assert f"Both sides: {pinned}" in report


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="no CPU affinity here")
def test_pinning_holds_inside_and_is_undone_after() -> None:
    before = os.sched_getaffinity(0)
    cpu = harness.one_cpu()
    assert cpu in before
    with harness.pinned(cpu):
        assert os.sched_getaffinity(0) == {cpu}
    assert os.sched_getaffinity(0) == before


def test_pinning_nowhere_changes_nothing() -> None:
    before = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    with harness.pinned(None):
        pass
    assert (os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None) == before


@pytest.mark.parametrize("pair", list(workers.HANDOFFS))
def test_each_hand_off_completes_and_restores_the_cpus(pair: str) -> None:
    before = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    assert workers.HANDOFFS[pair](50) > 0
    assert (os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None) == before


def test_wait_table_has_each_kind_and_count(report: str) -> None:
    header, rows = table(report, "Waiting")
    assert header[:5] == ["N", "waiters", "start", "total", "all waiting"]
    assert header[5:] == ["late", "latest", "memory", "per waiter", "virtual"]
    expected = [(f"{n:,}", kind) for kind in WAITERS for n in QUICK.waiters]
    assert [(row[0], row[1]) for row in rows] == expected
    for row in rows:
        assert all(TIME.fullmatch(cell) for cell in row[2:4]), row
        assert row[4] in {"yes", "no"}, row
        assert TENTHS.fullmatch(row[5]), row
        assert TIME.fullmatch(row[6]), row
        assert all(MEMORY.fullmatch(cell) for cell in row[7:9]), row
        assert row[9] == "-" or MEMORY.fullmatch(row[9]), row
    assert "fresh process" in report


@pytest.mark.parametrize("kind", list(WAITERS))
def test_a_wait_case_reports_every_figure(kind: str) -> None:
    report = wait_case(kind, 20, 0.0)
    assert set(report) == {"start", "total", "overlap", "late", "latest", "rss", "virtual"}
    assert 0 <= (report["start"] or -1) <= (report["total"] or -1)
    assert (report["rss"] or 0) > 0
    if sys.platform == "linux":
        assert (report["virtual"] or 0) > 0


def test_a_wait_case_with_no_waiters_is_the_baseline() -> None:
    report = wait_case("threads", 0, 1.0)
    timings = ("start", "total", "overlap", "late", "latest")
    assert [report[key] for key in timings] == [None] * len(timings)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("fibers", 1, 0.0), "kind must be one of"),
        (("threads", -1, 0.0), "count and seconds must be >= 0, got -1 and 0.0"),
        (("asyncio tasks", 1, -1.0), "count and seconds must be >= 0, got 1 and -1.0"),
    ],
)
def test_wait_case_rejects_bad_arguments(arguments: tuple[str, int, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        wait_case(*arguments)


def test_the_child_entry_point_prints_json() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "companion.bench.workers", "wait", "asyncio tasks", "3", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert cells(result.stdout)[0].startswith('{"start": ')


def test_the_child_entry_point_explains_its_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert workers._child_main(["wait", "threads"]) == 2
    assert "usage: python -m companion.bench.workers wait" in capsys.readouterr().err


def test_repeat_must_be_positive() -> None:
    with pytest.raises(ValueError, match="--repeat must be at least 1"):
        main(["workers", "--quick", "--repeat", "0"])
