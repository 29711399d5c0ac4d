"""The ``benchchart`` directive: a bar chart drawn at build time from a committed benchmark run.

The benchmarks (``python -m companion.bench NAME --json PATH``) write their results as data, and
the book commits one run's file (``book/concurrency/bench-*.json``) and shows its tables with
``{benchtable}`` (:mod:`booktools.figures.benchdata`). This directive draws a chart from the same
file, so the chart and the table can never disagree, and rerunning the command and committing its
file updates both. In MyST::

    ```{benchchart} bench-io.json
    :table: echo
    :x: connections
    :series: server
    :y: round trips/s
    :series-labels: blocking=one client at a time | threaded=a thread per connection
    :exclude: reference: uvloop Protocol
    :alt: Grouped bars: ...
    :xlabel: concurrent connections
    :ylabel: round trips per second

    The caption: what to look at. Further paragraphs become the figure's legend.
    ```

The argument is the file, relative to the page. Options:

``:table:`` (required)
    The name of the table in the run (``"name"`` in the JSON).
``:x:``, ``:series:``, ``:y:`` (required)
    Column keys: one group of bars per ``:x:`` value, one bar per ``:series:`` value in each
    group, as tall as the ``:y:`` figure. ``python`` is the Python version of the run a row comes
    from, for a file that holds one run per Python; ``:run:`` keeps the run of one version only.
``:series-labels:`` (required)
    ``value=label`` pairs, separated by ``|``: the legend's words for each series drawn, so that
    every word in the image comes from the page (and is translated with it).
``:exclude:``
    Series values to leave out, separated by ``|``.
``:log:``
    A flag: a logarithmic y axis, for values that span orders of magnitude.
``:alt:``, ``:xlabel:``, ``:ylabel:`` (required); ``:name:``, ``:class:``, ``:width:``
    As for ``timeline`` (:mod:`booktools.figures.timelines`), whose caching and output this shares.

The words of ``:series-labels:``, ``:xlabel:`` and ``:ylabel:`` are messages of the page's
catalogue, and the chart is drawn from their translation (:mod:`booktools.editions.words`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from docutils.nodes import Node
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util.typing import ExtensionMetadata

from booktools.figures import benchdata, common

__all__ = ["BenchChartDirective", "Chart", "render", "setup"]

# Okabe-Ito colours, in order, one per series (distinguishable with colour-vision deficiencies),
# with hatches that differ too, so that the PDF still reads in grey.
_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442")
_HATCHES = ("", "///", "...", "\\\\\\", "xx", "--", "oo")


@dataclass(frozen=True)
class Chart:
    """What a chart draws: groups of bars, and the words on the page that go with them."""

    groups: tuple[str, ...]  # the :x: values, in table order
    series: tuple[str, ...]  # the :series: values, in table order
    values: tuple[tuple[float | None, ...], ...]  # values[series][group]; None where no row
    labels: tuple[str, ...]  # one per series
    xlabel: str
    ylabel: str
    log: bool


def render(chart: Chart, stem: Path, language: str | None = None) -> list[Path]:
    """Draw *chart* as grouped bars; write ``stem.svg`` and ``stem.pdf``, undated; return them.
    *language* chooses the fonts (:func:`booktools.figures.common.rc`)."""
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(common.rc(language)):  # type: ignore[arg-type]  # literal keys
        figure = Figure(figsize=(6.4, 3.4), layout="constrained")
        ax = figure.subplots()
        width = 0.8 / len(chart.series)
        for number_, (values, label) in enumerate(zip(chart.values, chart.labels, strict=True)):
            positions = [
                group + (number_ - (len(chart.series) - 1) / 2) * width
                for group, value in enumerate(values)
                if value is not None
            ]
            heights = [value for value in values if value is not None]
            ax.bar(
                positions,
                heights,
                width * 0.92,
                label=label,
                color=_COLOURS[number_ % len(_COLOURS)],
                hatch=_HATCHES[number_ % len(_HATCHES)],
                edgecolor="white",
                linewidth=0.4,
            )
        ax.set_xticks(range(len(chart.groups)), chart.groups)
        ax.set_xlabel(chart.xlabel)
        ax.set_ylabel(chart.ylabel)
        if chart.log:
            ax.set_yscale("log")
        # Plain numbers with thousands separators (12,000 or 0.25), never 1.2e4 or 10^4.
        ax.yaxis.set_major_formatter(
            matplotlib.ticker.FuncFormatter(
                lambda value, _: f"{value:,.0f}" if abs(value) >= 100 else f"{value:g}"
            )
        )
        ax.tick_params(axis="x", length=0)
        ax.grid(axis="y", color="#EEEEEE", linewidth=0.6)
        ax.set_axisbelow(True)
        figure.legend(loc="outside right upper", frameon=False)
        return common.save(figure, stem)


class BenchChartDirective(benchdata.BenchDirective):
    """``{benchchart}``: grouped bars drawn from a table in a committed benchmark run."""

    kind = "benchchart"
    has_content = True
    option_spec: ClassVar[dict[str, Any]] = {
        "table": directives.unchanged_required,
        "x": directives.unchanged_required,
        "series": directives.unchanged_required,
        "y": directives.unchanged_required,
        "series-labels": directives.unchanged_required,
        "exclude": directives.unchanged,
        "run": directives.unchanged,
        "log": directives.flag,
        "alt": directives.unchanged_required,
        "xlabel": directives.unchanged_required,
        "ylabel": directives.unchanged_required,
        "name": directives.unchanged,
        "class": directives.class_option,
        "width": directives.length_or_percentage_or_unitless,
    }

    def run(self) -> list[Node]:
        self.required("table", "x", "series", "y", "series-labels", "alt", "xlabel", "ylabel")
        if not self.content:
            raise self.error("benchchart: the content, the caption, is required")
        reports = self.reports()
        path = self.env.relfn2path(self.arguments[0])[1]
        x, series, y = (self.options[name] for name in ("x", "series", "y"))
        try:
            selection = benchdata.select(
                reports, self.options["table"], run=self.options.get("run")
            )
            benchdata.check_columns(selection, [x, series, y])
        except ValueError as error:
            raise self.error(f"benchchart: {self.arguments[0]}: {error}") from error
        excluded = set(benchdata.choices(self.options.get("exclude")))
        rows = [row for row in selection.rows if selection.text(series, row) not in excluded]
        groups = tuple(dict.fromkeys(selection.text(x, row) for row in rows))
        names = tuple(dict.fromkeys(selection.text(series, row) for row in rows))
        labels = [part.partition("=") for part in benchdata.choices(self.options["series-labels"])]
        words = {key.strip(): label.strip() for key, equals, label in labels if equals}
        missing = [name for name in names if not words.get(name)]
        if missing:
            raise self.error(f"benchchart: :series-labels: gives no words for {missing}")
        values = []
        for name in names:
            by_group = {
                selection.text(x, row): benchdata.number(row[y])
                for row in rows
                if selection.text(series, row) == name
            }
            values.append(tuple(by_group.get(group) for group in groups))
        # Every word the image shows, by name: the gettext builder extracts them, and the
        # chart is drawn from their translation (booktools.editions.words).
        texts = {"xlabel": self.options["xlabel"], "ylabel": self.options["ylabel"]}
        texts |= {f"series-{number}": words[name] for number, name in enumerate(names)}
        directory = Path(self.env.doctreedir) / "benchcharts"
        self.env.note_dependency(os.path.abspath(__file__))

        def draw(translated: dict[str, str]) -> Path:
            chart = Chart(
                groups=groups,
                series=names,
                values=tuple(values),
                labels=tuple(translated[f"series-{number}"] for number in range(len(names))),
                xlabel=translated["xlabel"],
                ylabel=translated["ylabel"],
                log="log" in self.options,
            )
            directory.mkdir(parents=True, exist_ok=True)
            language = self.config.language
            fonts = common.rc(language)["font.family"]
            stem = directory / f"{Path(path).stem}-{common.fingerprint((chart, fonts), __file__)}"
            if not common.drawn(stem):
                render(chart, stem, language)
            return stem

        return common.figure_node(self, "benchchart", texts, draw)


def setup(app: Sphinx) -> ExtensionMetadata:
    app.setup_extension("booktools.editions.words")
    app.add_directive("benchchart", BenchChartDirective)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
