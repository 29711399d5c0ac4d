"""What the PDF and EPUB editions need beyond Sphinx's defaults, and the checks of what they are.

- :mod:`booktools.editions.latex`: the LaTeX side of the book's Sphinx extension.
- :mod:`booktools.editions.latexlog`: the PDF build's log check.
"""
