"""Benchmarks for the companion code: figures to read, never assertions to pass.

Run one with ``python -m companion.bench NAME``; ``--quick`` runs a small version in a few seconds,
``--repeat N`` sets how many repetitions each median is taken over, and ``--json PATH`` also
writes the run as data (:mod:`companion.bench.results`: every figure with its unit, the machine,
the load average at the start and at the end), which the book renders its tables from. They are:

- ``loop`` (:mod:`companion.bench.loop`): :mod:`companion.loop` against asyncio's default event
  loop and uvloop (when it is installed) on the same workloads: task switches, spawning,
  sleeping, and TCP echo round trips, with a bare generator trampoline as the ceiling.
- ``io`` (:mod:`companion.bench.io`): the five echo servers of :mod:`companion.io_models`
  (blocking, a thread per connection, busy polling, :mod:`selectors` callbacks, asyncio
  streams) at 1, 50 and 1,000 connections: round trips, CPU, memory and threads;
- ``workers`` (:mod:`companion.bench.workers`): processes, threads and asyncio tasks on
  CPU-bound jobs, on hand-offs between two of them, and on 10,000 waits at once (time and memory);
- ``convoy`` (:mod:`companion.bench.convoy`): the GIL convoy effect, a socket ping-pong between
  two threads, alone and beside a CPU-bound thread.

They share :mod:`companion.bench.harness`: servers in child processes, the one load client every
echo server faces, the command line, and the report, which :mod:`companion.bench.results` holds
as data and prints.
:mod:`companion.bench.servers` holds the echo servers of ``loop`` (the plain :mod:`selectors`
one, the reference, is :func:`companion.io_models.serve_selector`). The benchmarks import the
companion modules they measure; nothing in :mod:`companion` imports them.
"""

__all__: list[str] = []
