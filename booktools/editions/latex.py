"""The book's Sphinx extension for its PDF: what Sphinx's LaTeX writer leaves to do.

- The PDF is shaped like a book (``conf.py`` sets ``latex_toplevel_sectioning = "part"`` and
  defines the ``\\book...`` commands used here). The root document's own text goes on the back
  of the title page, above the colophon (``book_colophon`` in ``conf.py``: edition, licence,
  source, commit); the contents follow. The documents of the root's toctree that are parts (their
  toctree is numbered, see :mod:`booktools.editions.numbering`) become LaTeX parts, their chapters
  chapters. The others, the preface before the parts and the reference chapters after them, are
  unnumbered chapters, one level down from where Sphinx would put them; the reference chapters
  go in an unnumbered part named by their toctree's caption. The front matter is numbered in
  roman, the parts from page 1.
- A table too long for one page is a ``longtable``, which breaks across pages: Sphinx sets a table
  of 30 rows or fewer as a ``tabulary``, which cannot break, and one of tall rows (the version
  atlas's) ran 181 pt off the foot of its page. Its columns get widths in proportion to their
  text, as ``tabulary`` would give them (a ``longtable``'s columns are otherwise equal).
- A link to the general index (``{ref}`genindex```) names the index in words: the index is not a
  page that LaTeX can link to, and Sphinx would print the label, "genindex".
- A Chinese edition (``language`` zh_CN) sets its curly quotes, dashes and ellipses in the CJK
  font, full width, as Chinese text wants them: the line of ``conf.py``'s ``fontpkg`` that gives
  them to the Latin fonts, for English text (:data:`LATIN_PUNCTUATION`), is dropped.
- A translated edition names LaTeX's own headings in its language: the contents, the index, the
  parts and the chapters (on their first page and in the page footers), from the messages
  "Contents", "Index", "Part %s" and "Chapter %s" (``book/_templates/settings-words.html``,
  translated in the edition's ``sphinx.po``): 第 1 章 rather than "Chapter 1". The text before
  the number names the heading (``\\chaptername``); the text after it, if any, follows the
  number, as Sphinx does for Japanese (``\\@chappos``).
- A "What the note says" box (an ``admonition`` with the class ``note-errata``) is set as a
  ``caution`` notice, which ``conf.py`` colours as the HTML colours the box (book.css); the book
  uses no other ``caution``. Any other ``admonition`` stays a plain note.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.texescape import escape as tex_escape
from sphinx.util.typing import ExtensionMetadata
from sphinx.writers.latex import LaTeXTranslator

from booktools.editions import geometry, numbering

__all__ = [
    "ERRATA_CLASS",
    "LATIN_PUNCTUATION",
    "UNNUMBERED_CHAPTER",
    "part_docs",
    "root_captions",
    "setup",
]

ERRATA_CLASS = "note-errata"
"""The class of the boxes that correct the study note (see the conventions for writing)."""

UNNUMBERED_CHAPTER = "book-unnumbered-chapter"
"""The class this extension gives the top sections of the PDF's unnumbered chapters."""


LATIN_PUNCTUATION = "\\xeCJKDeclareCharClass{Default}"
"""How the line of ``fontpkg`` that keeps English punctuation in the Latin fonts begins."""


def _cjk_punctuation(app: Sphinx, config: Config) -> None:
    if not str(config.language).startswith(("zh", "ja", "ko")):
        return
    elements = dict(config.latex_elements)
    lines = str(elements.get("fontpkg", "")).splitlines(keepends=True)
    elements["fontpkg"] = "".join(line for line in lines if LATIN_PUNCTUATION not in line)
    config.latex_elements = elements


#: The messages that name LaTeX's own headings (translated in a translated edition).
HEADING_WORDS = ("Contents", "Index", "Part %s", "Chapter %s")


def heading_names(translate: Any) -> str:
    r"""The LaTeX that names the contents, the index, the parts and the chapters with
    *translate* (``sphinx.locale._``) applied to :data:`HEADING_WORDS`.

    >>> chinese = {"Chapter %s": "第 %s 章", "Part %s": "第 %s 部分", "Contents": "目录"}
    >>> names = heading_names(lambda word: chinese.get(word, word))
    >>> print(names.splitlines()[1])
    \addto\captionsenglish{\renewcommand{\contentsname}{目录}%
    >>> r"\def\@chappos{章}" in names and r"{第~\thepart~部分}" in names
    True
    """
    contents, index, part, chapter = (str(translate(word)) for word in HEADING_WORDS)
    part_before, _, part_after = (tex_escape(text.strip()) for text in part.partition("%s"))
    chapter_before, _, chapter_after = (
        tex_escape(text.strip()) for text in chapter.partition("%s")
    )
    lines = [
        "\\makeatletter",
        f"\\addto\\captionsenglish{{\\renewcommand{{\\contentsname}}{{{tex_escape(contents)}}}%",
        f"  \\renewcommand{{\\indexname}}{{{tex_escape(index)}}}%",
        f"  \\renewcommand{{\\chaptername}}{{{chapter_before}}}}}",
        f"\\renewcommand{{\\bookpartlabel}}{{{part_before}~\\thepart~{part_after}}}",
    ]
    if chapter_after:
        lines += [
            f"\\def\\@chappos{{{chapter_after}}}",
            "\\renewcommand{\\DOCH}{\\raggedleft\\CNV\\FmN{\\@chapapp}\\space\\CNoV\\thechapter"
            "\\space\\CNV\\FmN{\\@chappos}\\par\\nobreak\\vskip 40\\p@}",
        ]
    return "\n".join([*lines, "\\makeatother", ""])


