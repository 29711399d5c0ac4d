"""The PDF's and the EPUB's own needs: SVG images lose their DOCTYPE in the EPUB; the EPUB's
navigation is numbered; the colophon names the source and the commit."""

from __future__ import annotations

import subprocess
from pathlib import Path

from booktools.editions import (
    git_commit,
    nav_text,
    source_url,
    with_cover_property,
    without_doctype,
)

MATPLOTLIB_SVG = """<?xml version="1.0" encoding="utf-8" standalone="no"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"
  "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg xmlns="http://www.w3.org/2000/svg" version="1.1"><text>&lt;!DOCTYPE</text></svg>
"""


def test_the_doctype_goes_and_everything_else_stays() -> None:
    clean = without_doctype(MATPLOTLIB_SVG)
    assert clean == (
        '<?xml version="1.0" encoding="utf-8" standalone="no"?>\n'
        '<svg xmlns="http://www.w3.org/2000/svg" version="1.1"><text>&lt;!DOCTYPE</text></svg>\n'
    )
    assert without_doctype(clean) == clean


def test_a_doctype_with_an_internal_subset_goes_whole() -> None:
    svg = '<!DOCTYPE svg [ <!ENTITY a "b"> ]>\n<svg/>'
    assert without_doctype(svg) == "<svg/>"


def test_nav_text_numbers_chapters_and_names_parts() -> None:
    assert nav_text("Cancellation", [16], None, ". ") == "16. Cancellation"
    assert nav_text("What is a task?", (15, 1), None, ". ") == "15.1. What is a task?"
    assert nav_text("Generators", None, "Part I", ". ") == "Part I: Generators"
    assert nav_text("Preface", [], None, ". ") == "Preface"


def test_source_url_reads_project_urls_source_first(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "x"\n', encoding="utf-8")
    assert source_url(pyproject) is None
    pyproject.write_text(
        '[project]\nname = "x"\n[project.urls]\nHomepage = "https://h.example"\n'
        'Source = "https://s.example"\n',
        encoding="utf-8",
    )
    assert source_url(pyproject) == "https://s.example"
    assert source_url(tmp_path / "missing.toml") is None


def test_git_commit_names_the_commit_and_tolerates_no_git(tmp_path: Path) -> None:
    assert git_commit(tmp_path) is None  # not a repository
    git = ["git", "-C", str(tmp_path), "-c", "user.name=a", "-c", "user.email=a@b"]
    subprocess.run([*git, "init", "-q"], check=True)
    (tmp_path / "f").write_text("1", encoding="utf-8")
    subprocess.run([*git, "add", "f"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "one"], check=True)
    head = subprocess.run(
        [*git, "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert git_commit(tmp_path) == (head, False)
    (tmp_path / "f").write_text("2", encoding="utf-8")
    assert git_commit(tmp_path) == (head, True)


def test_the_cover_item_is_marked_as_the_cover_image() -> None:
    opf = (
        '<meta name="cover" content="epub-25"/>\n'
        '<item id="epub-2" href="a.png" media-type="image/png" />\n'
        '<item id="epub-25" href="_static/cover.png" media-type="image/png" />\n'
    )
    marked = with_cover_property(opf)
    assert marked == opf.replace('id="epub-25"', 'id="epub-25" properties="cover-image"')
    assert with_cover_property(marked) == marked
    assert with_cover_property("<package/>") == "<package/>"
