"""Figures are written as SVG without a DOCTYPE (EPUB 3 forbids one): HTML and EPUB share them."""

from __future__ import annotations

from pathlib import Path

from booktools.figures.common import RC, save, without_doctype

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


def test_saved_figures_have_no_doctype_and_no_type3_font(tmp_path: Path) -> None:
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(RC):  # type: ignore[arg-type]  # typed with literal keys
        figure = Figure(figsize=(2, 1))
        figure.subplots().set_xlabel("words")
        svg, pdf = save(figure, tmp_path / "chart")
    assert "<!DOCTYPE" not in svg.read_text(encoding="utf-8")
    assert svg.read_text(encoding="utf-8").startswith("<?xml")
    data = pdf.read_bytes()
    # Type 3 fonts render blurred in some viewers; the book embeds TrueType (pdf.fonttype 42).
    assert b"/Type3" not in data
    assert b"/TrueType" in data or b"/CIDFontType2" in data
