"""Benchmark runs in the book: the committed JSON read once, rendered as tables and run headers.

Each benchmark (``python -m companion.bench NAME --json PATH``) writes its run as data
(:mod:`companion.bench.results`); the book commits that file (``book/concurrency/bench-*.json``)
and renders it at build time, so the text, its tables and its charts
(:mod:`booktools.figures.benchcharts`) all show the same figures. Two directives, in MyST::

    ```{benchtable} bench-io.json
    :table: echo
    :columns: server | connections | round trips/s=round trips per second | vs asyncio
    :where: connections=50

    The caption, optional.
    ```

``:table:`` names a table of the run (its ``name`` in the JSON); ``:columns:`` lists the columns
to show, in order, each as ``key`` or ``key=heading``: the heading is the page's word (a
translation changes it there), the key the column's name in the JSON. ``:where:`` keeps only the
rows whose cell in a column has the value given (``key=value``, separated by ``|``; every
condition must hold). A file that holds several runs (one per Python) shows the rows of all of
them, and the pseudo-column ``python`` is the run's Python version; ``:run:`` keeps only the run
of one version. Figures are printed with their units (``12,463/s``, ``46.4 us``); a figure the
run did not record is ``:missing:`` (default ``-``). ``:name:`` makes the table a target, but the
HTML theme (Furo) then gives its wrapper the same id, so the book's pages use none.

::

    ```{benchrun} bench-loop.json
    :quiet: a quiet run
    :busy: not a quiet run
    :unknown: whether it was quiet was not recorded
    :not-recorded: not recorded

    Measured on Python ${python} (${platform}) with ${cpus} CPUs; the load average (over 1, 5 and
    15 minutes) was ${load_start} at the start and ${load_end} at the end: ${quiet}.
    ```

renders its content once for each run in the file, with these fields filled in: ``python``,
``implementation``, ``platform``, ``cpus``, ``pinned`` (``client 0, server 1``), ``command``,
``repeat``, ``load_start``, ``load_end`` (the three figures separated by `` / ``), ``total``
(seconds) and ``quiet``, which is the text of ``:quiet:``, ``:busy:`` or ``:unknown:`` as the
rule of :func:`companion.bench.results.quiet` decides: every load average, at the start and at
the end, below the CPU count. Every word comes from the page.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from docutils.nodes import Node
from docutils.parsers.rst import directives
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.util.typing import ExtensionMetadata

from booktools.editions import words
from companion.bench.results import Cell, Column, Quantity, Report, quiet, reports_from_json

__all__ = [
    "BenchDirective",
    "BenchRunDirective",
    "BenchTableDirective",
    "Selection",
    "check_columns",
    "choices",
    "number",
    "pairs",
    "read",
    "run_fields",
    "select",
    "setup",
]

PYTHON = "python"  # the pseudo-column: the Python version of the run a row comes from


def read(path: Path) -> list[Report]:
    """The runs in the results file at *path*; :exc:`ValueError` saying what is wrong with it."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ValueError(f"cannot read it: {error.strerror or error}") from error
    return reports_from_json(text)


def choices(argument: str | None) -> tuple[str, ...]:
    """The parts of an option separated by ``|``, stripped, empty ones dropped."""
    return tuple(part.strip() for part in (argument or "").split("|") if part.strip())


def pairs(argument: str | None) -> list[tuple[str, str]]:
    """``key=value`` parts of an option; a part without ``=`` gives ``(part, part)``."""
    result = []
    for part in choices(argument):
        key, equals, value = part.partition("=")
        result.append((key.strip(), value.strip() if equals else key.strip()))
    return result


def number(cell: Cell) -> float | None:
    """The figure in a cell (a Quantity's value), or None for a word or a missing figure."""
    if isinstance(cell, Quantity):
        return cell.value
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return float(cell)
    return None


@dataclass(frozen=True)
class Selection:
    """Rows of one table, from one run or several: the columns, and each row by column key."""

    columns: dict[str, Column]  # by key, in the table's order, the pseudo-column first
    rows: list[dict[str, Cell]]

    def text(self, key: str, row: dict[str, Cell], missing: str = "-") -> str:
        """The cell of *row* in column *key* as printed, with *missing* for a missing figure."""
        value = row[key]
        return missing if value is None else self.columns[key].format(value)


