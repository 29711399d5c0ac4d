"""The figures drawn at build time from real runs and committed data.

- :mod:`booktools.figures.common`: style, files, cache keys and figure nodes they all share.
- :mod:`booktools.figures.timelines`: the ``{timeline}`` directive (traced task runs).
- :mod:`booktools.figures.benchdata`: reading a committed benchmark run (JSON), and the
  ``{benchtable}`` and ``{benchrun}`` directives (its tables, its machine and load averages).
- :mod:`booktools.figures.benchcharts`: the ``{benchchart}`` directive (charts of the same runs).
"""
