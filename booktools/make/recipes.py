"""How the book is built: every ``sphinx-build`` and ``latexmk`` command, spelled once.

The Makefile, the matrix (:mod:`booktools.make.matrix`), ``.readthedocs.yaml`` and CI all build
the book through this module::

    python -m booktools.make.recipes html [--fresh] [--clean] [--downloads] [--out DIR]
    python -m booktools.make.recipes doctest [--out DIR] [--doctrees DIR] [--quiet]
    python -m booktools.make.recipes pdf [--no-package-check]
    python -m booktools.make.recipes epub [--no-epubcheck]
    python -m booktools.make.recipes args BUILDER   # the sphinx-build arguments, for other tools
    python -m booktools.make.recipes npm PACKAGE@VERSION FOLDER   # one pinned npm package

Every Sphinx build is strict (``-n -W --keep-going``: a warning fails it) and runs in this
process with the test-only packages made unimportable (:data:`TEST_ONLY`): the book must build
where only the ``docs`` extra is installed, as on Read the Docs, and every build here proves it.

The PDF is XeLaTeX through latexmk (and xindy for the index). A failed run leaves latexmk's
state behind, and with it "Nothing to do ... gave an error" on the next run, so on failure the
generated files are removed (``latexmk -C``) and the next ``make pdf`` starts over. After a good
run, the log is checked (:mod:`booktools.editions.latexlog`), then the PDF itself
(:mod:`booktools.editions.pdfcheck`), and every TeX file the run read against the system package
list (:func:`booktools.make.systemdeps.check_tex_files`).

The HTML edition runs Python in the browser with Pyodide (:mod:`booktools.editions.browser`):
the npm package ``pyodide``, pinned to :data:`PYODIDE_VERSION`, is installed into ``_build`` by
the same npm command that installs axe-core for the browser tests (:func:`npm_install`), once
per version, and the HTML build is given its folder (``-D book_pyodide=...``). Where npm is
missing or cannot install it (a docs-only machine such as Read the Docs, or one with no
network), the HTML is built without the Run feature and says so, rather than failing.

Standard library only at import time; Sphinx is imported when a build runs.
"""

from __future__ import annotations

import argparse
import importlib.abc
import importlib.machinery
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = [
    "BOOK",
    "PYODIDE_PYTHON",
    "PYODIDE_VERSION",
    "TEST_ONLY",
    "block_test_only",
    "main",
    "npm_install",
    "pyodide",
    "sphinx_args",
]

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "_build"

BOOK = "from-yield-to-asyncio"
"""The base name of the PDF and EPUB files (``latex_documents`` and ``epub_basename``)."""

TEST_ONLY = frozenset(
    {
        "pytest",
        "_pytest",
        "sybil",
        "hypothesis",
        "mypy",
        "ruff",
        "playwright",
        "pytest_timeout",
        "pytest_asyncio",
    }
)
"""Packages of the ``test`` extra that no part of a book build may import."""

EPUBCHECK = ["java", "-jar", "/usr/share/java/epubcheck.jar", "--failonwarnings"]
"""Debian's epubcheck, run as a jar (its wrapper script does not run everywhere)."""

LATEXMK = {
    "LATEXMKOPTS": "-xelatex -silent",
    "LATEXOPTS": "-interaction=nonstopmode -halt-on-error -file-line-error",
}
"""The options of Sphinx's LaTeX Makefile (``make all-pdf``)."""


PYODIDE_VERSION = "314.0.8"
"""The ``pyodide`` npm package the HTML ships: the newest release when it was pinned (December
2026), and the first that carries CPython 3.14, the newest Python the book is tested on that has
a stable release."""
PYODIDE_PYTHON = "3.14.2"
"""The CPython that :data:`PYODIDE_VERSION` carries (its lock file's ``info.python``; the HTML
build checks that they agree)."""


def npm_install(spec: str, folder: Path) -> int:
    """Install the npm package *spec* (``name@version``) into *folder*; npm's exit code.

    Nothing is saved or audited: *folder* is a cache under ``_build``, one per version.
    """
    command = ["npm", "install", "--prefix", str(folder), "--no-save", "--no-package-lock"]
    return subprocess.run([*command, "--no-audit", "--no-fund", spec], check=False).returncode


