"""The book's Sphinx extension for its PDF and EPUB editions: what Sphinx's defaults leave to do.

- In the PDF, a "What the note says" box (an ``admonition`` with the class ``note-errata``) is set
  as a ``caution`` notice, which ``conf.py`` colours as the HTML colours the box (book.css); the
  book uses no other ``caution``. Any other ``admonition`` stays a plain note.
- In the EPUB, an SVG image keeps no document type declaration: matplotlib writes one, with the
  SVG 1.1 DTD's address, and EPUB 3 forbids external identifiers there (epubcheck's OPF-073 and
  HTM-003). The declaration is dropped from the copies in the EPUB, and the EPUB is zipped again;
  the HTML keeps its images as they are.
"""

from __future__ import annotations

import re
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.builders._epub_base import EpubBuilder
from sphinx.util import logging
from sphinx.util.typing import ExtensionMetadata
from sphinx.writers.latex import LaTeXTranslator

__all__ = ["ERRATA_CLASS", "setup", "without_doctype"]

ERRATA_CLASS = "note-errata"
"""The class of the boxes that correct the study note (see the conventions for writing)."""

_DOCTYPE = re.compile(r"<!DOCTYPE\s[^>\[]*(?:\[[^\]]*\])?\s*>\s*", re.IGNORECASE)

logger = logging.getLogger(__name__)


def without_doctype(svg: str) -> str:
    """*svg* without its document type declaration (the XML declaration stays)."""
    return _DOCTYPE.sub("", svg, count=1)


def _visit_admonition(self: LaTeXTranslator, node: nodes.Element) -> None:
    kind = "caution" if ERRATA_CLASS in node.get("classes", []) else "note"
    self.body.append(f"\n\\begin{{sphinxadmonition}}{{{kind}}}")
    self.no_latex_floats += 1


def _depart_admonition(self: LaTeXTranslator, node: nodes.Element) -> None:
    LaTeXTranslator.depart_admonition(self, node)


def _clean_epub_svgs(app: Sphinx, exception: Exception | None) -> None:
    builder = app.builder
    if exception is not None or not isinstance(builder, EpubBuilder):
        return
    changed = 0
    for path in Path(builder.outdir).rglob("*.svg"):
        text = path.read_text(encoding="utf-8")
        clean = without_doctype(text)
        if clean != text:
            path.write_text(clean, encoding="utf-8")
            changed += 1
    if changed:
        logger.info("dropped the DOCTYPE of %d SVG images; zipping the EPUB again", changed)
        builder.build_epub()


def setup(app: Sphinx) -> ExtensionMetadata:
    app.add_node(nodes.admonition, override=True, latex=(_visit_admonition, _depart_admonition))
    app.connect("build-finished", _clean_epub_svgs)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
