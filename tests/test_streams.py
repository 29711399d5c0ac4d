"""Tests of companion.streams: the line server's protocol, limit and shutdown; run_child's deadline.

Every test runs its coroutine in debug mode, and pytest turns warnings into errors, so a transport
or a child left to the garbage collector (a ResourceWarning) fails the test that left it. The
tests check more directly too: no task left, every client sees its connection end, and no child
process of this one remains (a zombie included), read from /proc.
"""

from __future__ import annotations

import asyncio
import gc
import os
import socket
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest

from companion.streams import BUSY, ChildResult, LineServer, run_child

T = TypeVar("T")

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc; loopback on Linux")


def run(coroutine: Coroutine[Any, Any, T], *, debug: bool = True) -> T:
    """asyncio.run (in debug mode unless told), then check that nothing is left behind."""

    async def checked() -> T:
        result = await coroutine
        assert asyncio.all_tasks() == {asyncio.current_task()}, "a task is left"
        return result

    before = set(children())  # other tests may leave helpers (multiprocessing's tracker)
    result = asyncio.run(checked(), debug=debug)
    gc.collect()  # a transport left open would warn now, and the warning is an error
    assert set(children()) <= before, "a child process is left"
    return result


def children() -> list[int]:
    """The processes whose parent is this one (zombies included)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # it ended meanwhile
            # The command name (2nd field) is in parentheses and may hold spaces.
            if int(stat.rpartition(")")[2].split()[1]) == os.getpid():
                found.append(int(entry.name))
    return found


async def echo(line: str) -> str:
    return line


async def connect(server: LineServer) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", server.port)


async def close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    await writer.wait_closed()


async def ask(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, line: bytes) -> bytes:
    writer.write(line)
    return await reader.readline()


def test_replies_line_by_line_in_order() -> None:
    async def main() -> list[bytes]:
        async with LineServer(echo) as server:
            reader, writer = await connect(server)
            writer.write(b"one\ntwo\nthree\n")
            replies = [await reader.readline() for _ in range(3)]
            writer.write_eof()  # half-close: the server reads EOF, closes its side
            replies.append(await reader.read())
            await close(writer)
            assert server.served == 1
        return replies

    assert run(main()) == [b"one\n", b"two\n", b"three\n", b""]


def test_handler_error_is_a_reply_and_the_connection_stays() -> None:
    async def picky(line: str) -> str:
        return str(int(line) * 2)

    async def main() -> list[bytes]:
        async with LineServer(picky) as server:
            reader, writer = await connect(server)
            replies = [await ask(reader, writer, line) for line in [b"x\n", b"21\n"]]
            await close(writer)
        return replies

    assert run(main()) == [b"error: ValueError\n", b"42\n"]


def test_line_cut_short_by_eof_gets_no_reply() -> None:
    async def main() -> bytes:
        async with LineServer(echo) as server:
            reader, writer = await connect(server)
            writer.write(b"no newline")
            writer.write_eof()
            rest = await reader.read()
            await close(writer)
        return rest

    assert run(main()) == b""


def test_line_over_the_limit_ends_the_connection() -> None:
    async def main() -> bytes:
        async with LineServer(echo, limit=16) as server:
            reader, writer = await connect(server)
            writer.write(b"x" * 40 + b"\nafter\n")
            rest = await reader.read()
            await close(writer)
        return rest

    assert run(main()) == b"error: line too long\n"


def test_connections_beyond_the_limit_are_turned_away() -> None:
    async def main() -> tuple[list[bytes], bytes, int, int]:
        async with LineServer(echo, max_connections=2) as server:
            first, second = await connect(server), await connect(server)
            # A reply proves the server has taken the connection in.
            served = [await ask(*first, b"a\n"), await ask(*second, b"b\n")]
            reader, writer = await connect(server)
            turned_away = await reader.read()
            await close(writer)
            await close(first[1])
            # Once a served client leaves, there is room again.
            assert await first[0].read() == b""
            while server.connections > 1:  # its task ends a few loop steps later
                await asyncio.sleep(0)
            third = await connect(server)
            served.append(await ask(*third, b"c\n"))
            for _, w in [second, third]:
                await close(w)
            return served, turned_away, server.served, server.refused

    assert run(main()) == ([b"a\n", b"b\n", b"c\n"], BUSY, 3, 1)


async def flooding_client(server: LineServer) -> socket.socket:
    """A raw client with a small receive buffer that asks for a lot and reads only the first
    65,537 bytes of it. Unlike a StreamReader, which goes on taking bytes from its socket
    until it holds twice its limit, it takes nothing more: what the server still has to send
    stays in the server's transport."""
    loop = asyncio.get_running_loop()
    client = socket.socket()
    client.setblocking(False)
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connecting
    await loop.sock_connect(client, ("127.0.0.1", server.port))
    await loop.sock_sendall(client, b"big\n" * 400)
    received = 0
    while received < 65537:
        received += len(await loop.sock_recv(client, 65537 - received))
    return client


