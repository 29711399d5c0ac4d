"""Stage 3 of the loop: tasks that wait on sockets, parked in a selector.

A standalone program, the third step towards :mod:`companion.loop`. A task now yields a pair:
the event it waits for (:data:`selectors.EVENT_READ` or :data:`selectors.EVENT_WRITE`) and the
socket. The scheduler registers the socket with a :class:`selectors.DefaultSelector`, the task
riding along as the registration's data; when no task is ready, ``select()`` blocks until a
socket is, and its task goes back to the ready queue. The sockets never block: a task only
reads once the selector has said there is something to read.

Two tasks play ping-pong over a pair of connected sockets:

>>> from companion.loop.stage3_selector import main
>>> main()
pinger sends ping 0
ponger got ping 0
pinger got pong 0
pinger sends ping 1
ponger got ping 1
pinger got pong 1
"""

import selectors
import socket
from collections import deque
from collections.abc import Generator, Iterable

__all__ = ["main", "pinger", "ponger", "run"]

Task = Generator[tuple[int, socket.socket], None, None]


def pinger(sock: socket.socket, rounds: int) -> Task:
    """Send a ping, wait for the pong; *rounds* times."""
    for n in range(rounds):
        print("pinger sends ping", n)
        sock.send(f"ping {n}".encode())
        yield selectors.EVENT_READ, sock  # park until the answer has arrived
        print("pinger got", sock.recv(100).decode())


def ponger(sock: socket.socket, rounds: int) -> Task:
    """Wait for a ping and answer it with a pong; *rounds* times."""
    for _ in range(rounds):
        yield selectors.EVENT_READ, sock
        ping = sock.recv(100).decode()
        print("ponger got", ping)
        sock.send(ping.replace("ping", "pong").encode())


def run(tasks: Iterable[Task]) -> None:
    """Run *tasks* until all of them have finished, blocking in select() if none is ready."""
    ready = deque(tasks)
    with selectors.DefaultSelector() as selector:
        while ready or selector.get_map():
            if not ready:  # every task waits on a socket: only a socket can wake one
                for key, _events in selector.select():
                    selector.unregister(key.fileobj)
                    ready.append(key.data)
            task = ready.popleft()
            try:
                event, sock = next(task)
            except StopIteration:
                continue
            selector.register(sock, event, data=task)


def main() -> None:
    """Ping-pong, two rounds, over a socket pair."""
    left, right = socket.socketpair()
    with left, right:
        left.setblocking(False)
        right.setblocking(False)
        run([pinger(left, 2), ponger(right, 2)])


if __name__ == "__main__":
    main()
