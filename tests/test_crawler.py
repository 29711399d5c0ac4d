"""Tests for :mod:`companion.crawler`: the crawl, its limits, its server, and what it leaves behind.

Most tests crawl the site in memory (:meth:`Site.fetch`) on the virtual clock, where every time
is exact. The tests over HTTP use real sockets on 127.0.0.1, so they run in real time; their site
is the demo's with every delay divided by ten, so that no page comes near the timeout on a busy
machine. Nothing waits to order events: an interruption is sent from the progress report, at a
known page, and a cancellation from a timeout on the virtual clock.

"Nothing left behind" is checked three ways: no task but the test's own at the end of the run,
no file descriptor open after the run that was not open before it (Linux's ``/proc/self/fd``),
and no server still serving.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import replace
from io import StringIO
from typing import Any

import pytest

from companion import scenes, virtualtime
from companion.crawler import (
    DEMO,
    Crawler,
    Page,
    Progress,
    Response,
    Result,
    Site,
    fetch,
    links,
    main,
    serve,
)

ROOT = "http://site.test/"
FAST = {path: replace(page, delay=page.delay / 10) for path, page in DEMO.items()}

needs_proc = pytest.mark.skipif(
    not os.path.isdir("/proc/self/fd"), reason="counts open files through Linux's /proc/self/fd"
)


def open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


def run_alone(coro: Coroutine[Any, Any, object]) -> None:
    """Run *coro* on the virtual clock; fail if it leaves any other task behind."""

    async def checked() -> None:
        try:
            await coro
        finally:
            assert asyncio.all_tasks() == {asyncio.current_task()}

    virtualtime.run(checked())


def crawl_demo(**options: Any) -> tuple[list[Result], Site]:
    site = Site(DEMO)
    crawler = Crawler(ROOT, site.fetch, **options)
    run_alone(crawler.crawl())
    return crawler.results, site


def summary(results: list[Result]) -> list[tuple[str, int | None, int, str | None]]:
    return [(r.url.rsplit("/", 1)[-1] or "/", r.status, r.attempts, r.error) for r in results]


def test_the_demo_crawl() -> None:
    results, site = crawl_demo()
    assert [(*row, r.time) for row, r in zip(summary(results), results, strict=True)] == [
        ("/", 200, 1, None, 0.0),
        ("a", 200, 1, None, 0.25),
        ("b", 200, 1, None, 0.5),
        ("slow", 200, 1, None, 0.5),
        ("old", 301, 1, None, 0.5),
        ("missing", 404, 1, None, 0.5),
        ("deep", 200, 1, None, 0.75),
        ("new", 200, 1, None, 1.0),
        # 0.125 and 503, a pause of 0.25; 0.125 and 503, a pause of 0.5; 0.125 and 200
        ("flaky", 200, 3, None, 1.375),
        # 1.0 timed out, a pause of 0.25, 1.0 timed out, a pause of 0.5, 1.0 timed out
        ("hang", None, 3, "timed out", 4.25),
    ]
    # Each address once, the cycles and the fragment notwithstanding; nothing off the site.
    assert site.requests == dict.fromkeys(DEMO, 1) | {"/missing": 1, "/flaky": 3, "/hang": 3}


def test_results_come_in_order_of_completion() -> None:
    results, _ = crawl_demo()
    assert [r.time for r in results] == sorted(r.time for r in results)


@pytest.mark.parametrize("workers", [1, 2, 3, 5])
def test_no_more_requests_at_a_time_than_workers(workers: int) -> None:
    site, running, most = Site(DEMO), 0, 0

    async def counting(url: str) -> Response:
        nonlocal running, most
        running += 1
        most = max(most, running)
        try:
            return await site.fetch(url)
        finally:
            running -= 1

    crawler = Crawler(ROOT, counting, workers=workers)
    run_alone(crawler.crawl())
    assert most == workers
    assert len(crawler.results) == 10


def test_one_worker_is_one_page_at_a_time() -> None:
    results, _ = crawl_demo(workers=1)
    # The sum of every page's time: 3.75 for /hang, 1.125 for /flaky, 1.75 for the others.
    assert results[-1].time == 6.625


def test_without_a_timeout_the_crawl_never_ends() -> None:
    crawler = Crawler(ROOT, Site(DEMO).fetch, timeout=None)

    async def bounded() -> None:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(3600):
                await crawler.crawl()
        assert asyncio.get_running_loop().time() == 3600

    run_alone(bounded())
    assert "http://site.test/hang" not in [r.url for r in crawler.results]
    assert len(crawler.results) == 9


def test_without_retries_the_flaky_page_fails() -> None:
    results, site = crawl_demo(retries=0)
    rows = {row[0]: row[1:] for row in summary(results)}
    assert rows["flaky"] == (503, 1, "server error")
    assert rows["hang"] == (None, 1, "timed out")
    assert "/b" in site.requests  # found elsewhere


def test_max_pages() -> None:
    results, site = crawl_demo(max_pages=3)
    assert [r.url for r in results] == [ROOT, ROOT + "a", ROOT + "b"]
    assert sum(site.requests.values()) == 3


def test_connection_errors_are_retried() -> None:
    calls: list[str] = []

    async def refused(url: str) -> Response:
        calls.append(url)
        await asyncio.sleep(0)
        raise ConnectionRefusedError

    crawler = Crawler(ROOT, refused, retries=3, backoff=1)
    run_alone(crawler.crawl())
    assert crawler.results == [Result(ROOT, None, 4, "ConnectionRefusedError", 7.0)]
    assert calls == [ROOT] * 4


def test_a_bug_in_fetch_stops_the_crawl() -> None:
    async def buggy(url: str) -> Response:
        await asyncio.sleep(0.5)
        raise RuntimeError(f"bug while fetching {url}")

    crawler = Crawler(ROOT, buggy)

    async def crawl() -> None:
        with pytest.raises(ExceptionGroup) as caught:
            await crawler.crawl()
        assert caught.group_contains(RuntimeError)

    run_alone(crawl())
    assert crawler.results == []


def test_cancelled_at_every_moment() -> None:
    """Cancel the crawl at each time something happens, and just after: it stops cleanly, with
    the results done by then."""
    full, _ = crawl_demo()
    end = full[-1].time
    moments = sorted({r.time for r in full} | {r.time + 0.0625 for r in full[:-1]} | {0.125})
    assert moments[-1] == end
    for moment in moments:
        crawler = Crawler(ROOT, Site(DEMO).fetch)

        async def interrupted() -> None:
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(moment):  # noqa: B023 (run at once, in this turn)
                    await crawler.crawl()  # noqa: B023

        run_alone(interrupted())
        assert crawler.results == [r for r in full if r.time < moment], moment


def test_interrupted_in_memory() -> None:
    crawler = Crawler(ROOT, Site(DEMO).fetch)

    def report(result: Result, known: int) -> None:
        if len(crawler.results) == 3:
            signal.raise_signal(signal.SIGINT)

    crawler.report = report
    with pytest.raises(KeyboardInterrupt):
        run_alone(crawler.crawl())
    # /slow is done in the same turn of the loop as /b, before the main task is cancelled.
    assert [r.url for r in crawler.results] == [ROOT + p for p in ["", "a", "b", "slow"]]


def test_progress() -> None:
    stream = StringIO()
    crawl_demo(report=Progress(stream))
    lines = stream.getvalue().splitlines()
    assert lines[0] == "  0.00s   1/8  /               200"
    assert lines[8] == "  1.38s   9/10 /flaky          200  (3 attempts)"
    assert lines[9] == "  4.25s  10/10 /hang           timed out  (3 attempts)"
    assert len(lines) == 10


def test_links() -> None:
    page = '<a href=\'x\'>x</a> <A HREF="/y#z">y</A> <a href="http://o.test/">o</a>'
    assert links("http://s.test/d/p", page) == [
        "http://s.test/d/x",
        "http://s.test/y",
        "http://o.test/",
    ]


def test_misuse() -> None:
    async def never(url: str) -> Response:
        raise AssertionError

    options: list[dict[str, Any]] = [{"workers": 0}, {"max_pages": 0}, {"timeout": 0}]
    options += [{"retries": -1}, {"backoff": -1.0}]
    for option in options:
        with pytest.raises(ValueError, match="must"):
            Crawler(ROOT, never, **option)

    async def twice() -> None:
        crawler = Crawler(ROOT, Site({"/": Page()}).fetch)
        await crawler.crawl()
        with pytest.raises(RuntimeError, match="crawled already"):
            await crawler.crawl()

    run_alone(twice())
    with pytest.raises(ValueError, match="http://"):
        virtualtime.run(fetch("ftp://site.test/"))


def test_the_scene_of_the_crawl() -> None:
    timeline = scenes.crawl()
    assert timeline.names() == ["main()", "worker-0", "worker-1", "worker-2"]
    assert timeline.end() == 4.25
    assert {timeline[f"worker-{n}"].outcome for n in range(3)} == {"cancelled"}


# Over HTTP, on 127.0.0.1, in real time.


def over_http(
    pages: Mapping[str, Page], body: Callable[[str], Coroutine[Any, Any, object]]
) -> list[str]:
    """Run *body* with the root address of *pages* served; check nothing is left; return the
    paths the server was asked for."""
    site = Site(pages)
    before = open_fds()

    async def served() -> None:
        async with serve(site) as root:
            await body(root)
        assert asyncio.all_tasks() == {asyncio.current_task()}

    try:
        asyncio.run(served())
    finally:
        assert open_fds() == before
    return sorted(site.requests.elements())


@needs_proc
def test_crawl_over_http() -> None:
    found: list[Result] = []

    async def crawl(root: str) -> None:
        # In real time a stall of the busy machine longer than the gap between a page's
        # delay (at most 0.05 s here) and the timeout would time a page out and change the
        # results: 1.5 s leaves a gap of 1.45 s, for about 4.6 s of crawl (/hang's 3 tries).
        crawler = Crawler(root, fetch, timeout=1.5, backoff=0.05)
        found.extend(await crawler.crawl())

    asked = over_http(FAST, crawl)
    in_memory, _ = crawl_demo()
    assert sorted(summary(found)) == sorted(summary(in_memory))
    assert asked == sorted(
        ["/", "/a", "/b", "/a/deep", "/slow", "/old", "/new", "/missing"]
        + ["/flaky"] * 3
        + ["/hang"] * 3
    )


@needs_proc
def test_server_answers() -> None:
    async def requests(root: str) -> None:
        assert await fetch(root + "missing") == Response(
            404, {"content-length": "10", "connection": "close"}, "not found\n"
        )
        moved = await fetch(root + "old")
        assert (moved.status, moved.headers["location"]) == (301, "/new")
        host, port = root[len("http://") : -1].split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(b"POST / HTTP/1.1\r\n\r\n")
        assert (await reader.readline()).startswith(b"HTTP/1.1 405 ")
        writer.close()
        await writer.wait_closed()
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(b"nonsense\r\n\r\n")
        assert await reader.read() == b""  # closed without an answer
        writer.close()
        await writer.wait_closed()

    assert over_http(DEMO, requests) == ["/missing", "/old"]


@needs_proc
def test_server_stops_while_a_page_hangs() -> None:
    async def leave_early(root: str) -> None:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.2):
                await fetch(root + "hang")

    assert over_http(DEMO, leave_early) == ["/hang"]


@needs_proc
def test_interrupted_over_http() -> None:
    before = open_fds()
    results: list[Result] = []

    async def crawl() -> None:
        async with serve(Site(FAST)) as root:

            def report(result: Result, known: int) -> None:
                if len(results) == 3:
                    signal.raise_signal(signal.SIGINT)

            crawler = Crawler(root, fetch, timeout=0.5, report=report)
            crawler.results = results
            await crawler.crawl()

    with pytest.raises(KeyboardInterrupt):
        asyncio.run(crawl())
    # Pages that finished in the same turn of the loop as the third may be in too: the
    # cancellation reaches the workers only when the main task has run.
    assert len(results) >= 3
    assert open_fds() == before


def test_main_interrupted_in_a_child() -> None:
    child = subprocess.run(
        [sys.executable, "-m", "companion.crawler", "--interrupt-after", "2"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert child.returncode == 130
    assert child.stderr == ""
    lines = child.stdout.splitlines()
    assert len(lines) == 3
    assert lines[0].split()[1:] == ["1/8", "/", "200"]
    assert lines[2] == "interrupted after 2 pages"


def test_main_in_process() -> None:
    stream = StringIO()
    assert main(["--interrupt-after", "1"], stream) == 130
    lines = stream.getvalue().splitlines()
    assert lines[0].split()[1:] == ["1/8", "/", "200"]
    assert lines[1:] == ["interrupted after 1 pages"]
