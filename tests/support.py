"""Helpers shared by the companion tests (not a test module: pytest collects ``test_*.py`` only)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from companion.bench.results import Report, reports_from_json


def error_of(action: Callable[[], object]) -> Exception:
    """The exception *action* raises: what Python says about a misuse, to compare messages with."""
    try:
        action()
    except Exception as error:
        return error
    raise AssertionError(f"{action!r} raised nothing")


def run_bench(*args: str, timeout: float) -> str:
    """Run ``python -m companion.bench ARGS``; return what it printed (it must succeed silently)."""
    result = subprocess.run(
        [sys.executable, "-m", "companion.bench", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


def run_bench_json(directory: Path, *args: str, timeout: float) -> tuple[str, Path]:
    """Run ``python -m companion.bench ARGS --json FILE`` with FILE in *directory*; return what it
    printed and FILE."""
    path = directory / f"{args[0]}.json"
    return run_bench(*args, "--json", str(path), timeout=timeout), path


def check_json(printed: str, path: Path, benchmark: str, tables: list[str]) -> Report:
    """Check that the JSON file of a run holds what the run printed: read back, it prints the
    same text, and it records the machine, the command and the load average at both ends."""
    (report,) = reports_from_json(path.read_text(encoding="utf-8"))
    assert report.benchmark == benchmark
    assert report.text() + "\n" == printed
    assert printed.startswith(f"command: {report.command}\n")
    assert report.command.endswith(f" --json {path}")
    env = report.environment
    assert (env.python, env.implementation) == (
        platform.python_version(),
        platform.python_implementation(),
    )
    assert (env.platform, env.cpus) == (platform.platform(), os.cpu_count())
    for load in (report.load_start, report.load_end):
        assert load is not None
        assert all(isinstance(value, float) and value >= 0 for value in load)
    assert report.total_seconds is not None
    assert report.total_seconds > 0
    assert [table.name for table in report.tables] == tables
    for table in report.tables:
        assert table.rows, table.name
        assert all(len(row) == len(table.columns) for row in table.rows)
    return report