def _translated_headings(app: Sphinx, config: Config) -> None:
    if str(config.language or "en") == "en":
        return
    from sphinx.locale import _

    elements = dict(config.latex_elements)
    elements["preamble"] = str(elements.get("preamble", "")) + heading_names(_)
    config.latex_elements = elements


def root_captions(app: Sphinx) -> dict[str, str]:
    """Each document of the root's toctrees, with its toctree's caption ("" if none)."""
    captions: dict[str, str] = {}
    for toctree in app.env.get_doctree(app.config.root_doc).findall(addnodes.toctree):
        for docname in toctree["includefiles"]:
            captions[docname] = toctree.get("caption") or ""
    return captions


def part_docs(app: Sphinx) -> list[str]:
    env = app.env
    return numbering.parts(env.toctree_includes.get(app.config.root_doc, []), env.numbered_toctrees)


def _latex(command: str) -> nodes.raw:
    return nodes.raw("", command + "\n", format="latex")


def _shape_latex_book(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    if app.builder.name != "latex" or docname != app.config.root_doc:
        return
    captions = root_captions(app)
    parts = set(part_docs(app))
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


PAGE_LINES = 40
"""How many lines of table text a page safely holds (a page has about 55 lines of 10 pt text)."""

LINE_CHARACTERS = 95
"""About how many characters of 10 pt text a line across the full text width holds."""


def column_weights(
    rows: list[list[str]], unbreakable: list[int] | None = None, floor: float = 0.1
) -> list[float]:
    """The share of the width each column gets: its mean text length, as shares of 1.

    A column gets at least *floor*, and room for the longest run of code in it, which cannot
    be broken (*unbreakable*: a length per column).

    >>> column_weights([["a long cell of text", "x"], ["another long cell", "y"]])
    [0.86, 0.14]
    >>> column_weights([["RuntimeError", "a cell " * 30]], unbreakable=[12, 0])
    [0.2, 0.8]
    """
    columns = max(len(row) for row in rows)
    means = [
        sum(len(row[col]) for row in rows if col < len(row)) / len(rows) for col in range(columns)
    ]
    total = sum(means) or 1.0
    # Each column first gets its minimum, the rest of the width goes by the mean text length.
    code = geometry.CODE_COLUMNS
    minimums = [max(floor, (word + 3) / code) for word in unbreakable or [0] * columns]
    rest = max(0.0, 1.0 - sum(minimums))
    shares = [low + rest * mean / total for low, mean in zip(minimums, means, strict=True)]
    scale = sum(shares)
    return [round(share / scale, 2) for share in shares]


def estimated_lines(rows: list[list[str]], weights: list[float]) -> float:
    """About how many lines of text *rows* take, each column as wide as its share of *weights*.

    >>> estimated_lines([["a" * 95, "b"], ["c", "d"]], [0.5, 0.5])
    4.8
    """
    total = 0.0
    for row in rows:
        total += 0.4 + max(
            -(-len(cell) // max(8, int(LINE_CHARACTERS * weight)))
            for cell, weight in zip(row, weights, strict=False)
        )
    return round(total, 2)


class _LongTablesBreak(SphinxPostTransform):
    """In the PDF, a table too long for one page becomes a ``longtable`` with fitting columns."""

    builders = ("latex",)
    default_priority = 20  # after references are resolved: the text of a link is its title

    def run(self, **kwargs: Any) -> None:
        for table in self.document.findall(nodes.table):
            if "longtable" in table["classes"]:
                continue
            entries = [list(row.findall(nodes.entry)) for row in table.findall(nodes.row)]
            rows = [[entry.astext() for entry in row] for row in entries]
            colspecs = list(table.findall(nodes.colspec))
            code = [0] * len(colspecs)
            for row in entries:
                for column, entry in enumerate(row[: len(code)]):
                    words = (
                        word
                        for lit in entry.findall(nodes.literal)
                        for word in lit.astext().split()
                    )
                    code[column] = max(code[column], *map(len, words), 0)
            weights = column_weights(rows, code)
            if len(colspecs) != len(weights) or estimated_lines(rows, weights) <= PAGE_LINES:
                continue
            widths = [max(1, round(weight * 100)) for weight in weights]
            widths[widths.index(max(widths))] += 100 - sum(widths)  # whole percentages, 100 in all
            for colspec, width in zip(colspecs, widths, strict=True):
                colspec["colwidth"] = width
            table["classes"] += ["longtable", "colwidths-given"]


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


def setup(app: Sphinx) -> ExtensionMetadata:
    app.setup_extension("booktools.editions.numbering")
    # The colophon changes with every commit: it rebuilds nothing (the PDF is written whole).
    app.add_config_value("book_colophon", [], "", types=frozenset({list}))
    app.add_node(nodes.admonition, override=True, latex=(_visit_admonition, _depart_admonition))
    app.add_node(nodes.section, override=True, latex=(_visit_section, _depart_section))
    app.add_post_transform(_IndexInWords)
    app.add_post_transform(_LongTablesBreak)
    app.connect("doctree-resolved", _shape_latex_book)
    app.connect("config-inited", _cjk_punctuation)
    app.connect("config-inited", _translated_headings)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
