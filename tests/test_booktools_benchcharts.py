"""The ``{benchchart}`` directive (:mod:`booktools.figures.benchcharts`): reading a benchmark's
printed table, and drawing it in a small book of our own built with the book's ``conf.py``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_booktools_timelines import build

from booktools.figures.benchcharts import number, read_table

OUTPUT = """\
command: python -m companion.bench example
Python 3.13.0 (CPython)

Echo: a table printed by a benchmark
server       connections  round trips/s  peak RSS
-----------  -----------  -------------  --------
blocking               1       14,987/s  21.2 MiB
threaded               1       18,396/s  21.2 MiB
blocking           1,000       12,721/s  21.1 MiB
threaded           1,000        8,417/s  50.6 MiB
round trips/s: a note under the table, which is not a row of it.

Another table
N  x
-  -
7  8

Last words, and no table after them.
"""


def test_a_table_is_read_by_its_columns_up_to_the_first_line_that_is_not_a_row() -> None:
    rows = read_table(OUTPUT, "Echo")
    assert [row["server"] for row in rows] == ["blocking", "threaded"] * 2
    assert rows[2] == {
        "server": "blocking",
        "connections": "1,000",
        "round trips/s": "12,721/s",
        "peak RSS": "21.1 MiB",
    }
    assert read_table(OUTPUT, "Another") == [{"N": "7", "x": "8"}]


def test_cells_are_read_as_numbers_without_separators_or_units() -> None:
    assert [number(cell) for cell in ["14,987/s", "21.2 MiB", "0.78x", "1,000", "-3.5 ms"]] == [
        14987.0,
        21.2,
        0.78,
        1000.0,
        -3.5,
    ]
    assert number("-") is None
    assert number("yes") is None


@pytest.mark.parametrize(
    ("title", "message"),
    [("Missing", "no line starts with 'Missing'"), ("Last words", "no table")],
)
def test_a_missing_table_is_a_clear_error(title: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        read_table(OUTPUT, title)


CHART = """
```{benchchart} bench.txt
:table: Echo
:x: connections
:series: server
:y: round trips/s
:series-labels: blocking=one client at a time | threaded=a thread for each
:alt: Two groups of two bars.
:xlabel: connections at once
:ylabel: round trips each second
:name: fig-bench

Look at the second group.
```
"""


def test_the_chart_is_drawn_from_the_file_with_the_words_of_the_page(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "bench.txt").write_text(OUTPUT, encoding="utf-8")
    code, printed, out = build(tmp_path, "html", CHART)
    assert code == 0, printed
    html = (out / "index.html").read_text(encoding="utf-8")
    image = re.search(r'<img alt="([^"]*)" src="_images/(bench-\w+\.svg)"', html)
    assert image is not None, html
    assert image.group(1) == "Two groups of two bars."
    assert "Look at the second group." in html
    svg = (out / "_images" / image.group(2)).read_text(encoding="utf-8")
    words = ["one client at a time", "a thread for each", "connections at once", "1,000"]
    for text in [*words, "round trips each second"]:
        assert text in svg, text
    assert "blocking" not in svg  # the data's own words are replaced by the page's


def test_mistakes_on_the_page_fail_the_build_with_a_reason(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "bench.txt").write_text(OUTPUT, encoding="utf-8")
    page = "\n".join(
        [
            CHART.replace(":name: fig-bench", ""),
            CHART.replace(" | threaded=a thread for each", "").replace(":name: fig-bench", ""),
            CHART.replace(":y: round trips/s", ":y: latency").replace(":name: fig-bench", ""),
            CHART.replace("bench.txt", "missing.txt").replace(":name: fig-bench", ""),
            CHART.replace(":alt: Two groups of two bars.\n", "").replace(":name: fig-bench", ""),
        ]
    )
    code, printed, _ = build(tmp_path, "html", page)
    assert code != 0
    assert ":series-labels: gives no words for ['threaded']" in printed
    assert "no column 'latency'" in printed
    assert "missing.txt" in printed
    assert "the :alt: option is required" in printed
