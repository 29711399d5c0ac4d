"""Check the PDF as a reader gets it: ``python -m booktools.editions.pdfcheck BOOK.pdf``.

``make pdf`` runs this after the LaTeX log check (:mod:`booktools.editions.latexlog`). It reads the
PDF with poppler's ``pdffonts`` and ``pdftotext``, and the ``.tex`` file next to it, and fails on:

- a Type 3 font: matplotlib's default for the charts' text, blurry in some viewers (the charts
  embed TrueType, ``pdf.fonttype`` 42 in :mod:`booktools.figures.common`);
- a chapter of the ``.tex`` that the printed contents do not list (a contents page cut short,
  as when the parts' chapters were sections below its depth);
- a part of the ``.tex`` with no "Part I", "Part II" ... heading in the PDF (a translated edition
  passes its own words for the contents' heading and the parts', ``--contents`` and ``--part``);
- the word "genindex": a link to the HTML's index that LaTeX printed as its label.

The checks are functions of the tools' text output, tested on fixture text. Standard library only.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = [
    "PART_LABEL",
    "chapters",
    "check",
    "contents",
    "main",
    "numbered_parts",
    "part_headings",
    "roman",
    "type3_fonts",
]

_TYPE3 = re.compile(r"^(?P<name>\S+)\s+Type 3\s", re.MULTILINE)
_CHAPTER = re.compile(r"^\\chapter\{(?P<title>.*)\}\s*$", re.MULTILINE)
_PART = re.compile(r"^\\part\{", re.MULTILINE)
#: A part's heading: "Part %s" in English, the number for %s (a translation says it its way).
PART_LABEL = "Part %s"
_TOC_LINE = re.compile(r"\s(?:\d+|[ivxlc]+)\s*$")
_TEX_ESCAPE = re.compile(r"\\([_&#%$])")
_TEX_COMMAND = re.compile(r"\\[A-Za-z]+\s*|[{}]")
_ROMAN = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC")]
_ROMAN += [(50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]


def type3_fonts(pdffonts: str) -> list[str]:
    """The names of the Type 3 fonts in *pdffonts* (the output of ``pdffonts``)."""
    return [match["name"] for match in _TYPE3.finditer(pdffonts)]


def chapters(tex: str) -> list[str]:
    """The titles of the chapters of *tex*, as plain text."""
    titles = []
    for match in _CHAPTER.finditer(tex):
        title = _TEX_COMMAND.sub("", _TEX_ESCAPE.sub(r"\1", match["title"]))
        titles.append(" ".join(title.split()))
    return titles


def numbered_parts(tex: str) -> int:
    """How many ``\\part`` commands *tex* has (its unnumbered back matter is not one)."""
    return len(_PART.findall(tex))


def roman(number: int) -> str:
    """*number* in capital roman numerals, as LaTeX numbers parts."""
    digits = []
    for value, letters in _ROMAN:
        count, number = divmod(number, value)
        digits.append(letters * count)
    return "".join(digits)


def part_headings(text: str, label: str = PART_LABEL) -> list[str]:
    r"""The numerals of the "Part I" ... headings in *text*, each on its own line, written as
    *label* says (``第 %s 部分`` in the Chinese edition).

    >>> part_headings("  Part II\n 第 III 部分 \n", "第 %s 部分")
    ['III']
    """
    before, _, after = (re.escape(text.strip()) for text in label.partition("%s"))
    heading = re.compile(rf"^\s*{before}\s*(?P<number>[IVXLC]+)\s*{after}\s*$", re.MULTILINE)
    return [match["number"] for match in heading.finditer(text)]


def _is_contents(page: str) -> bool:
    lines = [line for line in page.splitlines() if line.strip()]
    return bool(lines) and sum(bool(_TOC_LINE.search(line)) for line in lines) * 2 >= len(lines)


def contents(pages: Sequence[str], heading: str = "Contents") -> str:
    """The text of the contents: the page headed *heading*, and the contents pages after it."""
    for start, page in enumerate(pages):
        if any(line.strip().lower() == heading.lower() for line in page.splitlines()[:5]):
            end = start + 1
            while end < len(pages) and _is_contents(pages[end]):
                end += 1
            return "\n".join(pages[start:end])
    return ""


def _squashed(text: str) -> str:
    # Letters, digits and Chinese characters only: lines wrap, hyphenate and fill with dot
    # leaders in the contents.
    return re.sub(r"[^0-9a-z\u4e00-\u9fff]", "", text.lower())


def check(
    pdffonts: str,
    pages: Sequence[str],
    tex: str,
    *,
    contents_heading: str = "Contents",
    part_label: str = PART_LABEL,
) -> list[str]:
    """What is wrong with the PDF, from ``pdffonts``'s output, its pages' text, and its *tex*;
    a translated edition names its contents and its parts in its own words."""
    problems = [
        f"Type 3 font {name}: embed TrueType (matplotlib's pdf.fonttype 42)"
        for name in type3_fonts(pdffonts)
    ]
    toc = _squashed(contents(pages, contents_heading))
    if not toc:
        problems.append(f"no contents page (a page headed {contents_heading!r})")
    problems += [
        f"chapter not in the contents: {title}"
        for title in chapters(tex)
        if toc and _squashed(title) not in toc
    ]
    text = "\n".join(pages)
    found = part_headings(text, part_label)
    problems += [
        f"no heading {part_label.replace('%s', roman(number))!r}"
        for number in range(1, numbered_parts(tex) + 1)
        if roman(number) not in found
    ]
    if "genindex" in text:
        problems.append("the text says 'genindex' (a link to the HTML index printed as its label)")
    return problems


def _run(*command: str) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def main(argv: list[str] | None = None) -> int:
    """Check one PDF (its ``.tex`` file is next to it); print what is wrong; 1 if anything is."""
    parser = argparse.ArgumentParser(
        prog="python -m booktools.editions.pdfcheck", description=__doc__
    )
    parser.add_argument("pdf", type=Path, help="the PDF that make pdf built")
    parser.add_argument("--contents", default="Contents", help="the contents page's heading")
    parser.add_argument("--part", default=PART_LABEL, help="a part's heading, %%s the number")
    args = parser.parse_args(argv)
    pdf: Path = args.pdf
    pages = _run("pdftotext", "-layout", "-enc", "UTF-8", str(pdf), "-").split("\f")
    tex = pdf.with_suffix(".tex").read_text(encoding="utf-8")
    problems = check(
        _run("pdffonts", str(pdf)), pages, tex, contents_heading=args.contents, part_label=args.part
    )
    if problems:
        print(f"{pdf}: {len(problems)} problems:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    print(
        f"{pdf}: no Type 3 font; the contents list all {len(chapters(tex))} chapters; "
        f"{numbered_parts(tex)} parts; no 'genindex'"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
