"""Read the LaTeX log of the PDF build and fail on what the PDF must not have.

``make pdf`` runs this after latexmk (:mod:`booktools.make.recipes`):
``python -m booktools.editions.latexlog _build/latex/<book>.log``. It reports, and exits non-zero
on:

- a LaTeX error (a line starting with ``!``, or ``file:line:`` with ``-file-line-error``);
- a missing character: a glyph that no font of the book has (XeLaTeX writes "Missing character:
  There is no ... in font ...!" for each one, because ``conf.py`` sets ``\\tracinglostchars=2``);
- a code line too long for its box: Sphinx wraps it (``verbatimwrapslines``,
  ``verbatimforcewraps`` in ``conf.py``), and the preamble writes "Book code line wrapped on page
  N" into the log for each wrap;
- a code line that runs off the page: an overfull ``\\hbox`` at a line of the ``.tex`` file that
  lies inside a code block (``sphinxVerbatim``, ``sphinxVerbatimintable``, ``sphinxalltt``);
- code wrapping turned off: an unwrapped line runs off the page with no word in the log;
- a code width other than the one the code-width audit assumes: the preamble writes how many
  characters of code a line holds (:func:`booktools.editions.geometry.latex_columns_probe`),
  which must be :data:`booktools.editions.geometry.CODE_COLUMNS`;
- an overfull ``\\vbox`` of more than :data:`VBOX_TOLERANCE` points: a page or a box whose
  content is taller than its room, such as a boxed note whose code ran through the footer (by 18
  to 51 points, when the notes were framed boxes);
- an overfull ``\\hbox`` anywhere, outside code, of more than :data:`HBOX_TOLERANCE` points: a
  word or a table cell that sticks out into the margin.

Both tolerances are 0: the book has no overfull box at all (TeX itself reports none smaller than
``\\hfuzz`` and ``\\vfuzz``, 0.1 pt). Were one raised, smaller overfull boxes would be listed as
notes, with the worst first, without failing the build. Standard library only.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from booktools.editions.geometry import CODE_COLUMNS, COLUMNS_LOG

__all__ = ["HBOX_TOLERANCE", "VBOX_TOLERANCE", "Problem", "Report", "code_lines", "main", "read"]

HBOX_TOLERANCE = 0.0
"""How many points a line outside code may stick out before the build fails."""

VBOX_TOLERANCE = 0.0
"""How many points a box may run into the bottom margin before the build fails.

It was 4: a code block split across pages is set in pieces by the ``framed`` package, which cut
each piece a line's depth too tall for the room left on its page (up to 3.3 points; ``conf.py``
now has it count that depth).
"""

_OVERFULL = re.compile(
    r"^Overfull \\hbox \((?P<points>[\d.]+)pt too wide\) "
    r"(?:in paragraph at lines (?P<first>\d+)--(?P<last>\d+)|detected at line (?P<line>\d+))"
)
_OVERFULL_VBOX = re.compile(r"^Overfull \\vbox \((?P<points>[\d.]+)pt too high\)")
_ERROR = re.compile(r"^(?:! |\S+\.(?:tex|sty|cls):\d+: )")
_CODE_BEGIN = re.compile(r"\\begin\{(?P<env>sphinxVerbatim\w*|sphinxalltt)\}")
_NO_WRAP = re.compile(r"\\sphinxsetup\{.*verbatimwrapslines\s*=\s*false")
_WRAPPED = re.compile(r"^Book code line wrapped on page (?P<page>\S+)")
_COLUMNS = re.compile(rf"^{re.escape(COLUMNS_LOG)} (?P<columns>\d+)")


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the log: its kind, the log's line number, and what the log says."""

    kind: str
    log_line: int
    text: str

    def __str__(self) -> str:
        return f"log line {self.log_line}: {self.kind}: {self.text}"


@dataclass(frozen=True)
class Report:
    """What :func:`read` found: the problems that fail the build, and notes that do not."""

    problems: tuple[Problem, ...]
    notes: tuple[Problem, ...]


