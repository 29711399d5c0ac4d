"""The PDF's page and code font, stated once: ``conf.py`` writes them into the LaTeX, and the
code-width audit (:mod:`booktools.audits.codewidth`) derives from them how many characters of
code a line holds. Standard library only (``conf.py`` imports it).

Sphinx sets a code line across the full text width (its frame's border and padding go out into
the margins: "the contents use the full available text width", says ``sphinxlatexliterals.sty``),
and every character of the code font is as wide as the others. So a line holds the text width
divided by one character's width: the paper less its two side margins, over the font's advance
width at the code's size. ``make pdf`` checks that LaTeX agrees: the preamble writes into the log
the number of characters it measures (:func:`latex_columns_probe`), and
:mod:`booktools.editions.latexlog` fails the build if that number is not :data:`CODE_COLUMNS`; it
also fails on any code line that LaTeX had to wrap.
"""

from __future__ import annotations

import math

__all__ = [
    "CODE_COLUMNS",
    "COLUMNS_LOG",
    "LIST_INDENT",
    "MARGIN",
    "MONO_ADVANCE",
    "MONO_FONT",
    "MONO_SCALE",
    "PAPER",
    "PAPER_WIDTH",
    "POINT_SIZE",
    "TEXT_WIDTH",
    "code_columns",
    "latex_columns_probe",
]

POINTS_PER_INCH = 72.27
"""TeX's points (pt): 72.27 to the inch."""

PAPER = "a4paper"
PAPER_WIDTH = 210 / 25.4 * POINTS_PER_INCH
"""The width of A4 paper, 210 mm, in points (597.5 pt)."""

MARGIN = 1.0 * POINTS_PER_INCH
"""Each side margin: one inch, Sphinx's default ``hmargin``, written out in ``conf.py``."""

TEXT_WIDTH = PAPER_WIDTH - 2 * MARGIN
"""LaTeX's ``\\textwidth``: 452.97 pt."""

POINT_SIZE = 10
"""The text's size in points (the ``pointsize`` of ``latex_elements``)."""

MONO_FONT = "DejaVu Sans Mono"
MONO_SCALE = 0.8
"""The code font's size as a fraction of the text's: 8 pt. DejaVu Sans Mono has a tall x-height
(0.55 of its size, against FreeSerif's 0.45), so at 8 pt its small letters are nearly as tall as
those of the 10 pt text around them (4.4 pt against 4.5 pt)."""

MONO_ADVANCE = 1233 / 2048
"""How wide each character of DejaVu Sans Mono is, as a fraction of its size (its ``hmtx``
advance: 1233 units of its 2048 to the em)."""

CHARACTER_WIDTH = POINT_SIZE * MONO_SCALE * MONO_ADVANCE
"""How wide each character of code is: 4.82 pt."""

LIST_INDENT = 2.5 * POINT_SIZE
"""How far a list item's text, and a code block in it, is indented: LaTeX's ``\\leftmargini``,
2.5 em in Sphinx's ``manual`` class (LaTeX's ``report``) at 10 pt."""


def code_columns(lists: int = 0) -> int:
    """How many characters a code line may have in the PDF, inside *lists* nested lists.

    >>> code_columns(), code_columns(1)
    (94, 88)
    """
    return math.floor((TEXT_WIDTH - lists * LIST_INDENT) / CHARACTER_WIDTH)


CODE_COLUMNS = code_columns()
"""How many characters a code line may have in the PDF, outside lists: 94."""

COLUMNS_LOG = "Book code columns:"
"""What the preamble writes into the LaTeX log before the number of characters it measures."""


def latex_columns_probe() -> str:
    """LaTeX for the preamble: at the start of the document, log how many code characters fit.

    The width is measured as Sphinx sets code (``sphinxVerbatim`` uses the typewriter font at
    the text's size), from the document's real ``\\textwidth``.
    """
    return (
        r"\AtBeginDocument{\begingroup\ttfamily\dimen0=\textwidth"
        r"\dimen2=\fontcharwd\font`M\relax"
        r"\typeout{" + COLUMNS_LOG + r" \the\numexpr(\dimen0-\dimen2/2)/\dimen2\relax}"
        r"\endgroup}"
    )
