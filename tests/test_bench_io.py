"""Tests for :mod:`companion.bench.io`: the report's structure and its bookkeeping, never speeds.

The quick benchmark runs once, end to end, in a child process (``python -m companion.bench io
--quick``), and the tests read its table back: every server at every number of connections,
every figure in its unit, the ratio column agreeing with the rates printed beside it, and the
thread counts that the IO models imply.
"""

from __future__ import annotations

import re
import socket
import threading
from pathlib import Path

import pytest
from support import check_json, run_bench_json
from test_bench import own_header_lines

from companion.bench import harness, io
from companion.bench.__main__ import main
from companion.io_models import SERVERS, serving

RATE = re.compile(r"[\d,]+/s")
RATIO = re.compile(r"\d+\.\d\dx")
SHARE = re.compile(r"\d+%")
MEMORY = re.compile(r"-?[\d,]+\.\d MiB")


def cells(line: str) -> list[str]:
    """Split a table line into its cells: columns are two or more spaces apart."""
    return re.split(r" {2,}", line.strip())


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """Run the quick benchmark once, writing its JSON too; return what it printed, and the file."""
    return run_bench_json(tmp_path_factory.mktemp("bench"), "io", "--quick", timeout=120)


@pytest.fixture(scope="module")
def report(ran: tuple[str, Path]) -> str:
    """What the quick run printed."""
    return ran[0]


def test_the_json_file_holds_every_figure_printed(ran: tuple[str, Path]) -> None:
    check_json(*ran, "io", ["echo"])


@pytest.fixture(scope="module")
def rows(report: str) -> list[list[str]]:
    """The rows of the report's table."""
    lines = report.splitlines()
    (start,) = [i for i, line in enumerate(lines) if line.startswith("Echo round trips")]
    assert cells(lines[start + 2]) == [c.key for c in io.COLUMNS]
    assert set(lines[start + 3]) <= {"-", " "}
    table = []
    for line in lines[start + 4 :]:
        row = cells(line)
        if len(row) != len([c.key for c in io.COLUMNS]):
            break
        table.append(row)
    return table


def test_header_says_what_ran_where(report: str) -> None:
    limit, cpus = own_header_lines(report, "io --quick", own=2)
    assert limit.startswith("open files: soft limit")
    assert cpus.startswith("CPUs: the client")


def test_every_server_at_every_number_of_connections(rows: list[list[str]]) -> None:
    ceiling = rows[len(SERVERS)][0]
    assert re.fullmatch(r"reference: (uvloop|asyncio) Protocol", ceiling)
    expected = [(server, f"{n:,}") for n in io.QUICK.connections for server in [*SERVERS, ceiling]]
    assert [(row[0], row[1]) for row in rows] == expected
    for row in rows:
        assert RATE.fullmatch(row[2]), row
        assert RATIO.fullmatch(row[3]), row
        assert SHARE.fullmatch(row[4]), row
        assert SHARE.fullmatch(row[5]), row
        assert RATE.fullmatch(row[6]), row
        assert MEMORY.fullmatch(row[7]), row
        assert MEMORY.fullmatch(row[8]), row
        assert row[9].isdigit(), row


def test_ratios_agree_with_the_rates(rows: list[list[str]]) -> None:
    # The rates are printed rounded to 1/s and the ratio to 0.01: compare within those roundings
    # (a slow asyncio run makes the rounding of its rate matter).
    def rate(row: list[str]) -> float:
        return float(row[2].removesuffix("/s").replace(",", ""))

    for row in rows:
        (asyncio_row,) = [r for r in rows if r[0] == "asyncio" and r[1] == row[1]]
        ratio, mine, theirs = float(row[3][:-1]), rate(row), rate(asyncio_row)
        assert (
            (mine - 0.5) / (theirs + 0.5) - 0.005 <= ratio <= (mine + 0.5) / (theirs - 0.5) + 0.005
        )


def test_thread_counts_follow_the_io_model(rows: list[list[str]]) -> None:
    # The main thread waits for Ctrl-C and the server runs in one more; only the thread per
    # connection server adds a thread for each client (it may not hold all at the same moment).
    for row in rows:
        threads, connections = int(row[9]), int(row[1].replace(",", ""))
        if row[0] == "threaded":
            assert 2 < threads <= 2 + connections
        elif row[0] in SERVERS:
            assert threads == 2
        else:
            assert threads == 1  # the ceiling's server: one thread, its event loop


def test_drive_counts_every_round_trip() -> None:
    with serving("selectors") as (_host, port):
        run = harness.drive(port, 3, each=7, size=300)
    assert run.round_trips == 21
    assert run.seconds > 0


def test_drive_stops_after_the_time_and_measures_the_server() -> None:
    with harness.ServerProcess("companion.io_models", "selectors") as server, server.running():
        run = harness.drive(server.port, 4, seconds=0.2, server=server)
    assert run.round_trips > 0
    assert 0.2 <= run.seconds < 5
    assert run.server_cpu is not None
    assert run.server_cpu >= 0
    assert run.client_cpu >= 0


def test_drive_serves_the_blocking_server_in_turn() -> None:
    with serving("blocking") as (_host, port):
        assert harness.drive(port, 5, each=4).round_trips == 20


def test_drive_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="connections, each and size must be at least 1"):
        harness.drive(1, 0, each=1)
    with pytest.raises(ValueError, match="give either each or seconds"):
        harness.drive(1, 1)
    with pytest.raises(ValueError, match="give either each or seconds"):
        harness.drive(1, 1, each=1, seconds=1.0)
    with pytest.raises(ValueError, match="seconds must be positive"):
        harness.drive(1, 1, seconds=0.0)


def test_drive_reports_a_server_that_hangs_up() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]

        def hang_up() -> None:
            conn, _address = listener.accept()
            with conn:
                conn.recv(64, socket.MSG_WAITALL)  # all of the message: then close() sends FIN

        thread = threading.Thread(target=hang_up)
        thread.start()
        with pytest.raises(ConnectionError, match="the echo server closed the connection"):
            harness.drive(port, 1, each=1)
        thread.join()


def test_each_connection_makes_at_least_min_each_round_trips() -> None:
    sizes = io.Sizes()
    assert [sizes.each(n) for n in sizes.connections] == [12_000, 240, 12]
    assert io.QUICK.each(1_000) == 5


def test_repeat_must_be_positive() -> None:
    with pytest.raises(ValueError, match="--repeat must be at least 1"):
        main(["io", "--quick", "--repeat", "0"])