def code_lines(tex: str) -> frozenset[int]:
    """The line numbers (from 1) of *tex* inside a code block, its begin and end lines included."""
    inside: set[int] = set()
    end: str | None = None
    for number, line in enumerate(tex.splitlines(), start=1):
        if end is None and (match := _CODE_BEGIN.search(line)):
            end = f"\\end{{{match['env']}}}"
        if end is not None:
            inside.add(number)
            if end in line:
                end = None
    return frozenset(inside)


def read(log: str, tex: str) -> Report:
    """Read a LaTeX *log* of the document *tex*: errors, missing characters, overfull boxes."""
    in_code = code_lines(tex)
    problems: list[Problem] = []
    # Unwrapped, a long code line is cut off at the margin without an overfull box in the log.
    if _NO_WRAP.search(tex):
        problems.append(
            Problem("code lines do not wrap", 0, "the .tex sets verbatimwrapslines=false")
        )
    notes: list[tuple[float, Problem]] = []
    lines = log.splitlines()
    measured = [(n, m["columns"]) for n, line in enumerate(lines, 1) if (m := _COLUMNS.match(line))]
    if not measured:
        problems.append(Problem("code width not measured", 0, f"no '{COLUMNS_LOG}' line"))
    for number, columns in measured:
        if int(columns) != CODE_COLUMNS:
            text = f"LaTeX fits {columns} characters of code in a line, the audit of the "
            text += f"book's code assumes {CODE_COLUMNS} (booktools/editions/geometry.py)"
            problems.append(Problem("code width", number, text))
    for index, line in enumerate(lines):
        number = index + 1
        if _ERROR.match(line):
            problems.append(Problem("LaTeX error", number, line))
        elif _WRAPPED.match(line):
            problems.append(Problem("code line wrapped", number, line))
        elif "Missing character" in line:
            problems.append(Problem("missing character", number, line))
        elif match := _OVERFULL_VBOX.match(line):
            if float(match["points"]) > VBOX_TOLERANCE:
                problems.append(Problem("overfull vbox", number, line))
            else:
                notes.append((float(match["points"]), Problem("overfull vbox", number, line)))
        elif match := _OVERFULL.match(line):
            box = lines[index + 1].strip() if index + 1 < len(lines) else ""
            first = int(match["first"] or match["line"])
            last = int(match["last"] or match["line"])
            text = f"{line} {box}".strip()
            if any(n in in_code for n in range(first, last + 1)):
                problems.append(Problem("code runs off the page", number, text))
            elif float(match["points"]) > HBOX_TOLERANCE:
                problems.append(Problem("overfull hbox", number, text))
            else:
                notes.append((float(match["points"]), Problem("overfull box", number, text)))
    notes.sort(key=lambda pair: -pair[0])
    return Report(tuple(problems), tuple(problem for _, problem in notes))


def main(argv: list[str] | None = None) -> int:
    """Check one LaTeX log (its ``.tex`` file is next to it); print the findings; 1 if any fail."""
    parser = argparse.ArgumentParser(
        prog="python -m booktools.editions.latexlog", description=__doc__
    )
    parser.add_argument("log", type=Path, help="the .log file of the LaTeX run")
    parser.add_argument("--notes", type=int, default=5, help="how many overfull-box notes to show")
    args = parser.parse_args(argv)
    log_path: Path = args.log
    tex_path = log_path.with_suffix(".tex")
    report = read(
        log_path.read_text(encoding="utf-8", errors="replace"),
        tex_path.read_text(encoding="utf-8"),
    )
    if report.notes:
        print(f"{log_path}: {len(report.notes)} overfull boxes outside code (not errors); widest:")
        for note in report.notes[: args.notes]:
            print(f"  {note}")
    if report.problems:
        print(f"{log_path}: {len(report.problems)} problems:", file=sys.stderr)
        for problem in report.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    print(f"{log_path}: no LaTeX errors, no missing characters, no overfull box, no code wrapped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
