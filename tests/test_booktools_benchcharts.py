"""The ``{benchchart}``, ``{benchtable}`` and ``{benchrun}`` directives
(:mod:`booktools.figures.benchcharts`, :mod:`booktools.figures.benchdata`): a small results file
of our own, rendered as a chart, a table and a run header in a small book built with the book's
``conf.py``; every mistake on the page, or in the file, is a build error with a reason."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from test_booktools_timelines import build

from booktools.figures.benchdata import number, select
from companion.bench.results import (
    NOT_RECORDED,
    Column,
    Environment,
    Quantity,
    Report,
    Table,
    reports_from_json,
    reports_to_json,
)


def a_run(python: str = "3.13.0", *, load_end: tuple[float, float, float] | None = None) -> Report:
    """A run of a made-up benchmark, with one table of echo figures and one of memory."""
    table = Table(
        "echo",
        ["Echo: a table printed by a benchmark"],
        [
            Column("server"),
            Column("connections"),
            Column("round trips/s", "/s"),
            Column("peak RSS", "MiB", 1),
        ],
        notes=["round trips/s: a note under the table."],
    )
    table.add("blocking", 1, 14987.0, 21.2)
    table.add("threaded", 1, 18396.0, 21.2)
    table.add("blocking", 1000, 12721.0, None)
    table.add("threaded", 1000, 8417.0, 50.6)
    mixed = Table("mixed", ["Another"], [Column("workload"), Column("asyncio")])
    mixed.add("spawn: time", Quantity(862.1, "ms", 1))
    mixed.add("spawn: memory", Quantity(66.0, "MiB", 1))
    return Report(
        benchmark="example",
        command="python -m companion.bench example",
        environment=Environment(python, "CPython", "Linux-test", 2, {"client": 0, "server": 1}),
        repeat=5,
        quick=False,
        load_start=(0.5, 0.75, 1.25),
        tables=[table, mixed],
        load_end=load_end,
        total_seconds=12.5,
    )


def test_a_run_survives_the_round_trip_through_json() -> None:
    runs = [a_run(), a_run("3.12.1", load_end=(3.0, 1.0, 1.0))]
    back = reports_from_json(reports_to_json(runs))
    assert [run.text() for run in back] == [run.text() for run in runs]
    assert back[1].load_end == (3.0, 1.0, 1.0)
    assert back[0].table("mixed").rows[0][1] == Quantity(862.1, "ms", 1)
    text = runs[0].text()
    assert re.search(r"\nblocking +1,000 +12,721/s +-\n", text)
    assert "862.1 ms" in text
    assert "66.0 MiB" in text
    assert f"load average at the end: {NOT_RECORDED}\n" in text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda data: data.update(format="other/9"), "format 'other/9'"),
        (lambda data: data.update(runs=[]), "no runs"),
        (lambda data: data["runs"][0].pop("command"), "run 0: command: expected str"),
        (
            lambda data: data["runs"][0]["tables"][0]["rows"][0].pop(),
            r"table 0 \('echo'\): row 0 has 3 cells for 4",
        ),
        (
            lambda data: data["runs"][0]["tables"][0]["columns"][2].update(unit="furlongs"),
            "unknown unit 'furlongs'",
        ),
        (lambda data: data["runs"][0]["load"].update(start=[1, 2]), "three load averages"),
    ],
)
def test_a_malformed_file_is_refused_with_where(change: object, message: str) -> None:
    data = json.loads(reports_to_json([a_run()]))
    change(data)  # type: ignore[operator]
    with pytest.raises(ValueError, match=message):
        reports_from_json(json.dumps(data))
    with pytest.raises(ValueError, match="not JSON"):
        reports_from_json("{")


def test_rows_are_selected_by_table_run_and_condition() -> None:
    runs = [a_run(), a_run("3.12.1")]
    selection = select(runs, "echo", where=[("connections", "1,000")])
    assert [(row["python"], row["server"]) for row in selection.rows] == [
        ("3.13.0", "blocking"),
        ("3.13.0", "threaded"),
        ("3.12.1", "blocking"),
        ("3.12.1", "threaded"),
    ]
    assert selection.text("peak RSS", selection.rows[0], "n/a") == "n/a"
    assert [number(row["round trips/s"]) for row in select(runs, "echo", run="3.12.1").rows] == [
        14987.0,
        18396.0,
        12721.0,
        8417.0,
    ]
    assert number(Quantity(2.5, "ms")) == 2.5
    assert number("yes") is None
    with pytest.raises(ValueError, match=r"no table 'Echo': the tables are \['echo', 'mixed'\]"):
        select(runs, "Echo")
    with pytest.raises(ValueError, match=r"no run of Python '3\.9\.0'"):
        select(runs, "echo", run="3.9.0")
    with pytest.raises(ValueError, match="no column 'latency'"):
        select(runs, "echo", where=[("latency", "1")])


CHART = """
```{benchchart} bench.json
:table: echo
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

TABLE = """
```{benchtable} bench.json
:table: echo
:columns: server=the server | connections | round trips/s=round trips per second | peak RSS
:where: connections=1,000
:missing: not measured

