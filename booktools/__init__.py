"""The book's own machinery. Nothing here is part of :mod:`companion`, the reader-facing package.

Five wings, by what each needs at run time:

- :mod:`booktools.examples`: how the book's examples run (the shared contract, standard library
  only; the Sphinx side; the pytest side, which needs the ``test`` extra);
- :mod:`booktools.audits`: checks of the sources that no build makes (fences nothing runs,
  standard-library names not linked), run by tests;
- :mod:`booktools.figures`: figures drawn at build time (Sphinx and matplotlib);
- :mod:`booktools.editions`: what the PDF and the EPUB need, and their checks;
- :mod:`booktools.make`: interpreters, virtualenvs, the matrix, system packages and the build
  recipes, run by ``make`` before any virtualenv exists (standard library only).

A book build (:mod:`booktools.make.recipes`) never imports the ``test`` extra: ``conf.py`` loads
and the book builds where only the ``docs`` extra is installed, as on Read the Docs.
"""
