"""Fail an example that leaves something behind: a coroutine never awaited, a task destroyed while
pending, an event loop or socket never closed.

Python reports all of these from finalizers (``__del__``), where an exception cannot propagate: it
goes to :func:`sys.unraisablehook`, or, for tasks, to the ``asyncio`` logger. Left alone, they
print a line to stderr and the example still passes. Both example runners call :func:`begin`
before a page's examples and :func:`end` after them (Sphinx through ``doctest_global_setup`` and
``doctest_global_cleanup``, pytest through Sybil's setup and teardown); pytest also calls
:func:`check` after every example, so the failure names the example that leaked.
"""

from __future__ import annotations

import builtins
import gc
import logging
import signal
import sys
import warnings
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ExampleLeak", "begin", "check", "drain", "end", "restore_ctrl_c"]


class ExampleLeak(AssertionError):
    """An example left an unawaited coroutine, a pending task or an open resource behind."""


class _AsyncioErrors(logging.Handler):
    """Collects what asyncio logs at ERROR, such as "Task was destroyed but it is pending!"."""

    def __init__(self, sink: list[str]) -> None:
        super().__init__(level=logging.ERROR)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(f"asyncio logged: {record.getMessage()}")


@dataclass
class _Watch:
    problems: list[str] = field(default_factory=list)
    previous_hook: Any = None
    handler: _AsyncioErrors | None = None
    warnings_guard: warnings.catch_warnings[None] | None = None

    def record_unraisable(self, unraisable: Any) -> None:
        exc = unraisable.exc_value
        what = f"{type(exc).__name__}: {exc}" if exc is not None else "an unraisable error"
        where = unraisable.err_msg or "Exception ignored in"
        target = f" {unraisable.object!r}" if unraisable.object is not None else ""
        self.problems.append(f"{what} ({where}{target})")


_watches: list[_Watch] = []


def restore_ctrl_c() -> None:
    """Give SIGINT back its Python handler if this process was started with SIGINT ignored.

    A shell ignores SIGINT in a job it starts in the background (``make matrix &``), Python then
    leaves it ignored, and so does every process it starts: examples and tests about Ctrl-C, and
    servers stopped with it, would wait for ever. A terminal's Ctrl-C behaves the same either way.
    """
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def begin(*, warnings_as_errors: bool = False) -> None:
    """Start watching for leaks; calls nest, and each must be paired with :func:`end`.

    With *warnings_as_errors*, warnings raise until :func:`end` (Sphinx's doctest builder needs
    this; under pytest the ``filterwarnings = error`` setting already does it).
    """
    restore_ctrl_c()
    watch = _Watch()
    if warnings_as_errors:
        watch.warnings_guard = warnings.catch_warnings()
        watch.warnings_guard.__enter__()
        warnings.simplefilter("error")
    watch.previous_hook = sys.unraisablehook
    sys.unraisablehook = watch.record_unraisable
    watch.handler = _AsyncioErrors(watch.problems)
    logging.getLogger("asyncio").addHandler(watch.handler)
    _watches.append(watch)


def drain(*, everything: bool = False) -> str | None:
    """Collect garbage, then describe (and forget) anything reported since the last call.

    After each example only the young generations are collected: what the example just made lives
    there, and a full collection after each of hundreds of examples would cost most of the test
    run. :func:`end` collects *everything*, so nothing older escapes either.
    """
    if not _watches:
        raise RuntimeError("booktools.examples.hygiene is not watching: call begin() first")
    # doctest keeps the last value an example showed in builtins._, as the REPL does: an object
    # shown there would outlive its example and be blamed on a later one. (So examples cannot
    # use ``_`` to reach the previous example's value.)
    vars(builtins).pop("_", None)
    gc.collect(2 if everything else 1)
    problems = _watches[-1].problems
    if not problems:
        return None
    found = "\n".join(f"  - {problem}" for problem in problems)
    problems.clear()
    return (
        "the example left something behind (a coroutine never awaited, a task still pending,"
        f" or a loop or socket never closed):\n{found}"
    )


def check(*, everything: bool = False) -> None:
    """Raise :class:`ExampleLeak` for anything reported since the last call."""
    leak = drain(everything=everything)
    if leak:
        raise ExampleLeak(leak)


def end(namespace: dict[str, Any] | None = None) -> None:
    """Drop *namespace*'s contents (what the page's examples defined), check, and stop watching."""
    if namespace is not None:
        namespace.clear()
    try:
        check(everything=True)
    finally:
        watch = _watches.pop()
        sys.unraisablehook = watch.previous_hook
        if watch.handler is not None:
            logging.getLogger("asyncio").removeHandler(watch.handler)
        if watch.warnings_guard is not None:
            watch.warnings_guard.__exit__(None, None, None)
