"""What the optional targets need from the system, and what they say when it is missing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from support import error_of

from booktools.systemdeps import NEEDS, Need, main, missing, packages

ABSENT = Need("command", "no-such-program-for-the-book", "book-absent-package")
PRESENT = Need("file", sys.executable, "book-present-package")


def test_each_kind_of_need_is_checked(tmp_path: Path) -> None:
    assert Need("command", "sh", "dash").present()
    assert not ABSENT.present()
    assert PRESENT.present()
    assert not Need("file", str(tmp_path / "nothing"), "x").present()
    error = error_of(Need("smell", "x", "y").present)
    assert isinstance(error, ValueError)
    assert "smell" in str(error)


def test_every_target_needs_something_and_packages_are_listed_once() -> None:
    assert set(NEEDS) == {"pdf", "epub", "browser-test"}
    assert all(NEEDS.values())
    every = packages()
    assert every == sorted(set(every))
    assert set(every) == {need.package for needs in NEEDS.values() for need in needs}
    assert packages(["epub"]) == sorted({need.package for need in NEEDS["epub"]})


def test_unknown_targets_are_refused() -> None:
    for action in (lambda: missing(["pdfx"]), lambda: packages(["pdfx"])):
        error = error_of(action)
        assert isinstance(error, ValueError)
        assert "pdfx" in str(error)


def test_check_names_what_is_missing_and_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(NEEDS, "pdf", [PRESENT, ABSENT, ABSENT])
    assert missing(["pdf"]) == [ABSENT]
    assert main(["check", "pdf"]) == 1
    message = capsys.readouterr().err
    assert "make pdf" in message
    assert ABSENT.name in message
    assert PRESENT.name not in message
    assert "apt-get install --no-install-recommends book-absent-package" in message
    assert "make system-deps" in message


def test_check_is_quiet_when_nothing_is_missing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(NEEDS, "epub", [PRESENT])
    assert main(["check", "epub"]) == 0
    assert capsys.readouterr() == ("", "")


def test_packages_prints_one_per_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["packages", "epub"]) == 0
    assert capsys.readouterr().out.split() == packages(["epub"])
    # --missing asks dpkg; a package dpkg has never heard of is missing.
    monkeypatch.setitem(NEEDS, "epub", [ABSENT])
    assert main(["packages", "--missing", "epub"]) == 0
    assert capsys.readouterr().out.split() == [ABSENT.package]
