"""What every figure the book draws at build time shares: style, output files, cache keys, nodes.

The book's figures (:mod:`booktools.figures.timelines`, :mod:`booktools.figures.benchcharts`)
are drawn with matplotlib while Sphinx reads a page, from data that the tests also check, so a
figure can never disagree with the code or the committed benchmark run. Each is written once per
content: :func:`fingerprint` names the files after everything that decides how they look, and a
figure whose files exist is not drawn again. :func:`save` writes the two formats the builders
need (SVG for HTML and EPUB, PDF for LaTeX) byte for byte the same on every build, and SVG
without a document type declaration, which EPUB 3 forbids (epubcheck's OPF-073 and HTM-003), so
the same file serves the HTML and the EPUB. :func:`figure_node` turns the directive's options and
content into an ordinary figure, so that every word of it comes from the page, and the words the
image shows go through the translation first (:mod:`booktools.editions.words`): each edition
draws its figures in its own language.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

from booktools.editions import words

__all__ = [
    "CJK_FALLBACK",
    "FORMATS",
    "RC",
    "drawn",
    "figure_node",
    "fingerprint",
    "rc",
    "save",
    "without_doctype",
]

#: The formats written for each figure: SVG (HTML, EPUB) and PDF (LaTeX).
FORMATS = ("svg", "pdf")

#: matplotlib settings for every figure the book draws: fixed fonts, text kept as text, stable ids.
RC: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 9.0,
    "svg.fonttype": "none",  # text stays text: smaller, selectable, searchable
    "svg.hashsalt": "timeline",  # ids in the SVG do not change from build to build
    # TrueType, embedded and subset: matplotlib's default (Type 3) renders blurred in some viewers,
    # and make pdf fails on it (booktools/editions/pdfcheck.py).
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "hatch.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
}

#: A fallback font for the characters DejaVu Sans lacks, by language (the prefix of Sphinx's
#: ``language``): a Chinese edition's figures draw their words in Noto Sans CJK, Latin letters and
#: figures still in DejaVu Sans. Every other language draws with :data:`RC` alone.
CJK_FALLBACK = {"zh": "Noto Sans CJK SC", "ja": "Noto Sans CJK JP", "ko": "Noto Sans CJK KR"}


def rc(language: str | None = None) -> dict[str, Any]:
    """The matplotlib settings of a figure in *language*: :data:`RC`, with a fallback font
    where the language needs one (:data:`CJK_FALLBACK`).

    >>> rc("en") == RC
    True
    >>> rc("zh_CN")["font.family"]
    ['DejaVu Sans', 'Noto Sans CJK SC']
    """
    fallback = CJK_FALLBACK.get((language or "en").replace("-", "_").partition("_")[0])
    if fallback is None:
        return dict(RC)
    return {**RC, "font.family": [RC["font.family"], fallback]}


_DOCTYPE = re.compile(r"<!DOCTYPE\s[^>\[]*(?:\[[^\]]*\])?\s*>\s*", re.IGNORECASE)


def without_doctype(svg: str) -> str:
    """*svg* without its document type declaration (the XML declaration stays).

    >>> without_doctype('<?xml version="1.0"?>\\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"\\n'
    ...                 '  "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\\n<svg/>')
    '<?xml version="1.0"?>\\n<svg/>'
    """
    return _DOCTYPE.sub("", svg, count=1)


def save(figure: Any, stem: Path) -> list[Path]:
    """Write a matplotlib *figure* as ``stem.svg`` and ``stem.pdf``, undated; return the paths."""
    written = []
    for fmt in FORMATS:
        path = stem.with_suffix(f".{fmt}")
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        undated = {"Date": None} if fmt == "svg" else {"CreationDate": None}
        figure.savefig(temporary, format=fmt, metadata=undated)
        if fmt == "svg":
            temporary.write_text(without_doctype(temporary.read_text("utf-8")), "utf-8")
        os.replace(temporary, path)  # atomic: parallel readers never see half a file
        written.append(path)
    return written


def drawn(stem: Path) -> bool:
    """Whether every format of the figure *stem* is already written."""
    return all(stem.with_suffix(f".{fmt}").exists() for fmt in FORMATS)


@functools.cache
def _renderer(*sources: str) -> str:
    # matplotlib's version is read without importing it, which takes most of a second.
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for source in sources:
        digest.update(Path(source).read_bytes())
    return digest.hexdigest() + metadata.version("matplotlib")


def fingerprint(what: object, *sources: str) -> str:
    """A short name for a figure: a hash of *what* is drawn and of the code that draws it.

    *sources* are the files of the modules that draw (this one is always included), so that any
    change to the drawing draws the figures again; so does a new matplotlib.
    """
    text = repr((_renderer(*sources), what))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def figure_node(
    directive: SphinxDirective,
    kind: str,
    texts: dict[str, str],
    draw: Callable[[dict[str, str]], Path],
) -> list[nodes.Node]:
    """The figure a directive draws: its image, its caption and legend from the content, and
    the words the image shows (*texts*, by name), which :func:`draw` turns into the stem of the
    files it wrote, once the page is translated (:mod:`booktools.editions.words`).

    The image's URI ends in ``.*`` so that each builder picks the format it supports; ``:alt:``,
    ``:width:``, ``:class:`` and ``:name:`` are the directive's options of those names. The
    figure comes with a ``words`` node after it, which no writer shows: it carries *texts* into
    the message catalogues and their translation back to *draw*.
    """
    document_dir = Path(directive.env.doc2path(directive.env.docname)).parent
    image = nodes.image(uri="", alt=directive.options["alt"])
    if "width" in directive.options:
        image["width"] = directive.options["width"]
    figure = nodes.figure("", image, classes=[kind, *directive.options.get("class", [])])
    directive.set_source_info(figure)
    parsed = directive.parse_content_to_nodes()
    first = parsed[0] if parsed else None
    if not isinstance(first, nodes.paragraph):
        raise directive.error(f"{kind}: the content must start with a paragraph, the caption")
    caption = nodes.caption(first.rawsource, "", *first.children)
    caption.source, caption.line = first.source, first.line
    figure += caption
    if len(parsed) > 1:
        figure += nodes.legend("", *parsed[1:])
    directive.add_name(figure)

    def render(node: words.words, translated: dict[str, str]) -> None:
        stem = draw(translated)
        image["uri"] = Path(os.path.relpath(stem, document_dir)).as_posix() + ".*"

    labels = words.later(texts, render)
    directive.set_source_info(labels)
    return [figure, labels]
