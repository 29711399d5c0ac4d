"""Every word a reader sees is a message (:mod:`booktools.editions.words`): the words drawn in the
``{timeline}`` and ``{benchchart}`` figures, the filled-in sentence of ``{benchrun}``, the
headings and words of a ``{benchtable}`` and the Python console's words are extracted by
Sphinx's gettext builder, and a translated build draws and fills them in from the translation.
Small books of our own, built with the book's ``conf.py``."""

from __future__ import annotations

import re
import runpy
import textwrap
from pathlib import Path
from types import SimpleNamespace

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po
from test_booktools_benchcharts import CHART, RUN, TABLE, book
from test_booktools_timelines import ROOT, build

from booktools.editions.words import setting_words

TIMELINE = """
```{timeline}
:scenario: companion.scenes:sequential companion.scenes:gathered
:titles: one after another | side by side
:alt: Two panels of tasks.
:xlabel: seconds on the clock
:running: on the processor
:waiting: suspended
:returned: came back

The caption of the timeline.
```
"""

CONSOLE_WORDS = {
    "start": "Start it",
    "loading": "Loading it",
    "ready": "Python {version} is here.",
    "failed": "It failed.",
    "run": "Go",
    "input": "Code to run",
    "output": "What it printed",
    "example-run": "Run this",
    "example-edit": "Change this",
    "example-running": "Running this",
    "example-same": "Same as the book.",
    "example-differs": "Not the same as the book.",
    "example-book": "In the book:",
    "example-browser": "In your browser:",
    "chapter-link": "Try it in the console ({size}).",
    "unavailable": "No WebAssembly here.",
    "no-stack-switching": "No stack switching here.",
}
CONSOLE = (
    "\n```{python-console}\n"
    + "".join(f":{name}: {text}\n" for name, text in CONSOLE_WORDS.items())
    + "```\n"
)

#: Every word the directives above show outside the text of the page.
WORDS = [
    # the timeline: the axis, the legend, the panels' titles, the alternative text
    "seconds on the clock",
    "on the processor",
    "suspended",
    "came back",
    "one after another",
    "side by side",
    "Two panels of tasks.",
    # the chart
    "one client at a time",
    "a thread for each",
    "connections at once",
    "round trips each second",
    "Two groups of two bars.",
    # the table: its title, its headings, its words (not its figures)
    "The figures of the page's table.",
    "the server",
    "round trips per second",
    "peak RSS",
    "blocking",
    "threaded",
    # the run: the sentence to fill in, and the words it is filled in with
    "Python ${python} on ${platform}, ${cpus} CPUs (${pinned}): load ${load_start}, then "
    "${load_end}; ${quiet}.",
    "a quiet run",
    "a busy run",
    "quiet or not, nobody can tell",
    "not written down",
    # the console
    *CONSOLE_WORDS.values(),
]

PAGE = TIMELINE + CHART + TABLE + RUN + CONSOLE


def catalogue(folder: Path) -> Catalog:
    """The page's catalogue (``index.pot``) the gettext builder wrote into *folder* (beside
    ``sphinx.pot``, the templates' words)."""
    with (folder / "index.pot").open("rb") as file:
        return read_po(file)


def test_every_word_a_reader_sees_is_extracted(tmp_path: Path) -> None:
    book(tmp_path)
    code, printed, out = build(tmp_path, "gettext", PAGE)
    assert code == 0, printed
    messages = {message.id for message in catalogue(out) if message.id}
    missing = [word for word in WORDS if word not in messages]
    assert not missing, f"not in the catalogue: {missing}"
    # A sentence filled in with a run's figures is not a message: a new run would change it.
    assert not [message for message in messages if "3.13.0" in message]
    # Nor is a figure of a table.
    assert "12,721/s" not in messages


def translated(word: str) -> str:
    """A made-up Chinese translation of *word*, with its ${fields} kept."""
    fields = "".join(re.findall(r"\$\{\w+\}", word))
    return f"译文{len(word)}{fields}"


