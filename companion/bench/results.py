"""A benchmark run as data: its tables (numbers with their units), its machine, its load average.

Each benchmark builds its report as a :class:`Report`: the command line, the :class:`Environment`
(Python, the platform, the CPU count, which CPUs it pinned to), the load average over 1, 5 and
15 minutes at the start and at the end, and its :class:`Table` objects, whose cells are numbers
(in the unit their :class:`Column` names) or words. The text a terminal shows
(:meth:`Report.text`) and the JSON the book renders its tables and charts from
(:meth:`Report.to_json`, written by ``--json PATH``) both come from that one object, so they cannot
disagree. :func:`reports_from_json` reads such a file back, checking its shape.

A figure the run did not record (an old run's load average at the end, say) is None, in the JSON
``null``; the text shows it as ``-`` in a table and as "not recorded" elsewhere.

:func:`quiet` is the rule by which a run counts as quiet: every load average, at the start and at
the end, below the number of CPUs. The book's text uses the same function.

``python -m companion.bench.results OUT IN [IN ...]`` writes the runs of every IN file into one
file OUT: the book keeps the convoy benchmark's runs on each Python in one file.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "FORMAT",
    "NOT_RECORDED",
    "UNITS",
    "Cell",
    "Column",
    "Environment",
    "Load",
    "Quantity",
    "Report",
    "Table",
    "format_load",
    "layout",
    "load_now",
    "main",
    "quiet",
    "reports_from_json",
    "reports_to_json",
]

FORMAT = "companion.bench/1"  # the "format" of a results file; changes when its shape does
NOT_RECORDED = "not recorded"
# The units a column may have, and how a figure in it is printed after its number.
UNITS = {"": "", "/s": "/s", "x": "x", "%": "%", "ms": " ms", "us": " us", "MiB": " MiB"}
UNITS |= {"KiB": " KiB", "s": " s"}


@dataclass(frozen=True, slots=True)
class Quantity:
    """A figure that carries its own unit, in a column whose rows differ in unit (a time in one
    row, a memory size in the next); in the JSON ``{"value": 2.5, "unit": "ms", "decimals": 1}``.
    """

    value: float
    unit: str
    decimals: int = 0

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"unknown unit {self.unit!r}: one of {sorted(UNITS)}")

    def format(self, signed: bool = False) -> str:
        """The figure as printed, with its unit: ``282.8 ms``."""
        sign = "+" if signed else ""
        return f"{self.value:{sign},.{self.decimals}f}{UNITS[self.unit]}"


Cell = float | int | str | Quantity | None
Load = tuple[float | None, float | None, float | None]  # over 1, 5 and 15 minutes


@dataclass(frozen=True, slots=True)
class Column:
    """A column of a table: its key (the heading the terminal prints), the unit of its figures,
    how many decimals they are printed with, and whether a plus sign goes before positive ones."""

    key: str
    unit: str = ""
    decimals: int = 0
    signed: bool = False

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"unknown unit {self.unit!r}: one of {sorted(UNITS)}")

    def format(self, value: Cell) -> str:
        """The cell as printed: ``12,463/s``, ``46.4 us``, ``+25%``; a word as it is; None ``-``."""
        if value is None:
            return "-"
        if isinstance(value, str):
            return value
        if isinstance(value, Quantity):
            return value.format(self.signed)
        return Quantity(value, self.unit, self.decimals).format(self.signed)


@dataclass(slots=True)
class Table:
    """A table of a report: a short *name* to find it by, the lines above and below it, the rows."""

    name: str
    title: Sequence[str]
    columns: Sequence[Column]
    rows: list[list[Cell]] = field(default_factory=list)
    notes: Sequence[str] = ()

    def add(self, *cells: Cell) -> None:
        """Append a row: one cell per column."""
        if len(cells) != len(self.columns):
            raise ValueError(f"{len(cells)} cells for {len(self.columns)} columns")
        self.rows.append(list(cells))

    def column(self, key: str) -> int:
        """The index of the column *key*; :exc:`KeyError` naming the columns there are."""
        for index, column in enumerate(self.columns):
            if column.key == key:
                return index
        raise KeyError(f"no column {key!r}: the columns are {[c.key for c in self.columns]}")

    def text(self) -> str:
        """The table as the terminal shows it, with its title and notes."""
        header = [column.key for column in self.columns]
        rows = [[c.format(v) for c, v in zip(self.columns, row, strict=True)] for row in self.rows]
        return "\n".join([*self.title, layout(header, rows), *self.notes])


def layout(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Lay out *rows* under *header*: the first column left-aligned, the others right-aligned."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Environment:
    """Where a run ran: Python, the platform, the CPU count, the CPUs it pinned each part to
    (None: nothing pinned), and the benchmark's own lines about its setting."""

    python: str
    implementation: str
    platform: str
    cpus: int | None
    pinned: dict[str, int] | None = None
    notes: Sequence[str] = ()

    @classmethod
    def here(
        cls, *, pinned: dict[str, int] | None = None, notes: Sequence[str] = ()
    ) -> Environment:
        """This process's environment."""
        return cls(
            python=platform.python_version(),
            implementation=platform.python_implementation(),
            platform=platform.platform(),
            cpus=os.cpu_count(),
            pinned=pinned,
            notes=tuple(notes),
        )


