"""Python in the browser for the HTML edition: Pyodide and ``companion``, shipped with the book.

- **Pyodide.** ``book_pyodide`` is the folder of the npm package ``pyodide``, pinned in
  :mod:`booktools.make.recipes` (``PYODIDE_VERSION``), which installs it and passes its folder
  to the HTML build. The build copies only what the browser loads (:data:`PYODIDE_FILES`) into
  ``_static/pyodide/`` of the output; nothing is ever fetched from anywhere but the book's own
  server. A build given no folder (no npm: Read the Docs, a machine with no network; or
  ``--no-pyodide``) ships none of it and sets no tag, and the pages say so.
- **companion.** Its modules are zipped into ``_static/companion.zip``; the page's script
  unpacks that into Pyodide's file system before the reader's first line runs, so ``import
  companion`` works there as in the book.
- **The tag.** A build that ships Pyodide sets the tag ``pyodide``: ``{only} pyodide`` holds
  what needs it (the console), ``{only} not pyodide`` what a build without it says instead.
- **The console.** ``{python-console}`` is a Python prompt that runs in the page
  (``book/_static/book-python.js``). Every word it shows comes from the directive's options, in
  the MyST text; nothing of Pyodide loads until the reader presses its Start button.
- **Run controls.** Each example that can run in a browser
  (:func:`booktools.examples.contract.browser_reason` says which cannot, and why) gets a Run
  and an Edit control in the HTML: the page carries its examples, in order, as JSON
  (``<script id="book-examples">``), and ``book-python.js`` runs them in one namespace per
  page, as the two other runners do, with :mod:`booktools.editions.inbrowser` (zipped with
  ``companion``) to compare the output. An example after one that cannot run is left out too
  when it needs a name that one binds or may change (:mod:`booktools.examples.dependencies`);
  ``:hide:`` examples and ``testsetup`` run first, unseen. The build prints how many examples
  can run and how many are left out, by reason. The controls' words are options of the console
  page's ``{python-console}``, in the MyST text.
- **Links to the console.** Each page with an example that can run starts, under its title,
  with a link to the console page, whose words are the console's option ``chapter-link``.
- ``{{ browser_python }}`` is the version of the CPython that Pyodide carries (checked against
  the package's lock file), for the pages to say which Python runs in the browser;
  ``{{ pyodide_download }}`` (and ``{size}`` in the console's words) what a browser downloads to
  run it, measured on the files the build ships (:func:`download_size`).

Nothing here runs for the PDF or the EPUB builder.
"""

from __future__ import annotations

import doctest
import json
import shutil
import tempfile
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from docutils.nodes import Element, Node
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.environment import BuildEnvironment
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.typing import ExtensionMetadata

from booktools.editions.words import TranslatableWords
from booktools.examples import contract, dependencies
from booktools.make.recipes import PYODIDE_PYTHON, PYODIDE_VERSION

logger = logging.getLogger(__name__)

__all__ = [
    "COMPANION_ZIP",
    "PYODIDE_DIR",
    "PYODIDE_FILES",
    "PYODIDE_TAG",
    "download_size",
    "setup",
]

ROOT = Path(__file__).resolve().parents[2]
PYODIDE_DIR = "pyodide"
"""Where, under ``_static`` of the HTML output, Pyodide's files go."""
PYODIDE_FILES = (
    "pyodide.mjs",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
)
"""The files of the ``pyodide`` package that the browser loads: the loader, the interpreter, the
standard library, and the lock file the loader reads (no packages beyond the standard library)."""
COMPANION_ZIP = "companion.zip"
"""The ``companion`` package, zipped, under ``_static``."""
CONSOLE_PAGE = "console"
"""The page of the console (``book/console.md``), which each page with examples links to."""
PYODIDE_TAG = "pyodide"
"""The tag set when the HTML ships Pyodide."""


def _package(config: Config) -> Path | None:
    return Path(config.book_pyodide) if config.book_pyodide else None


