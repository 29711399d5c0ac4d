# From yield to asyncio: build the book and run every check.
#
#   make html      build the HTML book into _build/html (the default target)
#   make test      every check: ruff, mypy --strict, pytest (companion tests and every book
#                  example), Sphinx's doctest builder, and a strict HTML build
#   make doctest   run the book's examples with Sphinx's doctest builder
#   make matrix    the book's examples and the companion tests under every Python >= 3.11 found
#   make bench     the benchmarks: companion.loop against asyncio and uvloop (prints figures)
#   make livehtml  rebuild and reload the book in your browser as you edit (http://127.0.0.1:8000)
#   make clean     remove build output and caches; `make distclean` also removes the virtualenvs
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

.PHONY: help venv html doctest test lint typecheck pytest matrix bench livehtml clean distclean

help:
	@sed -n '3,14p' Makefile | sed 's/^# \{0,1\}//'

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

livehtml: venv
	$(BIN)/sphinx-autobuild --host 127.0.0.1 --port 8000 --watch companion --watch booktools \
		-c . -n -b html book $(BUILD)/html

clean:
	rm -rf $(BUILD) .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -not -path './.venv*' -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) .venv-matrix
