"""The make-side tools: interpreters, virtualenvs, the matrix, system packages, build recipes.

- :mod:`booktools.make.pythons`: the CPython interpreters on this machine (3.11 and newer).
- :mod:`booktools.make.venv`: create or refresh a virtualenv with the book's tools.
- :mod:`booktools.make.matrix`: the examples and tests under every Python found.
- :mod:`booktools.make.systemdeps`: the Debian packages behind the PDF, EPUB and browser tests.
- :mod:`booktools.make.recipes`: every build command (Sphinx, latexmk, epubcheck), spelled once.

Everything here but the builds themselves runs before any virtualenv exists: standard library
only.
"""
