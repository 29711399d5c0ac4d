"""The ``benchchart`` directive: a bar chart drawn at build time from a committed benchmark table.

The benchmarks (``python -m companion.bench ...``) print their results as plain-text tables, and
the book commits one run's output (``book/concurrency/bench-*.txt``) and shows it with
``literalinclude``. This directive draws a chart from the same file, so the chart and the table
can never disagree, and rerunning the command and committing its output updates both. In MyST::

    ```{benchchart} bench-io.txt
    :table: Echo round trips
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
    The start of the line that names the table: the first header line after it, with its line
    of dashes, starts the table, which ends at the first line that is not a row of it.
``:x:``, ``:series:``, ``:y:`` (required)
    Column headers: one group of bars per ``:x:`` value, one bar per ``:series:`` value in each
    group, as tall as the ``:y:`` value (a number, read with its thousands separators and unit,
    such as ``12,463/s``, ``1.5 KiB`` or ``0.78x``, dropped).
``:series-labels:`` (required)
    ``value=label`` pairs, separated by ``|``: the legend's words for each series drawn, so that
    every word in the image comes from the page (and is translated with it).
``:exclude:``
    Series values to leave out, separated by ``|``.
``:log:``
    A flag: a logarithmic y axis, for values that span orders of magnitude.
``:alt:``, ``:xlabel:``, ``:ylabel:`` (required); ``:name:``, ``:class:``, ``:width:``
    As for ``timeline`` (:mod:`booktools.figures.timelines`), whose caching and output this shares.
"""

from __future__ import annotations

import itertools
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from docutils.nodes import Node
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.util.typing import ExtensionMetadata

from booktools.figures import common

__all__ = ["BenchChartDirective", "Chart", "number", "read_table", "render", "setup"]

# Okabe-Ito colours, in order, one per series (distinguishable with colour-vision deficiencies),
# with hatches that differ too, so that the PDF still reads in grey.
_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442")
_HATCHES = ("", "///", "...", "\\\\\\", "xx", "--", "oo")

_NUMBER = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")


def number(cell: str) -> float | None:
    """The number a table cell starts with (``'12,463/s'`` is 12463.0), or None if none."""
    match = _NUMBER.match(cell.strip())
    return float(match.group().replace(",", "")) if match else None


def _columns(dashes: str) -> list[tuple[int, int]]:
    """The (start, end) of each column, from a table's line of dashes."""
    return [match.span() for match in re.finditer(r"-+", dashes)]


def read_table(text: str, title: str) -> list[dict[str, str]]:
    """The rows of the table after the first line starting with *title*: header to cell, each.

    A table is a header line, a line of dashes under each column, then rows aligned with the
    dashes; it ends at the first line that is blank or has text between the columns.
    """
    lines = text.splitlines()
    start = next((n for n, line in enumerate(lines) if line.startswith(title)), None)
    if start is None:
        raise ValueError(f"no line starts with {title!r}")
    rule = next(
        (n for n in range(start + 1, len(lines)) if re.fullmatch(r"-+(?:  +-+)*", lines[n])), None
    )
    if rule is None or rule == start + 1:
        raise ValueError(f"no table (a header and a line of dashes) follows {title!r}")
    spans = _columns(lines[rule])

    def cells(line: str) -> list[str]:
        # The printer makes each column's dashes as wide as its widest cell.
        return [line[start:end].strip() for start, end in spans]

    def aligned(line: str) -> bool:
        # A row has nothing between its columns or past the last; a line of prose does.
        gaps = [(end, start) for (_, end), (start, _) in itertools.pairwise(spans)]
        gaps.append((spans[-1][1], max(len(line), spans[-1][1])))
        return bool(line.strip()) and not any(line[a:b].strip() for a, b in gaps)

    header = cells(lines[rule - 1])
    rows = []
    for line in lines[rule + 1 :]:
        if not aligned(line):
            break
        rows.append(dict(zip(header, cells(line), strict=True)))
    if not rows:
        raise ValueError(f"the table after {title!r} has no rows")
    return rows


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


def render(chart: Chart, stem: Path) -> list[Path]:
    """Draw *chart* as grouped bars; write ``stem.svg`` and ``stem.pdf``, undated; return them."""
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(common.RC):  # type: ignore[arg-type]  # typed with literal keys
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


def _choices(argument: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (argument or "").split("|") if part.strip())


class BenchChartDirective(SphinxDirective):
    """``{benchchart}``: grouped bars drawn from a table in a committed benchmark output."""

    required_arguments = 1
    has_content = True
    option_spec: ClassVar[dict[str, Any]] = {
        "table": directives.unchanged_required,
        "x": directives.unchanged_required,
        "series": directives.unchanged_required,
        "y": directives.unchanged_required,
        "series-labels": directives.unchanged_required,
        "exclude": directives.unchanged,
        "log": directives.flag,
        "alt": directives.unchanged_required,
        "xlabel": directives.unchanged_required,
        "ylabel": directives.unchanged_required,
        "name": directives.unchanged,
        "class": directives.class_option,
        "width": directives.length_or_percentage_or_unitless,
    }

    def run(self) -> list[Node]:
        required = ("table", "x", "series", "y", "series-labels", "alt", "xlabel", "ylabel")
        for option in required:
            if not self.options.get(option, "").strip():
                raise self.error(f"benchchart: the :{option}: option is required")
        if not self.content:
            raise self.error("benchchart: the content, the caption, is required")
        relative, path = self.env.relfn2path(self.arguments[0])
        self.env.note_dependency(relative)
        try:
            rows = read_table(Path(path).read_text(encoding="utf-8"), self.options["table"])
        except (OSError, ValueError) as error:
            raise self.error(f"benchchart: {self.arguments[0]}: {error}") from error
        x, series, y = (self.options[name] for name in ("x", "series", "y"))
        for column in (x, series, y):
            if column not in rows[0]:
                raise self.error(
                    f"benchchart: no column {column!r} in that table: it has {list(rows[0])}"
                )
        excluded = set(_choices(self.options.get("exclude")))
        rows = [row for row in rows if row[series] not in excluded]
        groups = tuple(dict.fromkeys(row[x] for row in rows))
        names = tuple(dict.fromkeys(row[series] for row in rows))
        words = dict(pair.partition("=")[::2] for pair in _choices(self.options["series-labels"]))
        words = {key.strip(): value.strip() for key, value in words.items()}
        missing = [name for name in names if not words.get(name)]
        if missing:
            raise self.error(f"benchchart: :series-labels: gives no words for {missing}")
        values = []
        for name in names:
            by_group = {row[x]: number(row[y]) for row in rows if row[series] == name}
            values.append(tuple(by_group.get(group) for group in groups))
        chart = Chart(
            groups=groups,
            series=names,
            values=tuple(values),
            labels=tuple(words[name] for name in names),
            xlabel=self.options["xlabel"],
            ylabel=self.options["ylabel"],
            log="log" in self.options,
        )
        directory = Path(self.env.doctreedir) / "benchcharts"
        directory.mkdir(parents=True, exist_ok=True)
        stem = directory / f"{Path(path).stem}-{common.fingerprint(chart, __file__)}"
        if not common.drawn(stem):
            render(chart, stem)
        self.env.note_dependency(os.path.abspath(__file__))
        return [common.figure_node(self, stem, "benchchart")]


def setup(app: Sphinx) -> ExtensionMetadata:
    app.add_directive("benchchart", BenchChartDirective)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
