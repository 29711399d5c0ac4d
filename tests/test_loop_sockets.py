"""Tests for :mod:`companion.loop.sockets` and :mod:`companion.loop.echo`, over real TCP sockets.

Peers are real: tasks on the same kernel, plain blocking sockets in threads, and, for Ctrl-C, the
echo server in a child process. What a client receives is compared with what it sent; the
server's counts with the clients' own; and after every run the kernel's census must be empty, its
selector closed, and (on Linux) the process must hold no more file descriptors than before.
"""

from __future__ import annotations

import asyncio
import errno
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest

import companion.loop.kernel as kernel_module
from companion.loop import (
    Census,
    Kernel,
    TaskCancelled,
    run,
    sleep,
    sock_accept,
    sock_close,
    sock_connect,
    sock_recv,
    sock_sendall,
    spawn,
)
from companion.loop import echo as echo_module
from companion.loop.echo import EchoStats, listen, serve
from companion.loop.sockets import MAX_STREAK

CLEAN = Census(tasks=0, ready=0, timers=0, registered=0, closed=True)
TIMEOUT = 10.0  # seconds a blocking client waits before the test fails, instead of hanging


def open_fds() -> int | None:
    """How many file descriptors this process has open (None where /proc cannot tell)."""
    try:
        return len(os.listdir("/proc/self/fd"))
    except FileNotFoundError:
        return None


@contextmanager
def no_fd_leak() -> Iterator[None]:
    """Check that the block closes every file descriptor it opens (the kernel's selector too)."""
    before = open_fds()
    yield
    assert open_fds() == before


def blocking_client(port: int) -> socket.socket:
    client = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    return client


