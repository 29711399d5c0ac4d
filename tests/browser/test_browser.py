"""The HTML book in a real browser: Debian's Chromium, driven by Playwright, on a local server.

``make browser-test`` builds the HTML and runs these tests; a plain ``pytest`` (and so
``make test``) leaves this folder out, because ``pyproject.toml``'s ``addopts`` pass
``--ignore=tests/browser``: they need a built book and a browser, which ``make test`` does not.
Naming the folder, as ``make browser-test`` does (``pytest tests/browser``), runs them.

The book is served from ``_build/html`` (or ``$BOOK_HTML``) on 127.0.0.1, on a port the system
picks, by :mod:`http.server` in a thread. The browser is ``/usr/bin/chromium`` (or ``$CHROMIUM``);
Playwright never downloads one. Screenshots go to ``_build/browser-artifacts`` (or
``$BROWSER_ARTIFACTS``).

``$BOOK_DOWNLOADS`` lists (space-separated) the files the book was built to offer for download
(``make browser-test`` passes the PDF and the EPUB when they are built, as ``make dist`` does);
the front page must link each of them, and nothing else. ``$AXE_JS`` is axe-core's script
(``make browser-test`` installs the pinned version from the npm registry into ``_build``); the
accessibility audit fails without it.
"""

from __future__ import annotations

import contextlib
import doctest
import functools
import hashlib
import http.server
import os
import re
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    FloatRect,
    Locator,
    Page,
    Request,
    Response,
    ViewportSize,
    expect,
    sync_playwright,
)
from playwright.sync_api import TimeoutError as PlaywrightTimeout

import companion
from booktools.editions import colophon
from booktools.examples.contract import DOCTEST_FLAGS

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(os.environ.get("BOOK_HTML", ROOT / "_build" / "html"))
DOWNLOADS = [Path(name) for name in os.environ.get("BOOK_DOWNLOADS", "").split()]
AXE_JS = Path(os.environ["AXE_JS"]) if os.environ.get("AXE_JS") else None
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
# The links of a page, but those to the same page in another edition, which lie outside the
# site served here (test_each_page_links_to_the_same_page_in_the_other_edition checks them).
HREFS = """() => Array.from(
    document.querySelectorAll('a[href]:not(.book-editions a)'), a => a.href)"""


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


@contextlib.contextmanager
def _serving(directory: Path) -> Iterator[str]:
    """*directory* served on 127.0.0.1, from a thread, at the URL given; the server is shut down
    and closed after."""
    handler = functools.partial(_Handler, directory=str(directory))
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
def base_url(site: Path) -> Iterator[str]:
    """The book served on 127.0.0.1."""
    with _serving(site) as url:
        yield url


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

    results = _search(page, base_url, "as_completed")
    hrefs = [link.get_attribute("href") or "" for link in results.all()]
    hits = [index for index, href in enumerate(hrefs) if href in inside]
    assert hits, f"no search result leads into the section {heading!r}: {hrefs}"
    assert hits[0] < 3, f"the section {heading!r} is result {hits[0] + 1}: {hrefs}"

    results.nth(hits[0]).click()
    page.wait_for_url(f"**/{chapter}#*")
    target = urlsplit(page.url).fragment
    assert page.evaluate(IN_SECTION, [section, target])
    # The browser scrolled there: the target is on the screen.
    expect(page.locator(f"[id='{target}']")).to_be_in_viewport()
    assert not watch.problems, "\n".join(watch.problems)


def _search(page: Page, base_url: str, query: str) -> Locator:
    """The links of the results of searching for *query*, once the search has finished."""
    page.goto(base_url + "search.html?q=" + quote(query))
    results = page.locator("#search-results ul.search li > a")
    results.first.wait_for()
    # Results appear one at a time; searchtools.js says "Search finished, found N pages ..." in
    # the summary once the last is shown (Sphinx's message, in the book's language: 搜索完成).
    page.wait_for_function(
        "() => /Search finished|搜索完成/.test("
        "document.querySelector('#search-results .search-summary')?.textContent || '')"
    )
    return results


def _names(title: str, query: str) -> bool:
    """True if *title* has the words of *query*, in order, as whole words (case aside); each
    Chinese character is a word (book-search.js splits words the same way)."""
    words = r"[\u4e00-\u9fff]|[^\W\u4e00-\u9fff]+"
    wanted = re.findall(words, query.lower())
    found = re.findall(words, title.lower())
    return any(found[i : i + len(wanted)] == wanted for i in range(len(found)))


