"""Five TCP echo servers, one per IO model: the code of the chapter on IO models.

Each server is a function ``server(listener, stop)``. It echoes on every connection it accepts
from *listener*, a TCP socket already listening, until *stop* (a :class:`Stop`) is set; then it
closes the listener and every connection it opened, and returns. The five differ only in how
they wait for the network:

- :func:`blocking`: blocking calls, one client at a time;
- :func:`threaded`: the same blocking calls, in a thread per connection;
- :func:`polling`: non-blocking sockets, asked again and again in a busy loop;
- :func:`selector_loop`: callbacks run when a :mod:`selectors` selector says a socket is ready
  (:func:`serve_selector`, which the benchmarks also use as their reference point);
- :func:`streams`: asyncio streams, a coroutine per connection.

:func:`serving` runs any of them in a thread, on ``127.0.0.1``, port 0, as a context manager
that gives the address to connect to and, on exit, stops the server and waits for it:

>>> import socket
>>> with serving("threaded") as address, socket.create_connection(address) as client:
...     client.sendall(b"ping")
...     client.recv(4)
b'ping'

``python -m companion.io_models NAME`` runs one in a process of its own, prints its port, and
serves until SIGINT (Ctrl-C): that is how the benchmarks measure them. This module uses nothing
but the standard library; the benchmarks import it, never the other way round.
"""

from __future__ import annotations

import asyncio
import contextlib
import selectors
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator

__all__ = [
    "SERVERS",
    "Server",
    "Stop",
    "blocking",
    "echo_blocking",
    "main",
    "polling",
    "selector_loop",
    "serve_selector",
    "serve_streams",
    "serving",
    "streams",
    "threaded",
]

CHUNK = 65536  # bytes asked of each recv()


class Stop:
    """The signal that tells a server to stop, set from another thread.

    Setting it shuts down (:meth:`socket.socket.shutdown`) every socket a server is
    :meth:`watching`: that wakes a thread blocked in ``accept()``, ``recv()`` or ``send()`` on
    it, which plain flags cannot do. It also calls the callbacks registered with
    :meth:`calling`, which is how an event loop in another thread hears of it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._set = False
        self._watched: set[socket.socket] = set()
        self._callbacks: list[Callable[[], object]] = []

    def is_set(self) -> bool:
        """Return True once :meth:`set` has been called."""
        return self._set

    def set(self) -> None:
        """Tell the server to stop: wake what it blocks on; calling it again does nothing."""
        with self._lock:  # held throughout, so nothing is woken after it has been unwatched
            if self._set:
                return
            self._set = True
            for sock in self._watched:
                _shut_down(sock)
            for callback in self._callbacks:
                callback()

    @contextlib.contextmanager
    def watching(self, sock: socket.socket) -> Iterator[socket.socket]:
        """Shut *sock* down if the server is told to stop while inside; close it on the way out."""
        with sock:
            with self._lock:
                self._watched.add(sock)
                if self._set:
                    _shut_down(sock)
            try:
                yield sock
            finally:
                with self._lock:
                    self._watched.discard(sock)

    @contextlib.contextmanager
    def calling(self, callback: Callable[[], object]) -> Iterator[None]:
        """Call *callback* (from the thread that sets this) if it is set while inside."""
        with self._lock:
            if self._set:
                callback()
            else:
                self._callbacks.append(callback)
        try:
            yield
        finally:
            with self._lock, contextlib.suppress(ValueError):
                self._callbacks.remove(callback)


def _shut_down(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # not connected yet, or already reset by the peer
        sock.shutdown(socket.SHUT_RDWR)


# [io_models-start:blocking]
def echo_blocking(conn: socket.socket) -> None:
    """Send back what arrives on the blocking socket *conn* until the client closes it."""
    try:
        while data := conn.recv(CHUNK):  # blocks until data arrives, or EOF (b"")
            conn.sendall(data)  # blocks until the kernel has taken all of it
    except OSError:
        pass  # the client reset the connection, or Stop shut it down


def blocking(listener: socket.socket, stop: Stop) -> None:
    """Serve one client at a time: the next one waits in the backlog until this one leaves."""
    with stop.watching(listener):
        while True:
            try:
                conn, _address = listener.accept()  # blocks until a client connects
            except ConnectionAbortedError:
                continue  # the client gave up while it waited in the backlog
            except OSError:
                if stop.is_set():
                    return
                raise
            with stop.watching(conn):
                echo_blocking(conn)
    # [io_models-end:blocking]


# [io_models-start:threaded]
def threaded(listener: socket.socket, stop: Stop) -> None:
    """Serve each client in a thread of its own, with :func:`blocking`'s blocking calls."""

    def serve_one(conn: socket.socket) -> None:
        with stop.watching(conn):
            echo_blocking(conn)

    threads: list[threading.Thread] = []
    with stop.watching(listener):
        try:
            while True:
                try:
                    conn, _address = listener.accept()
                except ConnectionAbortedError:
                    continue
                except OSError:
                    if stop.is_set():
                        return
                    raise
                thread = threading.Thread(target=serve_one, args=(conn,))
                try:
                    thread.start()
                except RuntimeError:  # "can't start new thread": the OS refused
                    conn.close()
                    raise
                threads = [t for t in threads if t.is_alive()]
                threads.append(thread)
        finally:
            for thread in threads:
                thread.join()
    # [io_models-end:threaded]


