"""The ``{timeline}`` directive (:mod:`booktools.figures.timelines`), run on small books of our own
with the book's own ``conf.py``: figures for HTML and LaTeX, the same bytes every time, drawn once,
and every mistake on the page reported."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

from booktools.figures.timelines import Labels, kinds_drawn, load_scenario, render

ROOT = Path(__file__).resolve().parent.parent

FIGURE = """
```{timeline}
:scenario: companion.scenes:gathered
:alt: Three tasks that wait at the same time.
:xlabel: seconds on the clock
:running: on the processor
:waiting: suspended
:returned: came back
:name: fig-gathered

Look at the three bars: they overlap.

A second paragraph, the legend.
```

See {ref}`fig-gathered`.
"""


def build(
    tmp_path: Path, builder: str, page: str, *extra: str, doctrees: Path | None = None
) -> tuple[int, str, Path]:
    """Build a one-page book with the book's ``conf.py``; return exit code, output, out dir."""
    source = tmp_path / "src"
    source.mkdir(exist_ok=True)
    (source / "index.md").write_text("# A page\n\n" + textwrap.dedent(page), encoding="utf-8")
    out = tmp_path / builder
    command = [sys.executable, "-m", "sphinx", "-b", builder, "-q", "-n", "-W", "--keep-going"]
    command += ["-d", str(doctrees or tmp_path / "doctrees"), *extra]
    command += ["-c", str(ROOT), str(source), str(out)]
    offline = {"PATH": "/usr/bin:/bin", "https_proxy": "http://127.0.0.1:9"}
    offline["http_proxy"] = offline["https_proxy"]
    result = subprocess.run(
        command, capture_output=True, text=True, check=False, cwd=ROOT, env=offline
    )
    return result.returncode, result.stdout + result.stderr, out


def test_html_and_latex_get_an_svg_and_a_pdf_drawn_once(tmp_path: Path) -> None:
    code, printed, out = build(tmp_path, "html", FIGURE)
    assert code == 0, printed
    assert "fontTools" not in printed  # matplotlib's PDF font subsetting keeps quiet
    html = (out / "index.html").read_text(encoding="utf-8")
    image = re.search(r'<img alt="([^"]*)" src="_images/(gathered-\w+\.svg)"', html)
    assert image is not None, html
    assert image.group(1) == "Three tasks that wait at the same time."
    assert "Look at the three bars: they overlap." in html
    assert "A second paragraph, the legend." in html
    assert 'href="#fig-gathered"' in html  # :name: makes the figure a target
    svg = (out / "_images" / image.group(2)).read_text(encoding="utf-8")
    # Every word of the image comes from the page; task names are drawn as they are.
    for words in ["seconds on the clock", "on the processor", "suspended", "came back", "job("]:
        assert words in svg, words
    assert "<dc:date>" not in svg

    cached = sorted((tmp_path / "doctrees" / "timelines").iterdir())
    assert [path.suffix for path in cached] == [".pdf", ".svg"]
    drawn = {path: path.stat().st_mtime_ns for path in cached}
    code, printed, out = build(tmp_path, "latex", FIGURE, "-E")
    assert code == 0, printed
    assert {path: path.stat().st_mtime_ns for path in cached} == drawn  # not drawn again
    tex = "".join(path.read_text(encoding="utf-8") for path in out.glob("*.tex"))
    included = re.search(r"\\sphinxincludegraphics(?:\[[^]]*\])?\{\{(gathered-\w+)\}\.pdf\}", tex)
    assert included is not None, tex
    assert (out / f"{included.group(1)}.pdf").read_bytes()[:5] == b"%PDF-"
    assert "Look at the three bars: they overlap." in tex


def test_mistakes_on_the_page_fail_the_build_with_a_reason(tmp_path: Path) -> None:
    page = """
    ```{timeline}
    :scenario: companion.scenes:gathered
    :xlabel: time

    No alt text.
    ```

    ```{timeline}
    :scenario: companion.scenes:no_such_scene
    :alt: x
    :xlabel: time

    A scenario that does not exist.
    ```

    ```{timeline}
    :scenario: companion.scenes:taskgroup_failure
    :alt: x
    :xlabel: time
    :running: running
    :waiting: waiting

    Words missing for three kinds of mark.
    ```

    ```{timeline}
    :scenario: companion.scenes:gathered companion.scenes:sequential
    :alt: x
    :xlabel: time
    :titles: only one title

    Two panels, one title.
    ```

    ```{timeline}
    :scenario: companion.scenes:gathered
    :alt: x
    :xlabel: time
    ```
    """
    code, printed, _ = build(tmp_path, "html", page)
    assert code != 0
    for reason in [
        "the :alt: option is required",
        "scenario 'companion.scenes:no_such_scene' failed: AttributeError(",
        "give :returned:, :raised:, :cancelled:",
        "1 :titles: for 2 scenarios",
        "the content, the caption, is required",
    ]:
        assert reason in printed, printed


def test_a_figure_is_the_same_bytes_every_time(tmp_path: Path) -> None:
    timelines = [load_scenario("companion.scenes:taskgroup_failure")]
    labels = Labels("time", {kind: kind for kind in kinds_drawn(timelines)}, ("a title",))
    one = render(timelines, labels, "time", tmp_path / "one", xmax=3.0)
    timelines = [load_scenario("companion.scenes:taskgroup_failure")]
    two = render(timelines, labels, "time", tmp_path / "two", xmax=3.0)
    assert [path.suffix for path in one] == [".svg", ".pdf"]
    for first, second in zip(one, two, strict=True):
        assert first.read_bytes() == second.read_bytes()
