"""The examples contract: what both runners of the book's examples agree on. Standard library only.

The book's examples are MyST fences of Sphinx's doctest directives. Two runners execute them:
Sphinx's doctest builder (``make doctest``, configured in ``conf.py``) and pytest through Sybil
(:mod:`booktools.examples.runner`); the fence audit (:mod:`booktools.audits.fences`) checks that
every fence is one they run. All three read their rules from here:

- the namespace: one per page, starting from :data:`NAMESPACE_SETUP`;
- the comparison flags: :data:`DOCTEST_FLAGS`, plus a directive's ``:options:``
  (:func:`option_flags`);
- version guards: ``:skipif: <expression>``, evaluated after :data:`NAMESPACE_SETUP`
  (:func:`skip_reason`); a skipped example is reported with the expression as its reason;
- hygiene: warnings are errors, and anything an example leaks fails it
  (:mod:`booktools.examples.hygiene`);
- which examples can also run in a reader's browser, in Pyodide (:func:`browser_reason`): the
  HTML edition gives those a Run control (:mod:`booktools.editions.browser`).

``conf.py`` imports this module, so it must load where only the ``docs`` extra is installed (Read
the Docs): nothing here may import pytest, Sybil or any other test-only package.
"""

from __future__ import annotations

import doctest
import re
from typing import Any

__all__ = [
    "BROWSER_LIMITS",
    "DOCTEST_FLAGS",
    "NAMESPACE_SETUP",
    "SPHINX_GLOBAL_CLEANUP",
    "SPHINX_GLOBAL_SETUP",
    "TEST_DIRECTIVES",
    "browser_reason",
    "option_flags",
    "skip_reason",
]

#: Comparison flags for every example, in both runners (conf.py's ``doctest_default_flags``).
#: Exception messages are compared in full: the book documents them.
DOCTEST_FLAGS = doctest.ELLIPSIS

#: What every page's namespace starts with, in both runners; ``:skipif:`` expressions see it too.
NAMESPACE_SETUP = "import sys\n"

#: conf.py's ``doctest_global_setup`` and ``doctest_global_cleanup``.
SPHINX_GLOBAL_SETUP = (
    NAMESPACE_SETUP
    + "import booktools.examples.hygiene\n"
    + "booktools.examples.hygiene.begin(warnings_as_errors=True)\n"
)
SPHINX_GLOBAL_CLEANUP = "booktools.examples.hygiene.end(globals())\n"

#: Sphinx's doctest directives, all of which the book may use.
TEST_DIRECTIVES = ("doctest", "testcode", "testoutput", "testsetup", "testcleanup")


def option_flags(spec: str | None) -> int:
    """Return :data:`DOCTEST_FLAGS` adjusted by a directive's ``:options:`` (``+NAME`` / ``-NAME``).

    >>> option_flags("+NORMALIZE_WHITESPACE") == DOCTEST_FLAGS | doctest.NORMALIZE_WHITESPACE
    True
    >>> option_flags("ELLIPSIS")
    Traceback (most recent call last):
    ...
    ValueError: doctest option 'ELLIPSIS' must start with '+' or '-'
    """
    flags = DOCTEST_FLAGS
    for option in (spec or "").replace(",", " ").split():
        sign, name = option[0], option[1:]
        if sign not in "+-":
            raise ValueError(f"doctest option {option!r} must start with '+' or '-'")
        if name not in doctest.OPTIONFLAGS_BY_NAME:
            raise ValueError(f"unknown doctest option {name!r}")
        flag = doctest.OPTIONFLAGS_BY_NAME[name]
        flags = flags | flag if sign == "+" else flags & ~flag
    return flags


def skip_reason(options: dict[str, str]) -> str | None:
    """Return why an example with these directive options is skipped here, or ``None`` to run it.

    >>> skip_reason({"skipif": "sys.version_info < (3, 0)"}) is None
    True
    >>> skip_reason({"skipif": "sys.version_info >= (3, 0)"})
    'skipif: sys.version_info >= (3, 0)'
    """
    condition = options.get("skipif")
    if condition is None:
        return None
    namespace: dict[str, Any] = {}
    exec(NAMESPACE_SETUP, namespace)
    return f"skipif: {condition}" if eval(condition, namespace) else None


