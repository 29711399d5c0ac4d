"""Sphinx configuration for the book: ``python -m booktools.make.recipes html`` builds it.

The sources live in ``book/``; this file sits at the top so that it can import ``companion`` and
``booktools`` from the checkout. Every build runs through ``booktools/make/recipes.py`` (``make
html``, ``make test``, Read the Docs), strict, and with the test-only packages blocked: nothing
here may import them.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

import companion  # noqa: E402
from booktools.examples import contract  # noqa: E402

# -- The book -------------------------------------------------------------------------------------

project = "From yield to asyncio"
author = "The From yield to asyncio authors"
copyright = "2026, the From yield to asyncio authors"
release = companion.__version__
version = ".".join(release.split(".")[:2])
language = "en"

root_doc = "index"
exclude_patterns = ["_static"]
nitpicky = True
# Type variables (T, Y, R, ...) in companion's signatures have no page to link to. And on Python
# 3.11 (which resolves an older Sphinx), type hints name some standard classes by the private
# module that defines them, which Python's inventory does not list.
nitpick_ignore_regex = [
    ("py:(class|obj)", r"companion(\.\w+)*\.([A-Z]\w{0,2}|[A-Z]\w*T)"),
    ("py:class", r"_asyncio\.\w+|asyncio\.(events|transports|unix_events)\.\w+|types\.FrameType"),
]

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx_autodoc_typehints",
    "sphinx.ext.doctest",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "sphinx_copybutton",
    "booktools.examples.sphinxext",
    "booktools.figures.timelines",
    "booktools.figures.benchcharts",
    "booktools.figures.benchdata",
    "booktools.editions.latex",  # the PDF's own needs
]

# -- MyST -----------------------------------------------------------------------------------------

myst_enable_extensions = ["colon_fence", "deflist", "substitution"]
myst_heading_anchors = 3

# -- Examples: both runners share these settings (booktools/examples/contract.py) -----------------

doctest_global_setup = contract.SPHINX_GLOBAL_SETUP
doctest_global_cleanup = contract.SPHINX_GLOBAL_CLEANUP
doctest_default_flags = contract.DOCTEST_FLAGS
doctest_show_successes = False

# -- API reference --------------------------------------------------------------------------------

autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": True}
# sphinx-autodoc-typehints writes the types into each parameter's description; in the signature,
# a type such as Callable[[], float] is split at its commas and renders as two parameters.
always_use_bars_union = True

# -- Links to the Python documentation, with no network -------------------------------------------
# The inventory is committed (intersphinx/README.md says where it comes from); links built from it
# point at the public Python docs.

intersphinx_mapping = {
    "python": ("https://docs.python.org/3", str(ROOT / "intersphinx" / "python-3.13.inv")),
}
intersphinx_timeout = 1

# -- HTML -----------------------------------------------------------------------------------------
# Furo suits a long book: the whole table of contents stays in a collapsible left sidebar, each
# page has its own "on this page" outline, pages read well from phone width up, it has a dark mode,
# and it is light (no JavaScript framework), so builds stay fast and the built-in search works.

html_theme = "furo"
html_title = f"{project} {release}"
html_static_path = ["book/_static"]
html_css_files = ["book.css"]
html_js_files = ["search-summary-fix.js"]  # see the file: a Sphinx 9.2 search page error
html_theme_options = {"navigation_with_keys": True}
html_copy_source = False
html_show_sourcelink = False

# Copy buttons copy code only: in a REPL example, only the lines after a ">>> " or "... " prompt
# (a bare "..." is a blank line), so output and tracebacks are left out; a program is copied whole.
# Prompts are matched in the text rather than dropped by CSS class (".gp"), or no line would have a
# prompt left and the whole block, output included, would be copied.
copybutton_prompt_text = r">>> |\.\.\. |\.\.\.$"
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True
copybutton_remove_prompts = True
copybutton_exclude = ".linenos"

# -- PDF: XeLaTeX through latexmk (make pdf) ------------------------------------------------------
# XeLaTeX reads the sources as Unicode and takes its fonts from the system (fontconfig). The fonts
# cover every character the book uses: FreeSerif and FreeSans for the text, DejaVu Sans Mono for
# code (box drawing and arrows included), and Noto CJK through xeCJK for Chinese, so a Chinese
# edition builds the same way. `make pdf` fails on any character a font lacks ("Missing
# character" in the log: \tracinglostchars=2 writes each one there), on LaTeX errors, and on a code
# line that runs off the page (booktools/editions/latexlog.py reads the log).

latex_engine = "xelatex"
latex_documents = [(root_doc, "from-yield-to-asyncio.tex", project, author, "manual")]
latex_elements = {
    "papersize": "a4paper",
    "pointsize": "10pt",
    "fontpkg": r"""
