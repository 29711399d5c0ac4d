"""The echo servers of the benchmark, each run in a child process: ``python -m ... KIND``.

The child listens on ``127.0.0.1``, port 0, prints the port on a line of its own, and echoes
until it gets SIGINT (Ctrl-C), after which it closes everything and exits with status 0. *KIND* is
one of :data:`KINDS`; the uvloop ones need uvloop installed. Running each server in its own process
keeps it from sharing an interpreter, and a CPU, with the load client.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import signal
import socket
import sys
from collections.abc import Callable
from typing import cast

from companion.bench.harness import CHUNK
from companion.io_models import serve_selector
from companion.loop import run
from companion.loop.echo import EchoStats, listen, serve

__all__ = ["KINDS", "main", "new_uvloop"]


async def _stream_handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    except asyncio.CancelledError:
        # Cancelled at Ctrl-C, the server's exit. On Python 3.11, asyncio's streams then call
        # exception() on the cancelled handler task and log the error it raises; the server
        # is going away, so the handler ends quietly instead.
        pass
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError, asyncio.CancelledError):
            await writer.wait_closed()


async def _streams(listener: socket.socket) -> None:
    server = await asyncio.start_server(_stream_handler, sock=listener)
    async with server:
        await server.serve_forever()


class _EchoProtocol(asyncio.Protocol):
    """The least an asyncio server can do: write back in the data_received callback."""

    transport: asyncio.Transport

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without deriving from it.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.transport.write(data)


async def _protocol(listener: socket.socket) -> None:
    server = await asyncio.get_running_loop().create_server(_EchoProtocol, sock=listener)
    async with server:
        await server.serve_forever()


def new_uvloop() -> asyncio.AbstractEventLoop:
    """Return a new uvloop event loop; :exc:`ImportError` if uvloop is not installed."""
    factory: Callable[[], asyncio.AbstractEventLoop] = importlib.import_module(
        "uvloop"
    ).new_event_loop
    return factory()


def _serve(kind: str, listener: socket.socket) -> None:
    if kind == "companion":
        run(serve(listener, EchoStats()))
    elif kind == "selectors":
        serve_selector(listener)
    else:
        factory = new_uvloop if kind.startswith("uvloop") else None
        body = _protocol if kind.endswith("protocol") else _streams
        with asyncio.Runner(loop_factory=factory) as runner:
            runner.run(body(listener))


KINDS = (
    "companion",
    "asyncio-streams",
    "selectors",
    "asyncio-protocol",
    "uvloop-streams",
    "uvloop-protocol",
)
"""The servers: companion.loop's echo, asyncio streams, plain selectors callbacks, and asyncio
Protocols (the fastest asyncio can be), on asyncio's default loop or on uvloop."""


def main(argv: list[str]) -> int:
    """Serve the echo server *argv[0]* until SIGINT; return the exit status."""
    if len(argv) != 1 or argv[0] not in KINDS:
        print(f"usage: python -m companion.bench.servers {{{','.join(KINDS)}}}", file=sys.stderr)
        return 2
    # A process started from a shell's background job inherits SIGINT ignored, and Python then
    # leaves it ignored: the harness could not stop the server. SIGINT is how it stops.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with listen() as listener:
        print(listener.getsockname()[1], flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            _serve(argv[0], listener)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
