"""Find code in the book that no example runner executes.

Every piece of Python the book shows must run: as a doctest directive (see
:mod:`booktools.examples.contract`), or through ``literalinclude`` / autodoc from tested
``companion`` code. :func:`audit` reports what breaks that rule in a MyST page:

- a fence in Python (or with no language at all) that is not one of the doctest directives;
- a ``>>>`` line anywhere outside a doctest directive;
- a doctest directive that only one runner would see (in a ``:::`` fence, or in an ``eval-rst``
  block), or that uses what the pytest runner does not implement (groups, ``:pyversion:``);
- a ``{testoutput}`` that does not directly follow its ``{testcode}``, or is guarded differently.

A fence that is shown but deliberately not run (a shell session, say) is exempt when the line
right above it is a MyST comment giving the reason: ``% not-run: a shell session``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sybil import Document
from sybil.parsers.markdown.lexers import RawFencedCodeBlockLexer
from sybil.parsers.rest.lexers import OPTIONS_PATTERN

from booktools.examples.contract import TEST_DIRECTIVES

__all__ = ["Fence", "Problem", "audit", "audit_text", "fences"]

PYTHON_LANGUAGES = {"python", "python3", "py", "py3", "pycon", "ipython", "ipython3", "default"}
ALLOWED_OPTIONS = {"skipif", "options", "hide", "trim-doctest-flags", "no-trim-doctest-flags"}
NOT_RUN = re.compile(r"^[ \t]*%[ \t]*not-run:(?P<reason>.*)$")
PROMPT = re.compile(r"^[ \t>]*>>>( |$)")
COLON_FENCE = re.compile(r"^[ \t]*:{3,}\{(?P<directive>[^}\s]+)\}", re.MULTILINE)
RST_DOCTEST = re.compile(r"^\s*\.\.\s+(doctest|testcode|testoutput|testsetup|testcleanup)::", re.M)
RST_PYTHON = re.compile(r"^\s*\.\.\s+(code-block|code|sourcecode)::\s*(python|py|pycon)\b", re.M)
INFO = re.compile(r"(?P<info>[^\n]*)$\n", re.MULTILINE)
DIRECTIVE = re.compile(r"^\{(?P<name>[^}\s]+)\}\s*(?P<argument>.*)$")


@dataclass(frozen=True)
class Fence:
    """A backtick or tilde fence: where it starts, its info string and its content."""

    line: int
    info: str
    body: str
    not_run: str | None

    @property
    def directive(self) -> str | None:
        match = DIRECTIVE.match(self.info)
        return match["name"] if match else None

    @property
    def argument(self) -> str:
        match = DIRECTIVE.match(self.info)
        return match["argument"].strip() if match else ""

    @property
    def language(self) -> str:
        if self.directive in {"code-block", "code", "sourcecode"}:
            return self.argument.split()[0].lower() if self.argument else ""
        return "" if self.directive else self.info.split()[0].lower() if self.info else ""

    @property
    def options(self) -> dict[str, str]:
        head = re.match(r"(?:[ \t]*:[\w-]+:[^\n]*\n)*", self.body)
        text = head.group(0) if head else ""
        return {match["name"]: match["value"] for match in OPTIONS_PATTERN.finditer(text)}

    @property
    def last_line(self) -> int:
        return self.line + self.body.count("\n") + 1


@dataclass(frozen=True)
class Problem:
    """Something in a page that breaks the rule; ``str()`` gives ``path:line: message``."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def fences(text: str) -> Iterator[Fence]:
    """Every backtick and tilde fence in *text*, nested ones included, in order of their start."""
    document = Document(text, "<text>")
    lines = text.splitlines()
    found = []
    for region in RawFencedCodeBlockLexer(info_pattern=INFO)(document):
        line = text.count("\n", 0, region.start) + 1
        above = lines[line - 2] if line >= 2 else ""
        marker = NOT_RUN.match(above)
        info = region.lexemes["info"].strip()
        found.append(Fence(line, info, str(region.lexemes["source"]), marker and marker["reason"]))
    return iter(sorted(found, key=lambda fence: fence.line))


