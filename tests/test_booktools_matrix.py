"""booktools.make.matrix reads pytest's and the doctest builder's counts; the command line of
booktools.make.unstable enters the Debian unstable root in a mount namespace of its own."""

from __future__ import annotations

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
