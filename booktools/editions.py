"""The book's Sphinx extension for its PDF and EPUB editions: what Sphinx's defaults leave to do.

- The PDF is shaped like a book (``conf.py`` sets ``latex_toplevel_sectioning = "part"`` and
  defines the ``\\book...`` commands used here). The root document's own text goes on the back
  of the title page, above the colophon (``book_colophon`` in ``conf.py``: edition, licence,
  source, commit); the contents follow. The documents of the root's toctree that are parts (their
  toctree is numbered, see :mod:`booktools.numbering`) become LaTeX parts, their chapters
  chapters. The others, the preface before the parts and the reference chapters after them, are
  unnumbered chapters, one level down from where Sphinx would put them; the reference chapters
  go in an unnumbered part named by their toctree's caption. The front matter is numbered in
  roman, the parts from page 1.
- In the PDF, a link to the general index (``{ref}`genindex```) names the index in words: the
  index is not a page that LaTeX can link to, and Sphinx would print the label, "genindex".
- The EPUB gets a stylesheet of its own (``booktools/epub.css``: code on a tinted background,
  wrapped, in the HTML's syntax colours) and a cover, drawn at build time from ``conf.py``'s
  title, description and author; ``conf.py`` names both (``epub_css_files``, ``epub_cover``).
- In the EPUB, the navigation numbers the chapters and sections as the text does and names the
  parts by their toctree captions ("Part I: Generators").
- In the PDF, a "What the note says" box (an ``admonition`` with the class ``note-errata``) is set
  as a ``caution`` notice, which ``conf.py`` colours as the HTML colours the box (book.css); the
  book uses no other ``caution``. Any other ``admonition`` stays a plain note.
- In the EPUB, an SVG image keeps no document type declaration: matplotlib writes one, with the
  SVG 1.1 DTD's address, and EPUB 3 forbids external identifiers there (epubcheck's OPF-073 and
  HTM-003). The declaration is dropped from the copies in the EPUB, and the EPUB is zipped again;
  the HTML keeps its images as they are. The cover image is marked as EPUB 3 marks it.
"""

from __future__ import annotations

import functools
import re
import subprocess
import textwrap
import tomllib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.builders._epub_base import EpubBuilder
from sphinx.highlighting import PygmentsBridge
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.texescape import escape as tex_escape
from sphinx.util.typing import ExtensionMetadata
from sphinx.writers.latex import LaTeXTranslator

from booktools import numbering

__all__ = [
    "ERRATA_CLASS",
    "UNNUMBERED_CHAPTER",
    "git_commit",
    "nav_text",
    "setup",
    "source_url",
    "with_cover_property",
    "without_doctype",
]

ERRATA_CLASS = "note-errata"
"""The class of the boxes that correct the study note (see the conventions for writing)."""

UNNUMBERED_CHAPTER = "book-unnumbered-chapter"
"""The class this extension gives the top sections of the PDF's unnumbered chapters."""

EPUB_CSS = "book-epub.css"
"""The EPUB's stylesheet: ``booktools/epub.css`` and the syntax colours (``epub_css_files``)."""

EPUB_COVER = "cover.png"
"""The EPUB's cover image, drawn at build time from ``conf.py``'s title, description, author."""

EPUB_PYGMENTS_STYLE = "a11y-light"
"""The syntax colours of the EPUB's code: the HTML's (Furo's light style)."""

_COVER = {"background": "#1d3557", "ink": "#f1faee", "accent": "#e9c46a", "muted": "#a8dadc"}
_COVER_META = re.compile(r'<meta name="cover" content="(?P<id>[^"]+)"\s*/>')
_DOCTYPE = re.compile(r"<!DOCTYPE\s[^>\[]*(?:\[[^\]]*\])?\s*>\s*", re.IGNORECASE)
_SOURCE_KEYS = ("source", "repository", "source code", "code", "homepage")

logger = logging.getLogger(__name__)


def without_doctype(svg: str) -> str:
    """*svg* without its document type declaration (the XML declaration stays)."""
    return _DOCTYPE.sub("", svg, count=1)


def git_commit(root: Path) -> tuple[str, bool] | None:
    """The commit the checkout at *root* is at (12 digits), and whether files differ from it.

    ``None`` where there is no git or no repository (a source archive, say).
    """
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return (head, bool(status.strip())) if head else None


def source_url(pyproject: Path) -> str | None:
    """Where the source lives: ``[project.urls]`` of *pyproject* (``Source`` first), or None."""
    try:
        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
    except (OSError, tomllib.TOMLDecodeError):
        return None
    urls = {str(key).lower(): str(value) for key, value in project.get("urls", {}).items()}
    return next((urls[key] for key in _SOURCE_KEYS if key in urls), None)