@pytest.mark.parametrize("query", ["as_completed", "TaskGroup", "PEP 479"])
def test_search_ranks_a_section_named_for_the_query_in_the_top_three(
    context: BrowserContext, base_url: str, query: str
) -> None:
    page = context.new_page()
    watch = Watch(page)
    results = _search(page, base_url, query)
    shown = [link.inner_text() for link in results.all()]
    # A result in a section shows "Page > Section"; the section's own title must name the query.
    sections = [title.split(" > ", 1)[1] for title in shown[:3] if " > " in title]
    assert any(_names(section, query) for section in sections), shown[:10]
    # Each result says where it leads: no two results that are not API objects (which show
    # their own names) carry the same title.
    titles = [
        link.inner_text()
        for link in page.locator("#search-results ul.search li:not(.kind-object) > a").all()
    ]
    repeated = sorted({title for title in titles if titles.count(title) > 1})
    assert not repeated, f"results with the same title: {repeated}"
    assert not watch.problems, "\n".join(watch.problems)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"search-{query.replace(' ', '-')}.png")


def test_section_names_match_whole_words_in_order() -> None:
    assert _names("How is as_completed built?", "as_completed")
    assert _names("What PEP 479 changed, and when", "PEP 479")
    assert not _names("What PEP 380 changed about 479", "PEP 479")
    assert not _names("as_completed_later", "as_completed")
    assert _names("事件循环到底运行什么？", "事件循环")
    assert _names("用生成器构建的事件循环", "事件循环")
    assert not _names("两个函数如何共用一个线程？", "事件循环")
    assert not _names("事件的循环", "事件循环")


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


# -- The front door ---------------------------------------------------------------------------


def test_the_front_page_starts_reading_and_names_its_edition(
    browser: Browser, base_url: str
) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        watch = Watch(page)
        page.goto(base_url + "index.html")
        # The way in is on the first screen, even a phone's, and leads to the preface.
        start = page.locator("p.start-reading a")
        expect(start).to_have_count(1)
        expect(start).to_be_in_viewport()
        start.click()
        page.wait_for_url("**/preface.html")
        page.go_back()
        # The edition: its version and date, and the page that says what changed in it.
        text = page.locator("article").inner_text()
        date = colophon.edition(ROOT).date
        assert companion.__version__ in text
        assert date in text
        assert "MIT" in text
        changelog = page.locator("article p a[href='changelog.html']")
        expect(changelog).to_have_count(1)
        changelog.click()
        page.wait_for_url("**/changelog.html")
        assert companion.__version__ in page.locator("article h2").first.inner_text()
        # Where the source lives: a link when pyproject.toml has the address, words otherwise.
        page.goto(base_url + "index.html")
        source = page.locator("article .book-source")
        expect(source).to_have_count(1)
        url = colophon.source_url(ROOT)
        if url is None:
            assert source.evaluate("e => e.tagName") != "A"
        else:
            assert source.get_attribute("href") == url
        assert not watch.problems, "\n".join(watch.problems)
    finally:
        context.close()


def test_the_front_page_links_exactly_the_downloads_it_was_built_with(
    context: BrowserContext, base_url: str
) -> None:
    page = context.new_page()
    page.goto(base_url + "index.html")
    links = page.locator("article a.book-download")
    hrefs = [link.get_attribute("href") or "" for link in links.all()]
    assert sorted(Path(href).name for href in hrefs) == sorted(p.name for p in DOWNLOADS)
    for href, built in zip(sorted(hrefs), sorted(DOWNLOADS, key=lambda p: p.name), strict=True):
        response = context.request.get(base_url + href)
        assert response.ok, f"{href}: HTTP {response.status}"
        body = response.body()
        assert hashlib.sha256(body).digest() == hashlib.sha256(built.read_bytes()).digest(), href
        magic = {".pdf": b"%PDF-", ".epub": b"PK\x03\x04"}[built.suffix]
        assert body.startswith(magic), href


# -- Figures and tables on a phone ----------------------------------------------------------

# The smallest label of an SVG figure, in CSS pixels, as the image is shown: its font size in
# the drawing's units times the drawing's scale on the screen.
SMALLEST_LABEL = """async (image) => {
    const svg = new DOMParser().parseFromString(
        await (await fetch(image.currentSrc)).text(), 'image/svg+xml');
    const sizes = Array.from(svg.querySelectorAll('text'), text =>
        parseFloat(/font-size:\\s*([\\d.]+)px/.exec(text.getAttribute('style') || '')?.[1]))
        .filter(size => size > 0);
    const width = svg.documentElement.viewBox.baseVal.width;
    return sizes.length && width ? Math.min(...sizes) * image.clientWidth / width : null;
}"""
READABLE_PX = 11.0