# [io_models-start:polling]
def polling(listener: socket.socket, stop: Stop) -> None:
    """Serve every client from one thread, asking each non-blocking socket over and over."""
    listener.setblocking(False)
    unsent: dict[socket.socket, bytes] = {}  # each connection, with the echo it still owes
    with listener:
        try:
            while not stop.is_set():
                try:
                    conn, _address = listener.accept()
                    conn.setblocking(False)
                    unsent[conn] = b""
                except (BlockingIOError, ConnectionAbortedError):
                    pass  # EAGAIN: nobody is waiting to connect (or one gave up waiting)
                for conn, data in list(unsent.items()):
                    try:
                        if not data:
                            data = conn.recv(CHUNK)
                            if not data:  # EOF: the client closed its side, and so do we
                                del unsent[conn]
                                conn.close()
                                continue
                        data = data[conn.send(data) :]
                    except BlockingIOError:
                        pass  # EAGAIN: nothing to read, or no room to send; ask again later
                    except OSError:  # reset by the client, or a broken pipe: drop it
                        del unsent[conn]
                        conn.close()
                        continue
                    unsent[conn] = data
        finally:
            for conn in unsent:
                conn.close()
    # [io_models-end:polling]


# [io_models-start:serve_selector]
def serve_selector(listener: socket.socket) -> None:
    """Echo on every connection accepted on the non-blocking *listener*, with callbacks.

    No tasks, no coroutines, no futures: the selector says a socket is ready, and a function
    reads from it and writes back at once. Each socket is registered once, with the function
    to call, and stays registered until its connection ends. It serves until an exception
    stops it (Ctrl-C, say), then closes every connection it accepted, but not the listener.
    """
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
        except BlockingIOError:
            return
        except ConnectionError:
            close(conn)
            return
        if not data:
            close(conn)
            return
        try:
            sent = conn.send(data)
        except BlockingIOError:
            sent = 0  # no room at all: all of data is still ours to send
        except ConnectionError:
            close(conn)
            return
        if sent < len(data):
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
                callback: Callable[[], None] = key.data
                callback()
    finally:
        # Ctrl-C may have struck halfway through close(): trust only the selector's own map.
        for key in list(selector.get_map().values()):
            selector.unregister(key.fileobj)
        for conn in connections:
            conn.close()  # closing twice does no harm
        selector.close()
        # [io_models-end:serve_selector]


# [io_models-start:selectors]
def selector_loop(listener: socket.socket, stop: Stop) -> None:
    """Serve every client from one thread, with callbacks run when a selector says so.

    This is :func:`serve_selector`, which serves until an exception stops it: Stop shuts the
    listener down, so its next ``accept()`` raises :exc:`OSError`.
    """
    with stop.watching(listener):
        listener.setblocking(False)
        try:
            serve_selector(listener)
        except OSError:
            if not stop.is_set():
                raise
    # [io_models-end:selectors]


