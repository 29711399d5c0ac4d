"""A web crawler, and the small web site it crawls: a program using the whole book.

The chapter "Putting it together: a crawler" reads this module from top to bottom, in the order
it grows:

1. **The site** (:class:`Page`, :class:`Site`): what each address answers, and how.
   Some pages are slow, one fails twice before it works, one never answers, one
   redirects, and the links go round in cycles, so that every feature of the crawler
   has something to do.
2. **The server** (:func:`serve`): the site over HTTP on ``127.0.0.1``, with asyncio
   streams and a tiny subset of HTTP/1.1 (``GET``, ``Content-Length``, one request per
   connection).
3. **The client** (:func:`fetch`, :func:`links`): one ``GET`` over a fresh connection,
   and the links of an HTML page.
4. **The crawler** (:class:`Crawler`): a pool of worker tasks on an
   :class:`asyncio.Queue`, inside an :class:`asyncio.TaskGroup`; each address is
   visited once; each request has a timeout, and is retried after a growing pause when
   it times out, fails or gets a 5xx answer.
5. **The progress display** (:class:`Progress`): one line per page, on a text stream.

:meth:`Site.fetch` answers exactly what the server would, without a socket. Under
:func:`companion.virtualtime.run` it lets the same crawl run on a virtual clock, so
the book can print its exact times and draw its timeline
(:func:`companion.scenes.crawl`).
Sockets keep that clock real, so a crawl over :func:`serve` takes real time.

>>> from companion.virtualtime import run
>>> async def crawl_the_demo() -> None:
...     crawler = Crawler("http://site.test/", Site(DEMO).fetch)
...     for result in await crawler.crawl():
...         print(f"{result.time:5}  {result.status}  {result.url}")
>>> run(crawl_the_demo())  # doctest: +ELLIPSIS
  0.0  200  http://site.test/
 0.25  200  http://site.test/a
...
 4.25  None  http://site.test/hang
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, TextIO
from urllib.parse import urldefrag, urljoin, urlsplit

__all__ = [
    "DEMO",
    "Crawler",
    "Fetch",
    "Page",
    "Progress",
    "Response",
    "Result",
    "Site",
    "fetch",
    "links",
    "main",
    "serve",
]


# [crawler-start:site]
class Response(NamedTuple):
    """An HTTP response: status code, headers (names in lower case) and body."""

    status: int
    headers: Mapping[str, str]
    body: str


@dataclass(frozen=True)
class Page:
    """What one address of a :class:`Site` answers, and how."""

    body: str = ""  # the HTML
    delay: float = 0.0  # seconds before the answer
    failures: int = 0  # answer "503 Service Unavailable" to this many requests first
    redirect: str | None = None  # answer "301 Moved Permanently" to this address
    hang: bool = False  # never answer at all


def _html(*paths: str) -> str:
    return "".join(f'<a href="{path}">{path}</a>\n' for path in paths)


#: The demo site: its links go round in cycles, and each page tests one feature
#: of the crawler.
DEMO: Mapping[str, Page] = {
    "/": Page(_html("/a", "/b", "/slow", "/flaky", "/hang", "/old", "/missing")),
    "/a": Page(_html("/", "/b", "/a/deep#top"), delay=0.25),
    "/b": Page(_html("/a"), delay=0.5),
    "/a/deep": Page(_html("../b", "http://elsewhere.test/"), delay=0.25),
    "/slow": Page(_html("/"), delay=0.5),
    "/flaky": Page(_html("/b"), delay=0.125, failures=2),
    "/hang": Page(hang=True),
    "/old": Page(redirect="/new"),
    "/new": Page(_html("/"), delay=0.25),
}


class Site:
    """A web site in memory: *pages* by path; :meth:`respond` answers a request."""

    def __init__(self, pages: Mapping[str, Page]) -> None:
        self.pages = pages
        self.requests: Counter[str] = Counter()  # how often each path was asked for

    async def respond(self, path: str) -> Response:
        """Answer a ``GET`` of *path*, taking the page's time."""
        self.requests[path] += 1
        page = self.pages.get(path)
        if page is None:
            return Response(404, {}, "not found\n")
        if page.hang:
            await asyncio.get_running_loop().create_future()  # nobody ever sets it
        await asyncio.sleep(page.delay)
        if self.requests[path] <= page.failures:
            return Response(503, {}, "try again later\n")
        if page.redirect is not None:
            return Response(301, {"location": page.redirect}, "")
        return Response(200, {"content-type": "text/html"}, page.body)

    async def fetch(self, url: str) -> Response:
        """Answer a ``GET`` of *url* as the server would, without a socket.

        This is a :data:`Fetch`, for a crawl in memory.
        """
        return await self.respond(urlsplit(url).path or "/")


