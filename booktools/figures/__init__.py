"""The figures drawn at build time from real runs and committed data.

- :mod:`booktools.figures.common`: style, files, cache keys and figure nodes they all share.
- :mod:`booktools.figures.timelines`: the ``{timeline}`` directive (traced task runs).
- :mod:`booktools.figures.benchcharts`: the ``{benchchart}`` directive (committed benchmarks).
"""