The figures of the page's table.
```
"""

RUN = """
```{benchrun} bench.json
:quiet: a quiet run
:busy: a busy run
:unknown: quiet or not, nobody can tell
:not-recorded: not written down

Python ${python} on ${platform}, ${cpus} CPUs (${pinned}): load ${load_start}, then
${load_end}; ${quiet}.
```
"""


def book(tmp_path: Path, runs: list[Report] | None = None) -> None:
    (tmp_path / "src").mkdir(exist_ok=True)
    text = reports_to_json(runs or [a_run()])
    (tmp_path / "src" / "bench.json").write_text(text, encoding="utf-8")


def test_the_chart_is_drawn_from_the_file_with_the_words_of_the_page(tmp_path: Path) -> None:
    book(tmp_path)
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


def test_the_table_and_the_run_are_rendered_in_the_words_of_the_page(tmp_path: Path) -> None:
    book(tmp_path, [a_run(), a_run("3.12.1", load_end=(3.0, 1.0, 1.0))])
    code, printed, out = build(tmp_path, "html", TABLE + RUN)
    assert code == 0, printed
    html = (out / "index.html").read_text(encoding="utf-8")
    (table,) = re.findall(r"<table.*?</table>", html, re.DOTALL)
    cells = [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r"<t[hd].*?</t[hd]>", table, re.S)
    ]
    header = ["the server", "connections", "round trips per second", "peak RSS"]
    rows = [
        ["blocking", "1,000", "12,721/s", "not measured"],
        ["threaded", "1,000", "8,417/s", "50.6 MiB"],
    ]
    assert cells == header + rows[0] + rows[1] + rows[0] + rows[1]  # two runs, 3.13 and 3.12
    # Three columns of figures, marked on each cell of the header and of the four rows.
    assert len(re.findall(r'<t[hd] class="[^"]*\bnumeric\b', table)) == 3 * 5
    assert "The figures of the page&#8217;s table." in table or "The figures of the page" in table
    sentences = [
        "Python 3.13.0 on Linux-test, 2 CPUs (client 0, server 1): load 0.50 / 0.75 / 1.25, "
        "then\nnot written down; quiet or not, nobody can tell.",
        "Python 3.12.1 on Linux-test, 2 CPUs (client 0, server 1): load 0.50 / 0.75 / 1.25, "
        "then\n3.00 / 1.00 / 1.00; a busy run.",
    ]
    for sentence in sentences:
        assert sentence in html, html

    book(tmp_path, [a_run(load_end=(1.0, 1.0, 1.99))])
    code, printed, out = build(tmp_path, "html", RUN, "-E")
    assert code == 0, printed
    assert "1.00 / 1.00 / 1.99; a quiet run." in (out / "index.html").read_text(encoding="utf-8")


def test_the_latex_table_is_a_table(tmp_path: Path) -> None:
    book(tmp_path)
    code, printed, out = build(tmp_path, "latex", TABLE)
    assert code == 0, printed
    (tex,) = out.glob("*.tex")
    text = tex.read_text(encoding="utf-8")
    # A tabulary, the column of words on the left, the three of figures aligned on the right.
    assert r"\begin{tabulary}{\linewidth}[t]{LRRR}" in text
    assert "round trips per second" in text
    assert "12,721/s" in text


def test_mistakes_on_the_page_fail_the_build_with_a_reason(tmp_path: Path) -> None:
    book(tmp_path)
    unnamed = CHART.replace(":name: fig-bench", "")
    page = "\n".join(
        [
            unnamed,
            unnamed.replace(" | threaded=a thread for each", ""),
            unnamed.replace(":y: round trips/s", ":y: latency"),
            unnamed.replace("bench.json", "missing.json"),
            unnamed.replace(":alt: Two groups of two bars.\n", ""),
            TABLE.replace(":table: echo", ":table: Echo"),
            TABLE.replace("peak RSS\n", "peak memory\n"),
            TABLE.replace(":columns:", ":colums:"),
            RUN.replace("${quiet}", "${loud}"),
        ]
    )
    code, printed, _ = build(tmp_path, "html", page)
    assert code != 0
    assert ":series-labels: gives no words for ['threaded']" in printed
    assert "no column 'latency'" in printed
    assert "benchchart: missing.json: cannot read it" in printed
    assert "the :alt: option is required" in printed
    assert "benchtable: bench.json: no table 'Echo': the tables are ['echo', 'mixed']" in printed
    assert "no column 'peak memory'" in printed
    assert "Unknown option key: 'colums'" in printed
    assert "benchtable: the :columns: option is required" in printed
    assert "benchrun: no field 'loud' to fill in" in printed


def test_a_malformed_file_fails_the_build_with_a_reason(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "bench.json").write_text('{"format": "companion.bench/1", "runs": [{}]}')
    code, printed, _ = build(tmp_path, "html", TABLE)
    assert code != 0
    assert "benchtable: bench.json: run 0: environment: expected dict, got None" in printed
