"""Socket operations for :mod:`companion.loop` tasks: try the call, and wait only if it would block.

Each function mirrors the asyncio event loop method of the same name, such as
:meth:`asyncio.loop.sock_recv`. A non-blocking socket raises :exc:`BlockingIOError` instead of
waiting; when it does, the task waits at a trap (:func:`~companion.loop.traps.wait_readable`
or :func:`~companion.loop.traps.wait_writable`) until the kernel's poller says the socket is
ready, and tries again. Trying first costs nothing when the data is already there, and saves a
trip through the poller.

Two refinements make the calls cheap and fair:

- **No call that is bound to fail.** When the last ``recv()`` on a socket returned less than it
  asked for, it emptied the socket's buffer, and in a conversation (a request, its reply, the
  next request) the next ``recv()`` would fail with :exc:`BlockingIOError` about half the
  time: :func:`~companion.loop.sock_recv` then waits for the socket to be readable first. The
  kernel keeps that note on the socket's :class:`~companion.loop.Watch`, which this module
  reads and writes; and the wait itself is the watch's own trap, made once
  (:class:`~companion.loop.traps.Yield`): a wait makes no generator, and the kernel looks
  nothing up.
- **No task hogs the kernel.** A task whose calls always succeed at once (its peer floods it, or
  reads everything it sends) would never reach a trap, and no other task would run. So the
  functions here count the calls, in any task, that go ahead without waiting; the count starts
  again whenever a task waits on a socket, and every ``MAX_STREAK``-th call lets every other
  ready task run once (as ``sleep(0)`` does) before it goes on.

Close a socket that other tasks may be waiting on with :func:`~companion.loop.sock_close`: it
wakes them with :exc:`OSError` (``EBADF``) and takes the socket out of the kernel's poller. A
plain ``close()`` cannot tell the kernel: on Linux, epoll forgets a closed socket without a word,
and its waiters never wake (as in asyncio), until the descriptor number comes back with a new
socket.

The sockets must be non-blocking (``sock.setblocking(False)``): a blocking call would stop the
whole kernel, every task with it, so each function checks, and raises :exc:`ValueError` (the
error asyncio raises in debug mode). Addresses must already be resolved (``"127.0.0.1"``, not
``"localhost"``): resolving a name blocks too.
"""

from __future__ import annotations

import socket
from typing import Any

from companion.loop import traps
from companion.loop.kernel import Kernel, _running

__all__ = ["MAX_STREAK", "sock_accept", "sock_close", "sock_connect", "sock_recv", "sock_sendall"]

# Every MAX_STREAK-th socket call in a row that goes ahead without waiting (in any task; a wait on
# a socket starts the count again) lets the other tasks run first: a few dozen microseconds of
# work at most between two turns of theirs.
MAX_STREAK = 16


# (sock_recv() and sock_sendall() make these checks themselves, in line: they are the busiest
# functions of a server, and a function call costs as much as the checks.)
_NOT_NONBLOCKING = "the socket must be non-blocking"
_NOT_RUNNING = "{}() needs a running companion.loop loop; start one with run()"


def _kernel(sock: socket.socket, name: str) -> Kernel:
    """The running kernel, once *sock* has been checked; what the functions here start with."""
    if sock.gettimeout() != 0:
        raise ValueError(_NOT_NONBLOCKING)
    kernel = _running.kernel
    if kernel is None:
        raise RuntimeError(_NOT_RUNNING.format(name))
    return kernel


async def _took_turn(kernel: Kernel) -> None:
    """Count a call that went ahead without waiting; every MAX_STREAK-th lets the others run."""
    kernel._io_streak += 1
    if kernel._io_streak >= MAX_STREAK:
        kernel._io_streak = 0
        await traps.schedule()


async def sock_accept(sock: socket.socket) -> tuple[socket.socket, Any]:
    """Accept a connection on the listening *sock*; return the new socket and the peer's address.

    The new socket is non-blocking, ready for the other functions here.
    """
    kernel = _kernel(sock, "sock_accept")
    while True:
        try:
            conn, address = sock.accept()
        except BlockingIOError:
            await traps.wait_readable(sock)  # a pending connection makes the socket readable
        else:
            conn.setblocking(False)
            await _took_turn(kernel)
            return conn, address


