"""Find code lines in the book too long for the PDF's printed width.

The PDF sets code in a fixed-width font and wraps a line that does not fit, with a continuation
mark, which breaks the line's shape where a reader needs it most. So every code line the book
shows must fit in :data:`booktools.editions.geometry.CODE_COLUMNS` characters (fewer in a list
item, which is indented), a number derived from the PDF's page and code font (see that module).
:func:`audit` reports the lines of a MyST page that do not:

- the lines of the doctest directives a reader sees (``{doctest}``, ``{testcode}``,
  ``{testoutput}``; not ``{testsetup}`` and ``{testcleanup}``, which Sphinx does not show, nor a
  block with ``:hide:``), after Sphinx removes the ``# doctest:`` flags and ``<BLANKLINE>``
  markers from them;
- the lines of the other code fences (a shell session, a ``{code-block}``);
- the lines a ``{literalinclude}`` pulls in from ``companion/``, read by Sphinx's own reader so
  that ``:pyobject:``, ``:start-after:``/``:end-before:``, ``:lines:``, ``:dedent:`` and the rest
  choose exactly the lines the page shows.

Directives that draw tables or figures from data (``{benchtable}``, ``{benchrun}``,
``{timeline}``...) show no code and are not read. A tab counts as eight columns, as in the PDF.
``make pdf`` checks the printed result as well: :mod:`booktools.editions.latexlog` fails on any
code line that LaTeX had to wrap, docstrings shown by autodoc included.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from sphinx.config import Config
from sphinx.directives.code import LiteralIncludeReader

from booktools.audits.fences import Fence, Problem, fences
from booktools.editions.geometry import code_columns

__all__ = ["Line", "audit", "audit_text", "shown_lines"]

#: The doctest directives whose blocks Sphinx shows.
SHOWN_TEST_DIRECTIVES = {"doctest", "testcode", "testoutput"}
#: Directives that are code fences too, besides a plain fence with a language.
CODE_BLOCK_DIRECTIVES = {"code-block", "code", "sourcecode"}
#: What Sphinx's doctest extension strips from a shown block (``trim_doctest_flags``).
DOCTEST_FLAG = re.compile(r"[ \t]*#\s*doctest:.+$", re.MULTILINE)
BLANKLINE = re.compile(r"^[ \t]*<BLANKLINE>$", re.MULTILINE)
OPTION = re.compile(r"^[ \t]*:(?P<name>[\w-]+):[ \t]*(?P<value>.*)$")


@dataclass(frozen=True)
class Line:
    """A line of code as the book shows it, and the page line it comes from."""

    page_line: int
    text: str
    source: str  # "" for a line written in the page; the included file's path otherwise
    room: int  # how many columns the PDF has for it

    @property
    def columns(self) -> int:
        return len(self.text.expandtabs(8).rstrip())


def _split_options(body: str) -> tuple[dict[str, str], list[str], int]:
    """A directive's ``:name: value`` options, its content lines, and where the content starts."""
    lines = body.split("\n")
    options: dict[str, str] = {}
    index = 0
    while index < len(lines) and (match := OPTION.match(lines[index])):
        options[match["name"]] = match["value"].strip()
        index += 1
    if options and index < len(lines) and not lines[index].strip():
        index += 1  # the blank line that ends the options
    return options, lines[index:], index


def _included(fence: Fence, page: Path, options: dict[str, str]) -> list[str]:
    """The lines a ``{literalinclude}`` fence shows, read as Sphinx reads them."""
    path = (page.parent / fence.argument).resolve()
    reader_options: dict[str, Any] = {}
    for name, value in options.items():
        if name in {"dedent", "tab-width"}:
            reader_options[name] = int(value) if value else None
        elif name in {"lineno-start"}:
            reader_options[name] = int(value)
        else:
            reader_options[name] = value.strip('"') if value.startswith('"') else value
    config = cast(Config, SimpleNamespace(source_encoding="utf-8-sig"))
    text, _ = LiteralIncludeReader(path, reader_options, config).read()
    return text.splitlines()


def shown_lines(text: str, page: Path) -> list[Line]:
    """Every code line the MyST *text* of the page at *page* shows, with where it comes from.

    A fence indented in the page is in a list item, indented in the PDF as well (one level is
    assumed), so its lines have less room.
    """
    page_lines = text.splitlines()
    shown: list[Line] = []
    for fence in fences(text):
        opening = page_lines[fence.line - 1]
        room = code_columns(1 if opening[:1].isspace() else 0)
        code: str | None = None
        name = fence.directive
        if name in SHOWN_TEST_DIRECTIVES or name in CODE_BLOCK_DIRECTIVES:
            options, body, skipped = _split_options(fence.body)
            if "hide" in options:
                continue
            code = "\n".join(body)
            if name in SHOWN_TEST_DIRECTIVES and "no-trim-doctest-flags" not in options:
                code = BLANKLINE.sub("", DOCTEST_FLAG.sub("", code))
            first = fence.line + 1 + skipped
        elif name is None and fence.language:
            code, first = fence.body, fence.line + 1
        elif name == "literalinclude":
            options, _, _ = _split_options(fence.body)
            included = _included(fence, page, options)
            shown += [Line(fence.line, line, fence.argument, room) for line in included]
        if code is not None:
            shown += [Line(first + n, line, "", room) for n, line in enumerate(code.split("\n"))]
    return shown


def audit_text(text: str, page: Path, shown_as: str | None = None) -> list[Problem]:
    """The code lines in the MyST *text* (the page at *page*) longer than the PDF can print."""
    problems = []
    for line in shown_lines(text, page):
        if line.columns > line.room:
            where = f" (from {line.source})" if line.source else ""
            problems.append(
                Problem(
                    shown_as or str(page),
                    line.page_line,
                    f"a code line of {line.columns} columns{where}, more than the "
                    f"{line.room} the PDF prints: {line.text.strip()[:60]}",
                )
            )
    return problems


def audit(path: Path, root: Path | None = None) -> list[Problem]:
    """:func:`audit_text` for the page at *path* (reported relative to *root*, if given)."""
    shown = str(path.relative_to(root)) if root else str(path)
    return audit_text(path.read_text(encoding="utf-8"), path, shown)
