"""Sphinx configuration for the book: ``python -m booktools.make.recipes html`` builds it.

The sources live in ``book/``; this file sits at the top so that it can import ``companion`` and
``booktools`` from the checkout. Every build runs through ``booktools/make/recipes.py`` (``make
html``, ``make test``, Read the Docs), strict, and with the test-only packages blocked: nothing
here may import them.
"""

from __future__ import annotations

import datetime
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

import companion  # noqa: E402
from booktools.editions import colophon, epub, geometry  # noqa: E402
from booktools.examples import contract  # noqa: E402

# -- The book -------------------------------------------------------------------------------------

project = "From yield to asyncio"
author = "The authors of From yield to asyncio"
copyright = "2026, the authors of From yield to asyncio"
release = companion.__version__
version = ".".join(release.split(".")[:2])
language = "en"

root_doc = "index"
exclude_patterns = ["_static"]
nitpicky = True
# Type variables (T, Y, R, ...) and private helpers (a type variable's bound, say) in companion's
# signatures have no page to link to. And on Python 3.11 (which resolves an older Sphinx), type
# hints name some standard classes by the private module that defines them, which Python's
# inventory does not list.
nitpick_ignore_regex = [
    ("py:(class|obj)", r"companion(\.\w+)*\.([A-Z]\w{0,2}|[A-Z]\w*T|_\w+)"),
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
    "booktools.editions.latex",  # the PDF's own needs: parts, front matter, colophon, boxes
    "booktools.editions.epub",  # the EPUB's: stylesheet, cover, numbered navigation
    "booktools.editions.html",  # the HTML's: front door, downloads, search, accessibility
    "booktools.editions.browser",  # the HTML's Python in the browser: Pyodide, the console
    "booktools.editions.words",  # words drawn or filled in, and settings' words, translated
    "booktools.editions.pinyin",  # a Chinese edition's index in pinyin order
]

# -- Translations (the Chinese edition) ------------------------------------------------------------
# The gettext builder extracts every message of the book into _build/gettext (make gettext), and
# sphinx-intl keeps one catalogue per page in locales/<language>/LC_MESSAGES/<part>/<page>.po
# (make update-po): a change to one page touches one catalogue, and translators of different pages
# never edit the same file (the Python documentation's translations work the same way). A build
# with -D language=zh_CN (make html-zh) reads them. Index entries are messages too. The words a
# figure draws are extracted with the page's (booktools/editions/words.py).

locale_dirs = ["../locales"]  # relative to the sources, book/
gettext_additional_targets = ["index"]
gettext_compact = False  # one catalogue per page, not one per folder

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
# Furo's page and search page, for accessibility and the links to the other editions. An
# absolute path: the gettext builder reads templates_path from the sources (book/), the HTML
# builder from here, and both must find the templates (the gettext builder extracts their words).
templates_path = [str(ROOT / "book" / "_templates")]
html_css_files = ["book.css"]
html_theme_options = {"navigation_with_keys": True}
html_copy_source = False
html_show_sourcelink = False

# The front door (book/index.md) and the pages that say where the book comes from read these
# facts from one place each (booktools/editions/colophon.py): the edition's date is its commit's,
# the licence is pyproject.toml's, and so is the address of the source, in [project.urls]. There is
# no such address yet: {source}`...` then stays plain text, and adding one links it everywhere.
# `make dist` passes the PDF and the EPUB it has built (book_downloads) to link from the front
# page; a build without them has no download links (booktools/editions/html.py).
_edition = colophon.edition(ROOT)
book_source_url = _edition.source_url
book_downloads: list[str] = []
myst_substitutions = {
    "release": release,
    "edition_date": _edition.date,
    "licence": _edition.licence,
}

# Copy buttons copy code only: in a REPL example, only the lines after a ">>> " or "... " prompt
# (a bare "..." is a blank line), so output and tracebacks are left out; a program is copied whole.
# Prompts are matched in the text rather than dropped by CSS class (".gp"), or no line would have a
# prompt left and the whole block, output included, would be copied.
copybutton_prompt_text = r">>> |\.\.\. |\.\.\.$"
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True
copybutton_remove_prompts = True
copybutton_exclude = ".linenos"

# -- Numbering, the same in every edition ---------------------------------------------------------
# Each part's toctree is numbered (`:numbered: 2`: chapters and sections);
# booktools/editions/numbering.py numbers the chapters on through the parts, as LaTeX does in the
# PDF, so that "section 6.2" is the same section in the HTML, the EPUB and the PDF. Figures take
# their chapter's number.

numfig = True
numfig_secnum_depth = 1
numfig_format = {"figure": "Figure %s", "table": "Table %s", "code-block": "Listing %s"}

