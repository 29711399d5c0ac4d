"""Run the book's examples under pytest exactly as Sphinx's doctest builder runs them.

The book's examples are MyST fences of Sphinx's doctest directives: ``{doctest}`` for REPL sessions,
``{testcode}`` followed by ``{testoutput}`` for whole programs, ``{testsetup}`` and
``{testcleanup}`` for code a page needs but does not show. Sphinx's doctest builder runs them from
the parsed book; this module runs the same fences through Sybil, so that pytest reports one test
item per example at its line in the ``.md`` file. What the two runners agree on (namespace, flags,
version guards, hygiene) is written once, in :mod:`booktools.examples.contract`.

This is the test-time side: it imports pytest and Sybil, which a docs-only install lacks.
"""

from __future__ import annotations

import contextlib
import doctest
import io
import re
import traceback
import unittest
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sybil import Document, Example, Lexeme, Region, Sybil
from sybil.evaluators.doctest import DocTestEvaluator
from sybil.parsers.abstract import DocTestStringParser
from sybil.parsers.myst.lexers import DirectiveLexer

from booktools.examples import hygiene
from booktools.examples.contract import (
    DOCTEST_FLAGS,
    NAMESPACE_SETUP,
    TEST_DIRECTIVES,
    option_flags,
    skip_reason,
)

__all__ = ["BookExampleParser", "book_sybil", "mark_skipped"]

_EXCEPTION_RE: re.Pattern[str] = doctest.DocTestParser._EXCEPTION_RE  # type: ignore[attr-defined]

Evaluator = Callable[[Example], str | None]


def _first_line(document: Document, region: Region, source: Lexeme) -> int:
    """Zero-based line number, in the ``.md`` file, of a directive's first line of content."""
    return document.text.count("\n", 0, region.start + source.offset)


class _Guarded:
    """Skip with *reason*, or run *evaluate* and fail the example if it leaked anything."""

    def __init__(self, evaluate: Evaluator, reason: str | None) -> None:
        self.evaluate = evaluate
        self.skip_reason = reason

    def __call__(self, example: Example) -> str | None:
        if self.skip_reason is not None:
            raise unittest.SkipTest(self.skip_reason)
        try:
            outcome = self.evaluate(example)
        except BaseException as error:
            leak = hygiene.drain()
            if leak:
                error.add_note(leak)
            raise
        leak = hygiene.drain()
        if leak and outcome:
            return f"{outcome}\n{leak}"
        return leak or outcome


def mark_skipped(items: Iterable[pytest.Item]) -> None:
    """Mark the book's version-guarded examples as skipped, with their reason, before they run.

    pytest then reports each at its line in the ``.md`` file (``conftest.py`` calls this from
    ``pytest_collection_modifyitems``).
    """
    for item in items:
        example = getattr(item, "example", None)
        evaluator = getattr(getattr(example, "region", None), "evaluator", None)
        if isinstance(evaluator, _Guarded) and evaluator.skip_reason is not None:
            item.add_marker(pytest.mark.skip(reason=evaluator.skip_reason))


def _exec_evaluator(code: str, first_line: int) -> Evaluator:
    """Run setup or cleanup code, whose output nobody checks."""

    def evaluate(example: Example) -> None:
        exec(compile("\n" * first_line + code, example.path, "exec"), example.namespace)

    return evaluate


def _testcode_evaluator(code: str, first_line: int, want: str, flags: int) -> Evaluator:
    """Run a ``{testcode}`` and compare what it prints with its ``{testoutput}``, as Sphinx does.

    Like Sphinx, a ``{testcode}`` with no ``{testoutput}`` must print nothing, and an expected
    traceback is compared by its last line only (the exception and its message).
    """
    flags |= doctest.DONT_ACCEPT_BLANKLINE
    match = _EXCEPTION_RE.match(want)
    expected = doctest.Example(code, want, exc_msg=match.group("msg") if match else None)

    def evaluate(example: Example) -> str | None:
        checker = doctest.OutputChecker()
        stdout = io.StringIO()
        try:
            with contextlib.redirect_stdout(stdout):
                exec(compile("\n" * first_line + code, example.path, "exec"), example.namespace)
        except Exception as error:
            if expected.exc_msg is None:
                return "unexpected exception:\n" + "".join(traceback.format_exception(error))
            got = traceback.format_exception_only(error)[-1]
            if checker.check_output(expected.exc_msg, got, flags):
                return None
            return f"expected exception:\n{expected.exc_msg}got:\n{got}"
        if expected.exc_msg is not None:
            return f"expected exception:\n{expected.exc_msg}but nothing was raised"
        got = stdout.getvalue()
        if checker.check_output(expected.want, got, flags):
            return None
        return checker.output_difference(expected, got, flags)

    return evaluate


def _failing(message: str) -> Evaluator:
    def evaluate(example: Example) -> str:
        return message

    return evaluate


class BookExampleParser:
    """A Sybil parser for the doctest directives in MyST fences, with Sphinx's semantics."""

    def __init__(self) -> None:
        self.lexer = DirectiveLexer("|".join(TEST_DIRECTIVES))

    def __call__(self, document: Document) -> Iterator[Region]:
        lexed = list(self.lexer(document))
        for index, region in enumerate(lexed):
            name = region.lexemes["directive"]
            options: dict[str, str] = region.lexemes["options"]
            source: Lexeme = region.lexemes["source"]
            reason = skip_reason(options)
            first_line = _first_line(document, region, source)
            if name == "doctest":
                yield from self._doctest_regions(document, region, source, options, reason)
            elif name == "testcode":
                following = lexed[index + 1] if index + 1 < len(lexed) else None
                want, flags = "", DOCTEST_FLAGS
                if following is not None and following.lexemes["directive"] == "testoutput":
                    want = str(following.lexemes["source"])
                    flags = option_flags(following.lexemes["options"].get("options"))
                evaluate = _testcode_evaluator(str(source), first_line, want, flags)
                yield Region(region.start, region.end, evaluator=_Guarded(evaluate, reason))
            elif name == "testoutput":
                previous = lexed[index - 1] if index > 0 else None
                if previous is None or previous.lexemes["directive"] != "testcode":
                    message = "a {testoutput} must directly follow the {testcode} it belongs to"
                    yield Region(region.start, region.end, evaluator=_failing(message))
            else:
                evaluate = _exec_evaluator(str(source), first_line)
                yield Region(region.start, region.end, evaluator=_Guarded(evaluate, reason))

    @staticmethod
    def _doctest_regions(
        document: Document,
        region: Region,
        source: Lexeme,
        options: dict[str, str],
        reason: str | None,
    ) -> Iterable[Region]:
        parser = DocTestStringParser(DocTestEvaluator(option_flags(options.get("options"))))
        for example_region in parser(source, document.path):
            example_region.adjust(region, source)
            evaluator = example_region.evaluator
            assert evaluator is not None
            example_region.evaluator = _Guarded(evaluator, reason)
            yield example_region


def _setup(namespace: dict[str, Any]) -> None:
    exec(NAMESPACE_SETUP, namespace)
    hygiene.begin()  # pytest's filterwarnings = error already turns warnings into errors


def _teardown(namespace: dict[str, Any]) -> None:
    hygiene.end(namespace)


def book_sybil(book: Path) -> Sybil:
    """The Sybil that collects every example in the ``.md`` files under *book*."""
    return Sybil(
        parsers=[BookExampleParser()],
        path=str(book),
        patterns=["*.md"],
        setup=_setup,
        teardown=_teardown,
        name="book",
    )