def test_figures_on_a_phone_open_large_enough_to_read(
    browser: Browser, base_url: str, site: Path
) -> None:
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    try:
        page = context.new_page()
        watch = Watch(page)
        pages = sorted(
            str(p.relative_to(site))
            for p in site.rglob("*.html")
            if "<figure" in p.read_text(encoding="utf-8")
        )
        assert pages, "no page with a figure"
        checked = 0
        for path in pages:
            page.goto(base_url + path)
            figures = page.locator("article figure:has(img[src$='.svg'])")
            for index in range(figures.count()):
                figure = figures.nth(index)
                link = figure.locator("a.book-enlarge")
                expect(link, f"{path}: figure {index + 1} has no link").to_have_count(1)
                assert (link.get_attribute("href") or "").endswith(".svg")
                image = link.locator("img")
                small = image.evaluate(SMALLEST_LABEL)
                assert small is not None
                link.scroll_into_view_if_needed()
                link.tap()
                zoom = page.locator("dialog.book-zoom[open] img")
                expect(zoom).to_be_visible()
                large = zoom.evaluate(SMALLEST_LABEL)
                assert large is not None
                assert large >= READABLE_PX > small, f"{path}: labels {small:.1f} -> {large:.1f} px"
                if checked == 0:
                    ARTIFACTS.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=ARTIFACTS / "figure-enlarged-phone.png")
                page.keyboard.press("Escape")
                expect(page.locator("dialog.book-zoom")).to_have_count(0)
                checked += 1
        assert checked >= 5, f"only {checked} figures found"
        assert not watch.problems, "\n".join(watch.problems)
    finally:
        context.close()


# Every table, at phone width, shows all its columns: it is no wider than the box that would
# scroll it sideways (Furo wraps a table in one), and its last column ends on the screen.
TABLES_CUT = """() => Array.from(document.querySelectorAll('article table'), (table, i) => {
    let box = table.parentElement;
    while (box !== document.body && !['auto', 'scroll'].includes(getComputedStyle(box).overflowX)) {
        box = box.parentElement;
    }
    const right = Math.max(...Array.from(table.querySelectorAll('tr > :last-child'),
                                         cell => cell.getBoundingClientRect().right));
    return (box.scrollWidth > box.clientWidth + 1 || right > window.innerWidth + 1)
        ? `table ${i + 1}: ${box.scrollWidth} px in ${box.clientWidth} px, ` +
          `last column ends at ${Math.round(right)} px` : null;
}).filter(problem => problem)"""


def test_every_table_shows_its_last_column_on_a_phone(
    browser: Browser, base_url: str, site: Path
) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        cut = []
        tables = 0
        for path in sorted(str(p.relative_to(site)) for p in site.rglob("*.html")):
            page.goto(base_url + path)
            tables += page.locator("article table").count()
            cut += [f"{path}: {problem}" for problem in page.evaluate(TABLES_CUT)]
            if path == "errata.html":
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                page.locator("article table tbody tr").nth(3).scroll_into_view_if_needed()
                page.screenshot(path=ARTIFACTS / "errata-phone.png")
        assert not cut, "\n".join(cut)
        assert tables > 5
    finally:
        context.close()


# -- Accessibility ------------------------------------------------------------------------------

AXE_RUN = """async () => (await axe.run(document)).violations
    .filter(v => v.impact === 'critical' || v.impact === 'serious')
    .map(v => `${v.impact} ${v.id} (${v.nodes.length}): ${v.help}: ` +
              v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))"""


def _audit(page: Page) -> list[str]:
    """The critical and serious violations axe-core finds on *page* as it is now."""
    missing = f"no axe-core script ({AXE_JS}): run `make browser-test`, which installs it"
    assert AXE_JS is not None, missing
    assert AXE_JS.is_file(), missing
    page.add_script_tag(path=str(AXE_JS))
    return [f"{page.url}: {problem}" for problem in page.evaluate(AXE_RUN)]


def test_axe_finds_no_serious_accessibility_problem_on_any_page(
    context: BrowserContext, base_url: str, site: Path
) -> None:
    page = context.new_page()
    problems = []
    for path in sorted(str(p.relative_to(site)) for p in site.rglob("*.html")):
        page.goto(base_url + path)
        problems += _audit(page)
    # The search page once it shows results, which the script builds.
    _search(page, base_url, "as_completed")
    problems += _audit(page)
    assert not problems, "\n".join(problems)


def test_axe_finds_no_serious_accessibility_problem_on_a_phone(
    browser: Browser, base_url: str
) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        problems = []
        # Code blocks scroll sideways on a phone that fit a desktop; and an enlarged figure.
        for path in ["index.html", CHAPTER, "errata.html", "asyncio/running-many.html"]:
            page.goto(base_url + path)
            problems += _audit(page)
        page.locator("a.book-enlarge").first.tap()
        expect(page.locator("dialog.book-zoom[open]")).to_be_visible()
        problems += _audit(page)
        assert not problems, "\n".join(problems)
    finally:
        context.close()


# -- Python in the browser (Pyodide) ---------------------------------------------------------------
# The book ships Pyodide (booktools/editions/browser.py); nothing of it loads until the reader
# asks, and then only from the book's own server. Starting it takes seconds, and longer on a
# loaded machine: the waits below allow for that.

