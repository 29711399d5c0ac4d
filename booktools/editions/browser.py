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
- ``{{ browser_python }}`` is the version of the CPython that Pyodide carries (checked against
  the package's lock file), for the pages to say which Python runs in the browser.

Nothing here runs for the PDF or the EPUB builder.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from docutils.nodes import Node
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util.docutils import SphinxDirective
from sphinx.util.typing import ExtensionMetadata

from booktools.make.recipes import PYODIDE_PYTHON, PYODIDE_VERSION

__all__ = ["COMPANION_ZIP", "PYODIDE_DIR", "PYODIDE_FILES", "PYODIDE_TAG", "setup"]

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


def _substitutions(app: Sphinx, config: Config) -> None:
    config.myst_substitutions = {
        **config.myst_substitutions,
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


class python_console(nodes.General, nodes.Element):
    """The console's place in the page, with the words it shows."""


class PythonConsole(SphinxDirective):
    """``{python-console}``: a Python prompt in the page; its options are the words it shows."""

    option_spec: ClassVar[dict[str, Any]] = dict.fromkeys(
        ("start", "loading", "ready", "failed", "run", "input", "output"),
        directives.unchanged_required,
    )

    def run(self) -> list[Node]:
        missing = sorted(set(self.option_spec) - set(self.options))
        if missing:
            raise self.error(f"python-console needs the options {', '.join(missing)}")
        return [python_console("", words=dict(self.options))]


def visit_console(translator: Any, node: python_console) -> None:
    attributes = " ".join(
        f'data-{name}="{translator.attval(text)}"' for name, text in sorted(node["words"].items())
    )
    translator.body.append(f'<div class="book-console" {attributes}></div>')
    raise nodes.SkipNode


def skip_console(translator: Any, node: python_console) -> None:
    raise nodes.SkipNode


def _scripts(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Node | None
) -> None:
    if doctree is not None and any(doctree.findall(python_console)):
        app.add_js_file("book-python.js")


def setup(app: Sphinx) -> ExtensionMetadata:
    app.add_config_value("book_pyodide", "", "env", types=frozenset({str}))
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
    app.connect("html-page-context", _scripts)
    app.connect("build-finished", _copy)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
