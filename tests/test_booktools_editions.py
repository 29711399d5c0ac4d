"""The PDF's and the EPUB's own needs: SVG images lose their DOCTYPE in the EPUB."""

from __future__ import annotations

from booktools.editions import without_doctype

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