def _check(app: Sphinx, config: Config) -> None:
    package = _package(config)
    if package is None:
        return
    for name in PYODIDE_FILES:
        if not (package / name).is_file():
            raise FileNotFoundError(f"book_pyodide: {package} has no {name}")
    python = json.loads((package / "pyodide-lock.json").read_text(encoding="utf-8"))["info"]
    if python["python"] != PYODIDE_PYTHON:
        raise ValueError(
            f"book_pyodide: Pyodide in {package} carries Python {python['python']}, "
            f"not {PYODIDE_PYTHON} (booktools/make/recipes.py: PYODIDE_PYTHON)"
        )
    app.tags.add(PYODIDE_TAG)


def download_size(package: Path) -> int:
    """The bytes a browser fetches to run Python: the files of :data:`PYODIDE_FILES` in the
    ``pyodide`` package at *package*, and ``companion`` zipped."""
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder, COMPANION_ZIP)
        companion_zip(target)
        zipped = target.stat().st_size
    return zipped + sum((package / name).stat().st_size for name in PYODIDE_FILES)


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def _substitutions(app: Sphinx, config: Config) -> None:
    # What the reader downloads, measured on the files this build ships, for the pages to say
    # (``{{ pyodide_download }}``) and the console's words (``{size}``); nothing without them.
    package = _package(config)
    config.book_pyodide_download = _megabytes(download_size(package)) if package else ""
    config.myst_substitutions = {
        **config.myst_substitutions,
        "pyodide_download": config.book_pyodide_download,
        "browser_python": PYODIDE_PYTHON,
        "pyodide_version": PYODIDE_VERSION,
    }


def companion_zip(target: Path) -> None:
    """Zip the ``companion`` package's sources (and ``py.typed``) into *target*."""
    source = ROOT / "companion"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(source.rglob("*")):
            if path.suffix in {".py", ".typed"} and "__pycache__" not in path.parts:
                archive.write(path, path.relative_to(ROOT).as_posix())
        archive.write(Path(__file__).with_name("inbrowser.py"), "book_inbrowser.py")


def _copy(app: Sphinx, exception: Exception | None) -> None:
    package = _package(app.config)
    if exception is not None or package is None or app.builder.name not in {"html", "dirhtml"}:
        return
    static = Path(app.outdir, "_static")
    target = static / PYODIDE_DIR
    target.mkdir(parents=True, exist_ok=True)
    for name in PYODIDE_FILES:
        shutil.copyfile(package / name, target / name)
    companion_zip(static / COMPANION_ZIP)


RUN_WORDS = (
    "example-run",
    "example-edit",
    "example-running",
    "example-same",
    "example-differs",
    "example-book",
    "example-browser",
)
"""The options of ``{python-console}`` that are the words of every example's Run control."""
CONSOLE_WORDS = ("start", "loading", "ready", "run", "input", "output")
"""The options of ``{python-console}`` that only the console shows (``{size}`` in them, as in
every option, becomes what the browser downloads)."""
CONSOLE_LINK = "chapter-link"
"""The option of ``{python-console}`` that is the words of the link to the console that each
page with examples that can run starts with."""
SHARED_WORDS = ("failed", "unavailable", "no-stack-switching")
"""The options of ``{python-console}`` that the console and the Run controls both show: Python
could not start, and why it cannot start in this browser at all."""


class python_console(nodes.General, nodes.Element, TranslatableWords):
    """The console's place in the page, with the words it shows (its own and those of every
    example's Run control), each a message of the page's catalogue."""


class PythonConsole(SphinxDirective):
    """``{python-console}``: a Python prompt in the page; its options are the words it shows."""

    option_spec: ClassVar[dict[str, Any]] = dict.fromkeys(
        [*CONSOLE_WORDS, CONSOLE_LINK, *SHARED_WORDS, *RUN_WORDS], directives.unchanged_required
    )

    def run(self) -> list[Node]:
        missing = sorted(set(self.option_spec) - set(self.options))
        if missing:
            raise self.error(f"python-console needs the options {', '.join(missing)}")
        console = python_console("", words=dict(self.options))
        self.set_source_info(console)
        return [console]


