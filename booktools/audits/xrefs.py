"""Find standard-library names that the book's prose shows as plain code instead of linking them.

Every mention of a standard-library object in prose is a cross-reference, such as
``{py:func}`asyncio.run` ``, that resolves through the offline inventory of Python's documentation
(``intersphinx/``). :func:`plain_names` reports the mentions that break that rule in a MyST page: an
inline code span whose whole text is a dotted name the inventory knows (``asyncio.run``,
``os.fork``, ``sys.getrecursionlimit()``), in prose. Code is left alone: fences that hold code
(doctests, code blocks, ``literalinclude``, ``index`` entries), headings, and code spans that are
expressions (``asyncio.run(main(), debug=True)``). Prose inside directives such as
``versionchanged`` and ``glossary`` counts as prose.

Short names are checked too, where the spelling alone says which object is meant:
:func:`short_names` picks the names of ``asyncio``'s own functions, classes and exceptions and of
the builtins that no other object among them shares (``gather``, ``create_task``,
``StopIteration``, ``next``), and :func:`plain_names` reports such a name shown as plain code in
prose. The fix is a link to the object the sentence means: {py:func}`~asyncio.gather` for
asyncio's, {py:func}`~companion.tasks.gather` for the companion's twin. Method names (``send``,
``close``, ``join``) are left out: the same spelling names methods of generators, sockets,
threads and the companion's own classes, and only the sentence can tell which. The few spans that
are a checked name's spelling but name no object are listed, each with its reason, in
:data:`NOT_NAMES`.
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path

from booktools.audits.fences import Problem, fences
from booktools.examples.contract import TEST_DIRECTIVES

__all__ = ["NOT_NAMES", "inventory", "inventory_names", "plain_names", "short_names"]

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
ENTRY = re.compile(r"(?P<name>\S+)\s+(?P<domain>py):(?P<role>\S+)\s+-?\d+\s")
SHORT = re.compile(r"[A-Za-z_]\w*")
#: The roles whose objects a short name may name (the builtin constants ``None``, ``True`` and
#: ``exit`` are ``data``: they stay code, like keywords).
SHORT_ROLES = {"function", "class", "exception"}

#: Spans, as (page, text), that spell a checked short name but do not name that object.
NOT_NAMES = {
    # The attribute of the argument sys.unraisablehook receives, which the inventory does not list.
    ("book/version-atlas.md", "object"),
    ("book/asyncio/async-def-and-await.md", "object"),
    ("book/generators/throw-and-close.md", "object"),
    # "Python has two classes called `Future`": the spelling they share, each linked right after.
    ("book/asyncio/concurrent-futures.md", "Future"),
}


def inventory(path: Path) -> dict[str, str]:
    """The ``py`` objects in the Sphinx inventory (``objects.inv``) at *path*: name to role."""
    data = path.read_bytes()
    header_end = 0
    for _ in range(4):  # a version line, the project, its version, and the compression note
        header_end = data.index(b"\n", header_end) + 1
    body = zlib.decompress(data[header_end:]).decode("utf-8")
    return {match["name"]: match["role"] for match in map(ENTRY.match, body.splitlines()) if match}


def inventory_names(path: Path) -> frozenset[str]:
    """The names of the ``py`` objects in the Sphinx inventory (``objects.inv``) at *path*."""
    return frozenset(inventory(path))


def short_names(objects: dict[str, str]) -> dict[str, str]:
    """The short names that name one object only: asyncio's own, or a builtin (name to object).

    >>> found = short_names({
    ...     "asyncio.gather": "function", "asyncio.Task.cancel": "method",
    ...     "asyncio.Future": "class", "concurrent.futures.Future": "class",
    ...     "asyncio.timeout": "function", "socket.timeout": "exception",
    ...     "asyncio.TimeoutError": "exception", "TimeoutError": "exception",
    ...     "StopIteration": "exception", "None": "data",
    ... })
    >>> for short, name in found.items():
    ...     print(short, name)
    Future asyncio.Future
    StopIteration StopIteration
    gather asyncio.gather
    timeout asyncio.timeout
    """
    owners: dict[str, list[str]] = {}
    for name, role in objects.items():
        short = name.removeprefix("asyncio.")
        if role in SHORT_ROLES and SHORT.fullmatch(short):
            owners.setdefault(short, []).append(name)
    return {short: names[0] for short, names in sorted(owners.items()) if len(names) == 1}


def plain_names(
    text: str,
    names: frozenset[str],
    path: str = "<text>",
    short: dict[str, str] | None = None,
) -> list[Problem]:
    """Every dotted name from *names*, or short name from *short*, shown as plain code in prose.

    *text* is a MyST page; *short* maps short names to the objects they name (see
    :func:`short_names`), and spans listed for *path* in :data:`NOT_NAMES` are left alone. So is a
    code span in the text of a Markdown link: it is a link already.

    >>> names = frozenset({"asyncio.run", "os.fork"})
    >>> page = "Call `asyncio.run()` once, `run()` too; {py:func}`os.fork` and [`os.fork`](#x)."
    >>> for problem in plain_names(page, names, short={"run": "asyncio.run"}):
    ...     print(problem)
    <text>:1: `asyncio.run()` is a standard-library name: write {py:...}`asyncio.run`
    <text>:1: `run()` names asyncio.run: link it, {py:...}`~asyncio.run` (or the object it names)
    """
    short = short or {}
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
                message = f"is a standard-library name: write {{py:...}}`{name}`"
            elif name in short and (path, name) not in NOT_NAMES:
                target = short[name]
                shown = f"~{target}" if "." in target else target
                message = f"names {target}: link it, {{py:...}}`{shown}` (or the object it names)"
            else:
                continue
            problems.append(Problem(path, number, f"`{span['text']}` {message}"))
    return problems
