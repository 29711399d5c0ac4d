"""One numbering in every edition: chapters numbered on through the parts, in the HTML, the
EPUB's navigation and the PDF's LaTeX, built with the book's own ``conf.py`` on a small book."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from booktools.editions.numbering import chapter_offsets, parts, shifted

ROOT = Path(__file__).resolve().parent.parent

BOOK = {
    "index.md": """
        # A small book

        *A subtitle.*

        ```{toctree}
        preface
        ```

        ```{toctree}
        :caption: Part I

        alpha/index
        ```

        ```{toctree}
        :caption: Part II

        beta/index
        ```

        ```{toctree}
        :caption: Reference

        glossary
        ```
        """,
    "preface.md": """
        # Preface

        ## Who it is for

        The {ref}`genindex` helps.
        """,
    "alpha/index.md": """
        # Alpha

        ```{toctree}
        :numbered: 2

        one
        two
        ```
        """,
    "alpha/one.md": "# One\n\n## One, first section\n",
    "alpha/two.md": "# Two\n\n## Two, first section\n",
    "beta/index.md": """
        # Beta

        ```{toctree}
        :numbered: 2

        three
        long
        ```
        """,
    "beta/three.md": """
        # Three

        ## Three, first section

        ```{figure} dot.svg

        A dot.
        ```

        ## Three, second section

        | Version | Change |
        | --- | --- |
        | 3.11 | a short table |
        """,
    "beta/long.md": "# Long\n\n| Version | Change |\n| --- | --- |\n"
    + "".join(f"| 3.{n} | {'a change that takes many words to say ' * 12} |\n" for n in range(10)),
    "beta/dot.svg": '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>\n',
    "glossary.md": "# Glossary\n\n## Terms\n",
}


def test_parts_are_the_roots_documents_with_a_numbered_toctree() -> None:
    assert parts(["preface", "a/index", "b/index", "glossary"], {"b/index", "a/index"}) == [
        "a/index",
        "b/index",
    ]


def test_chapters_are_offset_by_the_chapters_of_the_parts_before() -> None:
    assert chapter_offsets([["one", "two"], [], ["three", "four"]]) == {
        "one": 0,
        "two": 0,
        "three": 2,
        "four": 2,
    }


def test_shifted_moves_the_chapter_number_only() -> None:
    assert shifted((1, 2), 5) == (6, 2)
    assert shifted([3], 2) == (5,)
    assert shifted((), 4) == ()


def build(tmp_path: Path, builder: str) -> Path:
    """Build the small book with the book's ``conf.py``, strictly and offline; return its output."""
    source = tmp_path / "src"
    for name, text in BOOK.items():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_text(textwrap.dedent(text), encoding="utf-8")
    out = tmp_path / builder
    command = [sys.executable, "-m", "sphinx", "-b", builder, "-q", "-n", "-W", "--keep-going"]
    command += ["-c", str(ROOT), "-d", str(tmp_path / "doctrees"), str(source), str(out)]
    offline = {"PATH": "/usr/bin:/bin", "https_proxy": "http://127.0.0.1:9"}
    result = subprocess.run(
        command, capture_output=True, text=True, check=False, cwd=ROOT, env=offline
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def test_the_html_numbers_chapters_on_through_the_parts(tmp_path: Path) -> None:
    out = build(tmp_path, "html")
    three = (out / "beta" / "three.html").read_text(encoding="utf-8")
    numbers = re.findall(r'<span class="section-number">([\d.]+) </span>', three)
    assert numbers[:3] == ["3.", "3.1.", "3.2."]
    # Figures take their chapter's number.
    assert '<span class="caption-number">Figure 3.1 </span>' in three
    two = (out / "alpha" / "two.html").read_text(encoding="utf-8")
    assert '<span class="section-number">2. </span>Two' in two
    # The part pages, the preface and the reference chapters have no number.
    for page in ("beta/index.html", "preface.html", "glossary.html"):
        assert (
            'class="section-number"'
            not in (out / page)
            .read_text(encoding="utf-8")
            .split('<article role="main"')[-1]
            .split("</article>")[0]
        )


def test_the_epub_navigation_numbers_chapters_and_names_parts(tmp_path: Path) -> None:
    out = build(tmp_path, "epub")
    nav = (out / "nav.xhtml").read_text(encoding="utf-8")
    for entry in ("Part I: Alpha", "Part II: Beta", "1. One", "3. Three", "3.2. Three"):
        assert entry in nav
    assert ">Preface<" in nav
    assert ">Glossary<" in nav


@pytest.fixture(scope="module")
def tex(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = build(tmp_path_factory.mktemp("latex"), "latex")
    return next(out.glob("*.tex")).read_text(encoding="utf-8")


def test_the_pdf_has_parts_chapters_and_unnumbered_front_and_back_matter(tex: str) -> None:
    body = tex[tex.index(r"\begin{document}") :]
    headings = re.findall(r"^\\(book\w+|part|chapter|section)(?:\{(.*)\})?$", body, re.MULTILINE)
    assert headings == [
        ("bookversobegin", ""),
        ("bookversoend", ""),
        ("bookcontents", ""),
        ("chapter", "Preface"),
        ("section", "Who it is for"),
        ("bookmainmatter", ""),
        ("part", "Alpha"),
        ("chapter", "One"),
        ("section", "One, first section"),
        ("chapter", "Two"),
        ("section", "Two, first section"),
        ("part", "Beta"),
        ("chapter", "Three"),
        ("section", "Three, first section"),
        ("section", "Three, second section"),
        ("chapter", "Long"),
        ("bookbackmatter", "Reference"),
        ("chapter", "Glossary"),
        ("section", "Terms"),
    ]


def test_the_pdf_puts_the_roots_text_and_the_colophon_on_the_back_of_the_title_page(
    tex: str,
) -> None:
    body = tex[tex.index(r"\begin{document}") :]
    verso = body[body.index(r"\bookversobegin") : body.index(r"\bookversoend")]
    assert "A subtitle." in verso
    assert "MIT License" in verso
    assert "Built from" in verso


def test_the_pdf_names_the_index_in_words(tex: str) -> None:
    assert "genindex" not in tex
    assert "The Index helps." in tex


def test_a_table_too_long_for_a_page_breaks_across_pages_and_a_short_one_stays(tex: str) -> None:
    # Sphinx sets a table of 30 rows or fewer as a tabulary, which cannot break: a table of tall
    # rows ran off the foot of its page (the version atlas's did, by 181 pt).
    long = tex[tex.index("Long}") :]
    assert long.index(r"\begin{longtable}") < long.index("a change that takes")
    # Its columns are as wide as their text wants, not equal.
    assert r"\begin{longtable}{\X{11}{100}\X{89}{100}}" in long
    assert r"\begin{tabulary}" in tex[: tex.index("Long}")]
