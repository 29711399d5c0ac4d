"""Socket operations for :mod:`companion.loop` tasks: try the call, and wait only if it would block.

Each function mirrors the asyncio event loop method of the same name, such as
:meth:`asyncio.loop.sock_recv`. A non-blocking socket raises :exc:`BlockingIOError` instead of
waiting; when it does, the task waits at a trap (:func:`~companion.loop.traps.wait_readable`
or :func:`~companion.loop.traps.wait_writable`) until the kernel's selector says the socket is
ready, and tries again. Trying first costs nothing when the data is already there, and saves a
trip through the selector.

Do not close a socket that another task is waiting on: on Linux, epoll forgets a closed socket
without a word, and the waiting task would never wake. Cancel that task instead, and let it
close the socket on its way out.

The sockets must be non-blocking (``sock.setblocking(False)``): a blocking call would stop the
whole kernel, every task with it, so each function checks, and raises :exc:`ValueError` (the
error asyncio raises in debug mode). Addresses must already be resolved (``"127.0.0.1"``, not
``"localhost"``): resolving a name blocks too.
"""

from __future__ import annotations

import socket
from typing import Any

from companion.loop import traps

__all__ = ["sock_accept", "sock_connect", "sock_recv", "sock_sendall"]


def _check_nonblocking(sock: socket.socket) -> None:
    if sock.gettimeout() != 0:
        raise ValueError("the socket must be non-blocking")


async def sock_accept(sock: socket.socket) -> tuple[socket.socket, Any]:
    """Accept a connection on the listening *sock*; return the new socket and the peer's address.

    The new socket is non-blocking, ready for the other functions here.
    """
    _check_nonblocking(sock)
    while True:
        try:
            conn, address = sock.accept()
        except BlockingIOError:
            await traps.wait_readable(sock)  # a pending connection makes the socket readable
        else:
            conn.setblocking(False)
            return conn, address


async def sock_recv(sock: socket.socket, nbytes: int) -> bytes:
    """Receive up to *nbytes* bytes from *sock*; ``b""`` means the peer has closed its side."""
    _check_nonblocking(sock)
    while True:
        try:
            return sock.recv(nbytes)
        except BlockingIOError:
            await traps.wait_readable(sock)


async def sock_sendall(sock: socket.socket, data: bytes | bytearray | memoryview) -> None:
    """Send all of *data* on *sock*, waiting for room in the socket's buffer as often as needed.

    If the task is cancelled meanwhile, an unknown part of *data* has been sent; the
    connection is then only good for closing, as with :meth:`asyncio.loop.sock_sendall`.
    """
    _check_nonblocking(sock)
    view = memoryview(data).cast("B")  # offsets count bytes, whatever *data* holds
    while view:
        try:
            sent = sock.send(view)
        except BlockingIOError:
            sent = 0
        view = view[sent:]
        if view:
            await traps.wait_writable(sock)


async def sock_connect(sock: socket.socket, address: Any) -> None:
    """Connect *sock* to *address*; raise :exc:`OSError` (such as ConnectionRefusedError) if not.

    A non-blocking ``connect()`` starts the handshake and raises :exc:`BlockingIOError` at once;
    the socket becomes writable when the attempt has ended, one way or the other, and the
    ``SO_ERROR`` option tells which.
    """
    _check_nonblocking(sock)
    try:
        sock.connect(address)
    except (BlockingIOError, InterruptedError):
        await traps.wait_writable(sock)
        error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if error:
            # OSError(errno, ...) builds the matching subclass, such as ConnectionRefusedError.
            raise OSError(error, f"Connect call failed {address}") from None
