"""What the HTML, PDF and EPUB editions need beyond Sphinx's defaults, and the checks of them.

- :mod:`booktools.editions.colophon`: the edition's version, date, licence and source address,
  each read from the one place it is kept (standard library only).
- :mod:`booktools.editions.html`: the HTML's front door (source and download links), search
  results by section, and accessibility fixes.
- :mod:`booktools.editions.latex`: the LaTeX side of the book's Sphinx extension.
- :mod:`booktools.editions.latexlog`: the PDF build's log check.
- :mod:`booktools.editions.words`: the words directives draw or fill in (figures, run headers,
  the console), extracted and translated like the page's text.
"""
