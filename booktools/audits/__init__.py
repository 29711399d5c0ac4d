"""Checks of the book's sources that no build makes: each is run by a test (test time: Sybil).

- :mod:`booktools.audits.fences`: find code in the book that no example runner executes.
- :mod:`booktools.audits.xrefs`: find standard-library names shown as plain code in prose.
- :mod:`booktools.audits.codewidth`: find code lines too long for the PDF's printed width.
"""
