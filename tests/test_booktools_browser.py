"""Python in the browser: Pyodide from the pinned npm package, ``companion`` zipped, the console."""

from __future__ import annotations

import doctest
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from booktools.editions.browser import (
    COMPANION_ZIP,
    PYODIDE_FILES,
    companion_zip,
    download_size,
)
from booktools.make import recipes

ROOT = Path(__file__).resolve().parents[1]

PAGE = """\
# Console

Python {{ browser_python }}.

::::{only} pyodide
:::{python-console}
:start: Start it
:loading: Loading {size}
:chapter-link: To the console
:ready: Ready: {version}
:failed: Failed
:unavailable: No WebAssembly
:no-stack-switching: No JSPI
:run: Go
:input: Code
:output: Printed
:example-run: Run it
:example-edit: Edit it
:example-running: Running
:example-same: Same
:example-differs: Differs
:example-book: Book
:example-browser: Browser
:::
::::

```{doctest}
>>> x = 2
```

```{testcode}
print(x + 1)
```

```{testoutput}
3
```

```{doctest}
:skipif: sys.version_info >= (3, 14)
>>> x
2
```

```{doctest}
>>> import textwrap, threading
>>> worker = threading.current_thread().name
```

```{doctest}
>>> x
2
```

```{doctest}
>>> len(worker)
10
```

::::{only} not pyodide
No Python here.
::::
"""


def _fake_pyodide(folder: Path, python: str = recipes.PYODIDE_PYTHON) -> Path:
    """A folder with the files of the ``pyodide`` package that the build copies."""
    folder.mkdir()
    for name in PYODIDE_FILES:
        (folder / name).write_text(f"{name} stand-in", encoding="utf-8")
    lock = {"info": {"python": python}, "packages": {}}
    (folder / "pyodide-lock.json").write_text(json.dumps(lock), encoding="utf-8")
    return folder


def _build(tmp_path: Path, *settings: str) -> tuple[int, str, Path]:
    source = tmp_path / "src"
    source.mkdir()
    conf = [
        'extensions = ["myst_parser", "booktools.editions.browser"]',
        'extensions += ["sphinx.ext.doctest"]',
        'myst_enable_extensions = ["colon_fence", "substitution"]',
        *settings,
    ]
    (source / "conf.py").write_text("\n".join(conf) + "\n", encoding="utf-8")
    (source / "index.md").write_text(PAGE, encoding="utf-8")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-W", "--keep-going"]
    done = subprocess.run(
        [*command, str(source), str(out)], capture_output=True, text=True, check=False, cwd=ROOT
    )
    return done.returncode, done.stdout + done.stderr, out


def test_without_pyodide_the_page_says_so_and_ships_nothing(tmp_path: Path) -> None:
    code, printed, out = _build(tmp_path)
    assert code == 0, printed
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "No Python here." in page
    assert "book-console" not in page
    assert "book-python.js" not in page
    assert f"Python {recipes.PYODIDE_PYTHON}." in page
    assert not (out / "_static" / "pyodide").exists()


