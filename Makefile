# From yield to asyncio: build the book and run every check.
#
#   make html      build the HTML book into _build/html (the default target); with npm, it
#                  ships Pyodide (Python in the browser): serve it with
#                  `python3 -m http.server -d _build/html` (WebAssembly does not load from file://)
#   make test      every check: ruff, mypy --strict, pytest (companion tests and every book
#                  example), Sphinx's doctest builder, the translation's completeness, and a
#                  strict HTML build of each edition
#   make doctest   run the book's examples with Sphinx's doctest builder
#   make matrix    the book's examples and the companion tests under every Python >= 3.11 found
#   make unstable-root  (root) a Debian unstable root with Python 3.14 and 3.15, for the matrix on
#                  a Debian host without them (booktools/make/unstable.py); reused once complete
#   make bench     the benchmarks (loop, io, workers, convoy): prints their tables; several minutes
#   make livehtml  rebuild and reload the book in your browser as you edit (http://127.0.0.1:8000)
#   make clean     remove build output and caches; `make distclean` also removes the virtualenvs
#
# The Chinese edition (Sphinx's gettext builder, sphinx-intl; catalogues in locales/zh_CN):
#   make gettext   extract every message of the book into _build/gettext (one .pot per page)
#   make update-po merge them into locales/zh_CN/LC_MESSAGES/**/*.po, for translators
#   make html-zh   the Chinese HTML into _build/html-zh_CN (strict, Chinese search with jieba)
#   make html-all  both HTML editions, each page linking to its counterpart in the other
#   make translations  fail unless every message is translated, none fuzzy (part of `test`)
#   make pdf-zh, make epub-zh  the Chinese PDF and EPUB, checked as the English ones are (they
#                  need the system packages below; `make dist` builds them too)
#
# Optional, with system packages (Debian/Ubuntu; `make system-deps` installs them, as root or sudo):
#   make pdf           the PDF (XeLaTeX, latexmk), failing on missing glyphs and code off the page
#   make epub          the EPUB, checked by epubcheck: no error and no warning allowed
#   make dist          both editions' HTML, PDF and EPUB together in _build/dist
#   make browser-test  the HTML in Debian's Chromium (Playwright): pages, links, downloads,
#                      search, copy buttons, phone width, figures, accessibility (axe-core),
#                      and the Chinese edition beside it; screenshots in _build/browser-artifacts
#   make system-deps   apt-get install the packages these four need
#
# Every target first makes sure .venv exists and is current (booktools/make/venv.py): it is created
# with the newest Python >= 3.11 found, or with PYTHON=/path/to/python3, and reinstalled whenever
# pyproject.toml changes. Every build command (sphinx-build, latexmk, epubcheck) is spelled once,
# in booktools/make/recipes.py, which this Makefile, the matrix, Read the Docs and CI all call.

SHELL := /bin/bash
.DEFAULT_GOAL := html
.DELETE_ON_ERROR:

PYTHON ?=
VENV := .venv
BIN := $(VENV)/bin
BUILD := _build
BOOTSTRAP := $(or $(PYTHON),python3) -m booktools.make.venv --venv $(VENV) $(if $(PYTHON),--python "$(PYTHON)")
RECIPE := $(BIN)/python -m booktools.make.recipes

.PHONY: help venv html doctest test lint typecheck pytest matrix unstable-root bench livehtml clean \
	distclean gettext update-po html-zh html-all translations pdf-zh epub-zh \
	system-deps pdf epub dist browser-test needs-pdf needs-epub needs-browser-test

help:
	@sed -n '3,33p' Makefile | sed 's/^# \{0,1\}//'

venv:
	@$(BOOTSTRAP)

html: venv
	$(RECIPE) html
	@echo "The book is built: open file://$(abspath $(BUILD)/html/index.html)"
	@echo "(its Python console needs a server: python3 -m http.server -d $(BUILD)/html)"

doctest: venv
	$(RECIPE) doctest

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy

