"""The book's Sphinx extension for its PDF edition: what Sphinx's LaTeX writer leaves to do.

A "What the note says" box (an ``admonition`` with the class ``note-errata``) is set as a
``caution`` notice, which ``conf.py`` colours as the HTML colours the box (book.css); the book
uses no other ``caution``. Any other ``admonition`` stays a plain note.
"""

from __future__ import annotations

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.typing import ExtensionMetadata
from sphinx.writers.latex import LaTeXTranslator

__all__ = ["ERRATA_CLASS", "setup"]

ERRATA_CLASS = "note-errata"
"""The class of the boxes that correct the study note (see the conventions for writing)."""


def _visit_admonition(self: LaTeXTranslator, node: nodes.Element) -> None:
    kind = "caution" if ERRATA_CLASS in node.get("classes", []) else "note"
    self.body.append(f"\n\\begin{{sphinxadmonition}}{{{kind}}}")
    self.no_latex_floats += 1


def _depart_admonition(self: LaTeXTranslator, node: nodes.Element) -> None:
    LaTeXTranslator.depart_admonition(self, node)


def setup(app: Sphinx) -> ExtensionMetadata:
    app.add_node(nodes.admonition, override=True, latex=(_visit_admonition, _depart_admonition))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