# -- PDF: XeLaTeX through latexmk (make pdf) ------------------------------------------------------
# XeLaTeX reads the sources as Unicode and takes its fonts from the system (fontconfig). The fonts
# cover every character the book uses: FreeSerif and FreeSans for the text, DejaVu Sans Mono for
# code (box drawing and arrows included), and Noto CJK through xeCJK for Chinese, so a Chinese
# edition builds the same way. `make pdf` fails on any character a font lacks ("Missing
# character" in the log: \tracinglostchars=2 writes each one there), on LaTeX errors, and on a code
# line too long for the page (booktools/editions/latexlog.py reads the log).

latex_engine = "xelatex"
latex_documents = [(root_doc, "from-yield-to-asyncio.tex", project, author, "manual")]
# Parts (Part I, II, III) hold the chapters; booktools/editions/latex.py sets the preface and the
# reference chapters as unnumbered chapters and puts the colophon on the back of the title page.
latex_toplevel_sectioning = "part"

# The colophon: the edition, the licence (LICENSE), where the source lives ([project.urls] in
# pyproject.toml, when the project has a public address), and the commit the book is built from.
# Each fact comes from booktools/editions/colophon.py, as on the HTML front page (_edition).
_source = _edition.source_url
_repository = f"the source repository at {_source}" if _source else "the book's source repository"
if _edition.commit is None:
    _built_from = "a copy of the book's source with no git history"
else:
    _changes = " (with uncommitted changes)" if _edition.dirty else ""
    _built_from = f"commit {_edition.commit}{_changes} of {_repository}"
