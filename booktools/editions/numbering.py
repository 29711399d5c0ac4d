"""Chapter numbers that run on through the book's parts, the same in the HTML, EPUB and PDF.

A part of the book (``generators/index`` ...) is a document whose toctree is numbered
(``:numbered: 2``: its chapters and their sections get numbers). Sphinx starts every numbered
toctree again from 1, so the first chapter of Part II would be chapter 1 in the HTML, while the
PDF, where LaTeX counts chapters through the whole book, calls it chapter 6. A reader could not
cite "section 6.2" across editions.

After Sphinx has numbered the sections (the ``env-get-updated`` event, after its own toctree
collector), this extension adds to each chapter's numbers the count of the chapters in the parts
before it, everywhere Sphinx keeps them (the numbers of the headings, the toctree entries, the
titles of the next and previous links), and numbers the figures again, which take their chapter's
number ("Figure 6.1"). The part documents, the preface and the reference chapters, which are in
no numbered toctree, stay unnumbered, as they are in the PDF (see :mod:`booktools.editions.latex`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.environment.collectors.toctree import TocTreeCollector
from sphinx.util.typing import ExtensionMetadata

__all__ = ["chapter_offsets", "parts", "setup", "shifted"]


def parts(root_includes: Sequence[str], numbered: Iterable[str]) -> list[str]:
    """The documents of *root_includes* (the root's toctree, in order) that are *numbered* parts."""
    numbered = frozenset(numbered)
    return [docname for docname in root_includes if docname in numbered]


def chapter_offsets(chapters_by_part: Sequence[Sequence[str]]) -> dict[str, int]:
    """Each chapter and the count of the chapters in the parts before its own."""
    offsets: dict[str, int] = {}
    before = 0
    for chapters in chapters_by_part:
        for chapter in chapters:
            offsets[chapter] = before
        before += len(chapters)
    return offsets


def shifted(number: Sequence[int], offset: int) -> tuple[int, ...]:
    """*number* (``(chapter, section, ...)``) with *offset* added to its chapter; ``()`` stays."""
    if not number:
        return tuple(number)
    return (number[0] + offset, *number[1:])


def _shift_references(tree: nodes.Node, offset: int) -> None:
    for reference in tree.findall(nodes.reference):
        if reference.get("secnumber"):
            reference["secnumber"] = list(shifted(reference["secnumber"], offset))


def _offsets(env: BuildEnvironment) -> Mapping[str, int]:
    root_includes = env.toctree_includes.get(env.config.root_doc, [])
    part_docs = parts(root_includes, env.numbered_toctrees)
    return chapter_offsets([env.toctree_includes.get(part, []) for part in part_docs])


def _number_through(app: Sphinx, env: BuildEnvironment) -> list[str]:
    changed: list[str] = []
    for chapter, offset in _offsets(env).items():
        numbers = env.toc_secnumbers.get(chapter)
        if not offset or not numbers:
            continue
        env.toc_secnumbers[chapter] = {
            anchor: shifted(number, offset) for anchor, number in numbers.items()
        }
        if chapter in env.tocs:
            _shift_references(env.tocs[chapter], offset)
        title = env.titles.get(chapter)
        if title is not None and title.get("secnumber"):
            title["secnumber"] = list(shifted(title["secnumber"], offset))
        changed.append(chapter)
    if changed:
        # The figures' numbers start with their chapter's: number them again.
        changed += TocTreeCollector().assign_figure_numbers(env)
    return changed


def setup(app: Sphinx) -> ExtensionMetadata:
    # After Sphinx's toctree collector (priority 500), which assigns the numbers afresh each build.
    app.connect("env-get-updated", _number_through, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
