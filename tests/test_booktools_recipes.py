"""The build recipes: one spelling of each build, and no book build that needs the test extra."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import conf
from booktools.make.recipes import ROOT, TEST_ONLY, sphinx_args


def run_blocked(code: str) -> subprocess.CompletedProcess[str]:
    """Run *code* in a fresh interpreter after blocking the test-only packages."""
    prelude = "from booktools.make.recipes import block_test_only\nblock_test_only()\n"
    return subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_blocked_packages_cannot_be_imported() -> None:
    for name in sorted(TEST_ONLY - {"ruff"}):  # ruff's module is a launcher, not always there
        done = run_blocked(f"import {name}")
        assert done.returncode == 1
        assert f"ModuleNotFoundError: {name} is a test-only package" in done.stderr


def test_conf_and_every_extension_load_without_the_test_extra() -> None:
    # What Read the Docs has: the docs extra only. conf.py and each extension it names must load;
    # the strict HTML build of `make test` then builds the whole book the same way.
    done = run_blocked(
        """
        import importlib, runpy
        settings = runpy.run_path("conf.py")
        for name in settings["extensions"]:
            importlib.import_module(name)
        print(len(settings["extensions"]))
        """
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == len(conf.extensions)


def test_blocking_after_a_test_package_was_imported_is_refused() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import pytest\nimport booktools.make.recipes as r\nr.block_test_only()",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "RuntimeError: test-only packages are already imported: _pytest" in done.stderr


def test_every_build_is_strict_and_reads_the_book_with_this_conf() -> None:
    args = sphinx_args("epub", Path("/tmp/out"), quiet=True)
    assert args[:2] == ["-c", str(ROOT)]
    assert {"-n", "-W", "--keep-going", "-q"} <= set(args)
    assert args[-4:] == ["-b", "epub", "book", "/tmp/out"]
    assert "-E" not in args
    assert "-E" in sphinx_args("html", fresh=True)


def test_the_build_commands_are_spelled_only_in_the_recipes() -> None:
    # The Makefile, Read the Docs and the matrix call the recipes; none spells a build itself.
    for name in ("Makefile", ".readthedocs.yaml", "booktools/make/matrix.py", ".ci/run"):
        text = (ROOT / name).read_text(encoding="utf-8")
        spellings = ("sphinx-build -", "-m sphinx", "latexmk", "epubcheck.jar", "all-pdf")
        for spelled in (*spellings, "sphinx-intl ", "sphinx_intl"):
            lines = [line for line in text.splitlines() if spelled in line]
            assert not [line for line in lines if not line.lstrip().startswith("#")], (name, lines)


def test_a_translation_builds_apart_from_the_english_edition() -> None:
    english = sphinx_args("html")
    chinese = sphinx_args("html", language="zh_CN", editions=["en=../html"])
    assert english[english.index("-d") + 1] == str(ROOT / "_build" / "doctrees")
    assert chinese[chinese.index("-d") + 1] == str(ROOT / "_build" / "doctrees-zh_CN")
    assert chinese[-1] == str(ROOT / "_build" / "html-zh_CN")
    assert chinese[chinese.index("language=zh_CN") - 1] == "-D"
    assert "book_editions=en=../html" in chinese
    assert not [arg for arg in english if arg.startswith(("language=", "book_editions="))]
    gettext = sphinx_args("gettext")
    assert gettext[gettext.index("-d") + 1] == str(ROOT / "_build" / "doctrees-gettext")
