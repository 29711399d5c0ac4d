"""Tests for :mod:`companion.bench.convoy`: the report's structure, never its speeds.

The quick benchmark runs once, in a child process, and the test reads its table back: both rows,
the rates in their unit, the ratio agreeing with the rates. Whether the CPU-bound thread slows
the ping-pong, and by how much, is for a human reading a full run to judge.
"""

from __future__ import annotations

import re
import sys
import threading
from pathlib import Path

import pytest
from support import check_json, run_bench_json
from test_bench import own_header_lines, table

from companion.bench import convoy
from companion.bench.__main__ import main

RATE = re.compile(r"[\d,]+/s")


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """Run the quick benchmark once, writing its JSON too; return what it printed, and the file."""
    return run_bench_json(tmp_path_factory.mktemp("bench"), "convoy", "--quick", timeout=60)


@pytest.fixture(scope="module")
def report(ran: tuple[str, Path]) -> str:
    """What the quick run printed."""
    return ran[0]


def test_the_json_file_holds_every_figure_printed(ran: tuple[str, Path]) -> None:
    check_json(*ran, "convoy", ["convoy"])


def test_header_says_what_ran_where(report: str) -> None:
    (interval,) = own_header_lines(report, "convoy --quick", own=1)
    assert interval.startswith(f"switch interval: {sys.getswitchinterval() * 1e3:g} ms; ")


def test_the_table_has_both_ping_pongs_and_their_ratio(report: str) -> None:
    header, rows = table(report, "GIL convoy")
    assert header == ["ping-pong", "round trips/s", "vs alone"]
    assert [row[0] for row in rows] == ["alone", "beside a CPU-bound thread"]
    assert all(RATE.fullmatch(row[1]) for row in rows), rows
    alone, beside = (float(row[1].removesuffix("/s").replace(",", "")) for row in rows)
    assert rows[0][2] == "1.00x"
    # Both rates are rounded to 1/s and the ratio to 0.01.
    ratio = float(rows[1][2].removesuffix("x"))
    assert (beside - 0.5) / (alone + 0.5) - 0.005 <= ratio <= (beside + 0.5) / (alone - 0.5) + 0.005


@pytest.mark.parametrize("beside", [False, True])
def test_ping_pong_makes_round_trips_and_leaves_no_thread(beside: bool) -> None:
    before = set(threading.enumerate())
    assert convoy.ping_pong(0.05, beside_cpu_bound=beside) > 0
    assert set(threading.enumerate()) == before


def test_repeat_must_be_positive() -> None:
    with pytest.raises(ValueError, match="--repeat must be at least 1"):
        main(["convoy", "--quick", "--repeat", "0"])
