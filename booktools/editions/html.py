"""The book's Sphinx extension for its HTML edition: the front door, search, accessibility.

- **Where the source lives.** ``{source}`the repository this book is built from``` is that text,
  linked to ``book_source_url`` when the project has an address (``conf.py`` reads it once, from
  ``pyproject.toml``'s ``[project.urls]``; see :mod:`booktools.editions.colophon`), and plain text
  while it has none. The words stay in the MyST text; only the link comes from the setting.
- **Downloads.** ``book_downloads`` lists the files the HTML offers for download (``make dist``
  passes the PDF and the EPUB it has just built). Each is copied into ``_downloads/`` of the
  output, the tag ``downloads`` is set, and ``{edition-file}`PDF <pdf>``` links the file whose
  name ends in ``.pdf``. The front page keeps those links inside ``{only} downloads``: a build
  given no files has neither the tag nor the links, so a plain ``make html`` can never link to a
  file it does not have, and a link to a file the build was not given fails the build.
- **Search.** Sphinx's search lists a hit on an index entry under its page's title only, and
  matches a section title only when the query is at least half as long as the title. The build
  writes ``_static/book-search-sections.js``, which says which section holds each anchor, what
  the section is called, and where each page comes in the book; ``book/_static/book-search.js``
  (loaded on the search page only) uses it to show the section's title, to find sections whose
  title names the query, and to rank those first (that file says how).
- **Accessibility** (axe-core runs over every page in ``tests/browser``): Sphinx writes a
  toctree's caption ("Part I") as ``<p role="heading">`` without the ``aria-level`` that role
  requires; here it gets level 2, under the page's own level-one title. The rest is done in the
  templates (``book/_templates``: the two side bars get distinct names, the search page a
  level-one heading) and in ``book/_static/book.js`` (a code block that scrolls sideways can be
  reached with the keyboard).

- **Other editions.** ``book_editions`` lists the other languages the book is built in, each as
  ``language=path`` (the path of that edition's HTML folder from this one's, or an address):
  ``make html-all`` builds English and Chinese side by side and passes each the other
  (:func:`booktools.make.recipes.editions`). Each page then links to the same page in each
  other edition, named in its own language (:data:`AUTONYMS`), in the side bar, and on the
  front page at the top of its text too (``book/_templates/page.html``; the words around them
  are translated with the templates'). A build given none, as every build but
  ``make html-all`` is (Read the Docs' included), has no such links and the same pages as before.

Nothing here runs for the PDF or the EPUB builder, except the ``{source}`` role (plain text or
a link in any format) and ``{edition-file}``, which may appear in an EPUB page only inside
``{only} downloads`` and so never does there.
"""

from __future__ import annotations

import json
import logging as std_logging
import posixpath
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from docutils import nodes
from docutils.nodes import Element, Node, system_message
from docutils.parsers.rst.states import Inliner
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxRole
from sphinx.util.nodes import split_explicit_title
from sphinx.util.typing import ExtensionMetadata
from sphinx.writers.html5 import HTML5Translator

__all__ = [
    "AUTONYMS",
    "DOWNLOADS_DIR",
    "DOWNLOADS_TAG",
    "SECTIONS_FILE",
    "BookHTMLTranslator",
    "edition_links",
    "section_map",
    "setup",
]

DOWNLOADS_DIR = "_downloads"
"""Where, in the HTML output, the files of ``book_downloads`` are copied."""
DOWNLOADS_TAG = "downloads"
"""The tag set when the build has files to offer; ``{only} downloads`` holds their links."""
SECTIONS_FILE = "book-search-sections.js"
"""The search page's map from anchors to sections, written into ``_static``."""

AUTONYMS = {"en": "English", "zh_CN": "简体中文"}
"""Each edition's language, named in that language, as a reader looks for it."""
BCP47 = {"en": "en", "zh_CN": "zh-CN"}
"""Each edition's language as HTML's ``lang`` and ``hreflang`` write it (as Sphinx writes the
edition's own ``<html lang>``)."""

logger = logging.getLogger(__name__)


def _is_html(app: Sphinx) -> bool:
    """True for the HTML builders (not the EPUB builder, which derives from them)."""
    return app.builder.name in {"html", "dirhtml"}


# -- Where the source lives ------------------------------------------------------------------------


class SourceRole(SphinxRole):
    """``{source}`text```: *text*, linked to ``book_source_url`` when the book has one."""

    def run(self) -> tuple[list[Node], list[system_message]]:
        url = self.config.book_source_url
        if not url:
            return [nodes.inline(self.rawtext, self.text, classes=["book-source"])], []
        return [nodes.reference(self.rawtext, self.text, refuri=url, classes=["book-source"])], []


# -- Downloads -------------------------------------------------------------------------------------


class edition_file(nodes.Inline, nodes.TextElement):
    """A link to one of ``book_downloads``, resolved once ``{only}`` has kept or dropped it."""