# [io_models-start:streams]
async def serve_streams(listener: socket.socket, stopped: asyncio.Future[None]) -> None:
    """Serve every client with asyncio streams, a task per connection, until *stopped*."""
    handlers: dict[asyncio.Task[None], asyncio.StreamWriter] = {}

    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(CHUNK):
                writer.write(data)
                await writer.drain()  # waits while the client is slow to read
        except ConnectionError:
            pass  # the client reset the connection
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if stopped.done():  # accepted just before server.close(), set up just after: too late
            writer.transport.abort()
            return
        # Our own task, not asyncio's: so that stopping can find it and wait for it.
        task = asyncio.create_task(echo(reader, writer))
        handlers[task] = writer
        task.add_done_callback(handlers.pop)

    server = await asyncio.start_server(connected, sock=listener)
    try:
        await stopped
    finally:
        server.close()  # stop accepting; the connections stay open
        tasks = list(handlers)
        for writer in handlers.values():
            # The handler reads EOF and ends, even if it is blocked in drain().
            writer.transport.abort()
        await asyncio.gather(*tasks)
        await server.wait_closed()
    # [io_models-end:streams]


def streams(listener: socket.socket, stop: Stop) -> None:
    """Run :func:`serve_streams` in an asyncio event loop of its own until *stop* is set."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        stopped: asyncio.Future[None] = loop.create_future()
        with stop.calling(lambda: loop.call_soon_threadsafe(stopped.set_result, None)):
            await serve_streams(listener, stopped)

    with listener:
        asyncio.run(main())


Server = Callable[[socket.socket, Stop], None]
"""What a server is: a function of a listening socket and a :class:`Stop`."""

SERVERS: dict[str, Server] = {
    "blocking": blocking,
    "threaded": threaded,
    "polling": polling,
    "selectors": selector_loop,
    "asyncio": streams,
}
"""The five servers by name, in the order the chapter shows them."""


@contextlib.contextmanager
def serving(
    server: str | Server,
    *,
    backlog: int = 1024,
    timeout: float = 10.0,
    send_buffer: int | None = None,
) -> Iterator[tuple[str, int]]:
    """Run *server* (a function or a name in :data:`SERVERS`) in a thread; yield its address.

    It listens on ``127.0.0.1``, on a port the system picks, with room for *backlog* clients
    waiting to be accepted. With *send_buffer*, the listener's send buffer (``SO_SNDBUF``) is
    set to that many bytes, and so is that of every connection it accepts (on Linux they
    inherit it): a small one makes the server's ``send()`` run out of room early. On exit the
    server is told to stop and joined; what it raised is raised here, and :exc:`RuntimeError`
    if it has not finished after *timeout* seconds.
    """
    if isinstance(server, str):
        if server not in SERVERS:
            raise ValueError(f"unknown server {server!r}; expected one of {', '.join(SERVERS)}")
        server = SERVERS[server]
    if not callable(server):
        raise TypeError(f"server must be a name or a callable, not {type(server).__name__}")
    run = server
    errors: list[BaseException] = []
    stop = Stop()
    listener = socket.create_server(("127.0.0.1", 0), backlog=backlog)
    if send_buffer is not None:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)

    def target() -> None:
        try:
            run(listener, stop)
        except BaseException as error:  # re-raised in the thread that stops the server
            errors.append(error)

    address: tuple[str, int] = listener.getsockname()[:2]
    with listener:  # the server closes it too; closing twice does no harm
        thread = threading.Thread(target=target, name=f"io_models.{run.__name__}")
        thread.start()
        try:
            yield address
        finally:
            stop.set()
            thread.join(timeout)
    if thread.is_alive():
        raise RuntimeError(f"server {run.__name__} did not stop within {timeout} s")
    if errors:
        raise errors[0]


def main(argv: list[str]) -> int:
    """Serve the server named *argv[0]*, printing its port, until SIGINT; return the status."""
    if len(argv) != 1 or argv[0] not in SERVERS:
        print(f"usage: python -m companion.io_models {{{','.join(SERVERS)}}}", file=sys.stderr)
        return 2
    # SIGINT is blocked in every thread (the server's inherit the mask) and taken with sigwait():
    # a signal handler would run only in the main thread, whichever thread the kernel woke.
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        with serving(argv[0]) as (_host, port):
            print(port, flush=True)
            signal.sigwait({signal.SIGINT})
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