PYTHON_START = 180_000
"""How long, in milliseconds, Pyodide may take to load and start."""


def _requests(page: Page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    return seen


def test_the_console_runs_python_from_the_books_own_server(
    context: BrowserContext, base_url: str, site: Path
) -> None:
    assert (site / "_static" / "pyodide" / "pyodide.asm.wasm").is_file(), (
        "this book was built without Pyodide (no npm?): the console cannot run"
    )
    page = context.new_page()
    watch = Watch(page)
    requested = _requests(page)
    # A chapter with examples that run leads there, under its title.
    page.goto(base_url + ASYNCIO_CHAPTER)
    link = page.locator("article h1 + p.book-console-link a")
    expect(link).to_have_count(1)
    link.click()
    page.wait_for_url("**/console.html")
    console = page.locator(".book-console")
    words = console.evaluate("box => ({...box.dataset})")
    problems = _audit(page)  # before Start: only the button shows
    assert not [url for url in requested if "pyodide" in url], "Pyodide loaded before Start"
    page.get_by_role("button", name=words["start"]).click()
    code = page.get_by_role("textbox", name=words["input"])
    expect(code).to_be_hidden()  # until Python is ready
    status = page.locator(".book-console-status")
    expect(status).to_have_text(words["ready"].replace("{version}", "3.14.2"), timeout=PYTHON_START)
    expect(code).to_be_visible()
    log = page.locator(".book-console-log")
    for source in ["import companion; await asyncio.sleep(0)", "companion.__name__"]:
        code.fill(source)
        code.press("Enter")
    expect(log).to_contain_text(">>> companion.__name__\n'companion'", timeout=30_000)
    assert "Traceback" not in log.inner_text()
    problems += _audit(page)  # the prompt and what it printed
    assert not problems, "\n".join(problems)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "console.png", full_page=True)
    assert [url for url in requested if url.endswith("pyodide.asm.wasm")]
    assert not [url for url in requested if not url.startswith(base_url)], requested
    assert not watch.problems, "\n".join(watch.problems)


BOOK_OUTPUT = """(pre) => pre.innerText.split('\\n')
    .filter(line => line && !line.startsWith('>>>') && !line.startsWith('...'))
    .join('\\n')"""


def test_an_example_runs_in_the_browser_as_in_the_book_and_runs_again_edited(
    context: BrowserContext, base_url: str
) -> None:
    page = context.new_page()
    watch = Watch(page)
    requested = _requests(page)
    page.goto(base_url + "generators/yield-and-next.html")
    words = page.evaluate(
        "() => JSON.parse(document.getElementById('book-examples').textContent).words"
    )
    # The first doctest session with a Run control that shows some output.
    bars = page.locator("div.highlight-pycon + .book-run")
    for index in range(bars.count()):
        bar = bars.nth(index)
        block = bar.locator("xpath=preceding-sibling::div[1]")
        book = block.locator("pre").evaluate(BOOK_OUTPUT)
        if book:
            break
    else:
        pytest.fail("no session with a Run control shows output")
    bar.get_by_role("button", name=words["example-run"]).click()
    status = bar.locator(".book-run-status")
    expect(status).to_have_text(words["example-same"], timeout=PYTHON_START)
    result = bar.locator("xpath=following-sibling::pre[1]")
    got = "".join(result.locator(".book-run-got").all_inner_texts()).rstrip("\n")
    # Equal as the book's other runners compare (doctest, with the book's flags: ELLIPSIS).
    assert doctest.OutputChecker().check_output(book + "\n", got + "\n", DOCTEST_FLAGS), (got, book)
    assert not result.locator(".book-run-bad").count()

    # Edited, it runs again, and the difference from the book is marked.
    bar.get_by_role("button", name=words["example-edit"]).click()
    pre = block.locator("pre")
    expect(pre).to_have_attribute("contenteditable", "plaintext-only")
    pre.press("Control+End")
    pre.press_sequentially("\n>>> print('edited in the browser')\n")
    bar.get_by_role("button", name=words["example-run"]).click()
    expect(status).to_have_text(words["example-differs"], timeout=60_000)
    expect(result.locator(".book-run-bad")).to_have_text("edited in the browser\n")
    problems = _audit(page)  # the controls, the edited example and its output
    assert not problems, "\n".join(problems)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    bar.scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / "example-edited.png")
    assert not [url for url in requested if not url.startswith(base_url)], requested
    assert not watch.problems, "\n".join(watch.problems)


