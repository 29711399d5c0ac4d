"""A TCP echo server written on :mod:`companion.loop`: one task per connection.

:func:`serve` accepts connections on a listening socket and spawns an :func:`echo` task for each,
which sends back whatever it receives until the client closes its side. A client that vanishes
mid-conversation (its connection reset, or closed while data was on the way) ends its own
task and no other: the server counts it in :class:`EchoStats` and carries on. Running out of
file descriptors or memory does not stop it either: it logs the error, waits a moment, and
accepts again (as asyncio's servers do).

Run it with ``python -m companion.loop.echo``: it listens on ``127.0.0.1``, on a port the
system picks, and prints the port; Ctrl-C stops it, and :func:`~companion.loop.run` cancels the
connection tasks and closes their sockets on the way out.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import socket
from dataclasses import dataclass

from companion.loop.kernel import run, sleep, spawn
from companion.loop.sockets import sock_accept, sock_recv, sock_sendall
from companion.loop.task import Task

__all__ = ["EchoStats", "echo", "listen", "main", "serve"]

CHUNK = 65536  # bytes asked of each recv(): as much as a loopback socket hands over at once

# accept() errors that say the process or the system is out of something (descriptors, buffers,
# memory) for now: the connection stays in the backlog, so trying again at once would fail
# again, in a busy loop. asyncio waits a second too (asyncio.constants.ACCEPT_RETRY_DELAY).
EXHAUSTED = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
ACCEPT_RETRY_DELAY = 1.0  # seconds

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class EchoStats:
    """What an echo server has done so far; :func:`serve` updates it as it goes."""

    accepted: int = 0  # connections accepted
    finished: int = 0  # connections the client ended by closing its side
    dropped: int = 0  # connections that ended with a ConnectionError (reset, broken pipe)


def listen(host: str = "127.0.0.1", port: int = 0, *, backlog: int = 128) -> socket.socket:
    """Return a non-blocking TCP socket listening on *host* and *port* (0: any free port)."""
    listener = socket.create_server((host, port), backlog=backlog)
    listener.setblocking(False)
    return listener


async def echo(conn: socket.socket, stats: EchoStats) -> None:
    """Send back all that *conn* receives until the client closes it; then close *conn*."""
    with conn:  # closed however the task ends: EOF, a dropped client, or cancellation
        try:
            while data := await sock_recv(conn, CHUNK):
                await sock_sendall(conn, data)
        except ConnectionError:
            stats.dropped += 1  # the client went away; nothing left to send back to
        else:
            stats.finished += 1


async def serve(
    listener: socket.socket, stats: EchoStats, *, connections: int | None = None
) -> None:
    """Accept connections on *listener*, each served by its own :func:`echo` task.

    With *connections*, stop accepting after that many and return once all of their tasks
    have finished; without it, serve until cancelled. *stats* is updated throughout, so that
    it says what happened even if the server is stopped by an exception.

    When ``accept()`` fails because the process or the system has run out of file descriptors,
    buffers or memory (:data:`~errno.EMFILE`, :data:`~errno.ENFILE`, :data:`~errno.ENOBUFS`,
    :data:`~errno.ENOMEM`), the server logs the error, stops accepting for
    ``ACCEPT_RETRY_DELAY`` seconds, and tries again, while the connections it serves go on.
    """
    handlers: list[Task[None]] = []
    while connections is None or stats.accepted < connections:
        try:
            conn, _address = await sock_accept(listener)
        except ConnectionAbortedError:
            continue  # reset while it waited in the backlog: nothing to serve
        except OSError as error:
            if error.errno not in EXHAUSTED:
                raise
            logger.error(
                "echo server: accept() failed (%s); retrying in %s s",
                error,
                ACCEPT_RETRY_DELAY,
            )
            await sleep(ACCEPT_RETRY_DELAY)
            continue
        stats.accepted += 1
        handler = spawn(echo(conn, stats))
        if connections is not None:
            handlers.append(handler)  # joined below; a server that runs for ever keeps none
    for handler in handlers:
        await handler.join()


def main() -> None:
    """Run an echo server on ``127.0.0.1`` until Ctrl-C, printing its port first."""
    stats = EchoStats()
    with listen() as listener:
        host, port = listener.getsockname()[:2]
        print(f"echo server listening on {host}:{port}; Ctrl-C stops it", flush=True)
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how it stops
            run(serve(listener, stats))
    print(f"stopped; connections accepted: {stats.accepted}", flush=True)


if __name__ == "__main__":
    main()