def select(
    reports: Sequence[Report],
    table: str,
    *,
    run: str | None = None,
    where: Sequence[tuple[str, str]] = (),
) -> Selection:
    """The rows of the table called *table* in *reports* (of the run of Python *run* only, if
    given), each with the pseudo-column ``python``, keeping those that match every ``(key,
    value)`` of *where* (compared as printed). :exc:`ValueError` for a name not found."""
    if run is not None:
        reports = [report for report in reports if report.environment.python == run]
        if not reports:
            raise ValueError(f"no run of Python {run!r} in the file")
    columns: dict[str, Column] = {PYTHON: Column(PYTHON)}
    rows: list[dict[str, Cell]] = []
    for report in reports:
        try:
            found = report.table(table)
        except KeyError as error:
            raise ValueError(error.args[0]) from None
        columns |= {column.key: column for column in found.columns}
        for cells in found.rows:
            row: dict[str, Cell] = {PYTHON: report.environment.python}
            row.update((c.key, v) for c, v in zip(found.columns, cells, strict=True))
            rows.append(row)
    selection = Selection(columns, rows)
    for key, _value in where:
        check_columns(selection, [key])
    kept = [row for row in rows if all(selection.text(k, row) == v for k, v in where)]
    if not kept:
        raise ValueError(f"no row of table {table!r} matches {dict(where)}")
    return Selection(columns, kept)


def check_columns(selection: Selection, keys: Sequence[str]) -> None:
    """:exc:`ValueError` naming the columns there are, if a key of *keys* is not one of them."""
    for key in keys:
        if key not in selection.columns:
            raise ValueError(f"no column {key!r}: the columns are {list(selection.columns)}")


def _load(figures: tuple[float | None, ...] | None, missing: str) -> str:
    if figures is None:
        return missing
    return " / ".join(missing if value is None else f"{value:.2f}" for value in figures)


def run_fields(report: Report, words: dict[str, str]) -> dict[str, str]:
    """The fields :class:`BenchRunDirective` fills in for *report*; *words* has the page's
    ``quiet``, ``busy``, ``unknown`` and ``not-recorded``."""
    env = report.environment
    missing = words["not-recorded"]
    verdict = quiet(report.load_start, report.load_end, env.cpus)
    pinned = ", ".join(f"{part} {cpu}" for part, cpu in (env.pinned or {}).items())
    return {
        "python": env.python,
        "implementation": env.implementation,
        "platform": env.platform,
        "cpus": missing if env.cpus is None else str(env.cpus),
        "pinned": pinned or missing,
        "command": report.command,
        "repeat": str(report.repeat),
        "load_start": _load(report.load_start, missing),
        "load_end": _load(report.load_end, missing),
        "total": missing if report.total_seconds is None else f"{report.total_seconds:g}",
        "quiet": words[{True: "quiet", False: "busy", None: "unknown"}[verdict]],
    }


class BenchDirective(SphinxDirective):
    """What the directives that read a results file share (this module's two and
    ``benchchart``): the file as their argument, read with :func:`read`, and required options."""

    required_arguments = 1
    kind: ClassVar[str]

    def reports(self) -> list[Report]:
        relative, path = self.env.relfn2path(self.arguments[0])
        self.env.note_dependency(relative)
        try:
            return read(Path(path))
        except ValueError as error:
            raise self.error(f"{self.kind}: {self.arguments[0]}: {error}") from error

    def required(self, *names: str) -> None:
        for name in names:
            if not self.options.get(name, "").strip():
                raise self.error(f"{self.kind}: the :{name}: option is required")


