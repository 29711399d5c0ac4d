"""Helpers shared by the companion tests (not a test module: pytest collects ``test_*.py`` only)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable


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
