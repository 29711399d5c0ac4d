# From yield to asyncio: build the book and run every check.
#
#   make html      build the HTML book into _build/html (the default target)
#   make test      every check: ruff, mypy --strict, pytest (companion tests and every book
#                  example), Sphinx's doctest builder, and a strict HTML build
#   make doctest   run the book's examples with Sphinx's doctest builder
#   make matrix    the book's examples and the companion tests under every Python >= 3.11 found
#   make bench     the benchmarks (loop, io, workers): prints their tables; takes several minutes
#   make livehtml  rebuild and reload the book in your browser as you edit (http://127.0.0.1:8000)
#   make clean     remove build output and caches; `make distclean` also removes the virtualenvs
#
# Optional, with system packages (Debian/Ubuntu; `make system-deps` installs them, as root or sudo):
#   make pdf           the PDF (XeLaTeX, latexmk), failing on missing glyphs and code off the page
#   make epub          the EPUB, checked by epubcheck: no error and no warning allowed
#   make dist          the HTML, the PDF and the EPUB together in _build/dist
#   make browser-test  the HTML in Debian's Chromium (Playwright): pages, links, search, copy
#                      buttons, phone width; screenshots in _build/browser-artifacts
#   make system-deps   apt-get install the packages these four need
#
# Every target first makes sure .venv exists and is current (booktools/venv.py): it is created with
# the newest Python >= 3.11 found, or with PYTHON=/path/to/python3, and reinstalled whenever
# pyproject.toml changes.

SHELL := /bin/bash
.DEFAULT_GOAL := html
.DELETE_ON_ERROR:

PYTHON ?=
VENV := .venv
BIN := $(VENV)/bin
BUILD := _build
BOOTSTRAP := $(or $(PYTHON),python3) -m booktools.venv --venv $(VENV) $(if $(PYTHON),--python "$(PYTHON)")
SPHINX := $(BIN)/sphinx-build -c . -n -W --keep-going -d $(BUILD)/doctrees

.PHONY: help venv html doctest test lint typecheck pytest matrix bench livehtml clean distclean \
	system-deps pdf epub dist browser-test needs-pdf needs-epub needs-browser-test

help:
	@sed -n '3,18p' Makefile | sed 's/^# \{0,1\}//'

venv:
	@$(BOOTSTRAP)

html: venv
	$(SPHINX) -b html book $(BUILD)/html
	@echo "The book is built: open file://$(abspath $(BUILD)/html/index.html)"

doctest: venv
	$(SPHINX) -b doctest book $(BUILD)/doctest

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy

pytest: venv
	$(BIN)/python -m pytest

# The HTML build in `make test` reads every page afresh (-E): an incremental build skips pages
# that did not change, and with them the warnings a previous failed build left unfixed.
test: lint typecheck pytest doctest
	$(SPHINX) -E -b html book $(BUILD)/html
	@echo "make test: every check passed"

matrix:
	$(or $(PYTHON),python3) -m booktools.matrix

bench: venv
	$(BIN)/python -m companion.bench loop
	$(BIN)/python -m companion.bench io
	$(BIN)/python -m companion.bench workers

livehtml: venv
	$(BIN)/sphinx-autobuild --host 127.0.0.1 --port 8000 --watch companion --watch booktools \
		-c . -n -b html book $(BUILD)/html

# -- Optional: PDF, EPUB, browser tests -----------------------------------------------------------
# Each target first checks for its system tools (booktools/systemdeps.py, standard library only)
# and, if one is missing, names the Debian packages to install and exits non-zero.

BOOK := from-yield-to-asyncio
SYSDEPS := $(or $(PYTHON),python3) -m booktools.systemdeps
EPUBCHECK := java -jar /usr/share/java/epubcheck.jar

system-deps:
	@packages="$$($(SYSDEPS) packages | tr '\n' ' ')"; \
	sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	echo "Installing: $$packages"; \
	$$sudo apt-get update -qq && \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$packages

needs-pdf needs-epub needs-browser-test:
	@$(SYSDEPS) check $(@:needs-%=%)

# latexmk runs XeLaTeX (and xindy for the index) as often as needed; max_print_line keeps each
# message of the log on one line for booktools.latexlog, which then fails the build on LaTeX
# errors, missing characters, code lines that run off the page and overfull boxes; then
# booktools.pdfcheck reads the PDF itself (no Type 3 font, every chapter in the contents, the
# parts, no "genindex").
# A failed run leaves latexmk's state behind, and with it "Nothing to do ... gave an error" on the
# next run: on failure, its generated files are removed (latexmk -C), so `make pdf` starts over.
# After a good run, latexmk's recorder file (.fls) lists every TeX file the run read: each must
# belong to a package that booktools/systemdeps.py lists or pulls in, or a fresh machine fails.
pdf: needs-pdf venv
	$(SPHINX) -b latex book $(BUILD)/latex
	max_print_line=10000 $(MAKE) -C $(BUILD)/latex all-pdf LATEXMKOPTS="-xelatex -silent" \
		LATEXOPTS="-interaction=nonstopmode -halt-on-error -file-line-error" \
		|| { $(BIN)/python -m booktools.latexlog $(BUILD)/latex/$(BOOK).log; \
		     (cd $(BUILD)/latex && latexmk -C -xelatex -silent $(BOOK).tex >/dev/null); exit 1; }
	$(BIN)/python -m booktools.latexlog $(BUILD)/latex/$(BOOK).log
	$(BIN)/python -m booktools.pdfcheck $(BUILD)/latex/$(BOOK).pdf
	$(SYSDEPS) tex-files $(BUILD)/latex/$(BOOK).fls
	@echo "The PDF is built: $(BUILD)/latex/$(BOOK).pdf ($$(pdfinfo $(BUILD)/latex/$(BOOK).pdf | sed -n 's/^Pages: *//p') pages)"

epub: needs-epub venv
	$(SPHINX) -b epub book $(BUILD)/epub
	$(EPUBCHECK) --failonwarnings $(BUILD)/epub/$(BOOK).epub
	@echo "The EPUB is built and epubcheck passes it: $(BUILD)/epub/$(BOOK).epub"

# The HTML that dist ships and browser-test checks is read afresh (-E): an incremental build of
# Sphinx 9.2 that re-reads no page writes a search index without the index entries, so searching
# for a term finds pages but no longer the sections the index points to.
HTML_FRESH = $(SPHINX) -E -b html book $(BUILD)/html

dist: needs-pdf needs-epub venv pdf epub
	$(HTML_FRESH)
	rm -rf $(BUILD)/dist
	mkdir -p $(BUILD)/dist
	cp -R $(BUILD)/html $(BUILD)/dist/html
	cp $(BUILD)/latex/$(BOOK).pdf $(BUILD)/epub/$(BOOK).epub $(BUILD)/dist/
	@echo "HTML, PDF and EPUB are in $(BUILD)/dist"

# tests/browser is left out of a plain pytest run (pyproject.toml: --ignore); naming it runs it.
browser-test: needs-browser-test venv
	$(HTML_FRESH)
	BOOK_HTML=$(abspath $(BUILD)/html) BROWSER_ARTIFACTS=$(abspath $(BUILD)/browser-artifacts) \
		$(BIN)/python -m pytest tests/browser
	@echo "Screenshots: $(BUILD)/browser-artifacts"

clean:
	rm -rf $(BUILD) .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -not -path './.venv*' -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) .venv-matrix
