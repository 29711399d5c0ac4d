"""A small, real event loop built from generators and epoll (or :mod:`selectors`): async def code.

It is the loop the book builds in stages, finished: tasks in a ready queue, run first in, first
out; sleepers on a timer heap; socket waits in a selector; join, results and cancellation. Its
pieces, from the bottom up:

- :mod:`companion.loop.traps`: the only place in the loop with a ``yield`` (and the only
  :func:`types.coroutine`): how a task asks the kernel to park it;
- :mod:`companion.loop.task`: :class:`Task` and :exc:`TaskCancelled`;
- :mod:`companion.loop.kernel`: the scheduler, :class:`Kernel`, and :func:`run`, :func:`spawn`,
  :func:`current_task` and :func:`sleep`;
- :mod:`companion.loop.sockets`: non-blocking :func:`sock_accept`, :func:`sock_recv`,
  :func:`sock_sendall` and :func:`sock_connect`, and :func:`sock_close`;
- :mod:`companion.loop.echo`: a TCP echo server written on all of the above.

The first stages of the book's construction are standalone programs, which the loop itself does
not use: :mod:`companion.loop.stage1_roundrobin` (generators taking turns),
:mod:`companion.loop.stage2_sleeping` (a timer heap) and :mod:`companion.loop.stage3_selector`
(a selector). The later stages, tasks with join and results, then cancellation, are the package.

Everything above the traps is plain ``async def``:

>>> async def worker(name, steps, log):
...     for step in range(steps):
...         log.append(f"{name}{step}")
...         await sleep(0)
...     return name
>>> async def main():
...     log = []
...     tasks = [spawn(worker(name, 2, log)) for name in "abc"]
...     results = [await task.join() for task in tasks]
...     return results, log
>>> run(main())
(['a', 'b', 'c'], ['a0', 'b0', 'c0', 'a1', 'b1', 'c1'])
"""

from companion.loop.kernel import Census, Kernel, Watch, current_task, run, sleep, spawn
from companion.loop.sockets import (
    sock_accept,
    sock_close,
    sock_connect,
    sock_recv,
    sock_sendall,
)
from companion.loop.task import Task, TaskCancelled

__all__ = [
    "Census",
    "Kernel",
    "Task",
    "TaskCancelled",
    "Watch",
    "current_task",
    "run",
    "sleep",
    "sock_accept",
    "sock_close",
    "sock_connect",
    "sock_recv",
    "sock_sendall",
    "spawn",
]