def test_a_translated_build_draws_and_fills_in_the_translation(tmp_path: Path) -> None:
    book(tmp_path)
    code, printed, out = build(tmp_path, "gettext", PAGE, doctrees=tmp_path / "gettext-doctrees")
    assert code == 0, printed
    po = catalogue(out)
    po.locale = "zh_CN"  # babel converts the string to a Locale
    for message in po:
        if message.id in WORDS:
            message.string = translated(str(message.id))
    folder = tmp_path / "locales" / "zh_CN" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "index.po").open("wb") as file:
        write_po(file, po)
    locales = f"locale_dirs={tmp_path / 'locales'}"
    code, printed, out = build(tmp_path, "html", PAGE, "-D", "language=zh_CN", "-D", locales)
    assert code == 0, printed
    html = (out / "index.html").read_text(encoding="utf-8")

    drawn = {}
    for alt, name in re.findall(r'<img alt="([^"]*)" src="_images/([\w-]+\.svg)"', html):
        drawn[alt] = (out / "_images" / name).read_text(encoding="utf-8")
    timeline = drawn[translated("Two panels of tasks.")]
    chart = drawn[translated("Two groups of two bars.")]
    for word in WORDS[:6]:
        assert translated(word) in timeline, word
        assert word not in timeline, word
    for word in WORDS[7:11]:
        assert translated(word) in chart, word
    # The Chinese words are drawn with a font that has them; the rest as in English.
    assert "font-family: 'DejaVu Sans', 'Noto Sans CJK SC'" in timeline

    for word in ["The figures of the page's table.", "the server", "peak RSS", "blocking"]:
        assert translated(word) in html, word
    assert "12,721/s" in html
    # The run's sentence, translated, then filled in with the run's figures and the words of
    # the translation (no load average at the end: whether the run was quiet is unknown).
    sentence = WORDS[18]
    filled = (
        f"译文{len(sentence)}3.13.0Linux-test2client 0, server 10.50 / 0.75 / 1.25"
        + translated("not written down")
        + translated("quiet or not, nobody can tell")
    )
    assert filled in html, html
    console = re.search(r'<div class="book-console" ([^>]*)></div>', html)
    assert console is not None
    assert f'data-start="{translated("Start it")}"' in console.group(1)
    assert "data-example-run" not in console.group(1)  # those go with every example


def test_an_english_figure_is_drawn_with_the_english_fonts(tmp_path: Path) -> None:
    code, printed, out = build(tmp_path, "html", textwrap.dedent(TIMELINE))
    assert code == 0, printed
    (svg,) = (out / "_images").glob("*.svg")
    text = svg.read_text(encoding="utf-8")
    assert "Noto Sans CJK" not in text
    assert "seconds on the clock" in text


def test_no_writer_shows_the_words_node(tmp_path: Path) -> None:
    book(tmp_path)
    for builder in ("epub", "latex", "text", "singlehtml"):
        code, printed, out = build(tmp_path, builder, TIMELINE + RUN + CONSOLE)
        assert code == 0, (builder, printed)
        written = "".join(
            path.read_text(encoding="utf-8", errors="replace")
            for path in out.rglob("*")
            if path.suffix in {".xhtml", ".html", ".tex", ".txt"}
        )
        assert "The caption of the timeline." in written, builder
        assert "${python}" not in written, builder  # the sentence, only as filled in
        assert "a busy run" not in written, builder


def test_the_settings_words_are_messages_and_a_translation_uses_them(tmp_path: Path) -> None:
    settings = SimpleNamespace(**runpy.run_path(str(ROOT / "conf.py")))
    texts = setting_words(settings)
    assert "Figure %s" in texts
    code, printed, out = build(tmp_path, "gettext", TIMELINE, doctrees=tmp_path / "gettext-dt")
    assert code == 0, printed
    with (out / "sphinx.pot").open("rb") as file:
        templates = {message.id for message in read_po(file)}
    missing = [text for text in texts if text not in templates]
    assert not missing, f"settings-words.html does not list {missing}"

    po = Catalog(locale="zh_CN")
    po.add("Figure %s", "图 %s")
    po.add(settings.project, "从 yield 到 asyncio")
    po.add(settings.author, "《从 yield 到 asyncio》的作者们")
    po.add(settings.copyright, "2026，《从 yield 到 asyncio》的作者们")
    folder = tmp_path / "locales" / "zh_CN" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "sphinx.po").open("wb") as file:
        write_po(file, po)
    locales = f"locale_dirs={tmp_path / 'locales'}"
    page = TIMELINE.replace(":returned: came back", ":returned: came back\n:name: fig-t")
    page += "\nSee {numref}`fig-t`.\n"
    code, printed, out = build(tmp_path, "html", page, "-D", "language=zh_CN", "-D", locales)
    assert code == 0, printed
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "图 1" in html
    assert "Figure 1" not in html
    # The title, and the settings conf.py writes from it (the HTML's title names the release).
    assert f"<title>从 yield 到 asyncio {settings.release}</title>" in html
    assert settings.project not in html
    code, printed, out = build(tmp_path, "html", page, "-E")  # English: as conf.py writes it
    assert code == 0, printed
    assert "Figure 1" in (out / "index.html").read_text(encoding="utf-8")
