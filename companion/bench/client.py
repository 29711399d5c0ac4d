"""The load client of the echo benchmark: many connections, one message in flight on each.

Every server in :mod:`companion.bench.loop` faces this same client, in the benchmark's own process
(each server runs in a child process, so the two sides do not share an interpreter). It is a
single-threaded loop on a :mod:`selectors` selector: each connection sends a message, waits until
all of it has come back, counts one round trip, and sends the next. The figure is therefore
capped by the client's own speed too; the benchmark reports that cap (the fastest server it
measured) beside the servers' figures.
"""

from __future__ import annotations

import selectors
import socket
import time

__all__ = ["round_trips_per_second"]


def round_trips_per_second(
    port: int, connections: int, seconds: float, *, size: int = 64, warmup: float = 0.05
) -> float:
    """Ping-pong *size*-byte messages with the echo server on ``127.0.0.1:port``; return round
    trips per second over *connections* connections, counted for *seconds* after *warmup* seconds.
    """
    if connections < 1 or size < 1 or seconds <= 0:
        raise ValueError("connections and size must be >= 1, seconds > 0")
    message = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    selector = selectors.DefaultSelector()
    socks: list[socket.socket] = []
    try:
        for _ in range(connections):
            sock = socket.create_connection(("127.0.0.1", port))
            socks.append(sock)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ, [0])  # data: bytes still to come back
        for key in selector.get_map().values():
            key.data[0] = size
            # A 64-byte message always fits in an empty socket buffer: send() takes all of it.
            key.fileobj.send(message)  # type: ignore[union-attr]
        count = 0
        clock = time.perf_counter
        start = clock() + warmup
        counting = False
        end = start + seconds
        while True:
            now = clock()
            if not counting and now >= start:
                counting, count, start = True, 0, now
                end = start + seconds
            elif now >= end:
                break
            for key, _events in selector.select(0.5):
                sock = key.fileobj  # type: ignore[assignment]
                data = sock.recv(65536)
                if not data:
                    raise ConnectionError("the echo server closed the connection")
                missing: list[int] = key.data
                missing[0] -= len(data)
                if missing[0] <= 0:
                    count += 1
                    missing[0] = size
                    sock.send(message)
        return count / (clock() - start)
    finally:
        for sock in socks:
            if selector.get_map() is not None:
                selector.unregister(sock)
            sock.close()
        selector.close()
