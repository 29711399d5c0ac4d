"""CPython's own tests of asyncio's locks and queues, run against :mod:`companion.sync`.

Every CPython interpreter ships its test suite: ``test/test_asyncio/test_locks.py`` and
``test_queues.py`` in its standard library directory. This module loads the two files of the
interpreter that runs it (it does not copy them), with one change: inside them, the name
``asyncio`` is a copy of the asyncio module whose ``Lock``, ``Event``, ``Semaphore``,
``BoundedSemaphore``, ``Queue``, ``LifoQueue``, ``PriorityQueue`` and queue exceptions are the
companion's. Each CPython test of those classes becomes one pytest test.

The CPython tests that fail against the companion are listed in :data:`DIFFERENCES`, each with
the reason, and run as strict expected failures: if one starts passing, the list is out of date.
Where the interpreter has no test suite (some distributions leave it out), the tests are skipped,
with that reason.
"""

from __future__ import annotations

import asyncio
import builtins
import os
import sys
import sysconfig
import types
import unittest
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from companion import sync

# SYNC_CPYTHON_SUITE=/path/to/test_asyncio runs another interpreter's files instead: 3.13's on
# 3.11, say, since the companion's classes follow 3.13 on every version.
SUITE = Path(
    os.environ.get("SYNC_CPYTHON_SUITE")
    or Path(sysconfig.get_path("stdlib")) / "test" / "test_asyncio"
)
VERSION = sys.version_info[:2]

REPLACED = (
    "Lock",
    "Event",
    "Semaphore",
    "BoundedSemaphore",
    "Queue",
    "LifoQueue",
    "PriorityQueue",
    "QueueEmpty",
    "QueueFull",
    "QueueShutDown",
)

# The test classes that exercise what companion.sync rebuilds, per file. Condition and Barrier
# are asyncio's own (they build on asyncio's Lock, not on the companion's), so their tests
# would test nothing of ours.
CLASSES = {
    "test_locks": ("LockTests", "EventTests", "SemaphoreTests"),
    "test_queues": None,  # every TestCase in the file
}

# CPython tests that fail against the companion, by (file, class, test) and the Pythons whose
# suite has them: why each one is a real difference, not a bug. None today, on 3.11.7, 3.12.1 and
# 3.13.0, with each one's own files and with 3.13.0's files on the other two (the private
# attributes these tests read have asyncio's names and meanings in companion.sync).
DIFFERENCES: dict[tuple[str, str, str], tuple[Sequence[tuple[int, int]], str]] = {}


def asyncio_with_companion() -> types.ModuleType:
    """A copy of the asyncio module in which the classes companion.sync rebuilds are its own."""
    copy = types.ModuleType("asyncio", asyncio.__doc__)
    copy.__dict__.update(vars(asyncio))
    for name in REPLACED:
        if hasattr(sync, name):
            setattr(copy, name, getattr(sync, name))
    return copy


def load(name: str) -> types.ModuleType:
    """Execute CPython's test file *name* with ``import asyncio`` giving the patched copy."""
    path = SUITE / f"{name}.py"
    patched = asyncio_with_companion()

    def importer(
        module: str,
        globals_: Mapping[str, object] | None = None,
        locals_: Mapping[str, object] | None = None,
        fromlist: Sequence[str] = (),
        level: int = 0,
    ) -> types.ModuleType:
        if module == "asyncio" and level == 0 and not fromlist:
            return patched
        return builtins.__import__(module, globals_, locals_, fromlist, level)

    loaded = types.ModuleType(f"cpython_{name}")
    loaded.__file__ = str(path)
    # Only this module's imports go through importer(): nothing else sees the copy.
    loaded.__dict__["__builtins__"] = {**vars(builtins), "__import__": importer}
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), loaded.__dict__)
    return loaded


def cases() -> Iterator[Any]:
    """One pytest parameter per CPython test, marked as an expected failure if listed."""
    if not SUITE.is_dir():
        yield pytest.param(
            None,
            marks=pytest.mark.skip(reason=f"this Python has no test suite at {SUITE}"),
            id="no-test-suite",
        )
        return
    for name, wanted in CLASSES.items():
        module = load(name)
        for class_name, value in vars(module).items():
            if not (isinstance(value, type) and issubclass(value, unittest.TestCase)):
                continue
            if wanted is not None and class_name not in wanted:
                continue
            for test in unittest.TestLoader().getTestCaseNames(value):
                key = (name, class_name, test)
                marks = []
                if key in DIFFERENCES and VERSION in DIFFERENCES[key][0]:
                    marks.append(pytest.mark.xfail(reason=DIFFERENCES[key][1], strict=True))
                yield pytest.param(
                    (module, value, test), marks=marks, id=f"{name}.{class_name}.{test}"
                )


# A lost wake-up shows as a hang: fail it well before the suite-wide guard of pyproject.toml.
@pytest.mark.timeout(60)
@pytest.mark.parametrize("case", list(cases()))
def test_cpython(case: tuple[types.ModuleType, type[unittest.TestCase], str]) -> None:
    module, test_class, test = case
    result = unittest.TestResult()
    try:
        test_class(test).run(result)
    finally:
        # The files reset the event loop policy when unittest finishes them; do it after each.
        module.tearDownModule()
    for _, reason in result.skipped:
        pytest.skip(f"CPython skips it: {reason}")
    problems = [text for _, text in [*result.errors, *result.failures]]
    problems += [
        f"{each} passed, but CPython expects it to fail" for each in result.unexpectedSuccesses
    ]
    assert not problems, "\n".join(problems)


def test_the_copy_is_the_companion() -> None:
    """The patching works: inside a loaded file, asyncio.Lock is companion.sync's."""
    if not SUITE.is_dir():
        pytest.skip(f"this Python has no test suite at {SUITE}")
    module = load("test_locks")
    assert module.asyncio.Lock is sync.Lock
    assert module.asyncio.sleep is asyncio.sleep
    assert vars(asyncio)["Lock"] is not sync.Lock  # and the real module is untouched
