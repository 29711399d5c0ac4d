"""Typed, tested companion code for the book *From yield to asyncio*.

Every piece of code the book prints lives here (or in a doctest in the chapter), so what you read is
what the tests run. One module per idea, named like the chapter that explains it:

- :mod:`companion.generators`: Part I's demos: ``yield`` and ``next()``, ``send()``, ``throw()``
  and ``close()``.
- :mod:`companion.pep380`: ``yield from`` written out by hand, following PEP 380.
- :mod:`companion.pep479`: code that PEP 479 broke, and its fixes.
- :mod:`companion.loop`: a small, real event loop built from generators and :mod:`selectors`
  (Part II).
- :mod:`companion.bench`: benchmarks that print figures (``python -m companion.bench loop``).
- :mod:`companion.virtualtime`: asyncio with a virtual clock, so time-based examples run at once
  and print exact times.
- :mod:`companion.aprotocols`: async iterables, async generators and async context managers for
  asyncio (Part III).
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