# Stopping must abort a connection whose task is stuck in drain(): closing it instead would
# wait for ever for a client that does not read. The flooded client below reads nothing more,
# and both kernel buffers are small and fixed, so once the server's writer holds more than its
# high-water mark, nothing can drain it: without the abort, leaving the block runs into the
# deadline and the test fails.
@pytest.mark.parametrize("debug", [True, False])
def test_stopping_drops_idle_slow_and_busy_connections(debug: bool) -> None:
    handler_started = asyncio.Event()

    async def slow(line: str) -> str:
        if line == "slow":
            handler_started.set()
            await asyncio.Event().wait()  # never answers
        return "x" * 65536

    async def main() -> list[bytes]:
        server = LineServer(slow)
        stopped = asyncio.timeout(None)  # set before leaving: stopping must not hang
        async with stopped, server:
            idle = await connect(server)
            await ask(*idle, b"hello\n")
            flooded = await flooding_client(server)
            # Wait until the server's writer for it is past its high-water mark, so that
            # its task is stuck in drain() (the only peek at the server's private state).
            _, server_writer = server._connections.values()  # idle's, flooded's
            server_writer.get_extra_info("socket").setsockopt(
                socket.SOL_SOCKET, socket.SO_SNDBUF, 4096
            )
            while server_writer.transport.get_write_buffer_size() <= 65536:
                await asyncio.sleep(0)
            busy = await connect(server)
            busy[1].write(b"slow\n")
            await handler_started.wait()
            assert server.connections == 3
            stopped.reschedule(asyncio.get_running_loop().time() + 30)
        assert server.connections == 0
        ends = []
        for reader, writer in [idle, busy]:
            ends.append(await reader.read())
            await close(writer)
        flooded.close()
        return ends

    assert run(main(), debug=debug) == [b"", b""]


def test_aclose_twice_and_start_twice() -> None:
    async def main() -> None:
        server = LineServer(echo)
        async with server:
            pass
        await server.aclose()
        with pytest.raises(RuntimeError, match="only once"):
            await server.__aenter__()

    run(main())


def test_port_before_start() -> None:
    with pytest.raises(RuntimeError, match="not started"):
        _ = LineServer(echo).port


@pytest.mark.parametrize(
    ("handler", "max_connections", "error", "message"),
    [
        ("echo", 1, TypeError, "handler must be callable, not str"),
        (echo, 1.5, TypeError, "max_connections must be an int, not float"),
        (echo, True, TypeError, "max_connections must be an int, not bool"),
        (echo, 0, ValueError, "max_connections must be at least 1, not 0"),
    ],
)
def test_misuse(handler: Any, max_connections: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        LineServer(handler, max_connections=max_connections)


def python(code: str) -> tuple[str, str, str]:
    return (sys.executable, "-c", code)


def test_run_child_collects_both_pipes() -> None:
    code = "import sys; data = sys.stdin.read(); sys.stderr.write(data * 9); print(len(data))"
    result = run(run_child(*python(code), input=b"y" * 100_000))
    assert result == ChildResult(0, b"100000\n", b"y" * 900_000)


def test_run_child_exit_status() -> None:
    assert run(run_child(*python("raise SystemExit(3)"))).returncode == 3


@pytest.mark.parametrize("input", [None, b"data"])
def test_run_child_timeout_kills_and_reaps(input: bytes | None) -> None:
    async def main() -> None:
        with pytest.raises(TimeoutError):
            await run_child(*python("import time; time.sleep(600)"), input=input, timeout=0.5)

    run(main())  # run() checks that no child, zombie or not, is left


def test_run_child_cancelled_at_every_step_kills_and_reaps() -> None:
    """Cancel run_child after 0, 1, 2... loop steps: before, while and after the child starts."""

    async def main() -> None:
        before = set(children())
        for steps in range(40):
            task = asyncio.create_task(run_child(*python("import time; time.sleep(600)")))
            for _ in range(steps):
                await asyncio.sleep(0)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert set(children()) <= before, f"a child is left after {steps} steps"

    run(main())


def test_run_child_missing_program() -> None:
    with pytest.raises(FileNotFoundError):
        run(run_child("/nonexistent/program"))


def test_module_boundary() -> None:
    """The module runs children it is given; it never starts a shell."""
    source = Path(__file__).parent.parent.joinpath("companion", "streams.py").read_text()
    assert "create_subprocess_shell" not in source
    assert "shell=True" not in source
