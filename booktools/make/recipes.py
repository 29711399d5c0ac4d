"""How the book is built: every ``sphinx-build`` and ``latexmk`` command, spelled once.

The Makefile, the matrix (:mod:`booktools.make.matrix`), ``.readthedocs.yaml`` and CI all build
the book through this module::

    python -m booktools.make.recipes html [--fresh] [--clean] [--downloads] [--out DIR]
    python -m booktools.make.recipes doctest [--out DIR] [--doctrees DIR] [--quiet]
    python -m booktools.make.recipes pdf [--no-package-check]
    python -m booktools.make.recipes epub [--no-epubcheck]
    python -m booktools.make.recipes args BUILDER   # the sphinx-build arguments, for other tools
    python -m booktools.make.recipes npm PACKAGE@VERSION FOLDER   # one pinned npm package
    python -m booktools.make.recipes gettext        # the messages, into _build/gettext
    python -m booktools.make.recipes update-po [--language zh_CN]   # sphinx-intl: locales/
    python -m booktools.make.recipes html --language zh_CN [--fresh] [--out DIR]
    python -m booktools.make.recipes po-check [--language zh_CN]    # every message translated

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

Translations go through Sphinx's own machinery. The gettext builder extracts every message of
the book (each ``.pot`` in ``_build/gettext``, one per page of the book); ``sphinx-intl update``
merges them into the catalogues ``locales/<language>/LC_MESSAGES/**/*.po`` (:data:`LOCALES`), the
files translators edit and the repository keeps; a build with ``--language`` reads them (``-D
language=...``), into its own output (``_build/html-zh_CN``) and its own doctree cache, since
the doctrees of one language are no use to another. Where a language has no catalogue yet (a
fresh checkout, before the translation is committed), that build makes them first.
:mod:`booktools.editions.catalogs` checks that a language's catalogues translate every message
(``po-check``). With ``--editions``, each HTML page links to the same page in the other
editions (:func:`editions`): ``make html-all`` builds them side by side in ``_build``.

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
    "LANGUAGES",
    "LOCALES",
    "PYODIDE_PYTHON",
    "PYODIDE_VERSION",
    "TEST_ONLY",
    "block_test_only",
    "editions",
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

LANGUAGES = ("zh_CN",)
"""The languages the book is translated into (Sphinx's ``language``), besides English."""

LOCALES = ROOT / "locales"
"""The catalogues: ``locales/<language>/LC_MESSAGES/<part>/<page>.po`` (see locale_dirs)."""

GETTEXT = BUILD / "gettext"
"""Where the gettext builder writes the messages it extracts (``.pot``)."""

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


def built_editions(language: str | None = None) -> list[Path]:
    """The PDF and the EPUB that ``make pdf`` and ``make epub`` (``make pdf-zh`` and ``make
    epub-zh`` for *language* zh_CN) have built, those that exist."""
    candidates = [
        output("latex", language) / f"{BOOK}.pdf",
        output("epub", language) / f"{BOOK}.epub",
    ]
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
    language: str | None = None,
    editions: Sequence[str] = (),
) -> list[str]:
    """The ``sphinx-build`` arguments of one strict build of the book with *builder*.

    *downloads* are the files the HTML offers for download (``book_downloads``,
    :mod:`booktools.editions.html`); *pyodide* is the ``pyodide`` package the HTML ships
    (``book_pyodide``, :mod:`booktools.editions.browser`). *language* builds a translation,
    with a doctree cache of its own; *editions* are the other editions each HTML page links to
    (``book_editions``: ``language=path``, see :func:`editions`).

    >>> sphinx_args("html", Path("out"), fresh=True)[-6:]
    ['--keep-going', '-E', '-b', 'html', 'book', 'out']
    >>> Path(sphinx_args("html", Path("out"), language="zh_CN")[3]).relative_to(BUILD)
    PosixPath('doctrees-zh_CN')
    """
    if doctrees is None:
        doctrees = BUILD / ("doctrees" if language is None else f"doctrees-{language}")
        if builder == "gettext":  # its doctrees carry ids the other builders refuse
            doctrees = BUILD / "doctrees-gettext"
    args = ["-c", str(ROOT), "-d", str(doctrees), "-n", "-W", "--keep-going"]
    if fresh:
        args.append("-E")
    if quiet:
        args.append("-q")
    if downloads:
        args += ["-D", "book_downloads=" + ",".join(str(path) for path in downloads)]
    if pyodide is not None:
        args += ["-D", f"book_pyodide={pyodide}"]
    if language is not None:
        args += ["-D", f"language={language}"]
    if editions:
        args += ["-D", "book_editions=" + ",".join(editions)]
    return [*args, "-b", builder, "book", str(out or output(builder, language))]


