"""pytest collects every example in ``book/`` through Sybil (see :mod:`booktools.examples`)."""

from pathlib import Path

import pytest

from booktools.examples import book_sybil, mark_skipped
from booktools.hygiene import restore_ctrl_c

# Tests of Ctrl-C, and of servers stopped with it, need SIGINT's handler even in a background run.
restore_ctrl_c()

pytest_collect_file = book_sybil(Path(__file__).parent / "book").pytest()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    mark_skipped(items)


# tests/test_booktools_*.py run small books of their own through pytest, with pytester.
pytest_plugins = ["pytester"]