\setmainfont{FreeSerif}[Extension=.otf, UprightFont=*, ItalicFont=*Italic,
  BoldFont=*Bold, BoldItalicFont=*BoldItalic]
\setsansfont{FreeSans}[Extension=.otf, UprightFont=*, ItalicFont=*Oblique,
  BoldFont=*Bold, BoldItalicFont=*BoldOblique]
\setmonofont{DejaVu Sans Mono}[Scale=0.86]
\usepackage{xeCJK}
\setCJKmainfont{Noto Serif CJK SC}
\setCJKsansfont{Noto Sans CJK SC}
\setCJKmonofont{Noto Sans Mono CJK SC}
% xeCJK sets curly quotes, dashes and the ellipsis in the CJK font (full width); in English
% text they belong to the Latin fonts. A Chinese edition drops this line.
\xeCJKDeclareCharClass{Default}{"2018, "2019, "201C, "201D, "2013, "2014, "2026}
""",
    "preamble": r"""
\tracinglostchars=2
% A narrow table column ("Status") is at least this wide, so that its words are not hyphenated.
\setlength{\tymin}{5em}
""",
    # Long code lines wrap (verbatimwrapslines is Sphinx's default; verbatimforcewraps also breaks
    # a long word with no space in it) so that no code runs off the page. The "What the note says"
    # boxes are set as caution notices (booktools/editions/latex.py) in book.css's colours.
    "sphinxsetup": ", ".join(
        [
            "verbatimwrapslines=true",
            "verbatimforcewraps=true",
            "div.caution_border-TeXcolor={RGB}{179,92,0}",
            "div.caution_title-background-TeXcolor={RGB}{246,231,217}",
            "div.caution_title-foreground-TeXcolor={RGB}{120,60,0}",
            "div.caution_background-TeXcolor={RGB}{255,252,248}",
        ]
    ),
    "printindex": r"\footnotesize\raggedright\printindex",
}

# -- EPUB (make epub) -----------------------------------------------------------------------------
# Sphinx's own epub theme (Furo's options are for the HTML only: epub_theme_options stays empty).
# `make epub` runs epubcheck on the result and fails on any error or warning.

epub_theme = "epub"
epub_theme_options: dict[str, str | int | bool] = {}
epub_title = project
epub_author = author
epub_publisher = author
epub_copyright = copyright
epub_language = language
epub_basename = "from-yield-to-asyncio"
# The identifier and the uid are one string: epubcheck wants the NCX's uid to equal the OPF's
# identifier, and the uid must be an XML name.
epub_uid = "from-yield-to-asyncio-5c0b7d4e-5a1f-4f5e-9d0a-2b6f1f6a9c31"
epub_identifier = epub_uid
epub_scheme = "uuid"
epub_show_urls = "no"
# Sphinx keeps the previous build's record there when the configuration changes; not a book file.
epub_exclude_files = [".buildinfo.bak"]
epub_description = "An executable reference book on Python generators, coroutines and asyncio."
