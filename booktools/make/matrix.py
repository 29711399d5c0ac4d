"""Run the book's examples and the companion tests under every supported Python on this machine.

``make matrix`` runs this. For each interpreter that :mod:`booktools.make.pythons` finds (3.11 and
newer: pyenv installs, uv's, the system's, and 3.14 and 3.15 from the Debian unstable root of
:mod:`booktools.make.unstable` when it is there and the host lacks them) it keeps a virtualenv in
``.venv-matrix/<version>`` (made inside that root for the root's interpreters), runs pytest (the
companion tests and every book example, through Sybil) and Sphinx's doctest builder (every book
example again), then prints which versions it found, which it ran, and how each went: pytest's
passed, failed and skipped counts, and how many tests the doctest builder ran and how many failed.
It exits non-zero if any run failed or if no interpreter was found, and, with
``MATRIX_REQUIRE=3.11,3.15`` (``.ci/run`` names all five), if a named version was not found.
Standard library only.

While you work, ``python -m booktools.make.matrix --only 3.14,3.15 -- book/practice/sync.md``
runs just that pytest selection (no doctest builder) on just those versions, and ``--prepare``
only makes the virtualenvs.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

from booktools.make import pythons, venv

__all__ = ["Outcome", "doctest_counts", "main", "pytest_counts"]

ROOT = Path(__file__).resolve().parents[2]

# Every extra, as in .venv: the benchmark tests also check the uvloop column when uvloop is
# installed. Each has wheels for 3.11 to 3.15 (3.15 included: matplotlib, uvloop, playwright).
EXTRAS = "docs,test,bench"


@dataclass
class Outcome:
    """How one step went: whether it passed, and the counts it reported."""

    ok: bool
    counts: str


def pytest_counts(report: Path) -> str:
    """``passed/failed/skipped`` from pytest's JUnit XML *report* (errors count as failures)."""
    try:
        suites = ElementTree.parse(report).getroot()
    except (OSError, ElementTree.ParseError):
        return "no report"
    suite = suites if suites.tag == "testsuite" else suites.find("testsuite")
    if suite is None:
        return "no report"
    total, failed, errors, skipped = (
        int(suite.get(name, "0")) for name in ("tests", "failures", "errors", "skipped")
    )
    return f"{total - failed - errors - skipped}/{failed + errors}/{skipped}"


def doctest_counts(output: Path) -> str:
    """``run/failed`` from the summary the doctest builder writes to *output* (``output.txt``)."""
    try:
        text = output.read_text()
    except OSError:
        return "no report"
    run = re.search(r"^\s*(\d+) tests?$", text, re.MULTILINE)
    failures = [int(number) for number in re.findall(r"^\s*(\d+) failures? in ", text, re.M)]
    if run is None:
        return "no report"
    return f"{run.group(1)}/{sum(failures)}"


def _step(title: str, interpreter: pythons.Interpreter, *arguments: str) -> bool:
    where = f" (inside {interpreter.root})" if interpreter.root else ""
    print(f"\n--- {title}: {interpreter.path} {' '.join(arguments)}{where}", flush=True)
    command = interpreter.command(*arguments)
    return subprocess.run(command, cwd=ROOT, check=False).returncode == 0


def prepare(interpreter: pythons.Interpreter) -> pythons.Interpreter:
    """The interpreter of *interpreter*'s matrix virtualenv, made (or updated) first."""
    env = ROOT / ".venv-matrix" / interpreter.minor
    python = str(venv.ensure(env, interpreter.path, EXTRAS, root=interpreter.root))
    return pythons.Interpreter(interpreter.version, python, interpreter.root)


