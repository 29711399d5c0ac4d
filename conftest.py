"""pytest collects every example in ``book/`` through Sybil (:mod:`booktools.examples.runner`)."""

from pathlib import Path

import pytest

from booktools.examples.hygiene import restore_ctrl_c
from booktools.examples.runner import book_sybil, mark_skipped

# Tests of Ctrl-C, and of servers stopped with it, need SIGINT's handler even in a background run.
restore_ctrl_c()

pytest_collect_file = book_sybil(Path(__file__).parent / "book").pytest()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    mark_skipped(items)


# tests/test_booktools_*.py run small books of their own through pytest, with pytester.
pytest_plugins = ["pytester"]