async def sock_recv(sock: socket.socket, nbytes: int) -> bytes:
    """Receive up to *nbytes* bytes from *sock*; ``b""`` means the peer has closed its side."""
    if sock.gettimeout() != 0:
        raise ValueError(_NOT_NONBLOCKING)
    kernel = _running.kernel
    if kernel is None:
        raise RuntimeError(_NOT_RUNNING.format("sock_recv"))
    watch = kernel._watches.get(sock.fileno())
    if watch is not None and watch.sock is sock:
        # A socket the kernel watches: its waits take the watch's own trap. (If the kernel
        # forgets the watch meanwhile, a wait on it has the kernel look the socket up afresh.)
        if watch.drained:
            await watch.wait_read  # the last recv() emptied the buffer: don't try first
        else:
            kernel._io_streak += 1
            if kernel._io_streak >= MAX_STREAK:
                kernel._io_streak = 0
                await traps.schedule()
        while True:
            try:
                data = sock.recv(nbytes)
                break
            except BlockingIOError:
                await watch.wait_read
        watch.drained = len(data) < nbytes
        return data
    kernel._io_streak += 1
    if kernel._io_streak >= MAX_STREAK:
        kernel._io_streak = 0
        await traps.schedule()
    while True:
        try:
            data = sock.recv(nbytes)
            break
        except BlockingIOError:
            await traps.wait_readable(sock)
    if len(data) < nbytes:  # the socket has a watch now if this task waited
        watch = kernel._watches.get(sock.fileno())
        if watch is not None and watch.sock is sock:
            watch.drained = True
    return data


async def sock_sendall(sock: socket.socket, data: bytes | bytearray | memoryview) -> None:
    """Send all of *data* on *sock*, waiting for room in the socket's buffer as often as needed.

    If the task is cancelled meanwhile, an unknown part of *data* has been sent; the
    connection is then only good for closing, as with :meth:`asyncio.loop.sock_sendall`.
    """
    if sock.gettimeout() != 0:
        raise ValueError(_NOT_NONBLOCKING)
    kernel = _running.kernel
    if kernel is None:
        raise RuntimeError(_NOT_RUNNING.format("sock_sendall"))
    if type(data) is not bytes:
        data = memoryview(data).cast("B")  # offsets count bytes, whatever *data* holds
    try:
        sent = sock.send(data)
    except BlockingIOError:
        sent = 0
    if sent < len(data):  # the rest waits for room (rare: most sends take all at once)
        view = memoryview(data)[sent:]
        while view:
            await traps.wait_writable(sock)
            try:
                sent = sock.send(view)
            except BlockingIOError:
                sent = 0
            view = view[sent:]
    kernel._io_streak += 1
    if kernel._io_streak >= MAX_STREAK:
        kernel._io_streak = 0
        await traps.schedule()


async def sock_connect(sock: socket.socket, address: Any) -> None:
    """Connect *sock* to *address*; raise :exc:`OSError` (such as ConnectionRefusedError) if not.

    A non-blocking ``connect()`` starts the handshake and raises :exc:`BlockingIOError` at once;
    the socket becomes writable when the attempt has ended, one way or the other, and the
    ``SO_ERROR`` option tells which.
    """
    _kernel(sock, "sock_connect")
    try:
        sock.connect(address)
    except (BlockingIOError, InterruptedError):
        await traps.wait_writable(sock)
        error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if error:
            # OSError(errno, ...) builds the matching subclass, such as ConnectionRefusedError.
            raise OSError(error, f"Connect call failed {address}") from None


def sock_close(sock: socket.socket) -> None:
    """Close *sock*, first waking every task waiting on it with :exc:`OSError` (``EBADF``).

    The kernel also stops watching the socket, so that its descriptor number, which the system
    soon gives to another socket, carries nothing over. Unlike the other functions here, this
    is a plain function: closing never waits. Outside a running loop it just closes *sock*.
    Trio's ``notify_closing()`` is the model; asyncio has no counterpart.
    """
    kernel = _running.kernel
    if kernel is not None:
        kernel.forget_socket(sock)
    sock.close()