def _collect_words(app: Sphinx, doctree: nodes.document) -> None:
    """Fill in the download size, and keep the words that every page's Run controls and console
    link share with the console, as translated (Sphinx's Locale transform has run by now)."""
    size = app.config.book_pyodide_download
    for console in doctree.findall(python_console):
        words = {name: text.replace("{size}", size) for name, text in console["words"].items()}
        console["words"] = words
        _run_words(app.env).update(
            {
                name: text
                for name, text in words.items()
                if name in RUN_WORDS or name in SHARED_WORDS or name == CONSOLE_LINK
            }
        )


def _run_words(env: BuildEnvironment) -> dict[str, str]:
    if not hasattr(env, "book_run_words"):
        env.book_run_words = {}  # type: ignore[attr-defined]
    words: dict[str, str] = env.book_run_words  # type: ignore[attr-defined]
    return words


def _merge_words(
    app: Sphinx, env: BuildEnvironment, docnames: set[str], other: BuildEnvironment
) -> None:
    _run_words(env).update(_run_words(other))


def _flags(node: Element) -> int:
    flags = contract.DOCTEST_FLAGS
    options: dict[int, bool] = node.get("options", {})
    for flag, on in options.items():
        flags = flags | flag if on else flags & ~flag
    return flags


def page_examples(doctree: nodes.document, version: tuple[int, ...]) -> list[dict[str, Any]]:
    """The page's examples in order, each with what the browser needs to run it, and why not
    where it cannot (``reason``; with ``needs``, the name that makes it depend on an example
    left out); the shown ones are numbered (``index``) and their blocks get the class
    ``book-run-<index>``."""
    examples: list[dict[str, Any]] = []
    guards: list[dict[str, str]] = []
    for node in doctree.findall(Element):
        if "testnodetype" not in node:
            continue
        kind = node["testnodetype"]
        source = node.get("test", node.astext())
        if kind == "testoutput":
            if examples and examples[-1]["kind"] == "testcode" and "want" not in examples[-1]:
                examples[-1]["want"] = source if source.endswith("\n") else source + "\n"
                examples[-1]["flags"] = _flags(node)
                if isinstance(node, nodes.literal_block):
                    node["classes"].append(f"book-run-out-{examples[-1]['index']}")
            continue
        if kind == "testcleanup":
            continue
        example: dict[str, Any] = {
            "kind": kind,
            "source": source,
            "flags": _flags(node),
            "index": len(examples),
            "shown": isinstance(node, nodes.literal_block),
            "reason": None,
        }
        if example["shown"]:
            node["classes"].append(f"book-run-{example['index']}")
        examples.append(example)
        guards.append({"skipif": node["skipif"]} if "skipif" in node else {})
    _decide(examples, guards, version)
    return examples


def _decide(
    examples: list[dict[str, Any]], guards: list[dict[str, str]], version: tuple[int, ...]
) -> None:
    """Set each example's ``reason`` (and ``needs``): what it does that a browser cannot do,
    or the name it needs from an example left out before it
    (:mod:`booktools.examples.dependencies`)."""
    names = dependencies.PageNames()
    for example, guard in zip(examples, guards, strict=True):
        session = example["kind"] == "doctest"
        # A testcode's expected output tells too (an error that only the book's loop raises).
        code = example["source"] + "\n" + example.get("want", "")
        reason = contract.browser_reason(code, guard, version)
        if reason is None and example["flags"] & doctest.SKIP:
            reason = "skipped in the book"
        if reason is not None and reason.startswith(("guarded for another", "skipped in")):
            example["reason"] = reason  # the book does not run it either: nothing can need it
            continue
        cause = reason
        if reason is None:
            left = names.needs(example["source"], session=session)
            if left is not None:
                cause = left.reason
                reason = f"depends on an example that cannot run ({cause})"
                example["needs"] = left.name
        example["reason"] = reason
        imported: dict[str, str] = {}
        if reason is not None:
            # Its imports of what a browser has still run, unseen, for the examples after it
            # (book-python.js); an import that is itself the reason, as of companion.crawler,
            # does not.
            imported = dependencies.imports(
                example["source"],
                session=session,
                keep=lambda code: contract.browser_reason(code, {}, version) is None,
            )
            example["imports"] = "".join(code + "\n" for code in imported.values())
        names.add(example["source"], session=session, left_out=cause, imported=imported)