pytest: venv
	$(BIN)/python -m pytest

# The HTML build in `make test` reads every page afresh (-E): an incremental build skips pages
# that did not change, and with them the warnings a previous failed build left unfixed.
# The Chinese edition is checked as strictly: every message translated, none fuzzy, none that
# loses code or a reference (make translations), and its HTML built with -n -W as well.
test: lint typecheck pytest doctest translations
	$(RECIPE) html --fresh
	$(RECIPE) html --fresh --language zh_CN
	@echo "make test: every check passed"

# -- The Chinese edition ---------------------------------------------------------------------------
# booktools/make/recipes.py: the gettext builder into _build/gettext, sphinx-intl into
# locales/zh_CN/LC_MESSAGES, and a strict build with language = zh_CN, with its own doctrees and
# output (it makes the catalogues first where there are none, as on a fresh checkout).

gettext: venv
	$(RECIPE) gettext

update-po: venv
	$(RECIPE) update-po --language zh_CN

html-zh: venv
	$(RECIPE) html --language zh_CN
	@echo "The Chinese edition is built: open file://$(abspath $(BUILD)/html-zh_CN/index.html)"

# Both editions side by side, _build/html and _build/html-zh_CN, each page linking to the same
# page in the other (a build without --editions has no such links).
html-all: venv
	$(RECIPE) html --editions
	$(RECIPE) html --language zh_CN --editions

# Every message translated, none fuzzy, each keeping its message's code, references and
# placeholders (booktools/editions/catalogs.py); part of `make test`.
translations: venv
	$(RECIPE) po-check --language zh_CN

matrix:
	$(or $(PYTHON),python3) -m booktools.make.matrix

unstable-root:
	$(or $(PYTHON),python3) -m booktools.make.unstable build

bench: venv
	$(BIN)/python -m companion.bench loop
	$(BIN)/python -m companion.bench io
	$(BIN)/python -m companion.bench workers
	$(BIN)/python -m companion.bench convoy

livehtml: venv
	$(BIN)/sphinx-autobuild --host 127.0.0.1 --port 8000 --watch companion --watch booktools \
		$$($(RECIPE) args html)

# -- Optional: PDF, EPUB, browser tests -----------------------------------------------------------
# Each target first checks for its system tools (booktools/make/systemdeps.py, standard library
# only) and, if one is missing, names the Debian packages to install and exits non-zero.

BOOK := from-yield-to-asyncio
SYSDEPS := $(or $(PYTHON),python3) -m booktools.make.systemdeps

system-deps:
	@packages="$$($(SYSDEPS) packages | tr '\n' ' ')"; \
	sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	echo "Installing: $$packages"; \
	$$sudo apt-get update -qq && \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$packages

needs-pdf needs-epub needs-browser-test:
	@$(SYSDEPS) check $(@:needs-%=%)

# booktools/make/recipes.py: XeLaTeX through latexmk, the log check (errors, missing characters,
# code off the page, overfull boxes), the PDF itself (booktools/editions/pdfcheck.py: no Type 3
# font, every chapter in the contents, the parts, no "genindex"), the TeX packages check, and a
# clean start after a failed run; epubcheck with no error and no warning allowed.
pdf: needs-pdf venv
	$(RECIPE) pdf

epub: needs-epub venv
	$(RECIPE) epub

# The Chinese PDF (xeCJK, Noto CJK) and EPUB, into _build/latex-zh_CN and _build/epub-zh_CN, with
# the same checks.
pdf-zh: needs-pdf venv
	$(RECIPE) pdf --language zh_CN

epub-zh: needs-epub venv
	$(RECIPE) epub --language zh_CN

# The HTML that dist ships and browser-test checks is read afresh (-E): an incremental build of
# Sphinx 9.2 that re-reads no page writes a search index without the index entries, so searching
# for a term finds pages but no longer the sections the index points to.
# It offers for download the PDF and the EPUB that are built (--downloads: Sphinx copies them into
# _downloads/ and the front page links them); a build without them has no download links, so a
# plain `make html` never links to a file it does not have.
HTML_FRESH = $(RECIPE) html --fresh --downloads