def recv_exactly(sock: socket.socket, size: int) -> bytes:
    chunks = []
    while size:
        chunk = sock.recv(min(size, 65536))
        if not chunk:
            raise EOFError(f"the connection closed with {size} bytes still to come")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def reset(sock: socket.socket) -> None:
    """Close *sock* abruptly: SO_LINGER with a zero timeout sends RST instead of FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def in_thread(target: Callable[[], Any]) -> tuple[threading.Thread, list[BaseException]]:
    """Start *target* in a thread; what it raises is kept for the test to re-raise."""
    errors: list[BaseException] = []

    def guarded() -> None:
        try:
            target()
        except BaseException as error:  # re-raised by the test, in its own thread
            errors.append(error)

    thread = threading.Thread(target=guarded)
    thread.start()
    return thread, errors


def finish(thread: threading.Thread, errors: list[BaseException]) -> None:
    thread.join(TIMEOUT)
    assert not thread.is_alive(), "the loop's thread did not finish"
    if errors:
        raise errors[0]


# --- The socket operations ------------------------------------------------------------------------


def test_a_round_trip_between_two_tasks_moves_every_byte() -> None:
    """4 MiB is more than the socket buffers hold: sendall() must wait for room, many times."""
    payload = bytes(range(256)) * (4 * 4096)

    async def server(listener: socket.socket) -> bytes:
        conn, _ = await sock_accept(listener)
        with conn:
            assert conn.gettimeout() == 0  # accepted sockets are non-blocking too
            chunks = []
            while chunk := await sock_recv(conn, 65536):
                chunks.append(chunk)
            await sock_sendall(conn, b"got it")
            return b"".join(chunks)

    async def client(port: int) -> bytes:
        with socket.socket() as sock:
            sock.setblocking(False)
            await sock_connect(sock, ("127.0.0.1", port))
            await sock_sendall(sock, memoryview(payload))
            sock.shutdown(socket.SHUT_WR)
            return await sock_recv(sock, 100)

    async def main() -> tuple[bytes, bytes]:
        with listen() as listener:
            received = spawn(server(listener))
            reply = await spawn(client(listener.getsockname()[1])).join()
            return await received.join(), reply

    with no_fd_leak():
        kernel = Kernel()
        received, reply = kernel.run(main())
    assert received == payload
    assert reply == b"got it"
    assert kernel.census() == CLEAN


def test_sendall_counts_bytes_not_items() -> None:
    """A memoryview of 4-byte integers: offsets into it must be byte offsets."""
    numbers = memoryview(bytearray(range(200))).cast("i")
    left, right = socket.socketpair()
    with left, right:
        left.setblocking(False)
        right.setblocking(False)

        async def main() -> bytes:
            await sock_sendall(left, numbers)
            return await sock_recv(right, 1000)

        assert Kernel().run(main()) == numbers.tobytes()


def test_connecting_to_a_closed_port_raises_connection_refused() -> None:
    with socket.socket() as placeholder:  # a port that nothing listens on
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]

        async def main() -> None:
            with socket.socket() as sock:
                sock.setblocking(False)
                await sock_connect(sock, ("127.0.0.1", port))

        kernel = Kernel()
        with pytest.raises(ConnectionRefusedError):
            kernel.run(main())
        assert kernel.census() == CLEAN


def test_blocking_sockets_are_refused_as_asyncio_refuses_them_in_debug_mode() -> None:
    left, right = socket.socketpair()
    with left, right:

        async def asyncio_recv() -> bytes:
            asyncio.get_running_loop().set_debug(True)
            return await asyncio.get_running_loop().sock_recv(left, 1)

        with pytest.raises(ValueError, match="non-blocking") as asyncio_error:
            asyncio.run(asyncio_recv())

        async def main() -> list[str]:
            messages = []
            for operation in (
                sock_accept(left),
                sock_recv(left, 1),
                sock_sendall(left, b"x"),
                sock_connect(left, ("127.0.0.1", 1)),
            ):
                with pytest.raises(ValueError, match="non-blocking") as error:
                    await operation
                messages.append(str(error.value))
            return messages

        assert Kernel().run(main()) == [str(asyncio_error.value)] * 4


def test_one_task_reads_while_another_writes_the_same_socket() -> None:
    kernel = Kernel()
    left, right = socket.socketpair()
    with left, right:
        left.setblocking(False)
        right.setblocking(False)
        big = b"x" * (8 * 1024 * 1024)  # fills both buffers: the writer has to wait

        async def drain(size: int) -> int:
            total = 0
            while total < size:
                total += len(await sock_recv(right, 65536))
            await sock_sendall(right, b"thanks")
            return total

        async def main() -> tuple[bytes, int]:
            reader = spawn(sock_recv(left, 100))
            writer = spawn(sock_sendall(left, big))
            await sleep(0)
            # Both wait on the same socket: one registration, with both events.
            assert kernel.census().registered == 1
            received = spawn(drain(len(big)))
            await writer.join()
            return await reader.join(), await received.join()

        assert kernel.run(main()) == (b"thanks", len(big))
    assert kernel.census() == CLEAN


def test_cancel_a_task_waiting_to_send() -> None:
    """No one reads the other end: sendall() waits for room until it is cancelled."""
    left, right = socket.socketpair()
    with left, right:
        left.setblocking(False)

        async def main() -> None:
            sender = spawn(sock_sendall(left, b"z" * (16 * 1024 * 1024)))
            await sleep(0)
            assert kernel.census().registered == 1
            sender.cancel()
            assert kernel.census().registered == 0
            with pytest.raises(TaskCancelled):
                await sender.join()

        kernel = Kernel()
        kernel.run(main())
        assert kernel.census() == CLEAN


def test_two_tasks_reading_the_same_socket_is_an_error() -> None:
    left, right = socket.socketpair()
    with left, right:
        left.setblocking(False)

        async def main() -> str:
            first = spawn(sock_recv(left, 100))
            await sleep(0)
            with pytest.raises(RuntimeError) as error:
                await sock_recv(left, 100)
            first.cancel()
            with pytest.raises(TaskCancelled):
                await first.join()
            return str(error.value)

        kernel = Kernel()
        message = kernel.run(main())
        assert re.fullmatch(
            r"<Task sock_recv\(\) pending> is already waiting to read from .*", message
        )
        assert kernel.census() == CLEAN


# --- Fairness and closing ------------------------------------------------------------------------


async def ticker(log: list[str], done: Callable[[], bool]) -> None:
    """Note a tick each time this task gets a turn, until *done* says the work is over."""
    while not done():
        log.append("tick")
        await sleep(0)


def longest_run(log: list[str], item: str) -> int:
    """The most times *item* appears in *log* with nothing else between."""
    longest = current = 0
    for entry in log:
        current = current + 1 if entry == item else 0
        longest = max(longest, current)
    return longest


@pytest.mark.parametrize("operation", ["recv", "sendall"])
def test_a_task_whose_socket_never_blocks_lets_the_others_run(operation: str) -> None:
    """Every call succeeds at once, so the task would never wait; yet the ticker keeps its turns.

    Counted in turns, not time: the log shows how many operations the busy task makes between
    two turns of the ticker.
    """
    count = 100  # few enough to fit in a socket buffer: no call ever blocks
    left, right = socket.socketpair()
    with left, right:
        left.setblocking(False)
        if operation == "recv":
            right.sendall(b"x" * count)

        async def busy(log: list[str]) -> None:
            for _ in range(count):
                if operation == "recv":
                    assert await sock_recv(left, 1) == b"x"
                else:
                    await sock_sendall(left, b"y")
                log.append(operation)

        async def main() -> list[str]:
            log: list[str] = []
            work = spawn(busy(log))
            spawn(ticker(log, work.done))
            await work.join()
            return log

        log = run(main())
    assert log.count(operation) == count
    assert longest_run(log, operation) <= 32, log  # not all 100 in one go
    assert log.count("tick") >= count // 32


@pytest.mark.parametrize("waiting", [["read"], ["write"], ["read", "write"]])
def test_sock_close_wakes_the_tasks_waiting_on_the_socket_with_ebadf(waiting: list[str]) -> None:
    kernel = Kernel()
    left, right = socket.socketpair()
    with left, right:
        left.setblocking(False)

        async def wait(how: str) -> int | None:
            try:
                if how == "read":
                    await sock_recv(left, 100)
                else:
                    await sock_sendall(left, b"z" * (16 * 1024 * 1024))  # more than fits
            except OSError as error:
                return error.errno
            raise AssertionError("the wait ended without an error")

        async def main() -> list[int | None]:
            waiters = [spawn(wait(how)) for how in waiting]
            await sleep(0)
            assert kernel.census().registered == 1
            sock_close(left)
            assert left.fileno() == -1  # closed ...
            assert kernel.census().registered == 0  # ... and forgotten by the selector
            return [await task.join() for task in waiters]

        assert kernel.run(main()) == [errno.EBADF] * len(waiting)
    assert kernel.census() == CLEAN


def test_sock_close_on_a_socket_nobody_waits_on_just_closes_it() -> None:
    left, right = socket.socketpair()
    with right:

        async def main() -> None:
            sock_close(left)

        run(main())
        assert left.fileno() == -1
    sock_close(right)  # outside a loop too
    assert right.fileno() == -1


def test_a_socket_closed_under_a_waiter_does_not_poison_its_descriptor_number() -> None:
    """The misuse sock_close() exists to avoid: close() while another task waits on the socket.

    The waiter cannot be woken by the selector (epoll forgets a closed socket), but a new
    socket that gets the same descriptor number works in any task, the stale waiter gets
    EBADF when that happens, and run() ends without an error from its cleanup.
    """
    kernel = Kernel()
    old, old_peer = socket.socketpair()
    old.setblocking(False)
    old_fd = old.fileno()

    async def stale_wait() -> int | None:
        try:
            await sock_recv(old, 100)
        except OSError as error:
            return error.errno
        raise AssertionError("the wait ended without an error")

    async def fresh_wait(sock: socket.socket) -> bytes:
        return await sock_recv(sock, 100)

    async def main() -> tuple[int | None, bytes]:
        stale = spawn(stale_wait())
        await sleep(0)
        old.close()  # the misuse: a task still waits on it
        new, new_peer = socket.socketpair()
        with new, new_peer:
            new.setblocking(False)
            assert old_fd in {new.fileno(), new_peer.fileno()}  # the number is reused
            reused = new if new.fileno() == old_fd else new_peer
            other = new_peer if reused is new else new
            reader = spawn(fresh_wait(reused))
            await sleep(0)
            other.sendall(b"fresh")
            fresh = await reader.join()
            return await stale.join(), fresh

    with old_peer:
        assert kernel.run(main()) == (errno.EBADF, b"fresh")
    assert kernel.census() == CLEAN


def test_a_registration_that_fails_leaves_nothing_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    """The selector refuses the socket: the error reaches the task, and no watch is left over.

    A watch left without a waiter would count as a socket some task waits on, and the kernel
    would poll it for ever instead of reporting the deadlock.
    """
    kernel = Kernel()
    left, right = socket.socketpair()

    class RefusingPoller:
        def __init__(self, poller: Any) -> None:
            self._poller = poller

        def register(self, fd: int, mask: int) -> None:
            raise OSError(errno.EPERM, "refused")

        def __getattr__(self, name: str) -> Any:
            return getattr(self._poller, name)

    async def main() -> None:
        monkeypatch.setattr(kernel, "_poller", RefusingPoller(kernel._poller))
        with pytest.raises(PermissionError):
            await sock_recv(left, 100)
        assert kernel.census().registered == 0
        assert kernel._watches == {}

    with left, right:
        left.setblocking(False)
        kernel.run(main())
    assert kernel.census() == CLEAN


def test_run_ends_cleanly_after_a_socket_was_closed_under_a_waiter() -> None:
    kernel = Kernel()
    left, right = socket.socketpair()
    left.setblocking(False)

    async def main() -> None:
        spawn(sock_recv(left, 100))
        await sleep(0)
        left.close()  # the misuse; the waiter is cancelled by run() on the way out

    with right:
        kernel.run(main())
    assert kernel.census() == CLEAN


# --- The echo server ------------------------------------------------------------------------------


def well_behaved_client(port: int, number: int, barrier: threading.Barrier) -> bytes:
    """Talk in two rounds, the second only once every client has had its first echo back."""
    first = f"client {number} says hello\n".encode()
    second = bytes([number]) * (20_000 + number)
    with blocking_client(port) as client:
        client.sendall(first)
        received = recv_exactly(client, len(first))
        # All the clients are connected and served at once here: a server that handled one
        # connection at a time would never let them all through.
        barrier.wait(TIMEOUT)
        client.sendall(second)
        received += recv_exactly(client, len(second))
        client.shutdown(socket.SHUT_WR)
        assert client.recv(1) == b""  # the server closes its side after our EOF
    assert received == first + second
    return received


def abrupt_client(port: int, how: str) -> None:
    """Get one echo (so the server has accepted), then leave in the middle of a message."""
    client = blocking_client(port)
    client.sendall(b"ping")
    assert recv_exactly(client, 4) == b"ping"
    if how == "reset":
        client.sendall(b"half a mess")
        reset(client)
    else:  # a big message, then close without reading the echo: the kernel resets it too
        client.sendall(b"y" * 1_000_000)
        client.close()


def test_the_echo_server_serves_50_clients_at_once_and_survives_abrupt_ones() -> None:
    clients, abrupt = 50, ["reset", "reset", "reset", "close", "close"]
    stats = EchoStats()
    with no_fd_leak(), listen() as listener:
        kernel = Kernel()
        port = listener.getsockname()[1]
        server, errors = in_thread(
            lambda: kernel.run(serve(listener, stats, connections=clients + len(abrupt)))
        )
        barrier = threading.Barrier(clients)
        with ThreadPoolExecutor(clients + len(abrupt)) as pool:
            polite = [pool.submit(well_behaved_client, port, n, barrier) for n in range(clients)]
            rude = [pool.submit(abrupt_client, port, how) for how in abrupt]
            for future in polite + rude:
                future.result(TIMEOUT)
        # serve() returns once every connection's task has finished: none is left behind.
        finish(server, errors)
    assert stats.accepted == clients + len(abrupt)
    assert stats.finished >= clients  # every polite client ended with EOF ...
    assert stats.finished + stats.dropped == stats.accepted  # ... and every task ended
    assert kernel.census() == CLEAN


@pytest.mark.parametrize("code", [errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM])
def test_the_echo_server_outlives_running_out_of_descriptors_or_memory(
    code: int, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """accept() fails twice with *code*; the server logs it, waits a moment, and serves on."""
    failures = 2
    real_accept = sock_accept  # what echo.serve() calls

    async def failing_accept(sock: socket.socket) -> tuple[socket.socket, Any]:
        nonlocal failures
        if failures:
            failures -= 1
            raise OSError(code, os.strerror(code))
        return await real_accept(sock)

    monkeypatch.setattr(echo_module, "sock_accept", failing_accept)
    monkeypatch.setattr(echo_module, "ACCEPT_RETRY_DELAY", 0.001)  # not the second it waits
    stats = EchoStats()
    with no_fd_leak(), listen() as listener:
        kernel = Kernel()
        port = listener.getsockname()[1]
        server, errors = in_thread(lambda: kernel.run(serve(listener, stats, connections=1)))
        with blocking_client(port) as client:
            client.sendall(b"still here")
            assert recv_exactly(client, 10) == b"still here"
            client.shutdown(socket.SHUT_WR)
            assert client.recv(1) == b""
        finish(server, errors)
    assert stats == EchoStats(accepted=1, finished=1, dropped=0)
    logged = [record for record in caplog.records if record.name == "companion.loop.echo"]
    assert len(logged) == 2
    assert all(os.strerror(code) in record.getMessage() for record in logged)
    assert kernel.census() == CLEAN


async def serve_until_stopped(
    listener: socket.socket, stats: EchoStats, stop: socket.socket
) -> None:
    """Serve for ever in another task, until a byte (or EOF) arrives on *stop*; then return."""
    spawn(serve(listener, stats))
    await sock_recv(stop, 1)


def test_stopping_the_server_closes_the_open_connections() -> None:
    stats = EchoStats()
    with no_fd_leak(), listen() as listener:
        kernel = Kernel()
        stop_here, stop_there = socket.socketpair()
        stop_here.setblocking(False)
        port = listener.getsockname()[1]
        server, errors = in_thread(
            lambda: kernel.run(serve_until_stopped(listener, stats, stop_here))
        )
        clients = [blocking_client(port) for _ in range(5)]
        try:
            for number, client in enumerate(clients):
                client.sendall(bytes([number]))
                assert client.recv(1) == bytes([number])  # its task is running
            stop_there.sendall(b"!")
            finish(server, errors)
            # run() cancelled the connection tasks and they closed their sockets: EOF.
            assert [client.recv(1) for client in clients] == [b""] * 5
        finally:
            for sock in [*clients, stop_here, stop_there]:
                sock.close()
    assert stats == EchoStats(accepted=5, finished=0, dropped=0)  # cancelled: neither
    assert kernel.census() == CLEAN


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT to a child process")
def test_ctrl_c_stops_the_echo_server_cleanly() -> None:
    command = [sys.executable, "-X", "dev", "-W", "error", "-m", "companion.loop.echo"]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as child:
        try:
            assert child.stdout is not None
            banner = child.stdout.readline()
            found = re.fullmatch(
                r"echo server listening on 127\.0\.0\.1:(\d+); Ctrl-C stops it\n", banner
            )
            assert found, banner
            with blocking_client(int(found[1])) as client:
                client.sendall(b"hello")
                assert recv_exactly(client, 5) == b"hello"
                child.send_signal(signal.SIGINT)
                out, err = child.communicate(timeout=TIMEOUT)
                assert client.recv(1) == b""  # its connection task was cancelled and closed it
        finally:
            # A failure above must not leave Popen's exit waiting for a server nobody stopped.
            if child.poll() is None:
                child.kill()
    assert (child.returncode, out, err) == (0, "stopped; connections accepted: 1\n", "")


# --- The poller where there is no epoll -----------------------------------------------------------


def test_the_selectors_poller_serves_where_there_is_no_epoll(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without epoll, the kernel's poller is a selectors.DefaultSelector behind epoll's calls.

    Forced here on Linux: a ping-pong that keeps its sockets registered, a waiter woken with
    EBADF by sock_close(), a cancelled waiter, and nothing left behind.
    """
    monkeypatch.setattr(kernel_module, "_new_poller", kernel_module._SelectorPoller)
    kernel = Kernel()
    left, right = socket.socketpair()
    doomed, doomed_peer = socket.socketpair()
    with left, right, doomed_peer:
        for sock in (left, right, doomed):
            sock.setblocking(False)

        async def pong() -> None:
            while data := await sock_recv(right, 100):
                await sock_sendall(right, data)

        async def wait_for_ebadf() -> int | None:
            try:
                await sock_recv(doomed, 100)
            except OSError as error:
                return error.errno
            return None

        async def main() -> tuple[list[bytes], int | None]:
            assert isinstance(kernel._poller, kernel_module._SelectorPoller)
            ponger = spawn(pong())
            replies = []
            for number in range(20):
                await sock_sendall(left, b"%d" % number)
                replies.append(await sock_recv(left, 100))
                assert kernel.census().registered == 2
            closing = spawn(wait_for_ebadf())
            cancelled = spawn(sock_recv(left, 100))
            await sleep(0)
            cancelled.cancel()
            sock_close(doomed)
            with pytest.raises(TaskCancelled):
                await cancelled.join()
            left.shutdown(socket.SHUT_WR)
            await ponger.join()
            return replies, await closing.join()

        replies, error = kernel.run(main())
    assert replies == [b"%d" % number for number in range(20)]
    assert error == errno.EBADF
    assert kernel.census() == CLEAN