# Select the characters at [start, end) of the text of *pre*, across the highlighter's spans,
# as a reader would with the mouse, so that typing replaces them.
SELECT_TEXT = """(pre, [start, end]) => {
    const walker = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    let seen = 0;
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const length = node.textContent.length;
        if (seen <= start && start < seen + length) range.setStart(node, start - seen);
        if (seen < end && end <= seen + length) range.setEnd(node, end - seen);
        seen += length;
    }
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
}"""
ASYNCIO_CHAPTER = "asyncio/async-with.html"
POOL_OF_TWO = "Pool(2), []"
"""What the asyncio example edited below says; the test makes it a pool of three."""


def test_an_asyncio_example_edited_in_place_runs_again_as_cpython_runs_it(
    context: BrowserContext, base_url: str
) -> None:
    page = context.new_page()
    watch = Watch(page)
    requested = _requests(page)
    pool = _pool_example(page, base_url)
    words, example, pre, bar, result = pool.words, pool.example, pool.pre, pool.bar, pool.result
    assert example["reason"] is None
    assert "asyncio.run(main())" in example["source"]

    # The reader presses Edit, selects the 2 of Pool(2) and types 3 over it.
    bar.get_by_role("button", name=words["example-edit"]).click()
    expect(pre).to_be_focused()
    start = pre.inner_text().index(POOL_OF_TWO) + len("Pool(")
    pre.evaluate(SELECT_TEXT, [start, start + 1])
    page.keyboard.type("3")
    edited = pre.inner_text()
    assert "Pool(3), []" in edited
    bar.get_by_role("button", name=words["example-run"]).click()
    expect(bar.locator(".book-run-status")).to_have_text(
        words["example-differs"], timeout=PYTHON_START
    )

    # What CPython prints for the edited program (its page imported Pool before it), and so
    # what the browser must print, unlike the book's pool of two.
    setup = "import asyncio\nfrom companion.aprotocols import Pool\n"
    done = subprocess.run(
        [sys.executable, "-c", setup + edited],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        cwd=ROOT,
    )
    got = "".join(result.locator(".book-run-got").all_inner_texts())
    assert got == done.stdout
    assert got != example["want"]
    assert "c in slot 2" in got  # three slots: the third task no longer waits
    # Only the lines that a line diff shows are marked, on both sides.
    marked = [
        [line.rstrip("\n") for line in result.locator(f"{side} .book-run-bad").all_inner_texts()]
        for side in (".book-run-got", ".book-run-want")
    ]
    assert marked == _differing_lines(got, example["want"])
    assert marked[0]  # the edit changed something that a line shows
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # The edited code, the book's output, the controls and the browser's output, in one picture.
    top, bottom = pre.bounding_box(), result.bounding_box()
    assert top is not None
    assert bottom is not None
    margin = 16
    # Boxes are measured in the window; a full-page picture is clipped in the page.
    scroll_x, scroll_y = page.evaluate("() => [window.scrollX, window.scrollY]")
    clip: FloatRect = {
        "x": top["x"] + scroll_x - margin,
        "y": top["y"] + scroll_y - margin,
        "width": top["width"] + 2 * margin,
        "height": bottom["y"] + bottom["height"] - top["y"] + 2 * margin,
    }
    page.screenshot(path=ARTIFACTS / "asyncio-example-edited.png", clip=clip, full_page=True)
    assert not [url for url in requested if not url.startswith(base_url)], requested
    assert not watch.problems, "\n".join(watch.problems)


EXAMPLES = "() => JSON.parse(document.getElementById('book-examples').textContent)"


@dataclass
class PoolExample:
    """The async-with chapter's pool example on its page: what the tests press and read."""

    words: dict[str, str]  # the Run controls' words, from the page
    example: dict[str, Any]  # the example's entry in the page's data
    pre: Locator  # its code
    output: Locator  # the output the book shows
    bar: Locator  # the Run and Edit controls, and the status
    result: Locator  # what the browser printed


def _pool_example(page: Page, base_url: str) -> PoolExample:
    """Open the async-with chapter and find its pool example (a pool of two slots)."""
    page.goto(base_url + ASYNCIO_CHAPTER)
    data = page.evaluate(EXAMPLES)
    [example] = [e for e in data["examples"] if POOL_OF_TWO in e["source"]]
    index = example["index"]
    bar = page.locator(f".book-run-out-{index} + .book-run")
    return PoolExample(
        words=data["words"],
        example=example,
        pre=page.locator(f".book-run-{index} pre"),
        output=page.locator(f".book-run-out-{index}"),
        bar=bar,
        result=bar.locator("xpath=following-sibling::pre[1]"),
    )


# -- When Python cannot run, by keyboard, and on a phone -------------------------------------

# A browser without WebAssembly (turned off, as some hardened modes do) has no global of that
# name; one without stack switching (JSPI) lacks the two names Pyodide looks for. Each is made
# here by removing them before the page's scripts run.
NO_WEBASSEMBLY = "delete globalThis.WebAssembly;"
NO_STACK_SWITCHING = "delete WebAssembly.Suspending; delete WebAssembly.Suspender;"
ACTIVE = "() => document.activeElement && document.activeElement.className"


