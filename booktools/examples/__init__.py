"""The book's examples: how they run, and under which rules.

- :mod:`booktools.examples.contract`: the rules both runners share (flags, namespace, version
  guards); standard library only, read by ``conf.py``.
- :mod:`booktools.examples.hygiene`: fail an example that leaks a coroutine, a task or a loop.
- :mod:`booktools.examples.sphinxext`: Sphinx's doctest builder, reporting skipped examples.
- :mod:`booktools.examples.runner`: the same examples under pytest, through Sybil (test time).
"""
