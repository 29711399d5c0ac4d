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

Versions run side by side, as many at a time as ``--jobs`` says (default: ``MATRIX_JOBS``, else
the number of CPUs, at most 4): each run is one process at a time, so on two cores two versions
take little longer than one. With more than one job, each version's output is kept and printed in
one piece when its run ends, so that the log reads version by version.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ElementTree
from concurrent.futures import ThreadPoolExecutor
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


_print_lock = threading.Lock()
_log = threading.local()  # .lines: this thread's output, kept while versions run side by side


def _say(text: str) -> None:
    """Print *text*, or keep it for the end of this version's run if versions run side by side."""
    lines: list[str] | None = getattr(_log, "lines", None)
    if lines is None:
        with _print_lock:
            print(text, flush=True)
    else:
        lines.append(text)


def _step(title: str, interpreter: pythons.Interpreter, *arguments: str) -> bool:
    where = f" (inside {interpreter.root})" if interpreter.root else ""
    _say(f"\n--- {title}: {interpreter.path} {' '.join(arguments)}{where}")
    command = interpreter.command(*arguments)
    if getattr(_log, "lines", None) is None:
        return subprocess.run(command, cwd=ROOT, check=False).returncode == 0
    done = subprocess.run(
        command, cwd=ROOT, check=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    _say(done.stdout.rstrip("\n"))
    return done.returncode == 0


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
        "--jobs",
        type=int,
        default=int(os.environ.get("MATRIX_JOBS", "0")) or min(os.cpu_count() or 1, 4),
        help="versions run side by side (default: MATRIX_JOBS, else the CPUs, at most 4)",
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
    chosen = []
    for interpreter in sorted(found):
        if interpreter.minor in skip:
            print(f"--- {interpreter.minor} skipped: MATRIX_SKIP names it", flush=True)
        elif not only or interpreter.minor in only:
            chosen.append(interpreter)
    if args.prepare:
        for interpreter in chosen:
            print(f"--- {interpreter.minor}: {prepare(interpreter).path}", flush=True)
        return 1 if missing else 0
    if args.jobs < 1:
        print("--jobs must be at least 1", file=sys.stderr)
        return 2
    side_by_side = args.jobs > 1 and len(chosen) > 1
    if side_by_side:
        for interpreter in chosen:  # pip's output in order, before the runs keep theirs
            prepare(interpreter)
        print(f"Running {len(chosen)} versions, {args.jobs} at a time", flush=True)

    def timed(interpreter: pythons.Interpreter) -> tuple[dict[str, Outcome], float]:
        _log.lines = [] if side_by_side else None
        started = time.monotonic()
        try:
            outcome = run_one(interpreter, args.pytest_args)
        finally:
            seconds = time.monotonic() - started
            lines, _log.lines = _log.lines, None
            with _print_lock:
                if lines:
                    print("\n".join(lines), flush=True)
                print(f"--- {interpreter.minor} took {seconds:.0f} s", flush=True)
        return outcome, seconds

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        runs = list(pool.map(timed, chosen))
    results = {i.minor: outcome for i, (outcome, _) in zip(chosen, runs, strict=True)}
    durations = {i.minor: seconds for i, (_, seconds) in zip(chosen, runs, strict=True)}
    versions = {i.minor: ".".join(map(str, i.version)) for i in chosen}
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
