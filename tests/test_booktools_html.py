"""The HTML edition's machinery that runs without a browser: the colophon and the search map.

What the browser sees (the front page, search ranking, figures, accessibility) is tested in
``tests/browser``, which ``make browser-test`` runs.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest
from docutils.core import publish_doctree
from sphinx.config import Config

from booktools.editions import colophon
from booktools.editions.html import _downloads, section_map

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


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git to make a repository")
def test_the_commit_and_uncommitted_changes_are_named_and_no_git_is_tolerated(
    tmp_path: Path,
) -> None:
    checkout = _checkout(tmp_path)
    outside = colophon.edition(checkout)
    assert (outside.commit, outside.dirty) == (None, False)  # not a repository
    git = ["git", "-C", str(checkout), "-c", "user.name=a", "-c", "user.email=a@b"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "one"], check=True)
    head = subprocess.run(
        [*git, "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    committed = colophon.edition(checkout)
    assert (committed.commit, committed.dirty) == (head, False)
    (checkout / "pyproject.toml").write_text(
        (checkout / "pyproject.toml").read_text(encoding="utf-8") + "\n", encoding="utf-8"
    )
    assert colophon.edition(checkout).dirty


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


# -- The extension in a real (small) build ----------------------------------------------------

FRONT = """\
# Front

```{toctree}
:caption: Part I

sub/page
```

Source: {source}`the repository`.

:::{only} downloads
Get the {edition-file}`PDF <pdf>`.
:::
"""

SUB = """\
# A page

Get the {edition-file}`PDF <pdf>` here too.

## A section

```{index} some term
```

Text.
"""


def _build(tmp_path: Path, *settings: str, sub: str = "") -> tuple[int, str, Path]:
    """Build a two-page book with this extension alone and the given ``conf.py`` lines; return
    the exit code, what Sphinx printed and the output folder."""
    source = tmp_path / "src"
    (source / "sub").mkdir(parents=True)
    conf = [
        'extensions = ["myst_parser", "booktools.editions.html"]',
        'myst_enable_extensions = ["colon_fence"]',
        *settings,
    ]
    (source / "conf.py").write_text("\n".join(conf) + "\n", encoding="utf-8")
    (source / "index.md").write_text(FRONT, encoding="utf-8")
    (source / "sub" / "page.md").write_text(sub or "# A page\n\n## A section\n", encoding="utf-8")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-W", "--keep-going"]
    command += [str(source), str(out)]
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    return done.returncode, done.stdout + done.stderr, out


def test_without_files_there_are_no_download_links_and_the_source_is_text(
    tmp_path: Path,
) -> None:
    code, printed, out = _build(tmp_path)
    assert code == 0, printed
    front = (out / "index.html").read_text(encoding="utf-8")
    assert "book-download" not in front
    assert "Get the" not in front
    assert '<span class="book-source">the repository</span>' in front
    # The toctree's caption is a complete ARIA heading.
    headings = re.findall(r'<p [^>]*role="heading"[^>]*>', front)
    assert headings
    assert all('aria-level="2"' in heading for heading in headings), headings


def test_given_files_are_copied_and_linked_and_the_source_address_is_linked(
    tmp_path: Path,
) -> None:
    pdf = tmp_path / "book.pdf"
    pdf.write_bytes(b"%PDF-1.7 test")
    code, printed, out = _build(
        tmp_path, f"book_downloads = [{str(pdf)!r}]", "book_source_url = 'https://example.org/src'"
    )
    assert code == 0, printed
    front = (out / "index.html").read_text(encoding="utf-8")
    assert 'class="book-download reference external" href="_downloads/book.pdf"' in front
    assert (out / "_downloads" / "book.pdf").read_bytes() == pdf.read_bytes()
    assert 'href="https://example.org/src"' in front


def test_a_download_link_outside_only_downloads_fails_a_build_without_files(
    tmp_path: Path,
) -> None:
    code, printed, _ = _build(tmp_path, sub=SUB)
    assert code != 0
    assert "no .pdf file to link" in printed


def test_a_download_link_deeper_in_the_book_points_up_to_the_file(tmp_path: Path) -> None:
    pdf = tmp_path / "book.pdf"
    pdf.write_bytes(b"%PDF-1.7 test")
    code, printed, out = _build(tmp_path, f"book_downloads = [{str(pdf)!r}]", sub=SUB)
    assert code == 0, printed
    assert 'href="../_downloads/book.pdf"' in (out / "sub" / "page.html").read_text("utf-8")
    # The search page's map: the index entry's anchor sits in "A section".
    sections = (out / "_static" / "book-search-sections.js").read_text(encoding="utf-8")
    found = json.loads(sections.removeprefix("var BOOK_SECTIONS = ").rstrip().rstrip(";"))
    page = found["sub/page"]
    assert page["titles"] == {"a-section": "A section"}
    assert page["anchors"]["index-0"] == "a-section"
    assert found["index"]["order"] == 0
    assert found["sub/page"]["order"] == 1
