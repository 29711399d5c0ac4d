"""Tests for :mod:`companion.io_models`: one behavioural suite, run against all five servers.

Each test starts a server with :func:`~companion.io_models.serving` and talks to it over real
sockets. Where the one-client-at-a-time server cannot do what the others do, the test asserts
that limitation as a fact instead of skipping it. Nothing is ordered by sleeping: a client waits
for bytes; the only timeouts are guards against a hang, and one short wait that shows a reply
does *not* come.
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import threading
from collections.abc import Callable, Iterator

import pytest

from companion.io_models import SERVERS, Stop, main, serving

TIMEOUT = 10.0  # seconds a client waits before the test fails, instead of hanging
NAMES = list(SERVERS)


@pytest.fixture(params=NAMES)
def name(request: pytest.FixtureRequest) -> str:
    """Each server's name in turn."""
    server: str = request.param
    return server


def concurrent(name: str) -> bool:
    """Whether the server serves several clients at once (all but the blocking one)."""
    return name != "blocking"


@contextlib.contextmanager
def connect(address: tuple[str, int]) -> Iterator[socket.socket]:
    with socket.create_connection(address, timeout=TIMEOUT) as sock:
        yield sock


def recv_exactly(sock: socket.socket, size: int) -> bytes:
    chunks, missing = [], size
    while missing:
        chunk = sock.recv(min(missing, 65536))
        if not chunk:
            raise EOFError(f"the server closed the connection {missing} bytes short")
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


def recv_until_closed(sock: socket.socket) -> bytes:
    """Read until the server closes its side (EOF) or resets the connection."""
    chunks = []
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def round_trip(sock: socket.socket, message: bytes) -> bytes:
    sock.sendall(message)
    return recv_exactly(sock, len(message))