def test_with_pyodide_its_files_and_companion_ship_and_the_console_has_its_words(
    tmp_path: Path,
) -> None:
    package = _fake_pyodide(tmp_path / "pyodide")
    code, printed, out = _build(tmp_path, f"book_pyodide = {str(package)!r}")
    assert code == 0, printed
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "No Python here." not in page
    assert 'data-start="Start it"' in page
    # What the browser downloads, measured on the files shipped (here, the stand-ins).
    shipped_bytes = sum(p.stat().st_size for p in (out / "_static" / "pyodide").iterdir())
    shipped_bytes += (out / "_static" / COMPANION_ZIP).stat().st_size
    assert download_size(package) == shipped_bytes
    assert f'data-loading="Loading {shipped_bytes / 1_000_000:.1f} MB"' in page
    # The page with examples that can run starts with a link to the console.
    assert re.search(
        r'<h1>.*?</h1>\s*<p class="book-console-link"><a [^>]*href="console.html"[^>]*>'
        r"To the console</a></p>",
        page,
        re.DOTALL,
    ), page
    assert 'data-ready="Ready: {version}"' in page
    assert "book-python.js" in page
    data = re.search(r'<script type="application/json" id="book-examples">(.*?)</script>', page)
    assert data is not None
    examples = json.loads(data[1])["examples"]
    assert [(e["kind"], e["reason"]) for e in examples] == [
        ("doctest", None),
        ("testcode", None),
        ("doctest", "guarded for another Python (skipif: sys.version_info >= (3, 14))"),
        ("doctest", "threads"),
        ("doctest", None),
        ("doctest", "depends on an example that cannot run (threads)"),
    ]
    assert examples[-1]["needs"] == "worker"
    # Its import of what a browser has still runs, for the examples after it; not threading.
    assert examples[3]["imports"] == "import textwrap\n"
    assert examples[1]["want"] == "3\n"
    assert 'class="book-run-1 ' in page
    assert 'class="book-run-out-1 ' in page
    assert json.loads(data[1])["words"]["example-run"] == "Run it"
    shipped = sorted(path.name for path in (out / "_static" / "pyodide").iterdir())
    assert shipped == sorted(PYODIDE_FILES)
    with zipfile.ZipFile(out / "_static" / COMPANION_ZIP) as archive:
        assert {"companion/virtualtime.py", "book_inbrowser.py"} <= set(archive.namelist())


def test_a_pyodide_with_another_python_fails_the_build(tmp_path: Path) -> None:
    package = _fake_pyodide(tmp_path / "pyodide", python="3.13.2")
    code, printed, _ = _build(tmp_path, f"book_pyodide = {str(package)!r}")
    assert code != 0
    assert "carries Python 3.13.2" in printed


def test_the_companion_zip_holds_every_module_and_no_cache(tmp_path: Path) -> None:
    target = tmp_path / COMPANION_ZIP
    companion_zip(target)
    with zipfile.ZipFile(target) as archive:
        names = set(archive.namelist())
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "companion").rglob("*.py")}
    assert modules <= names
    assert "companion/py.typed" in names
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]


def test_the_html_build_is_given_pyodide_and_the_other_builds_are_not() -> None:
    args = recipes.sphinx_args("html", pyodide=Path("/p/pyodide"))
    assert args[args.index("book_pyodide=/p/pyodide") - 1] == "-D"
    assert not [arg for arg in recipes.sphinx_args("html") if "book_pyodide" in arg]


def test_without_npm_the_html_is_built_without_pyodide_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(recipes, "BUILD", tmp_path)
    monkeypatch.setattr("shutil.which", lambda name: None)
    assert recipes.pyodide() is None
    assert "npm is not installed; the HTML is built without Python" in capsys.readouterr().out


def test_an_installed_pyodide_is_not_installed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / f"pyodide-{recipes.PYODIDE_VERSION}" / "node_modules" / "pyodide"
    package.mkdir(parents=True)
    (package / "pyodide.asm.wasm").write_bytes(b"\0asm")
    monkeypatch.setattr(recipes, "BUILD", tmp_path)
    monkeypatch.setattr(recipes, "npm_install", lambda spec, folder: pytest.fail("npm called"))
    assert recipes.pyodide() == package


def test_a_session_in_the_browser_names_its_code_as_doctest_does() -> None:
    # What a stack or a traceback printed in the book shows: <doctest ...>, as the doctest runners
    # name a prompt's code (the book matches the rest with an ellipsis).
    from booktools.editions import inbrowser

    session = (
        ">>> import sys, traceback\n"
        ">>> traceback.print_stack(limit=1, file=sys.stdout)\n"
        '  File "<doctest ...>", line 1, in <module>\n'
    )
    steps = inbrowser.run_session(session, doctest.ELLIPSIS, {})
    assert [step["ok"] for step in steps] == [True, True], steps