def test_a_wait_on_a_watch_the_kernel_forgot_meanwhile_still_wakes() -> None:
    """sock_recv() lets the others run (fairness), and meanwhile the kernel forgets the watch.

    The poll finds the socket readable with nobody waiting, so the kernel forgets it; another
    task then takes the data, so sock_recv()'s recv() fails and it waits on the watch it
    holds, which the kernel no longer has. The kernel looks the socket up afresh.
    """
    kernel = Kernel()
    left, right = socket.socketpair()
    keep, keep_peer = socket.socketpair()
    with left, right, keep, keep_peer:
        left.setblocking(False)
        keep.setblocking(False)

        async def take_one() -> None:
            await sleep(0)
            assert left.recv(1) == b"y"

        async def main() -> bytes:
            first = spawn(sock_recv(left, 1))
            await sleep(0)  # it waits: the socket is registered
            right.send(b"x")
            assert await first.join() == b"x"  # all it asked for: it will try recv() first
            watch = kernel._watches[left.fileno()]
            polling = spawn(sock_recv(keep, 1))  # a waiter, so that every turn polls
            await sleep(0)
            kernel._io_streak = MAX_STREAK - 1  # the next call lets the others run first
            spawn(take_one())
            second = spawn(sock_recv(left, 1))
            await sleep(0)
            right.send(b"y")  # the poll finds it, nobody waits: the watch is forgotten ...
            await sleep(0)  # ... take_one() takes the byte, second waits on the old watch
            assert (
                left.fileno() not in kernel._watches or kernel._watches[left.fileno()] is not watch
            )
            right.send(b"z")
            for _ in range(100):
                if second.done():
                    break
                await sleep(0)
            polling.cancel()
            with pytest.raises(TaskCancelled):
                await polling.join()
            assert second.done(), "the wait on the forgotten watch was never woken"
            return await second.join()

        assert kernel.run(main()) == b"z"
    assert kernel.census() == CLEAN