def load_now() -> Load | None:
    """The load average now, over 1, 5 and 15 minutes; None where the platform has none."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return None
    return round(one, 2), round(five, 2), round(fifteen, 2)


def format_load(load: Load | None, missing: str = NOT_RECORDED) -> str:
    """The load average as the report prints it: ``3.72 6.99 7.73 (1, 5, 15 minutes)``."""
    if load is None:
        return missing
    figures = " ".join(missing if value is None else f"{value:.2f}" for value in load)
    return f"{figures} (1, 5, 15 minutes)"


def quiet(start: Load | None, end: Load | None, cpus: int | None) -> bool | None:
    """Whether a run was quiet: all three load averages below the CPU count, at the start and at
    the end. None if that cannot be told (a load average or the CPU count was not recorded)."""
    if start is None or end is None or cpus is None:
        return None
    values = [*start, *end]
    if any(value is None for value in values):
        return None
    return all(value is not None and value < cpus for value in values)


@dataclass(slots=True)
class Report:
    """One run of a benchmark: what :meth:`text` prints and :meth:`to_json` writes."""

    benchmark: str
    command: str
    environment: Environment
    repeat: int
    quick: bool
    load_start: Load | None
    tables: list[Table] = field(default_factory=list)
    load_end: Load | None = None
    total_seconds: float | None = None

    def table(self, name: str) -> Table:
        """The table called *name*; :exc:`KeyError` naming the tables there are."""
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(f"no table {name!r}: the tables are {[t.name for t in self.tables]}")

    def header_text(self) -> str:
        """The report's first lines: the command, Python and the machine, the benchmark's own
        lines, the load average at the start, the repetitions; then a blank line."""
        env = self.environment
        cpus = "? CPUs" if env.cpus is None else f"{env.cpus} CPUs"
        plural = "s" if self.repeat != 1 else ""
        mode = " (quick mode: small workloads)" if self.quick else ""
        return "\n".join(
            [
                f"command: {self.command}",
                f"Python {env.python} ({env.implementation}), {env.platform}, {cpus}",
                *env.notes,
                f"load average at the start: {format_load(self.load_start)}",
                f"medians of {self.repeat} repetition{plural}{mode}",
                "",
            ]
        )

    def footer_text(self) -> str:
        """The report's last lines: the load average at the end, and the total time."""
        total = NOT_RECORDED if self.total_seconds is None else f"{self.total_seconds:.1f} s"
        return "\n".join(
            [
                f"load average at the end: {format_load(self.load_end)}",
                f"total time: {total}",
            ]
        )

    def text(self) -> str:
        """The whole report as the terminal shows it."""
        return "\n".join(
            [self.header_text(), *(f"{t.text()}\n" for t in self.tables), self.footer_text()]
        )

    def to_json(self) -> dict[str, Any]:
        """The run as plain JSON data."""
        env = self.environment
        return {
            "benchmark": self.benchmark,
            "command": self.command,
            "environment": {
                "python": env.python,
                "implementation": env.implementation,
                "platform": env.platform,
                "cpus": env.cpus,
                "pinned": env.pinned,
                "notes": list(env.notes),
            },
            "repeat": self.repeat,
            "quick": self.quick,
            "load": {
                "start": None if self.load_start is None else list(self.load_start),
                "end": None if self.load_end is None else list(self.load_end),
            },
            "total_seconds": self.total_seconds,
            "tables": [
                {
                    "name": table.name,
                    "title": list(table.title),
                    "columns": [
                        {"key": c.key, "unit": c.unit, "decimals": c.decimals, "signed": c.signed}
                        for c in table.columns
                    ],
                    "rows": [[_cell_json(cell) for cell in row] for row in table.rows],
                    "notes": list(table.notes),
                }
                for table in self.tables
            ],
        }


