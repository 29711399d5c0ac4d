"""The PDF build's log check: errors, missing characters and code off the page fail it."""

from __future__ import annotations

from pathlib import Path

import pytest

from booktools.editions.geometry import CODE_COLUMNS, COLUMNS_LOG
from booktools.editions.latexlog import HBOX_TOLERANCE, VBOX_TOLERANCE, Report, code_lines, main
from booktools.editions.latexlog import read as read_log

MEASURED = f"{COLUMNS_LOG} {CODE_COLUMNS}\n"
"""The line the preamble writes into every log: how many characters of code a line holds."""


def read(log: str, tex: str) -> Report:
    """:func:`read_log` of *log* followed by the code-width line that every real log has."""
    return read_log(log + MEASURED, tex)


TEX = "\n".join(
    [
        r"\sphinxsetup{verbatimwrapslines=true, div.caution_border-TeXcolor={RGB}{1,2,3}}",  # 1
        r"\sphinxAtStartPar",  # 2
        r"Some text.",  # 3
        r"\begin{sphinxVerbatim}[commandchars=\\\{\}]",  # 4
        r"\PYG{n}{x} \PYG{o}{=} \PYG{l+s+s1}{\PYGZsq{}aaaa\PYGZsq{}}",  # 5
        r"\end{sphinxVerbatim}",  # 6
        r"A table cell.",  # 7
        r"\begin{sphinxVerbatimintable}[commandchars=\\\{\}]",  # 8
        r"y",  # 9
        r"\end{sphinxVerbatimintable}",  # 10
    ]
)


def overfull(
    points: float, first: int, last: int, box: str = r"[]\TU/FreeSerif(0)/m/n/10 word"
) -> str:
    return (
        f"Overfull \\hbox ({points}pt too wide) in paragraph at lines {first}--{last}\n{box}\n []\n"
    )


def test_code_lines_are_those_inside_code_blocks() -> None:
    assert code_lines(TEX) == frozenset({4, 5, 6, 8, 9, 10})


def test_a_clean_log_has_no_problems() -> None:
    report = read("This is XeTeX\nOutput written on book.xdv (3 pages).\n", TEX)
    assert report.problems == ()
    assert report.notes == ()


def test_an_overfull_code_line_fails_and_so_does_a_slightly_wide_word_elsewhere() -> None:
    log = overfull(356.4, 5, 5, r"[]\TU/DejaVuSansMono(0)/m/n/10 aaaa") + overfull(2.5, 7, 7)
    log += "Overfull \\hbox (1.0pt too wide) detected at line 9\n[]\n" + overfull(0.4, 3, 3)
    report = read(log, TEX)
    assert [(p.kind, p.log_line) for p in report.problems] == [
        ("code runs off the page", 1),
        ("overfull hbox", 4),
        ("code runs off the page", 7),
        ("overfull hbox", 9),
    ]
    assert "aaaa" in report.problems[0].text
    assert report.notes == ()


@pytest.mark.parametrize(
    ("points", "fails"), [(HBOX_TOLERANCE, False), (HBOX_TOLERANCE + 0.01, True)]
)
def test_an_overfull_hbox_outside_code_fails_beyond_the_tolerance(
    points: float, fails: bool
) -> None:
    report = read(overfull(points, 7, 7), TEX)
    assert [p.kind for p in report.problems] == (["overfull hbox"] if fails else [])
    assert len(report.notes) == (0 if fails else 1)


@pytest.mark.parametrize(
    "line",
    [
        "Overfull \\vbox (50.71103pt too high) detected at line 3",
        "Overfull \\vbox (18.57806pt too high) has occurred while \\output is active []",
        "Overfull \\vbox (4.01pt too high) in alignment at lines 7--9",
        # A piece of a code block split across pages, a fraction of a point too tall.
        "Overfull \\vbox (0.71117pt too high) detected at line 6",
    ],
)
def test_an_overfull_vbox_beyond_the_tolerance_fails(line: str) -> None:
    report = read(f"text\n{line}\n[]\n", TEX)
    assert [(p.kind, p.log_line, p.text) for p in report.problems] == [("overfull vbox", 2, line)]


def test_an_overfull_vbox_within_the_tolerance_is_a_note() -> None:
    line = f"Overfull \\vbox ({VBOX_TOLERANCE}pt too high) detected at line 6"
    report = read(f"{line}\n[]\n", TEX)
    assert report.problems == ()
    assert [note.kind for note in report.notes] == ["overfull vbox"]


def test_missing_characters_and_errors_fail() -> None:
    log = (
        "Missing character: There is no \u4e2d (U+4E2D) in font [FreeSerif.otf]!\n"
        "! Undefined control sequence.\n"
        "./book.tex:12: LaTeX Error: Environment foo undefined.\n"
        "Package hyperref Warning: Token not allowed in a PDF string\n"
    )
    kinds = [(p.kind, p.log_line) for p in read(log, TEX).problems]
    assert kinds == [("missing character", 1), ("LaTeX error", 2), ("LaTeX error", 3)]


def test_code_wrapping_turned_off_fails() -> None:
    unwrapped = TEX.replace("verbatimwrapslines=true", "verbatimwrapslines=false")
    assert [p.kind for p in read("", unwrapped).problems] == ["code lines do not wrap"]


def test_main_reads_the_tex_next_to_the_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "book.tex").write_text(TEX, encoding="utf-8")
    log = tmp_path / "book.log"
    log.write_text("Output written on book.xdv (3 pages).\n" + MEASURED, encoding="utf-8")
    assert main([str(log)]) == 0
    assert "no LaTeX errors" in capsys.readouterr().out
    log.write_text(overfull(3.0, 5, 5) + MEASURED, encoding="utf-8")
    assert main([str(log)]) == 1
    assert "code runs off the page" in capsys.readouterr().err


def test_a_wrapped_code_line_fails_with_its_page() -> None:
    log = "[171]\nBook code line wrapped on page 172\n[172]\n"
    report = read(log, TEX)
    assert [(p.kind, p.log_line) for p in report.problems] == [("code line wrapped", 2)]
    assert "page 172" in report.problems[0].text


@pytest.mark.parametrize(
    ("log", "kind"),
    [
        ("", "code width not measured"),
        (f"{COLUMNS_LOG} {CODE_COLUMNS - 6}\n", "code width"),
        (f"{COLUMNS_LOG} {CODE_COLUMNS + 1}\n", "code width"),
    ],
)
def test_latex_must_measure_the_code_width_the_audit_assumes(log: str, kind: str) -> None:
    assert [p.kind for p in read_log(log, TEX).problems] == [kind]
    assert read_log(f"{COLUMNS_LOG} {CODE_COLUMNS}\n", TEX).problems == ()