def _differing_lines(got: str, want: str) -> list[list[str]]:
    """The lines of *got* and of *want* outside a longest common subsequence of the two (ties
    broken as the page's script breaks them): what the page marks."""
    lines = [text.rstrip("\n").split("\n") if text else [] for text in (got, want)]
    a, b = lines
    common = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in reversed(range(len(a))):
        for j in reversed(range(len(b))):
            common[i][j] = (
                common[i + 1][j + 1] + 1
                if a[i] == b[j]
                else max(common[i + 1][j], common[i][j + 1])
            )
    kept: list[set[int]] = [set(), set()]
    i = j = 0
    while i < len(a) and j < len(b):
        if a[i] == b[j]:
            kept[0].add(i)
            kept[1].add(j)
            i, j = i + 1, j + 1
        elif common[i + 1][j] >= common[i][j + 1]:
            i += 1
        else:
            j += 1
    return [
        [line for n, line in enumerate(side) if n not in kept[k]] for k, side in enumerate(lines)
    ]


def _upper(match: re.Match[str]) -> str:
    return match[1].upper()  # data-no-stack-switching is dataset.noStackSwitching


@pytest.mark.parametrize(
    ("init", "word"),
    [(NO_WEBASSEMBLY, "unavailable"), (NO_STACK_SWITCHING, "no-stack-switching")],
)
def test_without_webassembly_or_stack_switching_the_page_says_so_and_the_book_stays(
    browser: Browser, base_url: str, init: str, word: str
) -> None:
    context = browser.new_context(viewport=DESKTOP)
    try:
        context.add_init_script(init)
        page = context.new_page()
        watch = Watch(page)
        requested = _requests(page)
        pool = _pool_example(page, base_url)
        words, pre, output, bar = pool.words, pool.pre, pool.output, pool.bar
        code, printed = pre.inner_text(), output.inner_text()
        bar.get_by_role("button", name=words["example-run"]).click()
        expect(bar.get_by_role("status")).to_have_text(words[word])
        # The example and the book's output are still there to read, unchanged.
        expect(pre).to_be_visible()
        expect(output).to_be_visible()
        assert (pre.inner_text(), output.inner_text()) == (code, printed)
        expect(pool.result).to_be_hidden()

        page.goto(base_url + "console.html")
        console = page.locator(".book-console")
        said = console.evaluate("box => box.dataset")[re.sub(r"-(.)", _upper, word)]
        page.get_by_role("button", name=console.evaluate("box => box.dataset.start")).click()
        expect(console.get_by_role("status")).to_have_text(said)
        assert said == words[word]
        assert not [url for url in requested if "pyodide" in url], "Pyodide was fetched"
        assert not watch.problems, "\n".join(watch.problems)
    finally:
        context.close()


def test_an_example_runs_and_is_edited_from_the_keyboard(
    context: BrowserContext, base_url: str
) -> None:
    page = context.new_page()
    watch = Watch(page)
    pool = _pool_example(page, base_url)
    words, pre, bar, result = pool.words, pool.pre, pool.bar, pool.result
    run = bar.get_by_role("button", name=words["example-run"])
    status = bar.get_by_role("status")

    run.focus()
    page.keyboard.press("Enter")  # Run
    expect(status).to_have_text(words["example-same"], timeout=PYTHON_START)
    page.keyboard.press("Tab")
    assert page.evaluate(ACTIVE) == "book-edit-button"
    page.keyboard.press("Space")  # Edit: the code takes the focus, to be typed into
    expect(pre).to_be_focused()
    page.keyboard.press("Control+End")
    page.keyboard.type("\nprint('typed')")
    page.keyboard.press("Tab")  # and the focus leaves it again: no trap
    expect(pre).not_to_be_focused()
    run.focus()
    page.keyboard.press("Space")  # Run again
    expect(status).to_have_text(words["example-differs"], timeout=60_000)
    expect(result.locator(".book-run-bad")).to_contain_text("typed")
    # Then the output, which a keyboard reaches after the controls, to scroll or read.
    for expected in ["book-edit-button", "book-run-result"]:
        page.keyboard.press("Tab")
        assert page.evaluate(ACTIVE) == expected
    assert not watch.problems, "\n".join(watch.problems)


