"""The book's Sphinx extension for its EPUB: what Sphinx's EPUB builder leaves to do.

- The EPUB gets a stylesheet of its own (``booktools/editions/epub.css``: code on a tinted
  background, wrapped, in the HTML's syntax colours) and a cover, drawn at build time from
  ``conf.py``'s title, description and author; ``conf.py`` names both (``epub_css_files``,
  ``epub_cover``). The cover image is marked as EPUB 3 marks it.
- The navigation numbers the chapters and sections as the text does and names the parts by
  their toctree captions ("Part I: Generators").

The figures need nothing here: :mod:`booktools.figures.common` writes SVG without the document
type declaration that EPUB 3 forbids.
"""

from __future__ import annotations

import functools
import re
import textwrap
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.builders._epub_base import EpubBuilder
from sphinx.config import Config
from sphinx.highlighting import PygmentsBridge
from sphinx.util import logging
from sphinx.util.typing import ExtensionMetadata

from booktools.editions import latex

__all__ = [
    "EPUB_COVER",
    "EPUB_CSS",
    "draw_cover",
    "edition_language",
    "nav_text",
    "setup",
    "with_cover_property",
    "wrap",
]

EPUB_CSS = "book-epub.css"
"""The EPUB's stylesheet: ``epub.css`` beside this module and the syntax colours."""

EPUB_COVER = "cover.png"
"""The EPUB's cover image, drawn at build time from ``conf.py``'s title, description, author."""

EPUB_PYGMENTS_STYLE = "a11y-light"
"""The syntax colours of the EPUB's code: the HTML's (Furo's light style)."""

_COVER = {"background": "#1d3557", "ink": "#f1faee", "accent": "#e9c46a", "muted": "#a8dadc"}
_COVER_META = re.compile(r'<meta name="cover" content="(?P<id>[^"]+)"\s*/>')

logger = logging.getLogger(__name__)


def nav_text(text: str, secnumber: Sequence[int] | None, part: str | None, suffix: str) -> str:
    """An EPUB navigation entry's text: numbered as the heading is, or named as its part."""
    if secnumber:
        return ".".join(map(str, secnumber)) + suffix + text
    if part:
        return f"{part}: {text}"
    return text


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
        captions = latex.root_captions(app)
        return {builder.get_target_uri(d): captions[d] for d in latex.part_docs(app) if captions[d]}

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


# A character that takes two columns (Chinese, full-width punctuation), and the punctuation a
# line must not start with.
_WIDE = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\u3000-\u303f]")
_NO_LINE_START = set("，。、；：？！）》」』\u201d\u2019")


def wrap(text: str, width: int) -> str:
    r"""*text* in lines of at most *width* columns, a wide character counting two: Latin words
    break at spaces (as :func:`textwrap.fill` does), Chinese between any two characters, except
    before a closing punctuation mark.

    >>> wrap("From yield to asyncio", 16)
    'From yield to\nasyncio'
    >>> wrap("一本关于生成器、协程和 asyncio 的书。", 16)
    '一本关于生成器、\n协程和 asyncio\n的书。'
    """
    if not _WIDE.search(text):
        return textwrap.fill(text, width)
    # A wide character alone, a run of other characters, or a run of spaces.
    tokens = re.findall(rf"{_WIDE.pattern}|(?:(?!{_WIDE.pattern})\S)+|\s+", text)
    lines: list[str] = []
    line, used = "", 0
    for token in tokens:
        size = sum(2 if _WIDE.match(char) else 1 for char in token)
        if used + size > width and line.strip() and token[0] not in _NO_LINE_START:
            lines.append(line.rstrip())
            line, used = "", 0
            if token.isspace():
                continue
        line += token
        used += size
    lines.append(line.rstrip())
    return "\n".join(lines)


def draw_cover(
    path: Path, title: str, subtitle: str, byline: str, language: str | None = None
) -> None:
    """Draw the EPUB's cover, 1200 by 1800 pixels: *title*, *subtitle* and *byline* as text, in
    the fonts of the figures of *language* (Noto Sans CJK after DejaVu Sans for Chinese)."""
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    from booktools.figures import common

    with matplotlib.rc_context({"font.family": common.rc(language)["font.family"]}):
        figure = Figure(figsize=(6, 9), dpi=200, facecolor=_COVER["background"])
        ink = _COVER["ink"]
        figure.text(0.1, 0.8, wrap(title, 16), color=ink, fontsize=34, weight="bold", va="top")
        figure.add_artist(Line2D([0.1, 0.9], [0.6, 0.6], color=_COVER["accent"], linewidth=3))
        figure.text(0.1, 0.56, wrap(subtitle, 30), color=ink, fontsize=17, va="top")
        figure.text(0.1, 0.1, wrap(byline, 36), color=_COVER["muted"], fontsize=13)
        figure.savefig(
            path, format="png", facecolor=_COVER["background"], metadata={"Software": None}
        )


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
    draw_cover(
        static / EPUB_COVER,
        config.epub_title,
        config.epub_description,
        config.epub_author,
        str(config.language or "en"),
    )
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
    opf_path = Path(builder.outdir) / "content.opf"
    opf = opf_path.read_text(encoding="utf-8")
    marked = with_cover_property(opf)
    if marked != opf:
        opf_path.write_text(marked, encoding="utf-8")
        logger.info("marked the cover image as EPUB 3 does; zipping the EPUB again")
        builder.build_epub()


def edition_language(language: str) -> str:
    """*language* as EPUB's metadata and XHTML's ``lang`` want it (BCP 47: ``zh-CN``), where
    Sphinx's ``language`` is ``zh_CN``.

    >>> edition_language("zh_CN"), edition_language("en")
    ('zh-CN', 'en')
    """
    return language.replace("_", "-")


def _edition_metadata(app: Sphinx, config: Config) -> None:
    """A translation is an EPUB of its own: its language, and an identifier of its own."""
    language = str(config.language or "en")
    config.epub_language = edition_language(str(config.epub_language or language))
    if language != "en":
        suffix = f"-{edition_language(language)}"
        if config.epub_identifier == config.epub_uid:
            config.epub_identifier += suffix
        config.epub_uid += suffix


def setup(app: Sphinx) -> ExtensionMetadata:
    app.setup_extension("booktools.editions.numbering")
    app.connect("config-inited", _edition_metadata)
    app.connect("builder-inited", _number_epub_navigation)
    app.connect("builder-inited", _epub_assets)
    app.connect("build-finished", _finish_epub)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
