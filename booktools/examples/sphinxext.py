"""The book's Sphinx extension: the doctest builder reports each skipped example and its reason.

Sphinx's own doctest builder drops an example whose ``:skipif:`` holds without a word. The book
guards version-specific examples that way (see :mod:`booktools.examples.contract`), so a reader
running ``make doctest`` on Python 3.11 should see which 3.13 examples were left out, and why,
just as pytest lists them as skipped.
"""

from __future__ import annotations

import os

from docutils.nodes import Element
from sphinx.application import Sphinx
from sphinx.ext.doctest import DocTestBuilder
from sphinx.util import logging
from sphinx.util.typing import ExtensionMetadata

__all__ = ["BookDocTestBuilder", "setup"]

logger = logging.getLogger(__name__)


class BookDocTestBuilder(DocTestBuilder):
    """Sphinx's doctest builder, reporting every skipped example with its ``:skipif:`` reason."""

    def init(self) -> None:
        super().init()
        self.book_skipped: list[str] = []

    def skipped(self, node: Element) -> bool:
        skip = bool(super().skipped(node))
        # A {testoutput} is skipped with its {testcode}: count the pair once.
        if skip and node.get("testnodetype") != "testoutput":
            where = f"{os.path.relpath(node.source or '?')}:{node.line}"
            self.book_skipped.append(f"{where}: skipped (skipif: {node['skipif']})")
        return skip

    def finish(self) -> None:
        for line in self.book_skipped:
            logger.info(line)
        self._out(f"\n{len(self.book_skipped):5} examples skipped by :skipif:\n")
        for line in self.book_skipped:
            self._out(f"      {line}\n")
        super().finish()


def setup(app: Sphinx) -> ExtensionMetadata:
    app.setup_extension("sphinx.ext.doctest")
    app.add_builder(BookDocTestBuilder, override=True)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
