"""Benchmarks for the companion code: figures to read, never assertions to pass.

Run one with ``python -m companion.bench NAME``; ``--quick`` runs a small version in a few seconds,
``--repeat N`` sets how many repetitions each median is taken over. They are:

- ``loop`` (:mod:`companion.bench.loop`): :mod:`companion.loop` against asyncio's default event
  loop and uvloop (when it is installed) on the same workloads: task switches, spawning,
  sleeping, and TCP echo round trips, with a bare generator trampoline as the ceiling.
- ``workers`` (:mod:`companion.bench.workers`): processes, threads and asyncio tasks on
  CPU-bound jobs, on hand-offs between two of them, and on 10,000 waits at once (time and memory).

Its helpers: :mod:`companion.bench.servers` (the echo servers, each run in a child process),
:mod:`companion.bench.selecho` (a callback echo server on plain :mod:`selectors`, the reference)
and :mod:`companion.bench.client` (the one load client every server faces).
"""

__all__: list[str] = []