def _cell_json(cell: Cell) -> Any:
    if isinstance(cell, Quantity):
        return {"value": cell.value, "unit": cell.unit, "decimals": cell.decimals}
    return cell


def reports_to_json(runs: Sequence[Report]) -> str:
    """The text of a results file holding *runs* (one, or one per Python)."""
    data = {"format": FORMAT, "runs": [run.to_json() for run in runs]}
    return _dump(data, "") + "\n"


def _flat(value: Any) -> bool:
    # On one line: an object of plain values (a column, a Quantity), a row (plain values and
    # Quantity objects), a list of figures; not a list of objects only, or of several lines.
    if isinstance(value, dict):
        return not any(isinstance(v, list | dict) for v in value.values())
    if all(isinstance(v, dict) for v in value) or all(isinstance(v, str) for v in value):
        return len(value) == 1 and _flat(value[0]) if isinstance(value[0], dict) else len(value) < 2
    return all(not isinstance(v, list) and (not isinstance(v, dict) or _flat(v)) for v in value)


def _dump(value: Any, indent: str) -> str:
    """JSON with one line per row, per column and per list of words: diffs stay readable."""
    if not isinstance(value, list | dict) or not value or _flat(value):
        return json.dumps(value, ensure_ascii=False)
    inner = indent + " "
    if isinstance(value, list):
        items = [inner + _dump(item, inner) for item in value]
        return "[\n" + ",\n".join(items) + "\n" + indent + "]"
    pairs = [f"{inner}{json.dumps(k)}: {_dump(v, inner)}" for k, v in value.items()]
    return "{\n" + ",\n".join(pairs) + "\n" + indent + "}"


# --- Reading a results file back ------------------------------------------------------------------


def _expect(value: Any, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(value, kind) or (isinstance(value, bool) and kind in (int, float)):
        raise ValueError(f"{where}: expected {getattr(kind, '__name__', kind)}, got {value!r}")
    return value


def _load(value: Any, where: str) -> Load | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != 3:
        raise ValueError(f"{where}: expected null or three load averages, got {value!r}")
    one, five, fifteen = (
        None if v is None else float(_expect(v, (int, float), where)) for v in value
    )
    return one, five, fifteen


def _cell(value: Any, where: str) -> Cell:
    if isinstance(value, dict):
        return Quantity(
            float(_expect(value.get("value"), (int, float), f"{where}: value")),
            _expect(value.get("unit"), str, f"{where}: unit"),
            _expect(value.get("decimals", 0), int, f"{where}: decimals"),
        )
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float | str)):
        raise ValueError(f"{where}: a cell is a number, a string or null, not {value!r}")
    return value


def _strings(value: Any, where: str) -> list[str]:
    _expect(value, list, where)
    return [_expect(line, str, where) for line in value]