def test_an_examples_output_fits_a_phone_screen(browser: Browser, base_url: str) -> None:
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    try:
        page = context.new_page()
        watch = Watch(page)
        pool = _pool_example(page, base_url)
        words, pre, bar, result = pool.words, pool.pre, pool.bar, pool.result
        bar.get_by_role("button", name=words["example-edit"]).tap()
        page.keyboard.press("Control+End")
        page.keyboard.type("\nprint('a-long-line-' * 40)")  # wider than any phone
        bar.get_by_role("button", name=words["example-run"]).tap()
        expect(bar.get_by_role("status")).to_have_text(
            words["example-differs"], timeout=PYTHON_START
        )
        expect(result).to_contain_text("a-long-line-a-long-line-")
        assert page.evaluate(TOO_WIDE) == []
        box = result.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= PHONE["width"]
        assert result.evaluate("e => e.scrollWidth <= e.clientWidth")  # it wraps
        assert pre.is_visible()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        result.scroll_into_view_if_needed()
        page.screenshot(path=ARTIFACTS / "example-output-phone.png")
        assert not watch.problems, "\n".join(watch.problems)
    finally:
        context.close()


RUN_DONE = """(index) => !document.querySelectorAll('.book-run-button')[index].disabled"""
EXAMPLE_RUN = 60_000
"""How long, in milliseconds, one example may run once Pyodide has started."""


def test_every_example_that_can_run_in_a_browser_runs_as_in_the_book(
    context: BrowserContext, base_url: str, site: Path
) -> None:
    # The book's third runner: every Run control on every page, pressed in order, must give the
    # book's output (book_inbrowser compares it as doctest does). The tally of what ran and what
    # was left out, by reason, is printed and saved with the screenshots, with the name each
    # example left out for depending on another needs.
    page = context.new_page()
    watch = Watch(page)
    requested = _requests(page)
    tally: dict[str, int] = {}
    needs: list[str] = []
    failures: list[str] = []
    pages = sorted(
        str(path.relative_to(site))
        for path in site.rglob("*.html")
        if 'id="book-examples"' in path.read_text(encoding="utf-8")
    )
    for path in pages:
        page.goto(base_url + path)
        data = page.evaluate(EXAMPLES)
        words = data["words"]
        shown = [example for example in data["examples"] if example["shown"]]
        for number, example in enumerate(shown, start=1):
            if example["reason"] is not None:
                tally[example["reason"]] = tally.get(example["reason"], 0) + 1
            if "needs" in example:
                needs.append(f"{path}, example {number}: needs {example['needs']}")
        runnable = [example for example in shown if example["reason"] is None]
        buttons = page.locator(".book-run-button")
        assert buttons.count() == len(runnable), path
        for index, example in enumerate(runnable):
            buttons.nth(index).click()
            try:
                # The first press on a page loads Pyodide too.
                wait = PYTHON_START if index == 0 else EXAMPLE_RUN
                page.wait_for_function(RUN_DONE, arg=index, timeout=wait)
            except PlaywrightTimeout:
                failures.append(
                    f"{path}, example {index + 1} with a Run control: still running after "
                    f"{wait / 1000:.0f} s (the page's later examples were not run):\n"
                    + example["source"]
                )
                break
            status = page.locator(".book-run-status").nth(index).inner_text()
            tally["ran"] = tally.get("ran", 0) + 1
            if status != words["example-same"]:
                result = page.locator(".book-run-result").nth(index).inner_text()
                failures.append(f"{path}, example {index + 1} with a Run control:\n{result}")
    left_out = {reason: count for reason, count in tally.items() if reason != "ran"}
    report = [f"ran in the browser: {tally.get('ran', 0)}; left out: {sum(left_out.values())}"]
    report += [
        f"{count:5}  {reason}" for reason, count in sorted(left_out.items(), key=lambda i: -i[1])
    ]
    report += ["", "Left out for depending on an example that cannot run (shown examples):"]
    report += needs
    print("\n".join(report))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "examples-in-the-browser.txt").write_text("\n".join(report) + "\n")
    assert not failures, "\n\n".join(failures)
    assert tally.get("ran", 0) > 100
    assert not [url for url in requested if not url.startswith(base_url)]
    assert not watch.problems, "\n".join(watch.problems)


# -- The Chinese edition -------------------------------------------------------------------------
# `make browser-test` builds both editions side by side, each page linking to the same page in
# the other (make html-all's layout), and these tests read the Chinese one ($BOOK_HTML_ZH).

SITE_ZH = Path(os.environ.get("BOOK_HTML_ZH", ROOT / "_build" / "html-zh_CN"))
HAN = re.compile(r"[\u4e00-\u9fff]")
EDITION_LINK = re.compile(
    r'<nav class="book-editions"[^>]*>.*?<a href="([^"]+)" hreflang="([^"]+)"'
)


@pytest.fixture(scope="module")
def editions_url(site: Path) -> Iterator[str]:
    """The folder that holds both editions, served: the English at ``<url><site name>/``, the
    Chinese at ``<url><zh name>/``."""
    if not (SITE_ZH / "index.html").is_file():
        pytest.fail(f"no Chinese edition in {SITE_ZH}: run `make html-all` first")
    if SITE_ZH.parent != site.parent:
        pytest.fail(f"the editions must be side by side, as built: {site}, {SITE_ZH}")
    with _serving(site.parent) as url:
        yield url


