"""The book's editions in other languages (:mod:`booktools.editions.html`,
:mod:`booktools.make.recipes`): each page links to its counterpart in the other editions only when
the build is given them, the words around the links are messages, and a translated build writes
its own language and Chinese search index. Small books of our own, with the book's ``conf.py``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from test_booktools_timelines import build

from booktools.editions.html import edition_links
from booktools.make.recipes import editions

TOCTREE = "```{toctree}\nsub/page\n```\n"


def small_book(tmp_path: Path) -> None:
    """A second page, under the front page that :func:`build` writes."""
    (tmp_path / "src" / "sub").mkdir(parents=True)
    (tmp_path / "src" / "sub" / "page.md").write_text("# A page\n", encoding="utf-8")


def nav(html: str) -> list[str]:
    return re.findall(r'<nav class="book-editions".*?</nav>', html, re.DOTALL)


def test_each_page_links_to_its_counterpart_only_when_given_the_editions(
    tmp_path: Path,
) -> None:
    small_book(tmp_path)
    page = TOCTREE
    code, printed, out = build(tmp_path, "html", page)
    assert code == 0, printed
    for name in ("index.html", "sub/page.html"):
        assert not nav((out / name).read_text(encoding="utf-8")), name
        assert "book-editions" not in (out / name).read_text(encoding="utf-8")

    code, printed, out = build(tmp_path, "html", page, "-D", "book_editions=zh_CN=../html-zh_CN")
    assert code == 0, printed
    front_page = (out / "index.html").read_text(encoding="utf-8")
    front = nav(front_page)
    inner = nav((out / "sub" / "page.html").read_text(encoding="utf-8"))
    assert len(front) == 1  # in the side bar
    assert len(inner) == 1
    # And at the top of the front page's text, as a paragraph: one landmark of that name.
    top = re.search(
        r'<article role="main" id="furo-main-content"><p class="book-editions">'
        r'Also in <a href="../html-zh_CN/index.html"',
        front_page,
    )
    assert top is not None, front_page
    link = '<a href="../html-zh_CN/index.html" hreflang="zh-CN" lang="zh-CN">简体中文</a>'
    assert link in front[0]
    assert 'href="../../html-zh_CN/sub/page.html"' in inner[0]
    assert 'aria-label="Other editions">Also in' in inner[0]


def test_the_words_around_the_links_are_messages(tmp_path: Path) -> None:
    small_book(tmp_path)
    code, printed, out = build(tmp_path, "gettext", TOCTREE)
    assert code == 0, printed
    templates = (out / "sphinx.pot").read_text(encoding="utf-8")
    for words in ("Also in", "Other editions"):
        assert f'msgid "{words}"' in templates


def test_a_chinese_build_says_so_and_indexes_chinese_words(tmp_path: Path) -> None:
    small_book(tmp_path)
    page = "协程是一种可以暂停的函数。事件循环运行它们。\n\n" + TOCTREE
    code, printed, out = build(tmp_path, "html", page, "-D", "language=zh_CN")
    assert code == 0, printed
    assert '<html class="no-js" lang="zh-CN"' in (out / "index.html").read_text(encoding="utf-8")
    index = (out / "searchindex.js").read_text(encoding="utf-8")
    terms = json.loads(index.removeprefix("Search.setIndex(").removesuffix(")"))["terms"]
    # jieba splits the sentence into words (Sphinx's splitter without it keeps whole runs).
    assert {"协程", "暂停", "函数", "事件", "循环"} <= set(terms), sorted(terms)
    assert "Building prefix dict" not in printed  # jieba's debug log is kept quiet


def test_the_editions_are_laid_out_side_by_side() -> None:
    assert editions(None) == ["zh_CN=../html-zh_CN"]
    assert editions("zh_CN") == ["en=../html"]
    (english,) = edition_links(["en=../html"], "index.html")
    assert english == {"language": "en", "name": "English", "url": "../html/index.html"}
    with pytest.raises(ValueError, match=r"'fr=\.\./html-fr' is not language=path"):
        edition_links(["fr=../html-fr"], "index.html")


def test_a_chinese_epub_and_pdf_are_set_for_chinese(tmp_path: Path) -> None:
    small_book(tmp_path)
    page = "“协程”——一种可以暂停的函数……\n\n" + TOCTREE
    code, printed, out = build(tmp_path, "epub", page, "-D", "language=zh_CN")
    assert code == 0, printed
    opf = (out / "content.opf").read_text(encoding="utf-8")
    assert "<dc:language>zh-CN</dc:language>" in opf  # BCP 47, as epubcheck wants it
    assert re.search(r"<dc:identifier id=\"[^\"]+-zh-CN\">", opf)  # a publication of its own
    code, printed, out = build(tmp_path, "latex", page, "-D", "language=zh_CN")
    assert code == 0, printed
    (tex,) = out.glob("*.tex")
    preamble = tex.read_text(encoding="utf-8")
    assert r"\setCJKmainfont{Noto Serif CJK SC}" in preamble
    # Chinese text sets its quotes, dashes and ellipses full width: the English line is gone.
    assert r"\xeCJKDeclareCharClass{Default}" not in preamble


def test_the_english_pdf_keeps_its_punctuation_latin(tmp_path: Path) -> None:
    small_book(tmp_path)
    code, printed, out = build(tmp_path, "latex", TOCTREE)
    assert code == 0, printed
    (tex,) = out.glob("*.tex")
    assert r"\xeCJKDeclareCharClass{Default}" in tex.read_text(encoding="utf-8")
