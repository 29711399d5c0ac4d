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
- :mod:`companion.io_models`: five TCP echo servers, one per IO model (blocking, threads,
  polling, selectors, asyncio streams), each started and stopped cleanly.
- :mod:`companion.workers`: small jobs for processes, threads and coroutines, importable so that
  a process pool can run them.
- :mod:`companion.virtualtime`: asyncio with a virtual clock, so time-based examples run at once
  and print exact times.
- :mod:`companion.timeline`: traces of when each task ran and waited, from which the book draws
  its timeline figures; :mod:`companion.scenes`, the programs behind those figures.
- :mod:`companion.tasks`: :func:`asyncio.gather` and :func:`asyncio.as_completed`, rebuilt
  from tasks, futures and done-callbacks.
- :mod:`companion.aprotocols`: async iterables, async generators and async context managers for
  asyncio (Part III).
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
