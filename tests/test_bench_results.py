"""Tests for :mod:`companion.bench.results`: how figures print, and the rule for a quiet run."""

from __future__ import annotations

from pathlib import Path

import pytest

from companion.bench.results import (
    NOT_RECORDED,
    Column,
    Environment,
    Quantity,
    Report,
    Table,
    format_load,
    main,
    quiet,
    reports_from_json,
    reports_to_json,
)


@pytest.mark.parametrize(
    ("column", "value", "printed"),
    [
        (Column("rate", "/s"), 12463.4, "12,463/s"),
        (Column("ratio", "x", 2), 0.776, "0.78x"),
        (Column("share", "%"), 40.4, "40%"),
        (Column("margin", "%", signed=True), 25.2, "+25%"),
        (Column("margin", "%", signed=True), -13.0, "-13%"),
        (Column("time", "us", 1), 46.44, "46.4 us"),
        (Column("memory", "MiB", 1), 21.25, "21.2 MiB"),
        (Column("N"), 1000, "1,000"),
        (Column("result"), "PASS", "PASS"),
        (Column("rate", "/s"), None, "-"),
        (Column("mixed"), Quantity(282.84, "ms", 1), "282.8 ms"),
    ],
)
def test_a_figure_prints_with_its_unit(column: Column, value: object, printed: str) -> None:
    assert column.format(value) == printed  # type: ignore[arg-type]


def test_units_and_rows_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown unit 'parsecs'"):
        Column("distance", "parsecs")
    with pytest.raises(ValueError, match="unknown unit 'parsecs'"):
        Quantity(1.0, "parsecs")
    table = Table("t", ["A table"], [Column("a"), Column("b", "/s")])
    with pytest.raises(ValueError, match="1 cells for 2 columns"):
        table.add("only one")
    with pytest.raises(KeyError, match=r"no column 'c': the columns are \['a', 'b'\]"):
        table.column("c")


def test_a_run_is_quiet_only_when_every_load_average_stays_below_the_cpus() -> None:
    calm = (0.5, 1.0, 1.99)
    assert quiet(calm, calm, 2) is True
    assert quiet(calm, (0.5, 1.0, 2.0), 2) is False  # equal to the CPU count is not below it
    assert quiet((2.5, 1.0, 1.0), calm, 2) is False  # the start counts as much as the end
    assert quiet(calm, (0.5, 1.0, 25.0), 2) is False  # so does the 15-minute average
    assert quiet(calm, None, 2) is None  # not recorded: it cannot be told
    assert quiet(calm, (0.5, None, None), 2) is None
    assert quiet(calm, calm, None) is None


def test_a_load_average_prints_with_what_was_not_recorded() -> None:
    assert format_load((3.724, 6.99, 7.73)) == "3.72 6.99 7.73 (1, 5, 15 minutes)"
    assert (
        format_load((1.0, None, None)) == f"1.00 {NOT_RECORDED} {NOT_RECORDED} (1, 5, 15 minutes)"
    )
    assert format_load(None) == NOT_RECORDED


def test_runs_of_several_files_are_joined_into_one(tmp_path: Path) -> None:
    def run(python: str) -> Report:
        env = Environment(python, "CPython", "Linux", 2)
        return Report("convoy", "python -m companion.bench convoy", env, 5, False, (1, 1, 1))

    for python in ("3.11.7", "3.13.0"):
        (tmp_path / f"{python}.json").write_text(reports_to_json([run(python)]))
    paths = [str(tmp_path / name) for name in ("all.json", "3.11.7.json", "3.13.0.json")]
    assert main(paths) == 0
    joined = reports_from_json((tmp_path / "all.json").read_text())
    assert [report.environment.python for report in joined] == ["3.11.7", "3.13.0"]
    assert main(paths[:1]) == 2
