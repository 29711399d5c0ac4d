"""A line server that stops cleanly, and a child process run with a deadline.

The chapter "Streams and subprocesses" builds these two pieces and reads them stage by stage.
Both keep one rule: whatever they open, they close before they return, on success, on failure
and on cancellation. A connection's transport is closed and its task awaited; a child process is
killed if it still runs and then reaped, so it leaves no zombie behind.

* :class:`LineServer` serves a line protocol on ``127.0.0.1``: each request line gets one reply
  line from an ``async`` handler. It runs each connection in a task of its own (not one asyncio
  makes out of reach), turns away connections beyond its limit with a ``busy`` line, and on
  exit stops accepting, drops the open connections and waits for every task and transport.
* :func:`run_child` runs a program with pipes, feeds it its input and collects its output with
  :meth:`asyncio.subprocess.Process.communicate` (which reads both pipes at once, so a child
  that fills one cannot block the other), and kills and reaps the child on timeout or
  cancellation.

>>> import asyncio, sys
>>> async def shout(line: str) -> str:
...     return line.upper()
>>> async def talk() -> list[bytes]:
...     async with LineServer(shout) as server:
...         reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
...         writer.write(b"hello\\nworld\\n")
...         replies = [await reader.readline(), await reader.readline()]
...         writer.close()
...         await writer.wait_closed()
...     return replies
>>> asyncio.run(talk())
[b'HELLO\\n', b'WORLD\\n']
>>> asyncio.run(run_child(sys.executable, "-c", "print(6 * 7)"))
ChildResult(returncode=0, stdout=b'42\\n', stderr=b'')

The module needs nothing the standard library lacks and runs the same on Python 3.11 to 3.15:
it does not use :meth:`asyncio.Server.close_clients` (3.13), and it does not count on
:meth:`asyncio.Server.wait_closed` waiting for the connections (it does from 3.12 on).
"""

from __future__ import annotations

import asyncio
import contextlib
from asyncio import StreamReader, StreamWriter, subprocess
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType

__all__ = ["BUSY", "ChildResult", "Handler", "LineServer", "run_child"]

Handler = Callable[[str], Awaitable[str]]
"""What a :class:`LineServer` calls for each request line (without its ``\\n``): the reply."""

BUSY = b"busy\n"
"""The line a :class:`LineServer` sends to a connection beyond its limit before closing it."""


