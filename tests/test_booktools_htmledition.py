"""The HTML edition's machinery that runs without a browser: the colophon and the search map.

What the browser sees (the front page, search ranking, figures, accessibility) is tested in
``tests/browser``, which ``make browser-test`` runs.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest
from docutils.core import publish_doctree
from sphinx.config import Config

from booktools import colophon
from booktools.htmledition import _downloads, section_map

ROOT = Path(__file__).resolve().parents[1]

PYPROJECT = """\
[project]
name = "book"
license = "MIT"
{urls}
"""


def _checkout(tmp_path: Path, urls: str = "") -> Path:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT.format(urls=urls), encoding="utf-8")
    return tmp_path


def test_without_project_urls_the_source_has_no_address(tmp_path: Path) -> None:
    assert colophon.source_url(_checkout(tmp_path)) is None


@pytest.mark.parametrize("key", colophon.SOURCE_URL_KEYS)
def test_the_source_address_comes_from_project_urls(tmp_path: Path, key: str) -> None:
    urls = f'[project.urls]\nOther = "https://example.org/x"\n{key} = "https://example.org/src"'
    assert colophon.source_url(_checkout(tmp_path, urls)) == "https://example.org/src"


def test_the_edition_date_follows_source_date_epoch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01 00:00 UTC
    edition = colophon.edition(_checkout(tmp_path))
    assert edition.date == "2026-01-01"
    assert edition.licence == "MIT"


def test_this_checkout_has_a_dated_edition_and_the_books_licence(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    edition = colophon.edition(ROOT)
    assert len(edition.date) == 10
    assert edition.date[4] == edition.date[7] == "-"
    assert edition.licence == "MIT"
    assert "MIT License" in (ROOT / "LICENSE").read_text(encoding="utf-8")


PAGE = """\
The page
========

.. _intro-target:

Before any section.

First section
-------------

.. _in-first:

Text.

Inner section
~~~~~~~~~~~~~

Deeper text.

Second section
--------------

More.
"""


def test_each_anchor_belongs_to_its_innermost_section() -> None:
    # As Sphinx reads a page: the title stays a section, not the document's title.
    doctree = publish_doctree(PAGE, settings_overrides={"report_level": 5, "doctitle_xform": False})
    found = section_map(doctree)
    assert found["titles"] == {
        "first-section": "First section",
        "inner-section": "Inner section",
        "second-section": "Second section",
    }
    anchors = found["anchors"]
    assert anchors["intro-target"] == ""  # the page itself
    assert anchors["in-first"] == "first-section"
    assert anchors["inner-section"] == "inner-section"
    assert anchors["second-section"] == "second-section"


def test_downloads_are_keyed_by_kind_and_two_of_a_kind_are_refused() -> None:
    config = cast(Config, SimpleNamespace(book_downloads=["a/book.pdf", "b/book.EPUB"]))
    assert _downloads(config) == {"pdf": Path("a/book.pdf"), "epub": Path("b/book.EPUB")}
    twice = cast(Config, SimpleNamespace(book_downloads=["a.pdf", "b.pdf"]))
    with pytest.raises(ValueError, match=r"two \.pdf files"):
        _downloads(twice)
