"""The book's own machinery: how examples run, how the build is set up, which Pythons we test.

Nothing here is part of :mod:`companion`, the reader-facing package. Modules:

- :mod:`booktools.hygiene`: fail an example that leaks a coroutine, a task or an event loop.
- :mod:`booktools.examples`: run the book's MyST examples under pytest, as Sphinx's doctest
  builder does.
- :mod:`booktools.fences`: find code in the book that no runner executes.
- :mod:`booktools.sphinxext`: the Sphinx side (skipped examples reported with their reason).
- :mod:`booktools.pythons`, :mod:`booktools.venv`, :mod:`booktools.matrix`: interpreters and
  virtualenvs for ``make``.
- :mod:`booktools.htmledition`: the HTML edition's own needs (links to the source and to the
  PDF and EPUB downloads, search results by section, accessibility fixes);
  :mod:`booktools.colophon`: the edition's version, date, licence and source, read from where
  each is kept.
- :mod:`booktools.editions`: the PDF's and the EPUB's own needs (the errata boxes in LaTeX, SVG
  images that epubcheck accepts); :mod:`booktools.latexlog`: the PDF build's log check;
  :mod:`booktools.systemdeps`: the system packages of ``make pdf``, ``epub``, ``browser-test``.

The modules that ``make`` runs before any virtualenv exists (``pythons``, ``venv``, ``matrix``,
``systemdeps``) use the standard library only.
"""