def edition_file_role(
    name: str,
    rawtext: str,
    text: str,
    lineno: int,
    inliner: Inliner,
    options: dict[str, Any] | None = None,
    content: list[str] | None = None,
) -> tuple[list[Node], list[system_message]]:
    """``{edition-file}`PDF <pdf>```: the link text, and the suffix of the file it links."""
    _, title, suffix = split_explicit_title(text)
    return [edition_file(rawtext, title, suffix=suffix.strip().lower().lstrip("."))], []


def _downloads(config: Config) -> dict[str, Path]:
    """``book_downloads`` by suffix (``pdf``, ``epub``); two files of one kind are an error."""
    found: dict[str, Path] = {}
    for name in config.book_downloads:
        path = Path(name)
        suffix = path.suffix.lower().lstrip(".")
        if suffix in found:
            raise ValueError(f"book_downloads names two .{suffix} files: {found[suffix]}, {path}")
        found[suffix] = path
    return found


class ResolveEditionFiles(SphinxPostTransform):
    """In the HTML, turn each ``edition_file`` left by ``{only}`` into a link to its file."""

    builders = ("html", "dirhtml")
    default_priority = 900  # after {only} (OnlyNodeTransform, 50) has removed what it excludes

    def run(self, **kwargs: Any) -> None:
        files = _downloads(self.config)
        folder = posixpath.dirname(self.env.docname) or "."
        for node in list(self.document.findall(edition_file)):
            path = files.get(node["suffix"])
            if path is not None:
                uri = posixpath.relpath(f"{DOWNLOADS_DIR}/{path.name}", folder)
                link = nodes.reference("", node.astext(), refuri=uri, classes=["book-download"])
                node.replace_self(link)


class UnlinkedEditionFiles(SphinxPostTransform):
    """Any ``edition_file`` still there has no file to link: a warning, and the bare text."""

    default_priority = 901

    def is_supported(self) -> bool:
        # The gettext builder keeps every branch of {only}, to extract all of its messages.
        return super().is_supported() and self.app.builder.name != "gettext"

    def run(self, **kwargs: Any) -> None:
        for node in list(self.document.findall(edition_file)):
            logger.warning(
                "no .%s file to link: {edition-file} belongs inside {only} %s, and only the "
                "HTML build is given the files (book_downloads)",
                node["suffix"],
                DOWNLOADS_TAG,
                location=node,
            )
            node.replace_self(nodes.Text(node.astext()))


def _check_downloads(app: Sphinx, config: Config) -> None:
    files = _downloads(config)
    for path in files.values():
        if not path.is_file():
            raise FileNotFoundError(f"book_downloads: no such file: {path}")
    if files:
        app.tags.add(DOWNLOADS_TAG)