def send_all_then_eof(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(payload)
    sock.shutdown(socket.SHUT_WR)


def reset(sock: socket.socket) -> None:
    """Close *sock* abruptly: SO_LINGER with a zero timeout sends RST instead of FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def fill(sock: socket.socket) -> int:
    """Send on *sock* until the buffers on both sides are full; return how much was sent."""
    sock.setblocking(False)
    sent = 0
    with contextlib.suppress(BlockingIOError):
        while True:
            sent += sock.send(b"z" * 65536)
    sock.settimeout(TIMEOUT)
    return sent


def in_thread(target: Callable[[], object]) -> Callable[[], None]:
    """Run *target* in a thread; return a function that joins it and re-raises its error."""
    errors: list[BaseException] = []

    def guarded() -> None:
        try:
            target()
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=guarded)
    thread.start()

    def join() -> None:
        thread.join(TIMEOUT)
        assert not thread.is_alive()
        if errors:
            raise errors[0]

    return join


def nothing_to_read(sock: socket.socket) -> bool:
    """Whether a non-blocking recv() on *sock* fails with EAGAIN (BlockingIOError) right now."""
    sock.setblocking(False)
    try:
        sock.recv(1, socket.MSG_PEEK)
    except BlockingIOError:
        return True
    finally:
        sock.settimeout(TIMEOUT)
    return False


def open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


# --- The behavioural suite ------------------------------------------------------------------------


def test_echoes_every_byte_back(name: str) -> None:
    messages = [b"x", bytes(range(256)), b"line\n" * 1000, bytes(200_000)]
    with serving(name) as address, connect(address) as client:
        for message in messages:
            assert round_trip(client, message) == message
        client.shutdown(socket.SHUT_WR)
        assert client.recv(1) == b""  # the client's EOF ends the conversation: the server closes


def test_fifty_clients(name: str) -> None:
    with serving(name) as address, contextlib.ExitStack() as stack:
        clients = [stack.enter_context(connect(address)) for _ in range(50)]
        for number, client in enumerate(clients):
            client.sendall(b"client %d" % number)
        if concurrent(name):
            # All 50 are served at once: read the replies last client first, none disconnected.
            for number, client in reversed(list(enumerate(clients))):
                expected = b"client %d" % number
                assert recv_exactly(client, len(expected)) == expected
            for number, client in enumerate(clients):  # and a second round, all still open
                assert round_trip(client, b"again %d" % number) == b"again %d" % number
        else:
            # Served in turn: while one is connected, the next has no reply (the server is
            # blocked in this one's recv()); it gets it once the one before it has left.
            for number, client in enumerate(clients):
                expected = b"client %d" % number
                assert recv_exactly(client, len(expected)) == expected
                if number + 1 < len(clients):
                    assert nothing_to_read(clients[number + 1])
                client.close()


def test_a_silent_client(name: str) -> None:
    with serving(name) as address, connect(address) as silent, connect(address) as talker:
        if concurrent(name):
            assert round_trip(talker, b"hello") == b"hello"
        else:
            # The limitation of the blocking server: one client that sends nothing stops all.
            talker.sendall(b"hello")
            talker.settimeout(0.2)
            with pytest.raises(TimeoutError):
                talker.recv(5)
            silent.close()
            talker.settimeout(TIMEOUT)
            assert recv_exactly(talker, 5) == b"hello"


@pytest.mark.parametrize("how", ["reset mid-message", "close unread", "half-close"])
def test_a_client_that_leaves_abruptly(name: str, how: str) -> None:
    payload = bytes(range(256)) * 4096  # 1 MiB: more than the buffers hold, the server must wait
    with serving(name) as address:
        with connect(address) as leaving:
            if how == "reset mid-message":
                leaving.sendall(payload[:100_000])
                recv_exactly(leaving, 1000)  # the server is echoing; now vanish halfway through
                reset(leaving)
            elif how == "close unread":
                fill(leaving)  # then FIN; unread data makes the client's kernel send RST
            else:
                join = in_thread(lambda: send_all_then_eof(leaving, payload))
                assert recv_until_closed(leaving) == payload  # all of it, then EOF
                join()
        with connect(address) as next_client:  # the server carries on
            assert round_trip(next_client, b"still there?") == b"still there?"


def test_a_large_burst(name: str) -> None:
    payload = bytes(range(256)) * (32 * 1024)  # 8 MiB, sent while the replies are read
    with serving(name) as address, connect(address) as client:
        join = in_thread(lambda: send_all_then_eof(client, payload))
        received = recv_until_closed(client)
        join()
    assert len(received) == len(payload)
    assert received == payload


def test_a_slow_reader_gets_every_byte_back(name: str) -> None:
    """The server's send() runs out of room early and often; not one byte may be lost.

    The server's sockets have a 4 KiB send buffer and the client a 4 KiB receive buffer, and
    the client reads 1 KiB at a time while another thread sends 2 MiB: the server keeps
    receiving while it cannot send, which is where a careless server drops what it has read.
    """
    payload = bytes(range(256)) * (8 * 1024)  # 2 MiB
    with serving(name, send_buffer=4096) as address:
        client = socket.socket()
        with client:
            client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            client.settimeout(TIMEOUT)
            client.connect(address)
            join = in_thread(lambda: send_all_then_eof(client, payload))
            chunks = []
            while chunk := client.recv(1024):
                chunks.append(chunk)
            join()
    received = b"".join(chunks)
    assert len(received) == len(payload)
    assert received == payload


def test_stopping_closes_every_socket_and_thread(name: str) -> None:
    threads, fds = set(threading.enumerate()), open_fds()
    with contextlib.ExitStack() as stack:
        with serving(name) as address:
            talker = stack.enter_context(connect(address))
            assert round_trip(talker, b"hi") == b"hi"
            idle = stack.enter_context(connect(address))
            stuck = stack.enter_context(connect(address))
            sent = fill(stuck)  # the server's echo waits for room that never comes
            if concurrent(name):
                # Wait until the server holds all three: the echo has begun on the stuck one,
                # and the idle one has made a round trip.
                received = recv_exactly(stuck, 1)
                assert round_trip(idle, b"!") == b"!"
                assert sent > 0
                assert received == b"z"
        # Stopped: the server's end of every connection is closed (EOF or reset), even where the
        # blocking server never accepted the client; and nothing of it is left running.
        for client in (talker, idle, stuck):
            client.settimeout(TIMEOUT)
            recv_until_closed(client)
            with contextlib.suppress(ConnectionResetError):
                assert client.recv(1) == b""
        assert set(threading.enumerate()) == threads
    assert open_fds() == fds


# --- The harness ----------------------------------------------------------------------------------


def test_serving_rejects_an_unknown_name_and_a_non_callable() -> None:
    unknown = "unknown server 'nginx'; expected one of blocking"
    with pytest.raises(ValueError, match=unknown), serving("nginx"):
        pass
    not_callable = "server must be a name or a callable, not int"
    with pytest.raises(TypeError, match=not_callable), serving(42):  # type: ignore[arg-type]
        pass


def test_what_a_server_raises_is_raised_on_exit() -> None:
    def broken(listener: socket.socket, stop: Stop) -> None:
        listener.close()
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"), serving(broken):
        pass


def test_a_server_that_does_not_stop_is_reported() -> None:
    release = threading.Event()

    def stubborn(listener: socket.socket, stop: Stop) -> None:
        with listener:
            release.wait()

    late = r"server stubborn did not stop within 0\.01 s"
    with pytest.raises(RuntimeError, match=late), serving(stubborn, timeout=0.01):
        pass
    release.set()
    for thread in threading.enumerate():
        if thread.name == "io_models.stubborn":
            thread.join(TIMEOUT)


def test_stop_wakes_what_is_watched_or_registered_even_after_it_was_set() -> None:
    stop = Stop()
    calls: list[str] = []
    left, right = socket.socketpair()
    with right, stop.watching(left), stop.calling(lambda: calls.append("before")):
        stop.set()
        stop.set()  # a second time does nothing
        assert left.recv(1) == b""  # shut down: reads EOF
        with stop.calling(lambda: calls.append("after")):
            pass
    assert calls == ["before", "after"]
    assert left.fileno() == -1  # closed on leaving watching()
    assert stop.is_set()


def test_the_command_line_rejects_an_unknown_server(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["nginx"]) == 2
    assert "usage: python -m companion.io_models {blocking," in capsys.readouterr().err
