"""booktools.make.matrix reads pytest's and the doctest builder's counts; the command line of
booktools.make.unstable enters the Debian unstable root in a mount namespace of its own."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

from booktools.make import matrix, pythons, unstable

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="1" failures="2" skipped="3" tests="20" time="1.0">
</testsuite></testsuites>
"""

DOCTEST_OUTPUT = """Results of doctest builder run on 2026-12-07 14:00:00
=====================================================

Doctest summary
===============
 1204 tests
    2 failures in tests
    1 failure in setup code
    0 failures in cleanup code
build finished with problems.
"""


def test_pytest_counts_passed_failed_skipped(tmp_path: Path) -> None:
    report = tmp_path / "pytest.xml"
    report.write_text(JUNIT)
    assert matrix.pytest_counts(report) == "14/3/3"


def test_pytest_counts_without_a_report(tmp_path: Path) -> None:
    assert matrix.pytest_counts(tmp_path / "missing.xml") == "no report"


def test_doctest_counts_run_and_failed(tmp_path: Path) -> None:
    output = tmp_path / "output.txt"
    output.write_text(DOCTEST_OUTPUT)
    assert matrix.doctest_counts(output) == "1204/3"
    output.write_text("no summary here\n")
    assert matrix.doctest_counts(output) == "no report"


def test_unstable_command_enters_the_root_in_a_private_mount_namespace() -> None:
    root = Path("/somewhere/root")
    argv = unstable.command(["python3.14", "-c", "pass"], root)
    assert argv[:4] == ["unshare", "--mount", "--propagation", "private"]
    # The host's environment stays outside: only the listed variables go in.
    assert argv[4:6] == ["env", "-i"]
    assert argv[-5:] == [str(root), str(unstable.CHECKOUT), "python3.14", "-c", "pass"]


def test_a_root_interpreter_runs_through_the_root() -> None:
    inside = pythons.Interpreter((3, 15, 2), "/usr/bin/python3.15", "/somewhere/root")
    assert inside.command("-V")[0] == "unshare"
    assert inside.command("-V")[-2:] == ["/usr/bin/python3.15", "-V"]
    host = pythons.Interpreter((3, 13, 0), "/usr/bin/python3.13")
    assert host.command("-V") == ["/usr/bin/python3.13", "-V"]


@pytest.mark.parametrize("content", ["", "python3.14\n"])
def test_an_unfinished_root_is_not_complete(tmp_path: Path, content: str) -> None:
    if content:
        (tmp_path / unstable.MARKER).write_text(content)
    assert not unstable.complete(tmp_path)
    (tmp_path / unstable.MARKER).write_text("\n".join(unstable.PACKAGES) + "\n")
    assert unstable.complete(tmp_path)


def test_command_line_passes_a_pytest_selection_through() -> None:
    args = matrix.parse_args(["--only", "3.14, 3.15", "--", "-k", "lock", "book/practice/sync.md"])
    assert matrix._minors(args.only) == {"3.14", "3.15"}
    assert args.pytest_args == ["-k", "lock", "book/practice/sync.md"]
    assert not args.prepare


def test_command_line_help_runs_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        matrix.parse_args(["--help"])
    assert stopped.value.code == 0
    assert "MATRIX_REQUIRE" in capsys.readouterr().out


def test_versions_side_by_side_print_their_output_in_one_piece(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two fake versions run at once (a barrier makes sure); the log still reads version by
    version, each block whole, and the summary lists both."""
    found = [
        pythons.Interpreter((3, 11, 0), sys.executable),
        pythons.Interpreter((3, 12, 0), sys.executable),
    ]
    both_running = threading.Barrier(2, timeout=30)

    def run_one(
        interpreter: pythons.Interpreter, pytest_args: list[str] | None = None
    ) -> dict[str, matrix.Outcome]:
        minor = interpreter.minor
        first = matrix._step(f"{minor} first", interpreter, "-c", f"print('{minor} one')")
        both_running.wait()
        second = matrix._step(f"{minor} second", interpreter, "-c", f"print('{minor} two')")
        return {"pytest": matrix.Outcome(first and second, "1/0/0")}

    monkeypatch.setattr(pythons, "find", lambda include_root: found)
    monkeypatch.setattr(matrix, "prepare", lambda interpreter: interpreter)
    monkeypatch.setattr(matrix, "run_one", run_one)
    monkeypatch.delenv("MATRIX_SKIP", raising=False)
    monkeypatch.delenv("MATRIX_REQUIRE", raising=False)
    assert matrix.main(["--jobs", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for minor in ("3.11", "3.12"):
        block = [n for n, line in enumerate(lines) if line.startswith(f"--- {minor}")]
        assert len(block) == 3  # two steps and the time it took
        inside = lines[block[0] : block[-1] + 1]
        assert f"{minor} one" in inside
        assert f"{minor} two" in inside
        other = "3.12" if minor == "3.11" else "3.11"
        assert not any(line.startswith((f"--- {other}", f"{other} ")) for line in inside)
    assert "Ran: 3.11, 3.12" in lines
