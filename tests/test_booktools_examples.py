"""The pytest side of the example machinery fails, skips and reports as the book promises."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def book(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project whose ``book/`` pytest collects with the book's own machinery and settings."""
    pytester.makeconftest(
        f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from pathlib import Path
        from booktools.examples.runner import book_sybil, mark_skipped
        pytest_collect_file = book_sybil(Path(__file__).parent / "book").pytest()
        def pytest_collection_modifyitems(items):
            mark_skipped(items)
        """
    )
    # The plugins this project does not need here cost a second a run.
    pytester.makeini(
        "[pytest]\nfilterwarnings = error\n"
        "addopts = -p no:hypothesispytest -p no:anyio -p no:asyncio -p no:cacheprovider\n"
    )
    (pytester.path / "book").mkdir()
    return pytester


def page(book: pytest.Pytester, text: str) -> None:
    (book.path / "book" / "page.md").write_text(textwrap.dedent(text), encoding="utf-8")


RIGHT = """
    ```{doctest}
    >>> sum([1, 2, 3])
    6
    ```

    ```{testcode}
    print("done")
    ```

    ```{testoutput}
    done
    ```
"""


def test_correct_examples_pass_one_item_each(book: pytest.Pytester) -> None:
    page(book, RIGHT)
    result = book.runpytest("-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*page.md::*line:3,column:1 PASSED*", "*line:7,column:1 PASSED*"])


@pytest.mark.parametrize(
    ("wrong", "reported"),
    [
        (">>> sum([1, 2, 3])\n    6", ["Expected:", "    7", "Got:", "    6"]),
        ('print("done")', ["Expected:", "    done", "Got:", "    oops"]),
    ],
    ids=["doctest", "testoutput"],
)
def test_a_wrong_expected_output_fails(
    book: pytest.Pytester, wrong: str, reported: list[str]
) -> None:
    broken = RIGHT.replace(wrong, wrong.replace("6", "7").replace('"done"', '"oops"'))
    assert broken != RIGHT
    page(book, broken)
    result = book.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(reported)


def test_an_unexpected_exception_fails_with_its_traceback(book: pytest.Pytester) -> None:
    page(book, "```{testcode}\nraise KeyError('missing')\n```\n")
    result = book.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*unexpected exception*", "*KeyError: 'missing'*"])


def test_an_expected_traceback_is_compared_by_its_last_line(book: pytest.Pytester) -> None:
    page(
        book,
        """
        ```{testcode}
        next(iter([]))
        ```

        ```{testoutput}
        Traceback (most recent call last):
          ...
        StopIteration
        ```
        """,
    )
    book.runpytest().assert_outcomes(passed=1)


def test_a_testoutput_without_its_testcode_fails(book: pytest.Pytester) -> None:
    page(book, "```{testoutput}\nhello\n```\n")
    result = book.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*must directly follow the {testcode}*"])


def test_a_version_guard_skips_with_its_reason(book: pytest.Pytester) -> None:
    page(
        book,
        """
        ```{doctest}
        :skipif: sys.version_info >= (3,)

        >>> print("never runs")
        nonsense
        ```

        ```{doctest}
        :skipif: sys.version_info < (3,)

        >>> print("runs")
        runs
        ```
        """,
    )
    result = book.runpytest("-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["SKIPPED * book/page.md*: skipif: sys.version_info >= (3,)"])


LEAKS = {
    "coroutine": (
        """
        >>> async def fetch():
        ...     return 1
        >>> fetch()  # doctest: +ELLIPSIS
        <coroutine object fetch at ...>
        """,
        "RuntimeWarning: coroutine 'fetch' was never awaited",
    ),
    "task": (
        """
        >>> import asyncio
        >>> async def forgets():
        ...     asyncio.get_running_loop().create_task(asyncio.sleep(1))
        >>> loop = asyncio.new_event_loop()
        >>> loop.run_until_complete(forgets())
        >>> loop.close()
        >>> del loop
        """,
        "asyncio logged: Task was destroyed but it is pending!",
    ),
    "loop": (
        """
        >>> import asyncio
        >>> asyncio.new_event_loop()  # doctest: +ELLIPSIS
        <...EventLoop running=False closed=False debug=False>
        """,
        "ResourceWarning: unclosed event loop*",
    ),
}


@pytest.mark.parametrize("kind", sorted(LEAKS))
def test_a_leak_fails_the_example_with_a_readable_message(book: pytest.Pytester, kind: str) -> None:
    example, message = LEAKS[kind]
    page(book, "```{doctest}\n" + textwrap.dedent(example).strip() + "\n```\n")
    result = book.runpytest()
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) + outcomes.get("errors", 0) >= 1, result.stdout.str()
    result.stdout.fnmatch_lines(["*the example left something behind*", f"*{message}*"])
    result.stdout.no_fnmatch_line("*INTERNALERROR*")


def test_a_run_started_with_sigint_ignored_gets_python_s_handler_back() -> None:
    import signal

    from booktools.examples.hygiene import restore_ctrl_c

    before = signal.signal(signal.SIGINT, signal.SIG_IGN)  # as in a background job
    try:
        restore_ctrl_c()
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        restore_ctrl_c()  # anything but "ignored" is left alone
        assert signal.getsignal(signal.SIGINT) is signal.SIG_DFL
    finally:
        signal.signal(signal.SIGINT, before)