def _attach_examples(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    if _package(app.config) is None or app.builder.name not in {"html", "dirhtml"}:
        return
    version = tuple(int(part) for part in PYODIDE_PYTHON.split("."))
    examples = page_examples(doctree, version)
    tally: Counter[str] = app.env.book_run_tally  # type: ignore[attr-defined]
    for example in examples:
        if example["shown"]:
            tally[example["reason"] or "ran"] += 1
    words = _run_words(app.env)
    # Every page with examples carries them, runnable or not, so that the browser test can
    # count those left out, by reason; book-python.js is loaded only where one can run.
    if not examples or not words:
        return
    runnable = any(e["shown"] and e["reason"] is None for e in examples)
    if runnable and CONSOLE_LINK in words:
        _link_console(app, doctree, docname, words[CONSOLE_LINK])
    data = json.dumps(
        {"words": words, "setup": contract.NAMESPACE_SETUP, "examples": examples},
        ensure_ascii=False,
    )
    data = data.replace("</", "<\\/")  # no "</script>" inside the script
    script = f'<script type="application/json" id="book-examples">{data}</script>'
    doctree.append(nodes.raw("", script, format="html", book_runnable=runnable))


def _link_console(app: Sphinx, doctree: nodes.document, docname: str, text: str) -> None:
    """Put a link to the console under the page's title (its words are the console page's)."""
    title = next(iter(doctree.findall(nodes.title)), None)
    if title is None or docname == CONSOLE_PAGE:
        return
    uri = app.builder.get_relative_uri(docname, CONSOLE_PAGE)
    link = nodes.reference("", text, refuri=uri, internal=True)
    title.parent.insert(
        title.parent.index(title) + 1, nodes.paragraph("", "", link, classes=["book-console-link"])
    )


def visit_console(translator: Any, node: python_console) -> None:
    attributes = " ".join(
        f'data-{name}="{translator.attval(text)}"'
        for name, text in sorted(node["words"].items())
        if name not in RUN_WORDS
    )
    translator.body.append(f'<div class="book-console" {attributes}></div>')
    raise nodes.SkipNode


def skip_console(translator: Any, node: python_console) -> None:
    raise nodes.SkipNode


def _scripts(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Node | None
) -> None:
    if doctree is None:
        return
    runnable = any(node.get("book_runnable") for node in doctree.findall(nodes.raw))
    if runnable or any(doctree.findall(python_console)):
        app.add_js_file("book-python.js")


def _start_tally(app: Sphinx) -> None:
    app.env.book_run_tally = Counter()  # type: ignore[attr-defined]


def _report_tally(app: Sphinx, exception: Exception | None) -> None:
    tally: Counter[str] | None = getattr(app.env, "book_run_tally", None)
    if exception is not None or not tally:
        return
    left = sum(count for reason, count in tally.items() if reason != "ran")
    logger.info(
        "Examples that run in the browser: %d; left out: %d", tally["ran"], left, color="green"
    )
    for reason, count in sorted(tally.items(), key=lambda item: -item[1]):
        if reason != "ran":
            logger.info("  %4d  %s", count, reason)


def setup(app: Sphinx) -> ExtensionMetadata:
    app.add_config_value("book_pyodide", "", "env", types=frozenset({str}))
    # Set by the build itself (_substitutions), from the files it ships.
    app.add_config_value("book_pyodide_download", "", "env", types=frozenset({str}))
    app.add_node(
        python_console,
        html=(visit_console, None),
        latex=(skip_console, None),
        text=(skip_console, None),
        epub=(skip_console, None),
    )
    app.add_directive("python-console", PythonConsole)
    app.connect("config-inited", _check)
    app.connect("config-inited", _substitutions)
    app.connect("doctree-read", _collect_words)
    app.connect("env-merge-info", _merge_words)
    app.connect("builder-inited", _start_tally)
    app.connect("doctree-resolved", _attach_examples)
    app.connect("html-page-context", _scripts)
    app.connect("build-finished", _copy)
    app.connect("build-finished", _report_tally)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