# [crawler-end:site]


# [crawler-start:server]
_REASONS = {200: "OK", 301: "Moved Permanently", 404: "Not Found"}
_REASONS |= {405: "Method Not Allowed", 503: "Service Unavailable"}


@contextlib.asynccontextmanager
async def serve(site: Site) -> AsyncIterator[str]:
    """Serve *site* over HTTP on ``127.0.0.1`` inside the block; give the root's URL.

    On the way out, stop listening, cancel the requests still being answered, and
    wait until every connection is closed, whatever ended the block.
    """
    answering: set[asyncio.Task[None]] = set()
    closing = False

    async def answer(
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        answering.add(task)
        try:
            await _answer(site, reader, writer)
        except asyncio.CancelledError:
            # Cancelled by serve() on its way out: this task is the connection's own,
            # and nobody awaits it, so end it normally (the streams of Python 3.11 and
            # 3.12.1 report an error for a connection's task that ends cancelled).
            if not closing:
                raise
        finally:
            answering.discard(task)

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    try:
        host, port = server.sockets[0].getsockname()[:2]
        yield f"http://{host}:{port}/"
    finally:
        server.close()  # no new connections
        closing = True
        for task in answering:
            task.cancel()  # a page that hangs would keep its connection for ever
        # Each cancelled answer closes its connection in its finally: let them finish.
        await asyncio.gather(*answering, return_exceptions=True)
        await server.wait_closed()


async def _answer(
    site: Site,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
) -> None:
    """Read one request from *reader*, write the site's answer to *writer*, close."""
    try:
        request_line = await reader.readline()
        while await reader.readline() not in (b"\r\n", b"\n", b""):
            pass  # the request's headers: this server needs none of them
        method, target, _version = request_line.decode("latin-1").split()
        if method == "GET":
            response = await site.respond(urlsplit(target).path)
        else:
            response = Response(405, {}, "")
        body = response.body.encode()
        head = [f"HTTP/1.1 {response.status} {_REASONS[response.status]}"]
        head += [f"{name}: {value}" for name, value in response.headers.items()]
        head += [f"content-length: {len(body)}", "connection: close", "", ""]
        writer.write("\r\n".join(head).encode("latin-1") + body)
        await writer.drain()
    except (ValueError, ConnectionError):
        pass  # a malformed request, or a client that left: nothing to answer
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


# [crawler-end:server]


# [crawler-start:client]
#: What the crawler needs to get a page: a function from a URL to a response, such as
#: :func:`fetch` (over HTTP) or :meth:`Site.fetch` (in memory).
Fetch = Callable[[str], Awaitable[Response]]


async def fetch(url: str) -> Response:
    """``GET`` *url* over a new connection, and return the response.

    Raise :exc:`ValueError` for a URL that is not ``http://`` or a response that is
    not HTTP, :exc:`OSError` if the connection fails, and
    :exc:`asyncio.IncompleteReadError` if the server closes it early. The connection
    is closed in every case, cancellation included.
    """
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname is None:
        raise ValueError(f"fetch() needs an http:// URL, got {url!r}")
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
    try:
        request = f"GET {parts.path or '/'} HTTP/1.1\r\nhost: {parts.netloc}\r\n"
        writer.write(f"{request}connection: close\r\n\r\n".encode("latin-1"))
        await writer.drain()
        status_line = (await reader.readline()).decode("latin-1")
        version, status, *_reason = status_line.split()
        if not version.startswith("HTTP/") or not status.isdigit():
            raise ValueError(f"not an HTTP response: {status_line!r}")
        headers = {}
        while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        return Response(int(status), headers, body.decode())
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


_HREF = re.compile(r"""href\s*=\s*["']([^"']*)["']""", re.IGNORECASE)


def links(url: str, html: str) -> list[str]:
    """The absolute URLs that the page *html* at *url* links to, without fragments."""
    return [urldefrag(urljoin(url, href)).url for href in _HREF.findall(html)]


# [crawler-end:client]


# [crawler-start:result]
@dataclass(frozen=True)
class Result:
    """What the crawler learnt about one address: its status, or the last error."""

    url: str
    status: int | None  # the last answer's, None if it got none
    attempts: int
    error: str | None  # why the last attempt failed, if it did
    time: float  # when the page was done, in seconds since the crawl began


# [crawler-end:result]


# [crawler-start:progress]
@dataclass
class Progress:
    """A progress display: one line per page done, written to *stream* at once."""

    stream: TextIO
    done: int = field(default=0, init=False)

    def __call__(self, result: Result, known: int) -> None:
        """Report *result*; *known* is the number of addresses found so far."""
        self.done += 1
        outcome = str(result.status) if result.error is None else result.error
        tries = f"  ({result.attempts} attempts)" if result.attempts > 1 else ""
        path = urlsplit(result.url).path
        line = f"{result.time:6.2f}s  {self.done:>2}/{known:<2} {path}"
        print(f"{line:30} {outcome}{tries}", file=self.stream, flush=True)


# [crawler-end:progress]


class Crawler:
    """A crawler of the pages under *root*, with *workers* requests at most at a time.

    *fetch* gets a page (:func:`fetch`, or :meth:`Site.fetch` for a site in memory).
    A request that takes more than *timeout* seconds (``None``: no limit) is
    cancelled; a request that times out, fails with :exc:`OSError` or
    :exc:`EOFError`, or gets a 5xx answer is tried again up to *retries* more times,
    after a pause of *backoff* seconds that doubles each time. At most *max_pages*
    addresses are visited, each once; links to other hosts are not followed.
    *report*, if given, is called with each :class:`Result` and the number of
    addresses found so far, as each page is done (a :class:`Progress`, say).
    """

    def __init__(
        self,
        root: str,
        fetch: Fetch,
        *,
        workers: int = 3,
        timeout: float | None = 1.0,
        retries: int = 2,
        backoff: float = 0.25,
        max_pages: int = 100,
        report: Callable[[Result, int], object] | None = None,
    ) -> None:
        if workers < 1 or max_pages < 1:
            raise ValueError("workers and max_pages must be at least 1")
        if timeout is not None and not timeout > 0:
            raise ValueError(f"timeout must be positive or None, got {timeout!r}")
        if retries < 0 or not backoff >= 0:
            raise ValueError("retries and backoff must not be negative")
        self.root = urldefrag(root).url
        self.fetch = fetch
        self.workers = workers
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_pages = max_pages
        self.report = report
        #: The results so far, in the order the pages were done.
        self.results: list[Result] = []
        self._seen: set[str] = set()
        self._todo: asyncio.Queue[str] = asyncio.Queue()
        self._start = 0.0

    # [crawler-start:crawl]
    async def crawl(self) -> list[Result]:
        """Visit every page reachable from the root; return the results as they came.

        :attr:`results` holds them, in order of completion, as they come: a crawl
        that is cancelled (by Ctrl-C, say) leaves behind what it had done. The
        workers are cancelled once the queue is empty and no page is being visited;
        if the crawl is cancelled, or a worker fails, the task group cancels them
        and waits for them.
        """
        if self._seen:
            raise RuntimeError("this Crawler has crawled already: make a new one")
        self._start = asyncio.get_running_loop().time()
        self._add(self.root)
        async with asyncio.TaskGroup() as group:
            workers = [
                group.create_task(self._work(), name=f"worker-{number}")
                for number in range(self.workers)
            ]
            await self._todo.join()  # every address found has been visited
            for worker in workers:
                worker.cancel()
        return self.results

    def _add(self, url: str) -> None:
        """Queue *url*, unless seen before, elsewhere, or one too many."""
        if url in self._seen or len(self._seen) >= self.max_pages:
            return
        if urlsplit(url).netloc != urlsplit(self.root).netloc:
            return
        self._seen.add(url)
        self._todo.put_nowait(url)

    async def _work(self) -> None:
        """Visit one page after another, until cancelled."""
        while True:
            url = await self._todo.get()
            try:
                result, found = await self._visit(url)
                self.results.append(result)
                for link in found:
                    self._add(link)  # before task_done(), or join() may return early
                if self.report is not None:
                    self.report(result, len(self._seen))
            finally:
                self._todo.task_done()

    # [crawler-end:crawl]

    # [crawler-start:visit]
    async def _visit(self, url: str) -> tuple[Result, list[str]]:
        """Get the page at *url*, retrying as set; return the result and the links."""
        attempt = 0
        while True:
            attempt += 1
            status = None
            try:
                async with asyncio.timeout(self.timeout):
                    response = await self.fetch(url)
            except TimeoutError:  # before OSError, of which it is a subclass
                error = "timed out"
            except (OSError, EOFError) as exc:
                error = type(exc).__name__
            else:
                status = response.status
                if status < 500:
                    found = self._links(url, response)
                    return self._result(url, status, attempt, None), found
                error = "server error"
            if attempt > self.retries:
                return self._result(url, status, attempt, error), []
            await asyncio.sleep(self.backoff * 2 ** (attempt - 1))

    # [crawler-end:visit]

    def _links(self, url: str, response: Response) -> list[str]:
        headers = response.headers
        if response.status in (301, 302, 303, 307, 308) and "location" in headers:
            return [urljoin(url, headers["location"])]
        if response.status == 200 and "html" in headers.get("content-type", ""):
            return links(url, response.body)
        return []

    def _result(
        self,
        url: str,
        status: int | None,
        attempts: int,
        error: str | None,
    ) -> Result:
        elapsed = asyncio.get_running_loop().time() - self._start
        return Result(url, status, attempts, error, round(elapsed, 6))


# [crawler-start:main]
def main(argv: Sequence[str] | None = None, stream: TextIO | None = None) -> int:
    """Crawl the demo site over HTTP on 127.0.0.1, reporting to *stream* (stdout).

    Return the exit status: 0, or 130 if interrupted (what a shell reports for
    Ctrl-C). ``--interrupt-after N`` sends the process a SIGINT (what Ctrl-C sends)
    once N pages are done.
    """
    parser = argparse.ArgumentParser(prog="python -m companion.crawler")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=1.0)
    parser.add_argument("--interrupt-after", type=int, metavar="N")
    options = parser.parse_args(argv)
    stream = sys.stdout if stream is None else stream
    progress = Progress(stream)

    def report(result: Result, known: int) -> None:
        progress(result, known)
        if progress.done == options.interrupt_after:
            signal.raise_signal(signal.SIGINT)  # as if the user pressed Ctrl-C now

    async def crawl_own_site() -> None:
        async with serve(Site(DEMO)) as root:
            crawler = Crawler(
                root,
                fetch,
                workers=options.workers,
                timeout=options.timeout,
                report=report,
            )
            await crawler.crawl()

    try:
        asyncio.run(crawl_own_site())
    except KeyboardInterrupt:
        print(f"interrupted after {progress.done} pages", file=stream)
        return 130
    print(f"done: {progress.done} pages", file=stream)
    return 0


# [crawler-end:main]

if __name__ == "__main__":
    sys.exit(main())