# Both editions, side by side as make html-all lays them out (html, html-zh_CN), each page linking
# to the same page in the other; each edition's HTML offers its own PDF and EPUB.
dist: needs-pdf needs-epub venv pdf epub pdf-zh epub-zh
	rm -rf $(BUILD)/dist
	$(HTML_FRESH) --editions --out $(BUILD)/dist/html
	$(HTML_FRESH) --editions --language zh_CN --out $(BUILD)/dist/html-zh_CN
	for html in html html-zh_CN; do for file in $(BOOK).pdf $(BOOK).epub; do \
		test -f $(BUILD)/dist/$$html/_downloads/$$file || exit 1; done; done
	cp $(BUILD)/latex/$(BOOK).pdf $(BUILD)/epub/$(BOOK).epub $(BUILD)/dist/
	cp $(BUILD)/latex-zh_CN/$(BOOK).pdf $(BUILD)/dist/$(BOOK).zh_CN.pdf
	cp $(BUILD)/epub-zh_CN/$(BOOK).epub $(BUILD)/dist/$(BOOK).zh_CN.epub
	@echo "Both editions' HTML, PDF and EPUB are in $(BUILD)/dist (each HTML offers its PDF and EPUB)"

# axe-core, the accessibility checker that tests/browser injects into every page: from the npm
# registry, at this version, into _build (which git ignores); npm is asked once per version, by
# the recipe that also installs Pyodide for the HTML build (booktools/make/recipes.py).
AXE_VERSION := 4.14.1
AXE_DIR := $(BUILD)/axe-core-$(AXE_VERSION)
AXE := $(AXE_DIR)/node_modules/axe-core/axe.min.js

$(AXE): | venv
	@command -v npm >/dev/null || { echo "browser-test needs npm to fetch axe-core (Debian: npm)" >&2; exit 1; }
	$(RECIPE) npm axe-core@$(AXE_VERSION) $(AXE_DIR)
	test -s $@

# tests/browser is left out of a plain pytest run (pyproject.toml: --ignore); naming it runs it.
# After `make dist` (or pdf and epub), the HTML offers both for download and the tests fetch them.
# The HTML is built into an empty directory: viewcode writes a module's page only when the
# module changed since the page was written, so a page built with older templates would stay.
# With REUSE_DIST=1 (.ci/run, right after make dist), the tests read the two editions that make
# dist has just built in _build/dist, built the same way, instead of building them again.
TESTED_HTML = $(if $(filter 1,$(REUSE_DIST)),$(BUILD)/dist,$(BUILD))

browser-test: needs-browser-test venv $(AXE)
ifeq ($(REUSE_DIST),1)
	test -f $(TESTED_HTML)/html/index.html && test -f $(TESTED_HTML)/html-zh_CN/index.html
else
	$(HTML_FRESH) --clean --editions
	$(HTML_FRESH) --clean --editions --language zh_CN
endif
	BOOK_HTML=$(abspath $(TESTED_HTML)/html) \
		BROWSER_ARTIFACTS=$(abspath $(BUILD)/browser-artifacts) \
		BOOK_HTML_ZH=$(abspath $(TESTED_HTML)/html-zh_CN) \
		BOOK_DOWNLOADS="$(abspath $(wildcard $(BUILD)/latex/$(BOOK).pdf $(BUILD)/epub/$(BOOK).epub))" \
		AXE_JS=$(abspath $(AXE)) \
		$(BIN)/python -m pytest tests/browser
	@echo "Screenshots: $(BUILD)/browser-artifacts"

clean:
	rm -rf $(BUILD) .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -path './.unstable-root*' -prune -o -name __pycache__ -type d -not -path './.venv*' -prune \
		-exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) .venv-matrix
