"""Find standard-library names that the book's prose shows as plain code instead of linking them.

Every mention of a standard-library object in prose is a cross-reference, such as
``{py:func}`asyncio.run` ``, that resolves through the offline inventory of Python's documentation
(``intersphinx/``). :func:`plain_names` reports the mentions that break that rule in a MyST page: an
inline code span whose whole text is a dotted name the inventory knows (``asyncio.run``,
``os.fork``, ``sys.getrecursionlimit()``), in prose. Code is left alone: fences that hold code
(doctests, code blocks, ``literalinclude``, ``index`` entries), headings, and code spans that are
expressions (``asyncio.run(main(), debug=True)``). Prose inside directives such as
``versionchanged`` and ``glossary`` counts as prose.

Undotted names (``next``, ``gather``) are not checked: too many of them are also variable names,
keywords or system calls in this book to tell apart by their spelling.
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path

from booktools.audits.fences import Problem, fences
from booktools.examples.contract import TEST_DIRECTIVES

__all__ = ["inventory_names", "plain_names"]

#: Fenced directives whose content is code or markup, not prose (a plain fence has no directive).
CODE_DIRECTIVES = {
    *TEST_DIRECTIVES,
    None,
    "code-block",
    "code",
    "sourcecode",
    "literalinclude",
    "index",
    "eval-rst",
    "toctree",
    "raw",
    "math",
    "timeline",
    "benchchart",
}
CODE_SPAN = re.compile(r"(?<![`}\w])`(?P<text>[^`\n]+)`(?!`)")
DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")
# The text of a Markdown link is a link already (a role cannot nest inside it).
LINK_TEXT = re.compile(r"\[(?P<text>[^\]\n]*)\]\([^)\n]*\)")
ENTRY = re.compile(r"(?P<name>\S+)\s+(?P<domain>py):\S+\s+-?\d+\s")


def inventory_names(path: Path) -> frozenset[str]:
    """The names of the ``py`` objects in the Sphinx inventory (``objects.inv``) at *path*."""
    data = path.read_bytes()
    header_end = 0
    for _ in range(4):  # a version line, the project, its version, and the compression note
        header_end = data.index(b"\n", header_end) + 1
    body = zlib.decompress(data[header_end:]).decode("utf-8")
    return frozenset(match["name"] for match in map(ENTRY.match, body.splitlines()) if match)


def plain_names(text: str, names: frozenset[str], path: str = "<text>") -> list[Problem]:
    """Every dotted name from *names* shown as plain code in the prose of the MyST *text*.

    A code span in the text of a Markdown link is left alone: it is a link already.

    >>> names = frozenset({"asyncio.run", "os.fork"})
    >>> page = "Call `asyncio.run()` once; {py:func}`os.fork` and [`os.fork`](#x) are linked."
    >>> for problem in plain_names(page, names):
    ...     print(problem)
    <text>:1: `asyncio.run()` is a standard-library name: write {py:...}`asyncio.run`
    """
    code_lines: set[int] = set()
    for fence in fences(text):
        if fence.directive in CODE_DIRECTIVES:
            code_lines |= set(range(fence.line, fence.last_line + 1))
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        if number in code_lines or line.startswith(("#", "%")):
            continue
        linked = [match.span("text") for match in LINK_TEXT.finditer(line)]
        for span in CODE_SPAN.finditer(line):
            if any(start <= span.start() and span.end() <= end for start, end in linked):
                continue
            name = span["text"].removesuffix("()")
            if DOTTED.fullmatch(name) and name in names:
                problems.append(
                    Problem(
                        path,
                        number,
                        f"`{span['text']}` is a standard-library name: write {{py:...}}`{name}`",
                    )
                )
    return problems
