"""The EPUB's own needs: its navigation is numbered and names the parts; its cover is marked."""

from __future__ import annotations

from booktools.editions.epub import nav_text, with_cover_property


def test_nav_text_numbers_chapters_and_names_parts() -> None:
    assert nav_text("Cancellation", [16], None, ". ") == "16. Cancellation"
    assert nav_text("What is a task?", (15, 1), None, ". ") == "15.1. What is a task?"
    assert nav_text("Generators", None, "Part I", ". ") == "Part I: Generators"
    assert nav_text("Preface", [], None, ". ") == "Preface"


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
