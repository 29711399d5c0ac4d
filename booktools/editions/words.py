"""Words a directive draws or fills in, translated like the page's text, then rendered.

A figure's legend, axis labels and panel titles (:mod:`booktools.figures.timelines`,
:mod:`booktools.figures.benchcharts`), the words a benchmark run's header fills in
(:mod:`booktools.figures.benchdata`) and the Python console's buttons
(:mod:`booktools.editions.browser`) are written as directive options, not as text: Sphinx's
gettext builder extracts only what is in the doctree, and the ``Locale`` transform translates
only that, when the page is read, after the directive has run. So a directive that needs words
puts them in the doctree in a node that mixes in :class:`TranslatableWords` (Sphinx's
``addnodes.translatable``, the protocol its toctree uses for its captions): the gettext builder
extracts each word as a message, and ``Locale`` gives the node the translation. What is drawn
from the words is drawn only then, by :class:`RenderWords`, a transform that runs after
``Locale`` and calls the function the directive left on the node (:func:`later`). The node
stays in the doctree (the gettext builder reads it there) and every writer skips it; the
function does not (it is removed before the doctree is pickled).

An English build draws from the words as the page writes them, so its output is what it was
before the words became translatable.

A few words a reader sees are settings of ``conf.py`` (:data:`SETTINGS`): the figure, table and
listing labels, the title page's date format, the EPUB's description, the book's title, author
and copyright line (and the settings written from them, :data:`FROM_NAMES`). The gettext
builder reads no settings, so ``book/_templates/settings-words.html``, a template that is never
rendered, lists each in a ``_()`` call: the builder extracts them into ``sphinx.pot``, with the
templates' words, and a translated build passes each setting through that catalogue when its
configuration is read (:func:`translate_settings`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.transforms import SphinxTransform
from sphinx.util import logging
from sphinx.util.typing import ExtensionMetadata

__all__ = [
    "SETTINGS",
    "RenderWords",
    "SourcedCells",
    "TranslatableWords",
    "later",
    "setting_words",
    "setup",
    "translate_settings",
    "words",
]

logger = logging.getLogger(__name__)

#: A function that renders what a ``words`` node's texts decide, given the node and its texts.
Renderer = Callable[["words", dict[str, str]], None]

_ORIGINAL = "original-words"
_RENDER = "render"


class TranslatableWords(addnodes.translatable):
    """For an element whose ``node["words"]`` maps names to words a reader sees: each word is a
    message; a translation replaces every word equal to its original."""

    def preserve_original_messages(self) -> None:
        element: Any = self
        element[_ORIGINAL] = dict(element["words"])

    def apply_translated_message(self, original_message: str, translated_message: str) -> None:
        element: Any = self
        originals: dict[str, str] = element.get(_ORIGINAL, element["words"])
        for name, text in originals.items():
            if text == original_message:
                element["words"][name] = translated_message

    def extract_original_messages(self) -> Sequence[str]:
        element: Any = self
        originals: dict[str, str] = element.get(_ORIGINAL, element["words"])
        return list(dict.fromkeys(text for text in originals.values() if text.strip()))


class words(nodes.General, nodes.Element, TranslatableWords):
    """Words rendered elsewhere (a figure's image, a filled-in sentence); writers skip it."""


def later(words_: dict[str, str], render: Renderer) -> words:
    """A ``words`` node for *words_*, whose (translated) texts :class:`RenderWords` passes to
    *render* once the page is translated. Give it the directive's source (``set_source_info``):
    the catalogue says where each message comes from."""
    # "no-search": the HTML search index leaves it out, as the writers do.
    return words("", words=dict(words_), classes=["no-search"], **{_RENDER: render})


class RenderWords(SphinxTransform):
    """Call each ``words`` node's renderer, with its words as translated (or as written)."""

    default_priority = 30  # after Locale (20) and its progress count (25)

    def apply(self, **kwargs: Any) -> None:
        for node in list(self.document.findall(words)):
            render: Renderer | None = node.attributes.pop(_RENDER, None)
            if render is None:
                continue
            try:
                render(node, dict(node["words"]))
            except Exception as error:
                logger.warning("cannot render %r: %r", node["words"], error, location=node)


SETTINGS = ("numfig_format", "today_fmt", "epub_description", "project", "author", "copyright")
"""The settings of ``conf.py`` whose words a reader sees, translated with the templates' words."""

#: Settings that ``conf.py`` writes from the book's title and author (:data:`NAMES`): a
#: translated build writes the translated title and author into them.
FROM_NAMES = ("html_title", "epub_title", "epub_author", "epub_contributor", "epub_publisher")
NAMES = ("project", "author", "copyright")


def setting_words(config: Any) -> list[str]:
    """Every text of :data:`SETTINGS` in *config*, as ``conf.py`` writes it."""
    texts = list(config.numfig_format.values())
    names = [getattr(config, name) for name in NAMES]
    return [*texts, config.today_fmt, config.epub_description, *names]


def translate_settings(app: Sphinx, config: Config) -> None:
    """In a translated build, each text of :data:`SETTINGS` as the catalogues translate it
    (the book's ``sphinx.po``, then Sphinx's own); an English build keeps them as written."""
    if str(config.language or "en") == "en":
        return
    from sphinx.locale import _

    config.numfig_format = {name: str(_(text)) for name, text in config.numfig_format.items()}
    config.today_fmt = str(_(config.today_fmt))
    config.epub_description = str(_(config.epub_description))
    # The longest first: the copyright line and the author contain the title.
    names = sorted(
        ((config[name], str(_(config[name]))) for name in NAMES), key=lambda n: -len(n[0])
    )

    def renamed(text: str) -> str:
        for original, translated in names:
            if text == original:
                return translated
        return text.replace(names[-1][0], names[-1][1])  # the title, inside a longer text

    for name in FROM_NAMES:
        config[name] = renamed(config[name])
    config.latex_documents = [
        (start, target, renamed(title), renamed(author), *rest)
        for start, target, title, author, *rest in config.latex_documents
    ]
    for name in NAMES:
        config[name] = renamed(config[name])


#: Tables a directive fills from data (numbers and units, no words): their cells stay out.
GENERATED_TABLES = frozenset({"benchtable"})


class SourcedCells(SphinxTransform):
    """Give a source to the cells of a table written inside a directive (a table in a "What the
    note says" box), so that they are messages.

    Sphinx extracts and translates only text that has a source (text without one is taken for
    words Sphinx itself made), and MyST leaves the cells of a table parsed inside a directive
    without one, though the table has it: their words would stay English in every edition. Each
    such cell gets its table's source and line."""

    default_priority = 15  # before Locale (20), and before the gettext builder reads the page

    def apply(self, **kwargs: Any) -> None:
        for table in self.document.findall(nodes.table):
            if not table.source or GENERATED_TABLES & set(table["classes"]):
                continue
            for cell in table.findall(nodes.entry):
                for text in cell.findall(nodes.paragraph):
                    if not text.source:
                        text.source, text.line = table.source, table.line


def _skip(translator: Any, node: nodes.Node) -> None:
    raise nodes.SkipNode


def setup(app: Sphinx) -> ExtensionMetadata:
    skip = (_skip, None)
    # Every writer: the EPUB's is named apart, since an extension registers EPUB handlers.
    app.add_node(words, html=skip, epub=skip, latex=skip, text=skip, man=skip, texinfo=skip)
    app.add_transform(RenderWords)
    app.add_transform(SourcedCells)
    # Before Sphinx completes numfig_format with its own labels (priority 800).
    app.connect("config-inited", translate_settings, priority=400)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
