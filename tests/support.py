"""Helpers shared by the companion tests (not a test module: pytest collects ``test_*.py`` only)."""

from __future__ import annotations

from collections.abc import Callable


def error_of(action: Callable[[], object]) -> Exception:
    """The exception *action* raises: what Python says about a misuse, to compare messages with."""
    try:
        action()
    except Exception as error:
        return error
    raise AssertionError(f"{action!r} raised nothing")