class BenchTableDirective(BenchDirective):
    """``{benchtable}``: a table of a committed benchmark run, as a real table."""

    kind = "benchtable"
    has_content = True
    option_spec: ClassVar[dict[str, Any]] = {
        "table": directives.unchanged_required,
        "columns": directives.unchanged_required,
        "where": directives.unchanged,
        "run": directives.unchanged,
        "missing": directives.unchanged,
        "name": directives.unchanged,
        "class": directives.class_option,
    }

    def run(self) -> list[Node]:
        self.required("table", "columns")
        reports = self.reports()
        columns = pairs(self.options["columns"])
        try:
            selection = select(
                reports,
                self.options["table"],
                run=self.options.get("run"),
                where=pairs(self.options.get("where")),
            )
            check_columns(selection, [key for key, _ in columns])
        except ValueError as error:
            raise self.error(f"benchtable: {self.arguments[0]}: {error}") from error
        missing = self.options.get("missing") or "-"

        table = nodes.table(classes=["benchtable", *self.options.get("class", [])])
        if self.content:
            title_text = " ".join(line.strip() for line in self.content if line.strip())
            inline, messages = self.state.inline_text(title_text, self.lineno)
            title = nodes.title(title_text, "", *inline)
            self.set_source_info(title)  # with a source, the gettext builder extracts it
            table += title
            table += messages
        group = nodes.tgroup(cols=len(columns))
        table += group
        numeric = [
            key != PYTHON and any(number(row[key]) is not None for row in selection.rows)
            for key, _ in columns
        ]
        for _ in columns:
            group += nodes.colspec(colwidth=1)
        head = nodes.thead()
        group += head
        # The headings and the cells of words (not of figures, nor the Python version) are
        # messages of the page's catalogue: they get the directive's source, without which
        # the gettext builder leaves a paragraph out.
        head += self._row([heading for _, heading in columns], numeric, words=[True] * len(columns))
        body = nodes.tbody()
        group += body
        worded = [
            not figures and key != PYTHON
            for (key, _), figures in zip(columns, numeric, strict=True)
        ]
        for row in selection.rows:
            cells = [selection.text(key, row, missing) for key, _ in columns]
            body += self._row(cells, numeric, words=worded)
        nodes_out: list[Node] = []
        if len(selection.rows) <= 30:
            # For LaTeX, a tabulary whose columns of figures are right-aligned (R) and the others
            # left-aligned (L), each as wide as its content needs. Longer tables become a
            # longtable in Sphinx, which knows no L or R: they keep Sphinx's own column spec.
            spec = "".join("R" if figures else "L" for figures in numeric)
            nodes_out.append(addnodes.tabular_col_spec(spec=spec))
        # With :name:, Furo copies the table's id to the wrapper it puts around every table, so
        # the HTML page has that id twice: the book's pages give no :name: to their tables.
        self.add_name(table)
        return [*nodes_out, table]

    def _row(
        self, cells: Sequence[str], numeric: Sequence[bool], *, words: Sequence[bool]
    ) -> nodes.row:
        # A column of figures has the class "numeric" on each cell, for a style sheet to align
        # the figures on the right.
        row = nodes.row()
        for cell, figures, translatable in zip(cells, numeric, words, strict=True):
            paragraph = nodes.paragraph(cell, cell)
            if translatable:
                self.set_source_info(paragraph)
            row += nodes.entry("", paragraph, classes=["numeric"] if figures else [])
        return row


_WORDS = ("quiet", "busy", "unknown", "not-recorded")


class BenchRunDirective(BenchDirective):
    """``{benchrun}``: the header of each run in a file (machine, load), in the page's words."""

    kind = "benchrun"
    has_content = True
    option_spec: ClassVar[dict[str, Any]] = {
        "quiet": directives.unchanged_required,
        "busy": directives.unchanged_required,
        "unknown": directives.unchanged_required,
        "not-recorded": directives.unchanged_required,
    }

    def run(self) -> list[Node]:
        self.required("quiet", "busy", "unknown", "not-recorded")
        if not self.content:
            raise self.error("benchrun: the content, the sentence to fill in, is required")
        reports = self.reports()
        texts = {name: self.options[name] for name in _WORDS}
        sentence = string.Template("\n".join(self.content))
        for report in reports:  # a field that does not exist fails here, as in the loop below
            try:
                sentence.substitute(run_fields(report, texts))
            except (KeyError, ValueError) as error:
                raise self.error(f"benchrun: no field {error} to fill in") from error
        # The sentence is parsed once, with its ${fields}: that is the message the gettext
        # builder extracts and a translation replaces. It stays in the ``words`` node, which no
        # writer shows; the fields are filled in afterwards, in a copy for each run, with the
        # option's words as translated (booktools.editions.words).
        container = nodes.container(classes=["benchrun"])

        def fill(node: words.words, translated: dict[str, str]) -> None:
            for report in reports:
                values = run_fields(report, translated)
                for child in node.children:
                    copy = child.deepcopy()
                    for text in list(copy.findall(nodes.Text)):
                        filled = string.Template(str(text)).substitute(values)
                        text.parent.replace(text, nodes.Text(filled))
                    container.append(copy)

        labels = words.later(texts, fill)
        self.set_source_info(labels)
        self.state.nested_parse(self.content, self.content_offset, labels)
        return [container, labels]


def setup(app: Sphinx) -> ExtensionMetadata:
    app.setup_extension("booktools.editions.words")
    app.add_directive("benchtable", BenchTableDirective)
    app.add_directive("benchrun", BenchRunDirective)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