def output(builder: str, language: str | None = None) -> Path:
    """Where a build writes: ``_build/html``, or ``_build/html-zh_CN`` for a translation."""
    return BUILD / (builder if language is None else f"{builder}-{language}")


def editions(language: str | None) -> list[str]:
    """The other editions of the HTML built with *language* (``None``: English), each as
    ``language=path``, the path of its folder from this one's, as ``make html-all`` lays them
    out in ``_build`` (``html``, ``html-zh_CN``).

    >>> editions(None)
    ['zh_CN=../html-zh_CN']
    >>> editions("zh_CN")
    ['en=../html']
    """
    others = [other for other in ("en", *LANGUAGES) if other != (language or "en")]
    return [
        f"{other}=../{output('html', None if other == 'en' else other).name}" for other in others
    ]


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
        shutil.rmtree(out or output(builder, options.get("language")), ignore_errors=True)
    from sphinx.cmd.build import build_main

    os.chdir(ROOT)
    return build_main(sphinx_args(builder, out, **options))


def template_word(language: str, message: str) -> str:
    """*message* of the templates' words (``sphinx.po``) as *language*'s catalogue translates
    it, or *message* itself where it does not."""
    from babel.messages.pofile import read_po

    path = LOCALES / language / "LC_MESSAGES" / "sphinx.po"
    if not path.is_file():
        return message
    with path.open("rb") as file:
        found = read_po(file).get(message)
    return str(found.string) if found is not None and found.string and not found.fuzzy else message


def pdf(*, check_packages: bool = True, language: str | None = None) -> int:
    """Build the PDF (``_build/latex/<BOOK>.pdf``, or ``_build/latex-zh_CN/...`` for
    *language*) and check it; 0 when it is good."""
    from booktools.editions import latexlog, pdfcheck
    from booktools.make import systemdeps

    latex = output("latex", language)
    status = sphinx("latex", latex, language=language)
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
    words = []  # a translation names the contents and the parts in its own words
    if language is not None:
        words += ["--contents", template_word(language, "Contents")]
        words += ["--part", template_word(language, "Part %s")]
    if latexlog.main([str(log)]) or pdfcheck.main([str(latex / f"{BOOK}.pdf"), *words]):
        return 1
    if check_packages and systemdeps.check_tex_files(latex / f"{BOOK}.fls"):
        return 1
    pages = subprocess.run(["pdfinfo", str(latex / f"{BOOK}.pdf")], capture_output=True, text=True)
    count = next(
        (line.split()[-1] for line in pages.stdout.splitlines() if line.startswith("Pages:")), "?"
    )
    print(f"The PDF is built: {latex / f'{BOOK}.pdf'} ({count} pages)")
    return 0


def epub(*, check: bool = True, language: str | None = None) -> int:
    """Build the EPUB (in ``_build/epub``, or ``_build/epub-zh_CN`` for *language*) and run
    epubcheck on it (no error, no warning); 0 when it passes."""
    status = sphinx("epub", output("epub", language), language=language)
    book = output("epub", language) / f"{BOOK}.epub"
    if status or not check:
        return status
    if subprocess.run([*EPUBCHECK, str(book)], check=False).returncode:
        return 1
    print(f"The EPUB is built and epubcheck passes it: {book}")
    return 0


