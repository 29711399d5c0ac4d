"""A TCP echo server made of callbacks on a bare :mod:`selectors` selector: the reference point.

No tasks, no coroutines, no futures: the selector says a socket is ready, and a function reads from
it and writes back at once. It is about the least work per message a pure-Python server can do, so
the benchmark (:mod:`companion.bench.loop`) measures :mod:`companion.loop`'s echo server against it.
:func:`serve` runs until Ctrl-C (:exc:`KeyboardInterrupt`) and closes every socket on the way out.
"""

from __future__ import annotations

import selectors
import socket
from collections.abc import Callable

__all__ = ["serve"]

CHUNK = 65536  # bytes asked of each recv(), as in companion.loop.echo

Callback = Callable[[], None]


def serve(listener: socket.socket) -> None:
    """Echo on every connection accepted on the non-blocking *listener* until Ctrl-C."""
    selector = selectors.DefaultSelector()
    connections: set[socket.socket] = set()
    pending: dict[socket.socket, bytes] = {}  # what send() could not take yet

    def close(conn: socket.socket) -> None:
        selector.unregister(conn)
        connections.discard(conn)
        pending.pop(conn, None)
        conn.close()

    def accept() -> None:
        try:
            conn, _address = listener.accept()
        except (BlockingIOError, ConnectionAbortedError):
            return
        conn.setblocking(False)
        connections.add(conn)
        selector.register(conn, selectors.EVENT_READ, lambda: readable(conn))

    def readable(conn: socket.socket) -> None:
        try:
            data = conn.recv(CHUNK)
            if data:
                sent = conn.send(data)
        except BlockingIOError:
            return
        except ConnectionError:
            close(conn)
            return
        if not data:
            close(conn)
        elif sent < len(data):
            # The peer reads slower than it writes: stop reading until the rest has gone.
            pending[conn] = data[sent:]
            selector.modify(conn, selectors.EVENT_WRITE, lambda: writable(conn))

    def writable(conn: socket.socket) -> None:
        data = pending[conn]
        try:
            sent = conn.send(data)
        except BlockingIOError:
            return
        except ConnectionError:
            close(conn)
            return
        if sent < len(data):
            pending[conn] = data[sent:]
        else:
            del pending[conn]
            selector.modify(conn, selectors.EVENT_READ, lambda: readable(conn))

    selector.register(listener, selectors.EVENT_READ, accept)
    try:
        while True:
            for key, _events in selector.select():
                callback: Callback = key.data
                callback()
    finally:
        # Ctrl-C may have struck halfway through close(): trust only the selector's own map.
        for key in list(selector.get_map().values()):
            selector.unregister(key.fileobj)
        for conn in connections:
            conn.close()  # closing twice does no harm
        selector.close()
