"""What the optional targets need from the system, and what they say when it is missing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from support import error_of

from booktools.make.systemdeps import (
    NEEDS,
    Need,
    closure,
    main,
    missing,
    missing_packages,
    packages,
    recorded_files,
    unlisted_owners,
)

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


FLS = """PWD /work/_build/latex
INPUT /usr/share/texlive/texmf-dist/tex/latex/base/book.cls
INPUT from-yield-to-asyncio.aux
OUTPUT from-yield-to-asyncio.aux
INPUT /var/lib/texmf/web2c/xetex/xelatex.fmt
INPUT /usr/share/texlive/texmf-dist/tex/latex/base/book.cls
INPUT /usr/share/texlive/texmf-dist/fonts/tfm/public/zapfding/pzdr.tfm
INPUT /usr/share/texmf/../texlive/texmf-dist/tex/latex/xecjk/xeCJK.sty
"""


def test_the_recorder_file_gives_each_system_file_once() -> None:
    assert recorded_files(FLS) == [
        "/usr/share/texlive/texmf-dist/tex/latex/base/book.cls",
        "/usr/share/texlive/texmf-dist/fonts/tfm/public/zapfding/pzdr.tfm",
        "/usr/share/texlive/texmf-dist/tex/latex/xecjk/xeCJK.sty",
    ]


def test_dependencies_follow_installed_alternatives_and_stop_at_cycles() -> None:
    relations = {
        "texlive-xetex": [["texlive-base"], ["tex-common"]],
        "texlive-base": [["texlive-binaries"], ["texlive-xetex"]],
        "tex-common": [],
    }
    assert closure(["texlive-xetex"], relations) == {
        "texlive-xetex",
        "texlive-base",
        "texlive-binaries",
        "tex-common",
    }
    assert closure([], relations) == set()


def test_a_file_of_an_unlisted_package_is_reported_with_its_package() -> None:
    files = recorded_files(FLS)
    owned = {
        files[0]: "texlive-latex-base",
        files[1]: "texlive-fonts-recommended",
        files[2]: "texlive-lang-cjk",
    }
    pulled_in = {"texlive-latex-base", "texlive-lang-cjk"}
    assert unlisted_owners(files, owned, pulled_in) == {"texlive-fonts-recommended": [files[1]]}
    assert unlisted_owners(files, owned, {*pulled_in, "texlive-fonts-recommended"}) == {}
    # A file that no package owns (generated at install time) is nobody's to list.
    assert unlisted_owners(files, {}, set()) == {}


def test_the_pdf_needs_the_package_of_hyperrefs_dingbat_metrics() -> None:
    # hyperref under XeTeX loads pzdr.tfm; without texlive-fonts-recommended a fresh machine's
    # PDF build stops with "Font \XeTeXLink@font=pzdr ... not loadable".
    assert "texlive-fonts-recommended" in packages(["pdf"])
    assert Need("tex", "pzdr.tfm", "texlive-fonts-recommended") in NEEDS["pdf"]


def test_missing_packages_are_those_whose_needs_fail_their_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A need met some other way (npm from another vendor's nodejs package) asks for nothing:
    # apt-get would fight that package over Debian's npm.
    met = Need("command", "sh", "book-npm")
    monkeypatch.setitem(NEEDS, "browser-test", [met, ABSENT])
    assert missing_packages(["browser-test"]) == [ABSENT.package]