def gettext() -> int:
    """Extract every message of the book into ``_build/gettext`` (one ``.pot`` per page), from
    every page read afresh: a cached doctree would miss what the book's own transforms changed
    since (:class:`booktools.editions.words.SourcedCells`)."""
    return sphinx("gettext", GETTEXT, quiet=True, fresh=True)


def update_po(language: str) -> int:
    """Extract the messages, then merge them into *language*'s catalogues with sphinx-intl
    (new messages untranslated, changed ones fuzzy); 0 when both worked."""
    status = gettext()
    if status:
        return status
    command = [sys.executable, "-m", "sphinx_intl", "update", "--pot-dir", str(GETTEXT)]
    command += ["--locale-dir", str(LOCALES), "--language", language]
    return subprocess.run(command, check=False).returncode


def has_catalogues(language: str) -> bool:
    """Whether *language* has catalogues in :data:`LOCALES`."""
    return any((LOCALES / language / "LC_MESSAGES").rglob("*.po"))


def po_check(language: str) -> int:
    """0 when *language*'s catalogues translate every message the book has now, with nothing
    fuzzy; else 1, and what is missing printed (:mod:`booktools.editions.catalogs`)."""
    from booktools.editions import catalogs

    status = gettext()
    if status:
        return status
    return catalogs.main([str(GETTEXT), str(LOCALES / language / "LC_MESSAGES")])


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
            help="offer the PDF and EPUB already built in _build, in the same language, for "
            "download (make dist)",
        )
        if name == "html":
            command.add_argument(
                "--no-pyodide",
                action="store_true",
                help="build without Python in the browser (no npm, no Pyodide)",
            )
            command.add_argument(
                "--language",
                choices=LANGUAGES,
                help="build this translation, into _build/html-LANGUAGE (its catalogues are "
                "made first if it has none)",
            )
            command.add_argument(
                "--editions",
                action="store_true",
                help="link each page to the same page of the other editions, as make html-all "
                "lays them out in _build",
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
    for command in (pdf_command, epub_command):
        command.add_argument(
            "--language", choices=LANGUAGES, help="build this translation, into _build/*-LANGUAGE"
        )
    args_command = commands.add_parser("args", help="print the sphinx-build arguments")
    args_command.add_argument("builder")
    commands.add_parser("gettext", help="extract the messages into _build/gettext")
    for name, text in (
        ("update-po", "update the catalogues in locales/ (sphinx-intl)"),
        ("po-check", "fail unless the catalogues translate every message, none fuzzy"),
    ):
        command = commands.add_parser(name, help=text)
        command.add_argument("--language", choices=LANGUAGES, default=LANGUAGES[0])
    npm_command = commands.add_parser("npm", help="install one pinned npm package into a folder")
    npm_command.add_argument("spec", help="name@version")
    npm_command.add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    if args.command == "args":
        print(" ".join(sphinx_args(args.builder)))
        return 0
    if args.command == "npm":
        return npm_install(args.spec, args.folder)
    if args.command == "gettext":
        return gettext()
    if args.command == "update-po":
        return update_po(args.language)
    if args.command == "po-check":
        return po_check(args.language)
    language = getattr(args, "language", None)
    if language is not None and not has_catalogues(language):
        print(f"{language} has no catalogues in {LOCALES}: making them (update-po) first")
        status = update_po(language)
        if status:
            return status
    if args.command == "pdf":
        return pdf(check_packages=not args.no_package_check, language=language)
    if args.command == "epub":
        return epub(check=not args.no_epubcheck, language=language)
    return sphinx(
        args.command,
        args.out,
        clean=args.clean,
        fresh=args.fresh,
        quiet=args.quiet,
        doctrees=args.doctrees,
        downloads=built_editions(language) if args.downloads else (),
        pyodide=pyodide() if args.command == "html" and not args.no_pyodide else None,
        language=language,
        editions=editions(language) if getattr(args, "editions", False) else (),
    )


if __name__ == "__main__":
    sys.exit(main())
