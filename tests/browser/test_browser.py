"""The HTML book in a real browser: Debian's Chromium, driven by Playwright, on a local server.

``make browser-test`` builds the HTML and runs these tests; a plain ``pytest`` (and so
``make test``) leaves this folder out, because ``pyproject.toml``'s ``addopts`` pass
``--ignore=tests/browser``: they need a built book and a browser, which ``make test`` does not.
Naming the folder, as ``make browser-test`` does (``pytest tests/browser``), runs them.

The book is served from ``_build/html`` (or ``$BOOK_HTML``) on 127.0.0.1, on a port the system
picks, by :mod:`http.server` in a thread. The browser is ``/usr/bin/chromium`` (or ``$CHROMIUM``);
Playwright never downloads one. Screenshots go to ``_build/browser-artifacts`` (or
``$BROWSER_ARTIFACTS``).
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    Page,
    Request,
    Response,
    ViewportSize,
    expect,
    sync_playwright,
)

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(os.environ.get("BOOK_HTML", ROOT / "_build" / "html"))
ARTIFACTS = Path(os.environ.get("BROWSER_ARTIFACTS", ROOT / "_build" / "browser-artifacts"))
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
# Headless, and quiet on a machine with no network: without the background-networking flags,
# Chromium keeps trying to reach Google's hosts.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE: ViewportSize = {"width": 375, "height": 740}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
CHAPTER = "asyncio/async-for.html"
"""A chapter with REPL examples, for the copy button and the screenshots."""

IDS = """() => Array.from(
    document.querySelectorAll('[id], a[name]'), e => e.id || e.getAttribute('name'))"""
HREFS = "() => Array.from(document.querySelectorAll('a[href]'), a => a.href)"


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the built book, silently."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        # Chromium asks every site for /favicon.ico; the book declares no icon, so answer
        # "nothing here" rather than 404 (which the browser reports as a console error).
        if self.path == "/favicon.ico" and not Path(self.directory, "favicon.ico").exists():
            self.send_response(204)
            self.end_headers()
            return
        super().do_GET()


@pytest.fixture(scope="module")
def site() -> Path:
    """The built HTML book; the tests fail (they do not skip) when it is not there."""
    if not (SITE / "index.html").is_file():
        pytest.fail(f"no built book in {SITE}: run `make html` first (`make browser-test` does)")
    return SITE


@pytest.fixture(scope="module")
def base_url(site: Path) -> Iterator[str]:
    """The book served on 127.0.0.1, from a thread; the server is shut down and closed after."""
    handler = functools.partial(_Handler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="book-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    assert not thread.is_alive()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless; the tests fail when it is not installed."""
    if not CHROMIUM.exists():
        pytest.fail(f"no {CHROMIUM}: install Debian's chromium (`make system-deps` does)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile (cookies, storage, permissions) for one test."""
    fresh = browser.new_context(viewport=DESKTOP)
    try:
        yield fresh
    finally:
        fresh.close()


@dataclass
class Watch:
    """Everything that goes wrong on a page: console errors, script errors, failed requests."""

    page: Page
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("console", self._console)
        self.page.on("pageerror", self._page_error)
        self.page.on("requestfailed", self._request_failed)
        self.page.on("response", self._response)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location.get("url", "?")
            self.problems.append(f"{self.page.url}: console error: {message.text} ({where})")

    def _page_error(self, error: Error) -> None:
        self.problems.append(f"{self.page.url}: uncaught error: {error}")

    def _request_failed(self, request: Request) -> None:
        self.problems.append(f"{self.page.url}: request failed: {request.url} {request.failure}")

    def _response(self, response: Response) -> None:
        # A page that is not there is reported by the test, with the page that links to it.
        if response.status >= 400 and not response.request.is_navigation_request():
            self.problems.append(f"{self.page.url}: HTTP {response.status}: {response.url}")


def _local_path(href: str, base_url: str) -> str | None:
    """The site-relative path *href* points at, or None if it leaves the site."""
    url, base = urlsplit(href), urlsplit(base_url)
    if (url.scheme, url.netloc) != (base.scheme, base.netloc):
        return None
    path = unquote(url.path).lstrip("/")
    return path + "index.html" if path == "" or path.endswith("/") else path


def _chapters(site: Path) -> set[str]:
    """The pages made from the book's sources (book/**/*.md), as site paths."""
    sources = ROOT / "book"
    return {
        str(md.relative_to(sources).with_suffix(".html"))
        for md in sources.rglob("*.md")
        if (site / md.relative_to(sources).with_suffix(".html")).is_file()
    }


def test_every_page_loads_cleanly_and_every_link_resolves(
    context: BrowserContext, base_url: str, site: Path
) -> None:
    page = context.new_page()
    watch = Watch(page)
    ids: dict[str, set[str]] = {}  # page -> the ids (and a names) on it
    linked_from: dict[str, str] = {}  # page or file -> the first page that links to it
    anchors: list[tuple[str, str, str]] = []  # (page, target page, fragment)
    broken: list[str] = []

    def visit(queue: deque[str]) -> None:
        while queue:
            path = queue.popleft()
            if path in ids:
                continue
            response = page.goto(base_url + path)
            assert response is not None
            ids[path] = set()
            if not response.ok:
                broken.append(
                    f"{linked_from.get(path, '?')}: link to {path}: HTTP {response.status}"
                )
                continue
            ids[path] = set(page.evaluate(IDS))
            for href in page.evaluate(HREFS):
                target = _local_path(href, base_url)
                if target is None:
                    continue
                linked_from.setdefault(target, path)
                if target.endswith(".html"):
                    queue.append(target)
                fragment = unquote(urlsplit(href).fragment)
                if fragment:
                    anchors.append((path, target, fragment))

    # First what a reader reaches from the home page, then any page no link leads to.
    visit(deque(["index.html"]))
    reached = set(ids)
    visit(deque(sorted(str(p.relative_to(site)) for p in site.rglob("*.html"))))

    broken += [
        f"{source}: link to {target}#{fragment}: no such anchor"
        for source, target, fragment in anchors
        if target.endswith(".html") and ids.get(target) and fragment not in ids[target]
    ]
    for target in sorted(t for t in linked_from if not t.endswith(".html")):
        response = context.request.get(base_url + target)
        if not response.ok:
            broken.append(f"{linked_from[target]}: link to {target}: HTTP {response.status}")
    unreached = sorted(_chapters(site) - reached)
    assert not watch.problems + broken, "\n".join(watch.problems + broken)
    assert not unreached, f"chapters no link leads to: {unreached}"
    assert len(ids) > len(_chapters(site)) > 10
    assert len(anchors) > 100


# The section that shows how to use as_completed: found by content (the first section of the
# chapter whose own example calls it), so that it survives a new heading or a new label.
AS_COMPLETED_SECTION = """() => {
    const code = Array.from(document.querySelectorAll('article section pre'))
        .find(pre => pre.textContent.includes('as_completed('));
    return code ? code.closest('section').id : null;
}"""
SECTION_IDS = """(id) => {
    const section = document.getElementById(id);
    return [id, ...Array.from(section.querySelectorAll('[id]'), e => e.id)];
}"""
IN_SECTION = """([sectionId, targetId]) => {
    const section = document.getElementById(sectionId);
    const target = document.getElementById(targetId);
    return section !== null && target !== null && section.contains(target);
}"""


def test_searching_for_as_completed_finds_its_section_and_opens_it(
    context: BrowserContext, base_url: str
) -> None:
    page = context.new_page()
    watch = Watch(page)
    chapter = "asyncio/running-many.html"
    page.goto(base_url + chapter)
    section = page.evaluate(AS_COMPLETED_SECTION)
    assert section, f"{chapter} has no section with an example calling as_completed"
    heading = page.locator(f"section#{section} > h2, section#{section} > h3").first.inner_text()
    inside = {f"{chapter}#{name}" for name in page.evaluate(SECTION_IDS, section)}

    page.goto(base_url + "search.html?q=as_completed")
    results = page.locator("#search-results ul.search li a")
    results.first.wait_for()
    # Results appear one at a time; searchtools.js says "Search finished, found N pages ..." in
    # the summary once the last is shown (Sphinx's message, in the book's language).
    page.wait_for_function(
        "() => /Search finished/.test("
        "document.querySelector('#search-results .search-summary')?.textContent || '')"
    )
    hrefs = [link.get_attribute("href") or "" for link in results.all()]
    hits = [index for index, href in enumerate(hrefs) if href in inside]
    assert hits, f"no search result leads into the section {heading!r}: {hrefs}"

    results.nth(hits[0]).click()
    page.wait_for_url(f"**/{chapter}#*")
    target = urlsplit(page.url).fragment
    assert page.evaluate(IN_SECTION, [section, target])
    # The browser scrolled there: the target is on the screen.
    expect(page.locator(f"[id='{target}']")).to_be_in_viewport()
    assert not watch.problems, "\n".join(watch.problems)


def _copied(displayed: str) -> str:
    """What copying a REPL example should give: its code lines, without prompts or output."""
    lines = []
    for line in displayed.splitlines():
        if line.startswith((">>> ", "... ")):
            lines.append(line[4:])
        elif line.rstrip() in (">>>", "..."):
            lines.append("")
    return "\n".join(lines)


def test_the_copy_button_copies_the_code_of_a_doctest_without_prompts_or_output(
    browser: Browser, base_url: str
) -> None:
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    try:
        page = context.new_page()
        watch = Watch(page)
        page.goto(base_url + CHAPTER)
        blocks = page.locator("div.highlight-pycon")
        # The first REPL example that shows output as well as code.
        shown = [block.locator("pre").inner_text() for block in blocks.all()]
        chosen = next(
            index
            for index, text in enumerate(shown)
            if any(line and not line.startswith((">>>", "...")) for line in text.splitlines())
        )
        block = blocks.nth(chosen)
        block.hover()
        block.locator("button.copybtn").click()
        copied = page.evaluate("() => navigator.clipboard.readText()")
        assert isinstance(copied, str)
        expected = _copied(shown[chosen])
        assert expected.strip()
        assert copied.rstrip("\n") == expected.rstrip("\n")
        assert ">>>" not in copied
        assert not watch.problems, "\n".join(watch.problems)
    finally:
        context.close()


def test_copied_lines_keep_code_and_drop_prompts_and_output() -> None:
    shown = ">>> def f():\n...     return 1\n...\n>>> f()\n1\n>>> print('a')\na"
    assert _copied(shown) == "def f():\n    return 1\n\nf()\nprint('a')"


# At phone width nothing scrolls sideways: not the page, and not the text column (Furo lets its
# .content scroll, so a wide paragraph would scroll it without widening the page). Code blocks
# and tables scroll inside themselves, and are not counted; nor is a box that overflows without
# scrolling (its overflow would make a scrolling box around it wider, and that one is counted).
TOO_WIDE = """() => {
    const wide = [];
    const page = document.scrollingElement;
    if (page.scrollWidth > window.innerWidth) {
        wide.push(`the page is ${page.scrollWidth} px wide in a ${window.innerWidth} px screen`);
    }
    for (let el = document.querySelector('article'); el; el = el.parentElement) {
        const scrolls = ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
        if (scrolls && el.scrollWidth > el.clientWidth) {
            wide.push(`${el.tagName.toLowerCase()}.${el.className}: ` +
                      `${el.scrollWidth} px of content in ${el.clientWidth} px`);
        }
    }
    return wide;
}"""


def test_every_page_fits_a_phone_screen(browser: Browser, base_url: str, site: Path) -> None:
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    try:
        page = context.new_page()
        wide = []
        for path in sorted(str(p.relative_to(site)) for p in site.rglob("*.html")):
            page.goto(base_url + path)
            wide += [f"{path}: {problem}" for problem in page.evaluate(TOO_WIDE)]
        assert page.evaluate("() => window.innerWidth") == PHONE["width"]
        assert not wide, "\n".join(wide)
        # The text is there to read: the article takes the screen's width, not more.
        page.goto(base_url + CHAPTER)
        article = page.locator("article").bounding_box()
        assert article is not None
        assert article["x"] >= 0
        assert article["x"] + article["width"] <= PHONE["width"]
    finally:
        context.close()


@pytest.mark.parametrize(
    ("name", "path", "viewport"),
    [
        ("home", "index.html", DESKTOP),
        ("chapter", CHAPTER, DESKTOP),
        ("chapter-phone", CHAPTER, PHONE),
    ],
)
def test_screenshots_are_saved(
    browser: Browser, base_url: str, name: str, path: str, viewport: ViewportSize
) -> None:
    context = browser.new_context(viewport=viewport)
    try:
        page = context.new_page()
        page.goto(base_url + path)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / f"{name}.png"
        page.screenshot(path=shot, full_page=name == "home")
        assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
        assert shot.stat().st_size > 10_000
    finally:
        context.close()
