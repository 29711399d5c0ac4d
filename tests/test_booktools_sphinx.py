"""The Sphinx side of the example machinery: the doctest builder, run on small books of our own
with the book's own ``conf.py``, fails, skips and reports as the book promises."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def sphinx_build(tmp_path: Path, builder: str, page: str) -> tuple[int, str, Path]:
    """Build a one-page book with the book's ``conf.py`` and no network at all.

    Return the exit code, everything Sphinx printed and the output folder. An unreachable proxy
    makes any attempt to fetch something from the network fail.
    """
    source = tmp_path / "src"
    source.mkdir()
    (source / "index.md").write_text("# A page\n\n" + textwrap.dedent(page), encoding="utf-8")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "sphinx", "-b", builder, "-q", "-n", "-W", "--keep-going"]
    command += ["-c", str(ROOT), str(source), str(out)]
    offline = {"PATH": "/usr/bin:/bin", "https_proxy": "http://127.0.0.1:9"}
    offline["http_proxy"] = offline["https_proxy"]
    result = subprocess.run(
        command, capture_output=True, text=True, check=False, cwd=ROOT, env=offline
    )
    return result.returncode, result.stdout + result.stderr, out


def doctest_build(tmp_path: Path, page: str) -> tuple[int, str]:
    """Run Sphinx's doctest builder on a one-page book; return its exit code and its report."""
    code, printed, out = sphinx_build(tmp_path, "doctest", page)
    return code, (out / "output.txt").read_text(encoding="utf-8") + printed


def test_passing_and_skipped_examples(tmp_path: Path) -> None:
    code, report = doctest_build(
        tmp_path,
        """
        ```{doctest}
        >>> sum([1, 2, 3])
        6
        ```

        ```{testcode}
        :skipif: sys.version_info >= (3,)

        print("never runs")
        ```

        ```{testoutput}
        :skipif: sys.version_info >= (3,)

        nonsense
        ```
        """,
    )
    assert code == 0, report
    assert "1 examples skipped by :skipif:" in report
    assert "index.md:" in report
    assert "skipped (skipif: sys.version_info >= (3,))" in report
    assert "    1 test\n    0 failures in tests" in report


def test_wrong_output_and_leaks_fail_the_build(tmp_path: Path) -> None:
    code, report = doctest_build(
        tmp_path,
        """
        ```{doctest}
        >>> sum([1, 2, 3])
        7
        >>> async def fetch():
        ...     return 1
        >>> fetch()  # doctest: +ELLIPSIS
        <coroutine object fetch at ...>
        ```
        """,
    )
    assert code != 0, report
    assert "Expected:\n    7\nGot:\n    6" in report
    assert "the example left something behind" in report
    assert "RuntimeWarning: coroutine 'fetch' was never awaited" in report
    assert "1 failure in cleanup code" in report


def test_python_links_resolve_offline_to_the_public_docs(tmp_path: Path) -> None:
    code, printed, out = sphinx_build(tmp_path, "html", "{py:func}`asyncio.gather`\n")
    assert code == 0, printed
    html = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="https://docs.python.org/3/library/asyncio-task.html#asyncio.gather"' in html