def audit_text(text: str, path: str = "<text>") -> list[Problem]:
    """What in the MyST *text* no runner executes, or the two runners would treat differently."""
    problems: list[Problem] = []

    def problem(line: int, message: str) -> None:
        problems.append(Problem(path, line, message))

    for match in COLON_FENCE.finditer(text):
        if match["directive"] in TEST_DIRECTIVES or match["directive"] in {"code-block", "code"}:
            problem(
                text.count("\n", 0, match.start()) + 1,
                f"{{{match['directive']}}} in a ':::' fence: use a backtick fence, which both "
                "example runners read",
            )

    covered: set[int] = set()  # lines inside fences that run, or are marked as not run
    previous: Fence | None = None
    for fence in fences(text):
        name = fence.directive
        lines = set(range(fence.line, fence.last_line + 1))
        if fence.not_run is not None:
            covered |= lines
            if not fence.not_run.strip():
                problem(fence.line - 1, "'% not-run:' needs a reason after the colon")
        elif name in TEST_DIRECTIVES:
            covered |= lines
            if fence.body.lstrip("\n").startswith("---"):
                problem(fence.line, f"{{{name}}}: write options as ':name: value' lines, not YAML")
            unknown = set(fence.options) - ALLOWED_OPTIONS
            if unknown:
                problem(
                    fence.line,
                    f"{{{name}}} option(s) {sorted(unknown)} are not supported by both runners; "
                    "guard versions with ':skipif: sys.version_info < (3, N)'",
                )
            if fence.argument:
                problem(fence.line, f"{{{name}}} groups are not supported: drop '{fence.argument}'")
            if name == "testoutput":
                if previous is None or previous.directive != "testcode":
                    problem(fence.line, "{testoutput} must directly follow its {testcode}")
                elif previous.options.get("skipif") != fence.options.get("skipif"):
                    problem(fence.line, "{testoutput} needs the same :skipif: as its {testcode}")
        elif name == "eval-rst":
            if RST_DOCTEST.search(fence.body) or RST_PYTHON.search(fence.body):
                problem(
                    fence.line,
                    "Python or doctest directives inside eval-rst: write them as MyST fences",
                )
        elif name is None or name in {"code-block", "code", "sourcecode"}:
            if not fence.language:
                problem(fence.line, "a code fence needs a language (or should be a doctest)")
            elif fence.language in PYTHON_LANGUAGES:
                problem(
                    fence.line,
                    f"'{fence.language}' code that nothing runs: make it a {{doctest}} or "
                    "{testcode}, include it from companion, or mark it '% not-run: <reason>'",
                )
        if name in TEST_DIRECTIVES:
            previous = fence

    # A ':::' fence left open swallows the rest of the page into its box without a warning, as
    # does a closing ':::' that a reflow has joined to the end of a line of prose.
    open_colon_fences: list[int] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith(":::{"):
            open_colon_fences.append(number)
        elif line.rstrip() == ":::":
            if open_colon_fences:
                open_colon_fences.pop()
            else:
                problem(number, "a ':::' that closes no ':::{...}' fence")
        elif line.rstrip().endswith(" :::"):
            problem(
                number, "':::' at the end of a line of text: a closing ':::' needs its own line"
            )
    for number in open_colon_fences:
        problem(number, "a ':::{...}' fence that is never closed: add a ':::' line after its text")

    for number, line in enumerate(text.splitlines(), start=1):
        if PROMPT.match(line) and number not in covered:
            problem(
                number,
                "a '>>>' line outside a {doctest}: nothing runs it (make it a {doctest}, or mark "
                "its fence '% not-run: <reason>')",
            )
    return sorted(problems, key=lambda item: item.line)


def audit(path: Path, root: Path | None = None) -> list[Problem]:
    """:func:`audit_text` for the page at *path* (reported relative to *root*, if given)."""
    shown = str(path.relative_to(root)) if root else str(path)
    return audit_text(path.read_text(encoding="utf-8"), shown)