def _table(data: Any, where: str) -> Table:
    _expect(data, dict, where)
    name = _expect(data.get("name"), str, f"{where}: name")
    where = f"{where} ({name!r})"
    columns = []
    for number, column in enumerate(_expect(data.get("columns"), list, f"{where}: columns")):
        _expect(column, dict, f"{where}: column {number}")
        columns.append(
            Column(
                _expect(column.get("key"), str, f"{where}: column {number}: key"),
                _expect(column.get("unit", ""), str, f"{where}: column {number}: unit"),
                _expect(column.get("decimals", 0), int, f"{where}: column {number}: decimals"),
                _expect(column.get("signed", False), bool, f"{where}: column {number}: signed"),
            )
        )
    table = Table(
        name,
        _strings(data.get("title", []), f"{where}: title"),
        columns,
        notes=_strings(data.get("notes", []), f"{where}: notes"),
    )
    for number, row in enumerate(_expect(data.get("rows"), list, f"{where}: rows")):
        cells = _expect(row, list, f"{where}: row {number}")
        if len(cells) != len(columns):
            raise ValueError(f"{where}: row {number} has {len(cells)} cells for {len(columns)}")
        table.add(*(_cell(cell, f"{where}: row {number}") for cell in cells))
    return table


def _run(data: Any, where: str) -> Report:
    _expect(data, dict, where)
    env = _expect(data.get("environment"), dict, f"{where}: environment")
    pinned = env.get("pinned")
    if pinned is not None:
        _expect(pinned, dict, f"{where}: environment: pinned")
        pinned = {
            _expect(k, str, f"{where}: pinned"): _expect(v, int, f"{where}: pinned")
            for k, v in pinned.items()
        }
    cpus = env.get("cpus")
    load = _expect(data.get("load"), dict, f"{where}: load")
    total = data.get("total_seconds")
    return Report(
        benchmark=_expect(data.get("benchmark"), str, f"{where}: benchmark"),
        command=_expect(data.get("command"), str, f"{where}: command"),
        environment=Environment(
            python=_expect(env.get("python"), str, f"{where}: environment: python"),
            implementation=_expect(env.get("implementation"), str, f"{where}: implementation"),
            platform=_expect(env.get("platform"), str, f"{where}: environment: platform"),
            cpus=None if cpus is None else _expect(cpus, int, f"{where}: environment: cpus"),
            pinned=pinned,
            notes=tuple(_strings(env.get("notes", []), f"{where}: environment: notes")),
        ),
        repeat=_expect(data.get("repeat"), int, f"{where}: repeat"),
        quick=_expect(data.get("quick"), bool, f"{where}: quick"),
        load_start=_load(load.get("start"), f"{where}: load: start"),
        load_end=_load(load.get("end"), f"{where}: load: end"),
        total_seconds=None if total is None else float(_expect(total, (int, float), where)),
        tables=[
            _table(table, f"{where}: table {number}")
            for number, table in enumerate(_expect(data.get("tables"), list, f"{where}: tables"))
        ],
    )


def reports_from_json(text: str) -> list[Report]:
    """The runs in a results file; :exc:`ValueError` saying where it is not one."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"not JSON: {error}") from error
    _expect(data, dict, "the file")
    if data.get("format") != FORMAT:
        raise ValueError(f"format {data.get('format')!r}, expected {FORMAT!r}")
    runs = _expect(data.get("runs"), list, "runs")
    if not runs:
        raise ValueError("the file holds no runs")
    return [_run(run, f"run {number}") for number, run in enumerate(runs)]


def main(argv: Sequence[str] | None = None) -> int:
    """``OUT IN [IN ...]``: write the runs of every IN results file, in order, into OUT."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 2:
        print("usage: python -m companion.bench.results OUT IN [IN ...]", file=sys.stderr)
        return 2
    out, *sources = args
    runs = [
        run
        for source in sources
        for run in reports_from_json(Path(source).read_text(encoding="utf-8"))
    ]
    Path(out).write_text(reports_to_json(runs), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