def _copy_downloads(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or not _is_html(app):
        return
    target = Path(app.outdir, DOWNLOADS_DIR)
    for path in _downloads(app.config).values():
        target.mkdir(exist_ok=True)
        shutil.copyfile(path, target / path.name)


# -- Other editions -------------------------------------------------------------------------------


def edition_links(editions: list[str], page_uri: str) -> list[dict[str, str]]:
    """For each of *editions* (``language=path``), the link from the page at *page_uri* (as the
    builder names it, ``asyncio/tasks.html``) to the same page in that edition.

    >>> edition_links(["zh_CN=../html-zh_CN"], "asyncio/tasks.html")[0]["url"]
    '../../html-zh_CN/asyncio/tasks.html'
    >>> edition_links(["en=https://example.org/book"], "index.html")[0]["url"]
    'https://example.org/book/index.html'
    """
    links = []
    for edition in editions:
        language, equals, path = edition.partition("=")
        if not equals or language not in AUTONYMS:
            known = ", ".join(AUTONYMS)
            raise ValueError(f"book_editions: {edition!r} is not language=path ({known})")
        root = path.rstrip("/")
        if "://" not in root:
            root = posixpath.join("../" * page_uri.count("/") + ".", root)
            root = posixpath.normpath(root)
        links.append(
            {
                "language": BCP47[language],
                "name": AUTONYMS[language],
                "url": f"{root}/{page_uri}",
            }
        )
    return links


def _edition_links(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Node | None
) -> None:
    if app.config.book_editions and _is_html(app):
        uri = app.builder.get_target_uri(pagename)
        context["book_editions"] = edition_links(app.config.book_editions, uri)


# -- Search ----------------------------------------------------------------------------------------


def section_map(doctree: nodes.document) -> dict[str, Any]:
    """Each section's title (by its first id, as the search index names sections), and for each
    anchor in the page the section it sits in (``""``: the page itself, before any subsection).
    """
    titles: dict[str, str] = {}
    anchors: dict[str, str] = {}

    def walk(node: Element, section: str, depth: int) -> None:
        for child in node.children:
            if not isinstance(child, Element):
                continue
            inner, inner_depth = section, depth
            if isinstance(child, nodes.section):
                inner_depth += 1
                # The outermost section is the page; the search index gives its title no id.
                if inner_depth > 1 and child["ids"]:
                    inner = child["ids"][0]
                    titles[inner] = child[0].astext()
            for anchor in child["ids"]:
                anchors.setdefault(anchor, inner)
            walk(child, inner, inner_depth)

    walk(doctree, "", 0)
    return {"titles": titles, "anchors": anchors}


def _reading_order(app: Sphinx) -> list[str]:
    """The pages in the order a reader meets them: the toctrees from the front page down, then
    any page no toctree lists."""
    order: list[str] = []

    def visit(docname: str) -> None:
        if docname in order:
            return
        order.append(docname)
        for child in app.env.toctree_includes.get(docname, []):
            visit(child)

    visit(app.config.root_doc)
    return order + sorted(set(app.env.found_docs) - set(order))


def _sections(app: Sphinx) -> Iterator[tuple[str, dict[str, Any]]]:
    for position, docname in enumerate(_reading_order(app)):
        yield docname, {"order": position, **section_map(app.env.get_doctree(docname))}


def _write_sections(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or not _is_html(app):
        return
    data = json.dumps(dict(_sections(app)), ensure_ascii=False, separators=(",", ":"))
    target = Path(app.outdir, "_static", SECTIONS_FILE)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(f"var BOOK_SECTIONS = {data};\n", encoding="utf-8")


def _page_scripts(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Node | None
) -> None:
    if pagename == "search" and _is_html(app):
        app.add_js_file(SECTIONS_FILE)
        app.add_js_file("book-search.js")


# -- Accessibility ---------------------------------------------------------------------------------


class BookHTMLTranslator(HTML5Translator):
    """Sphinx's HTML writer, with toctree captions that are complete ARIA headings, and figures
    that link to their image."""

    def __init__(self, document: nodes.document, builder: Any) -> None:
        super().__init__(document, builder)
        self._book_image_links: list[bool] = []

    def visit_title(self, node: nodes.title) -> None:
        super().visit_title(node)
        if isinstance(node.parent, addnodes.compact_paragraph) and node.parent.get("toctree"):
            # Sphinx wrote <p class="caption" role="heading">; a heading role needs its level.
            opening = next(i for i in range(len(self.body) - 1, -1, -1) if "<p " in self.body[i])
            tag = self.body[opening]
            assert 'role="heading"' in tag, tag
            self.body[opening] = tag.replace('role="heading"', 'role="heading" aria-level="2"', 1)

    def visit_image(self, node: nodes.image) -> None:
        # A figure's image links to the image file: a phone shows a chart at the width of its
        # screen, where the labels are too small to read; the link (book.js opens it in a box
        # at the image's own size, or the browser opens the file) shows it at full size.
        link = isinstance(node.parent, nodes.figure)
        self._book_image_links.append(link)
        if link:
            uri = node["uri"]
            if uri in self.builder.images:
                uri = posixpath.join(self.builder.imgpath, quote(self.builder.images[uri]))
            self.body.append(
                f'<a class="reference internal book-enlarge" href="{self.attval(uri)}">'
            )
        super().visit_image(node)

    def depart_image(self, node: nodes.image) -> None:
        super().depart_image(node)
        if self._book_image_links.pop():
            self.body.append("</a>")


def _add_scripts(app: Sphinx) -> None:
    if _is_html(app):
        app.add_js_file("book.js")


def _quiet_jieba(app: Sphinx) -> None:
    """Sphinx's Chinese search splits words with jieba, which logs each step of loading its
    dictionary at debug level, to standard error: only its warnings are worth printing."""
    if str(app.config.language).startswith("zh"):
        try:
            import jieba  # type: ignore[import-untyped]  # noqa: F401  (sets its logger's level)
        except ImportError:  # Sphinx then splits Chinese text without it
            return
        std_logging.getLogger("jieba").setLevel(std_logging.WARNING)


def setup(app: Sphinx) -> ExtensionMetadata:
    app.add_config_value("book_source_url", None, "env", types=frozenset({str, type(None)}))
    app.add_config_value("book_downloads", [], "env", types=frozenset({list}))
    app.add_config_value("book_editions", [], "html", types=frozenset({list}))
    app.add_role("source", SourceRole())
    app.add_node(edition_file)
    app.add_role("edition-file", edition_file_role)
    app.add_post_transform(ResolveEditionFiles)
    app.add_post_transform(UnlinkedEditionFiles)
    app.connect("config-inited", _check_downloads)
    app.connect("builder-inited", _add_scripts)
    app.connect("builder-inited", _quiet_jieba)
    app.connect("html-page-context", _page_scripts)
    app.connect("html-page-context", _edition_links)
    app.connect("build-finished", _copy_downloads)
    app.connect("build-finished", _write_sections)
    app.set_translator("html", BookHTMLTranslator)
    app.set_translator("dirhtml", BookHTMLTranslator)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