def test_every_chinese_page_loads_cleanly_in_its_language(
    context: BrowserContext, editions_url: str
) -> None:
    page = context.new_page()
    watch = Watch(page)
    wrong = []
    for path in sorted(str(p.relative_to(SITE_ZH)) for p in SITE_ZH.rglob("*.html")):
        page.goto(f"{editions_url}{SITE_ZH.name}/{path}")
        if page.evaluate("document.documentElement.lang") != "zh-CN":
            wrong.append(f"{path}: lang {page.evaluate('document.documentElement.lang')!r}")
    page.goto(f"{editions_url}{SITE_ZH.name}/index.html")
    assert HAN.search(page.locator("article h1").first.inner_text())
    # The index is in pinyin order, under the letters A to Z, not one group per character.
    page.goto(f"{editions_url}{SITE_ZH.name}/genindex.html")
    letters = [link.inner_text() for link in page.locator(".genindex-jumpbox a").all()]
    assert "X" in letters, letters  # 协程 (xiecheng) and 选择器 (xuanzeqi) go under X
    assert not [letter for letter in letters if HAN.search(letter) and letter != "符号"], letters
    assert not watch.problems + wrong, "\n".join(watch.problems + wrong)


def test_each_page_links_to_the_same_page_in_the_other_edition(
    context: BrowserContext, editions_url: str, site: Path
) -> None:
    broken = []
    pairs = ((SITE_ZH, site, "en"), (site, SITE_ZH, "zh-CN"))
    for here, there, language in pairs:
        for html in sorted(here.rglob("*.html")):
            path = html.relative_to(here)
            found = EDITION_LINK.search(html.read_text(encoding="utf-8"))
            if found is None or found[2] != language:
                broken.append(f"{here.name}/{path}: no link to the {language} edition")
                continue
            target = (html.parent / found[1]).resolve()
            if target != (there / path).resolve() or not target.is_file():
                broken.append(f"{here.name}/{path}: links {found[1]}, not the same page")
    assert not broken, "\n".join(broken[:20])
    # And in the browser: from a Chinese chapter to the English one and back.
    page = context.new_page()
    watch = Watch(page)
    page.goto(f"{editions_url}{SITE_ZH.name}/{CHAPTER}")
    page.locator("nav.book-editions a[hreflang='en']").click()
    page.wait_for_url(f"**/{site.name}/{CHAPTER}")
    assert page.evaluate("document.documentElement.lang") == "en"
    page.locator("nav.book-editions a[hreflang='zh-CN']").click()
    page.wait_for_url(f"**/{SITE_ZH.name}/{CHAPTER}")
    assert not watch.problems, "\n".join(watch.problems)


# Each word, and the section that says what it is: the chapter on processes, threads and
# coroutines asks 什么是协程？; the mental-model chapter asks what the event loop runs.
DEFINED_IN = {
    "协程": "concurrency/processes-threads-coroutines.html#processes-threads-coroutines-coroutine",
    "事件循环": "asyncio/loop-task-future.html#loop-task-future-loop",
}


@pytest.mark.parametrize("query", list(DEFINED_IN))
def test_chinese_search_finds_the_section_that_defines_a_word(
    context: BrowserContext, editions_url: str, query: str
) -> None:
    page = context.new_page()
    watch = Watch(page)
    results = _search(page, f"{editions_url}{SITE_ZH.name}/", query)
    shown = [(link.inner_text(), link.get_attribute("href") or "") for link in results.all()]
    hrefs = [href for _title, href in shown]
    assert DEFINED_IN[query] in hrefs[:5], f"{query}: {shown[:10]}"
    title = shown[hrefs.index(DEFINED_IN[query])][0]
    assert query in title.split(" > ", 1)[1], title
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"search-zh-{query}.png")
    # The result opens on its section.
    results.nth(hrefs.index(DEFINED_IN[query])).click()
    page.wait_for_url(f"**/{DEFINED_IN[query]}")
    heading = page.evaluate(
        "(id) => document.getElementById(id).closest('section').querySelector('h2, h3')"
        ".textContent",
        DEFINED_IN[query].partition("#")[2],
    )
    assert query in heading, heading
    assert not watch.problems, "\n".join(watch.problems)


def test_axe_finds_no_serious_accessibility_problem_in_the_chinese_edition(
    context: BrowserContext, editions_url: str
) -> None:
    page = context.new_page()
    problems = []
    for path in ["index.html", CHAPTER, "glossary.html", "errata.html", "api/loop.html"]:
        page.goto(f"{editions_url}{SITE_ZH.name}/{path}")
        problems += _audit(page)
    _search(page, f"{editions_url}{SITE_ZH.name}/", "协程")
    problems += _audit(page)
    assert not problems, "\n".join(problems)