class LineServer:
    """A line-protocol server on ``127.0.0.1``: one reply line per request line.

    *handler* is called with each request line, decoded as UTF-8 and without its ``\\n``,
    and the string it returns (once awaited) is sent back with a ``\\n``. If it raises an
    :exc:`Exception`, the reply is ``error:``, a space and the exception's class name, and the
    connection stays open. At most *max_connections* connections are served at once; another
    one gets :data:`BUSY` and is closed. A request line longer than *limit* bytes gets
    ``error: line too long`` and ends its connection (the stream would have to skip an
    unknown amount to find the next line).

    Use it as an asynchronous context manager: entering starts it on a port the system picks
    (:attr:`port`), leaving stops it (:meth:`aclose`).
    """

    def __init__(self, handler: Handler, *, max_connections: int = 100, limit: int = 2**16):
        if not callable(handler):
            raise TypeError(f"handler must be callable, not {type(handler).__name__}")
        if isinstance(max_connections, bool) or not isinstance(max_connections, int):
            raise TypeError(f"max_connections must be an int, not {type(max_connections).__name__}")
        if max_connections < 1:
            raise ValueError(f"max_connections must be at least 1, not {max_connections}")
        self._handler = handler
        self._max_connections = max_connections
        self._limit = limit
        self._server: asyncio.Server | None = None
        self._stopping = False
        # Every connection's task and writer, busy ones included: stopping waits for them all.
        self._connections: dict[asyncio.Task[None], StreamWriter] = {}
        # The writers whose task waits in wait_closed(): stopping must not cancel those tasks.
        self._closing: set[StreamWriter] = set()
        self.served = 0
        """How many connections have been served (not turned away) so far."""
        self.refused = 0
        """How many connections have been turned away with :data:`BUSY` so far."""

    @property
    def port(self) -> int:
        """The port the server listens on (on ``127.0.0.1``)."""
        if self._server is None:
            raise RuntimeError("the server is not started")
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @property
    def connections(self) -> int:
        """How many connections are open now (served or being turned away)."""
        return len(self._connections)

    async def __aenter__(self) -> LineServer:
        if self._server is not None or self._stopping:
            raise RuntimeError("a LineServer can be started only once")
        self._server = await asyncio.start_server(
            self._connected, "127.0.0.1", 0, limit=self._limit
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    # [streams-start:connected]
    def _connected(self, reader: StreamReader, writer: StreamWriter) -> None:
        # A plain function, not a coroutine: asyncio would run a coroutine in a task of
        # its own, which stopping could not find. This one starts and keeps the task.
        if self._stopping:  # accepted just before aclose() closed the listener: too late
            writer.transport.abort()
            return
        if len(self._connections) < self._max_connections:
            self.served += 1
            task = asyncio.create_task(self._serve(reader, writer))
        else:
            self.refused += 1
            task = asyncio.create_task(self._refuse(writer))
        self._connections[task] = writer
        task.add_done_callback(self._connections.pop)
        # [streams-end:connected]

    # [streams-start:serve]
    async def _serve(self, reader: StreamReader, writer: StreamWriter) -> None:
        try:
            while line := await reader.readline():  # b"" once the client closes its side
                if not line.endswith(b"\n"):
                    break  # the last line, cut short by the client's close: no request
                try:
                    reply = await self._handler(line[:-1].decode())
                except Exception as error:
                    reply = f"error: {type(error).__name__}"
                writer.write(reply.encode() + b"\n")
                await writer.drain()  # waits while the client is slow to read
        except ValueError:  # readline() found no "\n" within the limit
            writer.write(b"error: line too long\n")
        except ConnectionError:
            pass  # the client reset the connection, or aclose() aborted it
        finally:
            await self._close(writer)
        # [streams-end:serve]

    async def _refuse(self, writer: StreamWriter) -> None:
        writer.write(BUSY)
        await self._close(writer)

    async def _close(self, writer: StreamWriter) -> None:
        self._closing.add(writer)
        try:
            await _close(writer)
        finally:
            self._closing.discard(writer)

    # [streams-start:aclose]
    async def aclose(self) -> None:
        """Stop: accept no more connections, drop the open ones, wait until all close.

        A reply being written is dropped too: the transports are aborted, not closed,
        because a client that does not read would keep a closing transport open for
        ever. Calling it again does nothing.
        """
        if self._stopping:
            return
        self._stopping = True
        if self._server is None:
            return
        self._server.close()  # the listening socket only: connections stay open
        tasks = list(self._connections)
        for task, writer in self._connections.items():
            writer.transport.abort()  # readline() sees EOF, drain() fails, the task ends
            if writer not in self._closing:
                # A handler still computing a reply stops now. A task that waits in
                # wait_closed() is left alone: cancelling it would cancel the future that
                # wait_closed() shares with every caller, and none could wait any more.
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._server.wait_closed()  # from 3.12 it waits for the connections too
        # [streams-end:aclose]


async def _close(writer: StreamWriter) -> None:
    """Close *writer* and wait until its transport is closed."""
    # [streams-start:close]
    writer.close()  # sends what is buffered, then closes the socket
    with contextlib.suppress(ConnectionError):  # why the connection was lost, if it was
        await writer.wait_closed()
    # [streams-end:close]


@dataclass(frozen=True)
class ChildResult:
    """How a child process run by :func:`run_child` ended, and what it wrote."""

    returncode: int
    """Its exit status; ``-N`` if signal N ended it."""
    stdout: bytes
    """Everything it wrote to its standard output."""
    stderr: bytes
    """Everything it wrote to its standard error."""


# [streams-start:run-child]
async def run_child(
    program: str, *args: str, input: bytes | None = None, timeout: float | None = None
) -> ChildResult:
    """Run *program* with *args* and *input*; return how it ended and what it wrote.

    Its standard output and error are collected together by ``communicate()``, so the
    child never blocks on a full pipe. After *timeout* seconds (``None``: no limit)
    the child is killed and reaped, and :exc:`TimeoutError` is raised; if the caller
    is cancelled, the child is killed and reaped too, and the cancellation goes on.
    """
    process = await asyncio.create_subprocess_exec(
        program,
        *args,
        stdin=subprocess.DEVNULL if input is None else subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(timeout):
            stdout, stderr = await process.communicate(input)
    finally:
        if process.returncode is None:  # timed out, cancelled, or failed
            process.kill()
            await process.wait()  # reaps it: no zombie, and the transport closes
    assert process.returncode is not None  # communicate() waits for the child's end
    return ChildResult(process.returncode, stdout, stderr)
    # [streams-end:run-child]