def pyodide() -> Path | None:
    """The folder of the pinned ``pyodide`` package, installed by npm the first time; ``None``
    (and a message saying why) when npm is missing or fails, so the HTML is built without it."""
    folder = BUILD / f"pyodide-{PYODIDE_VERSION}"
    package = folder / "node_modules" / "pyodide"
    if (package / "pyodide.asm.wasm").is_file():
        return package
    reason = "npm is not installed"
    if shutil.which("npm"):
        if npm_install(f"pyodide@{PYODIDE_VERSION}", folder) == 0:
            return package
        reason = "npm could not install it"
    print(
        f"Pyodide {PYODIDE_VERSION}: {reason}; the HTML is built without Python in the browser "
        "(the console page and the Run buttons say so)"
    )
    return None


def built_editions() -> list[Path]:
    """The PDF and the EPUB that ``make pdf`` and ``make epub`` have built, those that exist."""
    candidates = [BUILD / "latex" / f"{BOOK}.pdf", BUILD / "epub" / f"{BOOK}.epub"]
    return [path for path in candidates if path.exists()]


def sphinx_args(
    builder: str,
    out: Path | None = None,
    *,
    fresh: bool = False,
    quiet: bool = False,
    doctrees: Path | None = None,
    downloads: Sequence[Path] = (),
    pyodide: Path | None = None,
) -> list[str]:
    """The ``sphinx-build`` arguments of one strict build of the book with *builder*.

    *downloads* are the files the HTML offers for download (``book_downloads``,
    :mod:`booktools.editions.html`); *pyodide* is the ``pyodide`` package the HTML ships
    (``book_pyodide``, :mod:`booktools.editions.browser`).

    >>> sphinx_args("html", Path("out"), fresh=True)[-6:]
    ['--keep-going', '-E', '-b', 'html', 'book', 'out']
    """
    args = ["-c", str(ROOT), "-d", str(doctrees or BUILD / "doctrees"), "-n", "-W", "--keep-going"]
    if fresh:
        args.append("-E")
    if quiet:
        args.append("-q")
    if downloads:
        args += ["-D", "book_downloads=" + ",".join(str(path) for path in downloads)]
    if pyodide is not None:
        args += ["-D", f"book_pyodide={pyodide}"]
    return [*args, "-b", builder, "book", str(out or BUILD / builder)]