_dated = datetime.date.fromisoformat(_edition.date)
# The title page's date (Sphinx's "today"), written as the colophon writes it.
today_fmt = "%-d %B %Y"
book_colophon = [
    f"{project}, release {release}, {_dated.day} {_dated:%B %Y}. Built from {_built_from}.",
    f"Copyright © {copyright}. The book, "
    "its examples and its companion package are free software under the MIT License, whose full "
    f"text is in the file LICENSE of {_repository}. That repository also holds the tests that run "
    "every example in this book.",
]
# The page and the code font come from booktools/editions/geometry.py, from which the code-width
# audit (booktools/audits/codewidth.py) derives how many characters a code line may have.
latex_elements = {
    "papersize": geometry.PAPER,
    "pointsize": f"{geometry.POINT_SIZE}pt",
    "fontpkg": r"""
\setmainfont{FreeSerif}[Extension=.otf, UprightFont=*, ItalicFont=*Italic,
  BoldFont=*Bold, BoldItalicFont=*BoldItalic]
\setsansfont{FreeSans}[Extension=.otf, UprightFont=*, ItalicFont=*Oblique,
  BoldFont=*Bold, BoldItalicFont=*BoldOblique]
% Code is never hyphenated (HyphenChar=None): "StopIteration" stays whole, in tables too.
"""
    + rf"\setmonofont{{{geometry.MONO_FONT}}}[Scale={geometry.MONO_SCALE}, HyphenChar=None]"
    + r"""
\usepackage{xeCJK}
\setCJKmainfont{Noto Serif CJK SC}
\setCJKsansfont{Noto Sans CJK SC}
\setCJKmonofont{Noto Sans Mono CJK SC}
% xeCJK sets curly quotes, dashes and the ellipsis in the CJK font (full width); in English
% text they belong to the Latin fonts. A Chinese edition drops the next line
% (booktools/editions/latex.py), and sets them full width, as Chinese text wants them.
\xeCJKDeclareCharClass{Default}{"2018, "2019, "201C, "201D, "2013, "2014, "2026}
""",
    "preamble": geometry.latex_columns_probe()
    + r"""
\tracinglostchars=2
% A code line too long for the code box wraps, with a continuation mark: to find such lines,
% the material that starts a continued line also writes "Book code line wrapped" into the log
% when its page is shipped out (it exists only where a line did break), and
% booktools/editions/latexlog.py fails the build on it.
\let\booksphinxafterbreak\sphinxafterbreak
\renewcommand*\sphinxafterbreak{\booksphinxafterbreak
  \hbox{\write-1{Book code line wrapped on page \thepage}}}
% A narrow table column ("Status") is at least this wide, so that its words are not hyphenated.
\setlength{\tymin}{5em}
% Contents: parts, chapters and sections; numbered: chapters and sections, as in the HTML.
\setcounter{tocdepth}{1}
\setcounter{secnumdepth}{1}
% Figures and tables are numbered by chapter ("Figure 6.1"), as in the HTML: with parts
% as the top level, Sphinx would number them 1, 2, ... in each chapter.
\makeatletter
% (Sphinx sets them at the start of the document, so this comes after.)
\AtBeginDocument{%
  \renewcommand{\thefigure}{\ifnum\c@chapter>\z@\arabic{chapter}.\fi\arabic{figure}}%
  \renewcommand{\thetable}{\ifnum\c@chapter>\z@\arabic{chapter}.\fi\arabic{table}}}
% The book's front matter, parts and back matter (booktools/editions/latex.py places these).
% The back of the title page: the root document's text and the colophon, at the foot.
\newcommand{\bookversobegin}{\pagenumbering{roman}\setcounter{page}{2}\thispagestyle{empty}%
  \null\vfill\begingroup\small\setlength{\parskip}{0.7\baselineskip}}
\newcommand{\bookversoend}{\par\endgroup\clearpage}
% The contents, then the unnumbered preface, on roman pages.
\newcommand{\bookcontents}{\pagestyle{plain}%
  \begingroup\parskip\z@skip\sphinxtableofcontentshook\tableofcontents\endgroup
  \clearpage\pagestyle{normal}\setcounter{secnumdepth}{-2}}
% A code block split across pages is cut by framed.sty with \vsplit, which lets the last line's
% depth hang below the room it cuts to (\splitmaxdepth is unlimited); framed then moves that
% depth into the piece's height, and the piece stood up to 3.3 pt taller than its page's room
% (an overfull \vbox at each of 19 splits). Counting the depth in the cut keeps every piece
% within the page.
\patchcmd\fb@put@frame{\splittopskip\z@}{\splittopskip\z@\splitmaxdepth\z@}{}%
  {\errmessage{conf.py: framed.sty's \string\fb@put@frame\space has changed}}
% Part I starts on page 1; chapters and sections are numbered from there.
\newcommand{\bookmainmatter}{\clearpage\pagenumbering{arabic}\setcounter{secnumdepth}{1}}
% Table cells are set ragged right, not justified: in a narrow column, justified lines of code
% names stretch into wide gaps. (Sphinx starts every paragraph with \sphinxAtStartPar, and sets
% the flag \ifspx@intable inside its tables.)
\renewcommand*\sphinxAtStartPar{\ifspx@intable\raggedright\fi\leavevmode\nobreak\hskip\z@skip}
% Part pages in the headings' sans serif, as the chapters are (LaTeX's own part page is serif).
% The label above a part's title ("Part I"); a translated edition redefines it (latex.py).
\newcommand{\bookpartlabel}{\partname~\thepart}
\titleformat{\part}[display]{\py@HeaderFamily\filcenter}{\huge\bookpartlabel}{1em}{\Huge}
% The reference chapters: an unnumbered part, named by the toctree's caption.
\newcommand{\bookbackmatter}[1]{\setcounter{secnumdepth}{-2}\part{#1}}
% "What the note says" boxes (caution notices, booktools/editions/latex.py) are a title band, the
% text, and a closing rule, not a framed box: a framed box cannot split a code block inside it,
% which then runs through the footer. Text and code break across pages as the text around them does.
\renewenvironment{sphinxcaution}[1]{\par\addvspace{\medskipamount}\needspace{4\baselineskip}%
  \noindent\colorbox{sphinxcautionTtlBgColor}{\parbox{\dimexpr\linewidth-2\fboxsep\relax}{%
    \strut\color{sphinxcautionTtlFgColor}\sffamily\bfseries\sphinxremovefinalcolon{#1}}}\par
  \nobreak\vskip-\parskip\nobreak
  \noindent{\color{sphinxcautionBorderColor}\rule{\linewidth}{0.8pt}}\par\nobreak
  \begin{list}{}{\leftmargin=0pt\rightmargin=0pt\topsep=0.3\baselineskip
    \parsep=\parskip\itemsep=0pt}\item\relax}
  {\end{list}\par\nobreak\noindent{\color{sphinxcautionBorderColor}\rule{\linewidth}{0.8pt}}%
  \par\addvspace{\medskipamount}}
\makeatother
""",
    # No blank pages: parts and chapters start on the next page, left or right.
    "extraclassoptions": "openany",
    # Figures stay where the text puts them, never floating into the middle of a code listing.
    "figure_align": "H",
    # The contents come after the back of the title page (\bookcontents:
    # booktools/editions/latex.py).
    "tableofcontents": "",
    # The side margins are geometry.py's. A code line too long for the page wraps
    # (verbatimwrapslines is Sphinx's default; verbatimforcewraps also breaks a long word with no
    # space in it) rather than run off it, and the build fails on it (the preamble's "Book code
    # line wrapped"). The "What the note says" boxes are set as caution notices
    # (booktools/editions/latex.py) in book.css's colours.
    "sphinxsetup": ", ".join(
        [
            f"hmargin={geometry.MARGIN}pt",
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
# booktools/editions/epub.py writes both files for each EPUB build: the stylesheet (code on a tint,
# wrapped, coloured as in the HTML) and the cover, drawn from the title, description and author.
epub_css_files = [epub.EPUB_CSS]
epub_cover = (f"_static/{epub.EPUB_COVER}", "")
epub_title = project
epub_author = author
epub_contributor = author
epub_publisher = author
epub_copyright = f"{copyright}; {_edition.licence} License"
# epub_language is Sphinx's default, the build's language (en, or zh_CN for make epub-zh).
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