def nav_text(text: str, secnumber: Sequence[int] | None, part: str | None, suffix: str) -> str:
    """An EPUB navigation entry's text: numbered as the heading is, or named as its part."""
    if secnumber:
        return ".".join(map(str, secnumber)) + suffix + text
    if part:
        return f"{part}: {text}"
    return text


# -- The PDF ---------------------------------------------------------------------------------------


def _root_captions(app: Sphinx) -> dict[str, str]:
    """Each document of the root's toctrees, with its toctree's caption ("" if none)."""
    captions: dict[str, str] = {}
    for toctree in app.env.get_doctree(app.config.root_doc).findall(addnodes.toctree):
        for docname in toctree["includefiles"]:
            captions[docname] = toctree.get("caption") or ""
    return captions


def _part_docs(app: Sphinx) -> list[str]:
    env = app.env
    return numbering.parts(env.toctree_includes.get(app.config.root_doc, []), env.numbered_toctrees)


def _latex(command: str) -> nodes.raw:
    return nodes.raw("", command + "\n", format="latex")


def _shape_latex_book(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    if app.builder.name != "latex" or docname != app.config.root_doc:
        return
    captions = _root_captions(app)
    parts = set(_part_docs(app))
    files = [sof for sof in doctree.findall(addnodes.start_of_file) if sof["docname"] in captions]
    root = next(doctree.findall(nodes.section), None)
    if root is None or not files:
        return
    # The root's own text, before its first toctree, goes on the back of the title page.
    first_wrapper = files[0].parent
    intro: list[nodes.Node] = []
    for child in list(root.children):
        if child is first_wrapper:
            break
        if not isinstance(child, nodes.title):
            root.remove(child)
            intro.append(child)
    colophon = [nodes.paragraph("", text) for text in app.config.book_colophon]
    position = 1 if root.children and isinstance(root[0], nodes.title) else 0
    front = [_latex(r"\bookversobegin"), *intro, *colophon, _latex(r"\bookversoend")]
    front.append(_latex(r"\bookcontents"))
    for offset, node in enumerate(front):
        root.insert(position + offset, node)

    seen_part = False
    caption = ""
    engine = app.config.latex_engine
    for sof in files:
        parent = sof.parent
        if sof["docname"] in parts:
            if not seen_part:
                parent.insert(parent.index(sof), _latex(r"\bookmainmatter"))
            seen_part = True
            continue
        if seen_part and captions[sof["docname"]] != caption:
            caption = captions[sof["docname"]]
            title = tex_escape(caption, engine)
            parent.insert(parent.index(sof), _latex(rf"\bookbackmatter{{{title}}}"))
        for section in sof.children:
            if isinstance(section, nodes.section):
                section["classes"].append(UNNUMBERED_CHAPTER)


def _visit_section(self: LaTeXTranslator, node: nodes.Element) -> None:
    LaTeXTranslator.visit_section(self, node)
    if UNNUMBERED_CHAPTER in node["classes"]:
        self.sectionlevel += 1


def _depart_section(self: LaTeXTranslator, node: nodes.Element) -> None:
    LaTeXTranslator.depart_section(self, node)
    if UNNUMBERED_CHAPTER in node["classes"]:
        self.sectionlevel -= 1


class _IndexInWords(SphinxPostTransform):
    """In the PDF, a reference to the general index becomes the index's name."""

    builders = ("latex",)
    default_priority = 5  # before Sphinx resolves references (10)

    def run(self, **kwargs: Any) -> None:
        labels = self.env.domains.standard_domain.labels
        for xref in list(self.document.findall(addnodes.pending_xref)):
            target = xref.get("reftarget")
            if xref.get("reftype") == "ref" and target in ("genindex", "modindex", "search"):
                name = xref.astext() if xref.get("refexplicit") else labels[target][2]
                xref.replace_self(nodes.inline("", name))


def _visit_admonition(self: LaTeXTranslator, node: nodes.Element) -> None:
    kind = "caution" if ERRATA_CLASS in node.get("classes", []) else "note"
    self.body.append(f"\n\\begin{{sphinxadmonition}}{{{kind}}}")
    self.no_latex_floats += 1


def _depart_admonition(self: LaTeXTranslator, node: nodes.Element) -> None:
    LaTeXTranslator.depart_admonition(self, node)


# -- The EPUB --------------------------------------------------------------------------------------


def _number_epub_navigation(app: Sphinx) -> None:
    builder = app.builder
    if not isinstance(builder, EpubBuilder):
        return
    suffix = app.config.html_secnumber_suffix
    original: Callable[[nodes.Node, list[dict[str, Any]]], list[dict[str, Any]]]
    original = builder.get_refnodes

    @functools.cache
    def part_captions() -> Mapping[str, str]:
        # Read when the navigation is written: the documents have been read by then.
        captions = _root_captions(app)
        return {builder.get_target_uri(d): captions[d] for d in _part_docs(app) if captions[d]}

    def get_refnodes(doctree: nodes.Node, result: list[dict[str, Any]]) -> list[dict[str, Any]]:
        count = len(result)
        result = original(doctree, result)
        if isinstance(doctree, nodes.reference) and len(result) > count:
            entry = result[-1]
            uri = doctree.get("refuri", "")
            part = None if doctree.get("anchorname") else part_captions().get(uri)
            entry["text"] = nav_text(entry["text"], doctree.get("secnumber"), part, suffix)
        return result

    builder.get_refnodes = get_refnodes  # type: ignore[method-assign]


def draw_cover(path: Path, title: str, subtitle: str, byline: str) -> None:
    """Draw the EPUB's cover, 1200 by 1800 pixels: *title*, *subtitle* and *byline* as text."""
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    figure = Figure(figsize=(6, 9), dpi=200, facecolor=_COVER["background"])
    ink = _COVER["ink"]
    figure.text(0.1, 0.8, textwrap.fill(title, 16), color=ink, fontsize=34, weight="bold", va="top")
    figure.add_artist(Line2D([0.1, 0.9], [0.6, 0.6], color=_COVER["accent"], linewidth=3))
    figure.text(0.1, 0.56, textwrap.fill(subtitle, 30), color=ink, fontsize=17, va="top")
    figure.text(0.1, 0.1, textwrap.fill(byline, 36), color=_COVER["muted"], fontsize=13)
    figure.savefig(path, format="png", facecolor=_COVER["background"], metadata={"Software": None})


def _epub_assets(app: Sphinx) -> None:
    """The EPUB's stylesheet (code styles included) and its cover, drawn for this build."""
    if not isinstance(app.builder, EpubBuilder):
        return
    static = Path(app.doctreedir) / "epub-static"
    static.mkdir(parents=True, exist_ok=True)
    css = Path(__file__).with_name("epub.css").read_text(encoding="utf-8")
    highlight = PygmentsBridge("html", EPUB_PYGMENTS_STYLE).get_stylesheet()
    (static / EPUB_CSS).write_text(f"{css}\n{highlight}\n", encoding="utf-8")
    config = app.config
    draw_cover(static / EPUB_COVER, config.epub_title, config.epub_description, config.epub_author)
    config.html_static_path = [*config.html_static_path, str(static)]


def with_cover_property(opf: str) -> str:
    """*opf* (an EPUB's package document) with its cover image marked as EPUB 3 wants it.

    Sphinx names the cover the EPUB 2 way only (``<meta name="cover" content="ID"/>``); EPUB 3
    readers look for the manifest item with ``properties="cover-image"``.
    """
    meta = _COVER_META.search(opf)
    if meta is None:
        return opf
    item = re.compile(rf'<item id="{re.escape(meta["id"])}"(?![^>]*properties=)')
    return item.sub(lambda match: f'{match[0]} properties="cover-image"', opf, count=1)


def _finish_epub(app: Sphinx, exception: Exception | None) -> None:
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
    opf_path = Path(builder.outdir) / "content.opf"
    opf = opf_path.read_text(encoding="utf-8")
    marked = with_cover_property(opf)
    if marked != opf:
        opf_path.write_text(marked, encoding="utf-8")
        changed += 1
    if changed:
        logger.info("cleaned %d files (SVG DOCTYPEs, the cover); zipping the EPUB again", changed)
        builder.build_epub()


def setup(app: Sphinx) -> ExtensionMetadata:
    app.setup_extension("booktools.numbering")
    # The colophon changes with every commit: it rebuilds nothing (the PDF is written whole).
    app.add_config_value("book_colophon", [], "", types=frozenset({list}))
    app.add_node(nodes.admonition, override=True, latex=(_visit_admonition, _depart_admonition))
    app.add_node(nodes.section, override=True, latex=(_visit_section, _depart_section))
    app.add_post_transform(_IndexInWords)
    app.connect("doctree-resolved", _shape_latex_book)
    app.connect("builder-inited", _number_epub_navigation)
    app.connect("builder-inited", _epub_assets)
    app.connect("build-finished", _finish_epub)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