class _Blocker(importlib.abc.MetaPathFinder):
    """A finder that refuses the test-only packages, as if they were not installed."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname.partition(".")[0] in TEST_ONLY:
            raise ModuleNotFoundError(
                f"{fullname} is a test-only package: a book build must not import it "
                "(booktools.make.recipes blocks it so that a docs-only install builds too)",
                name=fullname,
            )
        return None


def block_test_only() -> None:
    """From now on, importing a package in :data:`TEST_ONLY` fails, as in a docs-only install."""
    already = sorted(name for name in sys.modules if name.partition(".")[0] in TEST_ONLY)
    if already:
        raise RuntimeError(f"test-only packages are already imported: {', '.join(already)}")
    if not any(isinstance(finder, _Blocker) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Blocker())


def sphinx(builder: str, out: Path | None = None, *, clean: bool = False, **options: Any) -> int:
    """Run one strict Sphinx build in this process, test-only packages blocked; its exit code.

    With *clean*, the output folder is emptied first: viewcode writes a module's page only when
    the module changed since the page was written, so pages from older templates would stay.
    """
    block_test_only()
    if clean:
        shutil.rmtree(out or BUILD / builder, ignore_errors=True)
    from sphinx.cmd.build import build_main

    os.chdir(ROOT)
    return build_main(sphinx_args(builder, out, **options))


def pdf(*, check_packages: bool = True) -> int:
    """Build the PDF (``_build/latex/<BOOK>.pdf``) and check it; 0 when it is good."""
    from booktools.editions import latexlog, pdfcheck
    from booktools.make import systemdeps

    latex = BUILD / "latex"
    status = sphinx("latex", latex)
    if status:
        return status
    log = latex / f"{BOOK}.log"
    made = subprocess.run(
        [
            "make",
            "-C",
            str(latex),
            "all-pdf",
            *(f"{key}={value}" for key, value in LATEXMK.items()),
        ],
        env={**os.environ, "max_print_line": "10000"},  # one line per message, for latexlog
        check=False,
    )
    if made.returncode:
        latexlog.main([str(log)])
        subprocess.run(
            ["latexmk", "-C", "-xelatex", "-silent", f"{BOOK}.tex"],
            cwd=latex,
            capture_output=True,
            check=False,
        )
        print("make pdf: the LaTeX run failed; its state is cleared for the next run")
        return 1
    if latexlog.main([str(log)]) or pdfcheck.main([str(latex / f"{BOOK}.pdf")]):
        return 1
    if check_packages and systemdeps.check_tex_files(latex / f"{BOOK}.fls"):
        return 1
    pages = subprocess.run(["pdfinfo", str(latex / f"{BOOK}.pdf")], capture_output=True, text=True)
    count = next(
        (line.split()[-1] for line in pages.stdout.splitlines() if line.startswith("Pages:")), "?"
    )
    print(f"The PDF is built: {latex / f'{BOOK}.pdf'} ({count} pages)")
    return 0


def epub(*, check: bool = True) -> int:
    """Build the EPUB and run epubcheck on it (no error, no warning); 0 when it passes."""
    status = sphinx("epub", BUILD / "epub")
    book = BUILD / "epub" / f"{BOOK}.epub"
    if status or not check:
        return status
    if subprocess.run([*EPUBCHECK, str(book)], check=False).returncode:
        return 1
    print(f"The EPUB is built and epubcheck passes it: {book}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """The command line; see the module docstring."""
    parser = argparse.ArgumentParser(prog="python -m booktools.make.recipes")
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("html", "doctest"):
        command = commands.add_parser(name, help=f"a strict {name} build")
        command.add_argument("--out", type=Path, help=f"output folder (default _build/{name})")
        command.add_argument(
            "--doctrees", type=Path, help="doctree cache (default _build/doctrees)"
        )
        command.add_argument("--fresh", action="store_true", help="read every page again (-E)")
        command.add_argument("--quiet", action="store_true", help="warnings and errors only (-q)")
        command.add_argument("--clean", action="store_true", help="empty the output folder first")
        command.add_argument(
            "--downloads",
            action="store_true",
            help="offer the PDF and EPUB already built in _build for download (make dist)",
        )
        if name == "html":
            command.add_argument(
                "--no-pyodide",
                action="store_true",
                help="build without Python in the browser (no npm, no Pyodide)",
            )
    pdf_command = commands.add_parser("pdf", help="the PDF, its log and its TeX packages checked")
    pdf_command.add_argument(
        "--no-package-check",
        action="store_true",
        help="skip the check of TeX files against Debian packages (a machine not set up by "
        "make system-deps, such as Read the Docs)",
    )
    epub_command = commands.add_parser("epub", help="the EPUB, checked by epubcheck")
    epub_command.add_argument(
        "--no-epubcheck", action="store_true", help="build only (a machine without epubcheck)"
    )
    args_command = commands.add_parser("args", help="print the sphinx-build arguments")
    args_command.add_argument("builder")
    npm_command = commands.add_parser("npm", help="install one pinned npm package into a folder")
    npm_command.add_argument("spec", help="name@version")
    npm_command.add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    if args.command == "args":
        print(" ".join(sphinx_args(args.builder)))
        return 0
    if args.command == "npm":
        return npm_install(args.spec, args.folder)
    if args.command == "pdf":
        return pdf(check_packages=not args.no_package_check)
    if args.command == "epub":
        return epub(check=not args.no_epubcheck)
    return sphinx(
        args.command,
        args.out,
        clean=args.clean,
        fresh=args.fresh,
        quiet=args.quiet,
        doctrees=args.doctrees,
        downloads=built_editions() if args.downloads else (),
        pyodide=pyodide() if args.command == "html" and not args.no_pyodide else None,
    )


if __name__ == "__main__":
    sys.exit(main())