def run_one(
    interpreter: pythons.Interpreter, pytest_args: list[str] | None = None
) -> dict[str, Outcome]:
    """Run pytest and the doctest builder under *interpreter*; say how each went.

    With *pytest_args*, run only pytest, on those arguments.
    """
    inside = prepare(interpreter)
    build = Path("_build/matrix") / interpreter.minor
    (ROOT / build).mkdir(parents=True, exist_ok=True)
    report = build / "pytest.xml"
    (ROOT / report).unlink(missing_ok=True)
    (ROOT / build / "doctest" / "output.txt").unlink(missing_ok=True)
    pytest_ok = _step(
        f"{interpreter.minor} pytest",
        inside,
        *["-m", "pytest", "-q", f"--junitxml={report}", *(pytest_args or [])],
    )
    if pytest_args:
        return {"pytest": Outcome(pytest_ok, pytest_counts(ROOT / report))}
    doctest_ok = _step(
        f"{interpreter.minor} Sphinx doctest",
        inside,
        *["-m", "booktools.make.recipes", "doctest", "--quiet"],
        *["--doctrees", f"{build}/doctrees", "--out", f"{build}/doctest"],
    )
    return {
        "pytest": Outcome(pytest_ok, pytest_counts(ROOT / report)),
        "doctest": Outcome(doctest_ok, doctest_counts(ROOT / build / "doctest" / "output.txt")),
    }


def _minors(text: str) -> set[str]:
    return {minor.strip() for minor in text.split(",") if minor.strip()}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; environment variables keep working as ``.ci/run`` uses them."""
    parser = argparse.ArgumentParser(
        prog="python -m booktools.make.matrix",
        description="Run the companion tests and the book's examples under every Python found.",
        epilog="Environment: MATRIX_SKIP=3.13 leaves versions out; MATRIX_REQUIRE=3.11,3.15 "
        "fails the run if a named version is not found.",
    )
    parser.add_argument("--only", metavar="3.14,3.15", default="", help="run only these versions")
    parser.add_argument(
        "--prepare", action="store_true", help="only make the virtualenvs (.venv-matrix/<version>)"
    )
    parser.add_argument(
        "pytest_args",
        nargs="*",
        metavar="-- PYTEST ARGS",
        help="run only pytest, with these arguments (no doctest builder)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    found = pythons.find(include_root=True)
    print("Found:", ", ".join(str(i) for i in found) or "nothing", flush=True)
    if not found:
        return 1
    # MATRIX_SKIP=3.13 leaves out versions already checked the same way, as .ci/run does for the
    # version of .venv, which `make test` has just run pytest and the doctest builder under.
    skip = _minors(os.environ.get("MATRIX_SKIP", ""))
    required = _minors(os.environ.get("MATRIX_REQUIRE", ""))
    only = _minors(args.only)
    missing = sorted(required - {interpreter.minor for interpreter in found})
    results: dict[str, dict[str, Outcome]] = {}
    versions: dict[str, str] = {}
    durations: dict[str, float] = {}
    for interpreter in sorted(found):
        if interpreter.minor in skip:
            print(f"--- {interpreter.minor} skipped: MATRIX_SKIP names it", flush=True)
            continue
        if only and interpreter.minor not in only:
            continue
        if args.prepare:
            print(f"--- {interpreter.minor}: {prepare(interpreter).path}", flush=True)
            continue
        started = time.monotonic()
        results[interpreter.minor] = run_one(interpreter, args.pytest_args)
        seconds = time.monotonic() - started
        versions[interpreter.minor] = ".".join(map(str, interpreter.version))
        durations[interpreter.minor] = seconds
        print(f"--- {interpreter.minor} took {seconds:.0f} s", flush=True)
    if args.prepare:
        return 1 if missing else 0
    print("\nMatrix summary (pytest: passed/failed/skipped; doctest builder: tests run/failed)")
    print(f"{'Python':<9}{'pytest':<26}{'doctest':<20}time")
    for minor, outcome in results.items():
        cells = "".join(
            f"{('ok ' if step.ok else 'FAILED ') + step.counts:<{width}}"
            for step, width in zip(outcome.values(), (26, 20), strict=False)
        )
        print(f"{versions[minor]:<9}{cells}{durations[minor]:.0f} s")
    print("Ran:", ", ".join(results))
    if missing:
        print("Not found, though MATRIX_REQUIRE names them:", ", ".join(missing))
    passed = all(step.ok for outcome in results.values() for step in outcome.values())
    return 0 if passed and not missing else 1


if __name__ == "__main__":
    sys.exit(main())