#: What a browser cannot do, each with the code that needs it: Pyodide runs in one thread of a
#: web page, with no operating system under it (no sockets, no processes, no signals), and its
#: clock is the page's, so output that depends on real time would differ from the book's.
BROWSER_LIMITS: dict[str, re.Pattern[str]] = {
    "sockets": re.compile(
        r"\bsocket\b|open_connection|start_server|create_connection|create_server|sock_|"
        r"\bselectors?\b|companion\.(loop_sockets|streams|crawler)\b|"
        r"import[^\n]*\b(loop_sockets|streams|crawler)\b|\bstage3_selector\b|"
        # and file descriptors watched by a loop or select(): the page's loop has none
        r"\bselect\.|add_reader|add_writer"
    ),
    "subprocesses": re.compile(r"subprocess|\bos\.(fork|exec|spawn|system)"),
    "signals": re.compile(r"\bsignal\b"),
    "threads": re.compile(
        r"thread|run_in_executor|ThreadPool|ProcessPool|concurrent\.futures|\bmultiprocessing\b|"
        r"dump_traceback_later|\bWatchdog\b"  # faulthandler's watchdog is a thread
    ),
    "real time": re.compile(r"\btime\.(time|monotonic|perf_counter|sleep)\b|loop\.time\(\)"),
    # Pyodide's asyncio.run runs the coroutine on the page's own loop (a WebLoop, not a
    # SelectorEventLoop), which stays open, keeps its async generator hooks and does not close
    # the async generators left open at the end: what a page shows of a loop's start and end
    # differs. That loop also counts as running all the time, so another loop cannot start
    # (asyncio.Runner; companion.scenes' lazy_start and eager_start make one), and it runs tasks
    # of its own and keeps every pending task alive: what all_tasks() lists, and what the
    # garbage collector destroys and the loop reports, differ. What an example sets on it (a
    # task factory) outlives the example, and a task left waiting forever (on an Event nobody
    # sets) stays so, where asyncio.run would cancel it; its async generator hooks stay
    # installed, so an async generator dropped outside it is finalized by it, not reported to
    # sys.unraisablehook.
    "the page's event loop": re.compile(
        r"get_asyncgen_hooks|\.is_closed\(\)|new_event_loop|asyncio\.Runner|run_until_complete|"
        r"no running event loop|SelectorEventLoop|\bag_frame\b|\ball_tasks\(|\bgc\.collect\(|"
        r"scenes\.(lazy|eager)_start\b|set_task_factory|Event\(\)\.wait\(\)|unraisablehook|"
        # asyncio.run works there inside a running loop, ignores debug=True, takes no
        # loop_factory, and reports nothing while shutting down.
        r"cannot be called from a running event loop|debug=True|loop_factory|"
        r"asyncio\.run\(\) shutdown|"
        # Its tasks are PyodideTasks, which print so; unittest's asyncio cases start a loop.
        r"print_stack|IsolatedAsyncioTestCase"
    ),
    # Pyodide's stack is smaller than the recursion limit allows for: an example that nests
    # generators twice the limit deep never finished in Chromium (measured: over 60 s).
    "deep recursion": re.compile(r"recursionlimit"),
    # The browser has the standard library and companion, and no other package.
    "installed packages": re.compile(r"\bmetadata\.(metadata|version|distribution|requires)\b"),
}


def browser_reason(source: str, options: dict[str, str], version: tuple[int, ...]) -> str | None:
    """Why an example cannot run in a browser whose Python is *version*; ``None`` if it can.

    >>> browser_reason("asyncio.run(main())", {}, (3, 14, 2)) is None
    True
    >>> browser_reason("await asyncio.to_thread(f)", {}, (3, 14, 2))
    'threads'
    >>> browser_reason("x = 1", {"skipif": "sys.version_info >= (3, 14)"}, (3, 14, 2))
    'guarded for another Python (skipif: sys.version_info >= (3, 14))'
    """
    for reason, pattern in BROWSER_LIMITS.items():
        if pattern.search(source):
            return reason
    condition = options.get("skipif")
    if condition is not None:

        class _Sys:
            version_info = version

        try:
            skipped = eval(condition, {"sys": _Sys})
        except Exception:  # a guard on something other than the version: decided on a machine
            return f"guarded (skipif: {condition})"
        if skipped:
            return f"guarded for another Python (skipif: {condition})"
    return None
