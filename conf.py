"""Sphinx configuration for the book. Build with ``sphinx-build -c . book _build/<builder>``.

The sources live in ``book/``; this file sits at the top so that it can import ``companion`` and
``booktools`` from the checkout. ``make html`` and ``make test`` call Sphinx with the right flags.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

import companion  # noqa: E402
from booktools import examples  # noqa: E402

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
# Type variables (T, Y, R, ...) in companion's signatures have no page to link to.
nitpick_ignore_regex = [("py:class", r"companion(\.\w+)*\.([A-Z]\w{0,2}|[A-Z]\w*T)")]

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx_autodoc_typehints",
    "sphinx.ext.doctest",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "sphinx_copybutton",
    "booktools.sphinxext",
]

# -- MyST -----------------------------------------------------------------------------------------

myst_enable_extensions = ["colon_fence", "deflist", "substitution"]
myst_heading_anchors = 3

# -- Examples: both runners share these settings (see booktools/examples.py) ----------------------

doctest_global_setup = examples.SPHINX_GLOBAL_SETUP
doctest_global_cleanup = examples.SPHINX_GLOBAL_CLEANUP
doctest_default_flags = examples.DOCTEST_FLAGS
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
