"""The ``timeline`` directive: a figure of task timelines, drawn at build time from a traced run.

A page asks for a figure by naming a *scenario*, a function that runs a program and returns its
:class:`companion.timeline.Timeline` (``companion.scenes`` holds the book's). The directive runs
it while Sphinx reads the page, draws the trace with matplotlib, and puts an ordinary figure in
the page: SVG for HTML and EPUB, PDF for LaTeX (Sphinx picks the candidate each builder
supports). So a figure can never disagree with the code. In MyST::

    ```{timeline}
    :scenario: companion.scenes:gathered
    :alt: Three bars, a, b and c, all starting at 0 s; the main task waits until 3 s.
    :xlabel: virtual time (s)
    :running: running
    :waiting: waiting
    :returned: returned

    The caption: what to look at. Further paragraphs become the figure's legend.
    ```

Options:

``:scenario:`` (required)
    ``module:function``; several, separated by spaces, draw stacked panels on one x axis.
``:alt:`` (required)
    The alternative text: what the figure shows, for a reader who cannot see it.
``:xlabel:`` (required)
    The label of the x axis.
``:axis:``
    ``time`` (the default): the x axis is the virtual clock, and a step that takes no time is
    drawn as a thin bar; ``steps``: the x axis counts the steps of the run, each one unit wide
    (a step inside which other steps ran, as an eager task's first step runs inside its
    creator's, spans them).
``:running:``, ``:waiting:``, ``:returned:``, ``:raised:``, ``:cancelled:``
    The legend's words for each kind of mark. Each is required when the figure draws that mark,
    so that every word in the image comes from the page (and is translated with it).
``:titles:``
    One title per panel, separated by ``|``.
``:xmax:``
    Where the x axis ends, if not at the end of the longest run: to show, say, how long the
    tasks that were cancelled would have run.
``:name:``, ``:class:``, ``:width:``
    As for Sphinx's ``figure``.

The directive's content is the caption (its first paragraph) and legend, parsed like any text of
the page. The words of ``:xlabel:``, of the marks and of ``:titles:`` are messages of the page's
catalogue too, and the figure is drawn from their translation (:mod:`booktools.editions.words`),
so each edition draws it in its own language. Task names, code identifiers, are drawn as they
are.

Figures are cached in the doctree directory under a name that hashes everything drawn (the
trace, the words, this module's source, matplotlib's version), and matplotlib is imported only
to draw a figure that is not cached. A page is read again when a scenario's module,
:mod:`companion.timeline` or this module changes.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.util.typing import ExtensionMetadata

from booktools.figures import common
from companion import timeline as timeline_module
from companion.timeline import TaskTrace, Timeline

__all__ = [
    "KINDS",
    "Labels",
    "TimelineDirective",
    "load_scenario",
    "render",
    "setup",
]

#: The extension's version, for Sphinx. Cached figures are keyed on this module's source instead,
#: so that any change to the drawing draws them again.
RENDER_VERSION = "1"

#: The kinds of mark a figure can draw, in legend order (each has a same-named option).
KINDS = ("running", "waiting", "returned", "raised", "cancelled")

# Okabe-Ito colours (distinguishable with every common colour-vision deficiency), and marker
# shapes that differ too, so the PDF still reads in grey.
_STYLE: dict[str, dict[str, Any]] = {
    "running": {"facecolor": "#0072B2", "edgecolor": "#0072B2", "linewidth": 0.6},
    "waiting": {"facecolor": "#DDDDDD", "edgecolor": "#888888", "hatch": "///"},
    "returned": {"marker": "o", "color": "#009E73"},
    "raised": {"marker": "X", "color": "#D55E00"},
    "cancelled": {"marker": "s", "color": "#E69F00"},
}


@dataclass(frozen=True)
class Labels:
    """Every word a figure draws, as the page gave it."""

    xlabel: str
    kinds: dict[str, str] = field(default_factory=dict)  #: legend words, by kind
    titles: tuple[str, ...] = ()  #: one per panel, or none


def load_scenario(spec: str) -> Timeline:
    """Run the scenario *spec* (``"module:function"``) and return its timeline.

    Raise :exc:`ValueError` for a malformed *spec*, :exc:`ImportError` or :exc:`AttributeError`
    for one that names nothing, and :exc:`TypeError` if the function returns something else.

    >>> load_scenario("companion.scenes:gathered").end()
    3.0
    >>> load_scenario("companion.scenes")
    Traceback (most recent call last):
    ...
    ValueError: a scenario is 'module:function', got 'companion.scenes'
    """
    module_name, colon, function_name = spec.partition(":")
    if not colon or not module_name or not function_name:
        raise ValueError(f"a scenario is 'module:function', got {spec!r}")
    function = getattr(importlib.import_module(module_name), function_name)
    result = function()
    if not isinstance(result, Timeline):
        raise TypeError(f"scenario {spec!r} returned {type(result).__name__}, not a Timeline")
    return result


def kinds_drawn(timelines: Sequence[Timeline]) -> list[str]:
    """The kinds of mark that drawing *timelines* needs, in legend order."""
    drawn = set()
    for task in (task for timeline in timelines for task in timeline.tasks):
        if task.steps:
            drawn.add("running")
        if task.waits():
            drawn.add("waiting")
        if task.outcome != "pending":
            drawn.add(task.outcome)
    return [kind for kind in KINDS if kind in drawn]


def _spans(
    task: TaskTrace, axis: str, tick: float
) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """The (start, width) spans of a task's steps and of its waits, on the chosen axis."""
    steps: list[tuple[float, float]]
    waits: list[tuple[float, float]]
    if axis == "steps":
        # A step is as wide as the steps that started while it ran, itself included (an eager
        # task's first step runs inside its creator's step, and is drawn inside it).
        steps = [(step.index, step.end_index - step.index) for step in task.steps]
        waits = [(start, end - start) for start, end in task.waits_by_index() if end > start]
        return steps, waits
    # A step that takes no time still gets a visible bar, centred on its instant.
    steps = [
        (step.start - tick / 2, tick)
        if step.end - step.start < tick
        else (step.start, step.end - step.start)
        for step in task.steps
    ]
    waits = [(start, end - start) for start, end in task.waits() if end > start]
    return steps, waits


def _finish_x(task: TaskTrace, axis: str) -> float | None:
    if task.outcome == "pending" or not task.steps:
        return None
    return task.steps[-1].end_index if axis == "steps" else task.steps[-1].end


def render(
    timelines: Sequence[Timeline],
    labels: Labels,
    axis: str,
    stem: Path,
    xmax: float | None = None,
    language: str | None = None,
) -> list[Path]:
    """Draw *timelines* as stacked panels and write ``stem.svg`` and ``stem.pdf``; return them.
    *language* chooses the fonts (:func:`booktools.figures.common.rc`).

    Rows are tasks, top to bottom in the order they were created. The output depends on
    nothing but the arguments: no dates, fixed fonts and sizes, a fixed SVG hash salt.
    """
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    # matplotlib subsets fonts for the PDF with fontTools, which logs every step at INFO level.
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    kinds = kinds_drawn(timelines)
    span = (
        max(
            (
                (
                    max(step.end_index for task in t.tasks for step in task.steps)
                    if axis == "steps"
                    else t.end()
                )
                for t in timelines
                if any(task.steps for task in t.tasks)
            ),
            default=1.0,
        )
        or 1.0
    )
    if xmax is not None:
        span = max(span, xmax)
    tick = span / 150  # the width of a step that takes no time
    rows = [max(len(timeline.tasks), 1) for timeline in timelines]
    running = dict(_STYLE["running"])
    if axis == "steps":  # a white edge keeps steps that follow each other apart
        running["edgecolor"] = "white"
    with matplotlib.rc_context(common.rc(language)):  # type: ignore[arg-type]  # literal keys
        height = 0.32 * sum(rows) + 0.35 * len(rows) + (0.9 if labels.titles else 0.7)
        figure = Figure(figsize=(6.4, height), layout="constrained")
        panels = figure.subplots(
            len(timelines), 1, sharex=True, squeeze=False, gridspec_kw={"height_ratios": rows}
        )[:, 0]
        for number, (ax, timeline) in enumerate(zip(panels, timelines, strict=True)):
            names = timeline.names()
            for row, task in enumerate(timeline.tasks):
                y = len(names) - 1 - row
                steps, waits = _spans(task, axis, tick)
                ax.broken_barh(waits, (y - 0.16, 0.32), linewidth=0.6, **_STYLE["waiting"])
                ax.broken_barh(steps, (y - 0.3, 0.6), **running)
                finish = _finish_x(task, axis)
                if finish is not None:
                    style = _STYLE[task.outcome]
                    ax.plot(
                        [finish],
                        [y],
                        linestyle="none",
                        markersize=6,
                        zorder=3,
                        markeredgecolor="black",
                        markeredgewidth=0.5,
                        marker=style["marker"],
                        color=style["color"],
                    )
            ax.set_yticks(range(len(names)), list(reversed(names)), fontfamily="DejaVu Sans Mono")
            ax.set_ylim(-0.6, len(names) - 0.4)
            ax.tick_params(axis="y", length=0)
            ax.grid(axis="x", color="#EEEEEE", linewidth=0.6)
            ax.set_axisbelow(True)
            if labels.titles:
                ax.set_title(labels.titles[number], loc="left", fontsize=9.0)
        bottom = panels[-1]
        bottom.set_xlim(-tick if axis == "time" else 0, span * 1.02 + tick)
        bottom.set_xlabel(labels.xlabel)
        if axis == "steps":
            bottom.xaxis.get_major_locator().set_params(integer=True)
        handles: list[Any] = []
        for kind in kinds:
            text = labels.kinds[kind]
            if kind == "running":
                handles.append(Patch(label=text, **_STYLE["running"]))
            elif kind == "waiting":
                handles.append(Patch(label=text, linewidth=0.6, **_STYLE["waiting"]))
            else:
                style = _STYLE[kind]
                handles.append(
                    Line2D(
                        [],
                        [],
                        linestyle="none",
                        marker=style["marker"],
                        color=style["color"],
                        markeredgecolor="black",
                        markeredgewidth=0.5,
                        label=text,
                    )
                )
        # As many entries in a row as fit across the figure: measure, and retry with fewer.
        for columns in range(len(handles), 0, -1):
            legend = figure.legend(
                handles=handles, loc="outside lower center", ncols=columns, frameon=False
            )
            figure.draw_without_rendering()
            if columns == 1 or legend.get_window_extent().width <= figure.bbox.width * 0.94:
                break
            legend.remove()
        return common.save(figure, stem)


def _fingerprint(
    timelines: Sequence[Timeline],
    labels: Labels,
    axis: str,
    xmax: float | None,
    language: str | None = None,
) -> str:
    # Only what is drawn: on the time axis, the order of steps at one instant is not (it may
    # vary from run to run: a TaskGroup cancels the tasks of a set).
    drawn = [
        [
            (task.name, task.outcome, _spans(task, axis, 0.0), _finish_x(task, axis))
            for task in t.tasks
        ]
        for t in timelines
    ]
    fonts = common.rc(language)["font.family"]
    return common.fingerprint((drawn, labels, axis, xmax, fonts), __file__)


def _positive_number(argument: str | None) -> float:
    """A directive option's validator: a number > 0."""
    try:
        value = float(argument or "")
    except ValueError:
        raise ValueError(f"a number is expected, got {argument!r}") from None
    if not value > 0 or value == float("inf"):
        raise ValueError(f"a finite number > 0 is expected, got {argument!r}")
    return value


class TimelineDirective(SphinxDirective):
    """``{timeline}``: a figure drawn from the traces of one or more scenarios."""

    has_content = True
    option_spec: ClassVar[dict[str, Any]] = {
        "scenario": directives.unchanged_required,
        "alt": directives.unchanged_required,
        "xlabel": directives.unchanged_required,
        "axis": lambda argument: directives.choice(argument, ("time", "steps")),
        "titles": directives.unchanged_required,
        "xmax": _positive_number,
        "name": directives.unchanged,
        "class": directives.class_option,
        "width": directives.length_or_percentage_or_unitless,
        **dict.fromkeys(KINDS, directives.unchanged_required),
    }

    def run(self) -> list[nodes.Node]:
        for required in ("scenario", "alt", "xlabel"):
            if not self.options.get(required, "").strip():
                raise self.error(f"timeline: the :{required}: option is required")
        if not self.content:
            raise self.error("timeline: the content, the caption, is required")
        specs = self.options["scenario"].split()
        axis = self.options.get("axis", "time")
        titles = tuple(t.strip() for t in self.options.get("titles", "").split("|") if t.strip())
        if titles and len(titles) != len(specs):
            raise self.error(
                f"timeline: {len(titles)} :titles: for {len(specs)} scenarios; give one each"
            )
        timelines = []
        for spec in specs:
            try:
                timelines.append(load_scenario(spec))
            except Exception as error:
                raise self.error(f"timeline: scenario {spec!r} failed: {error!r}") from error
            module = importlib.import_module(spec.partition(":")[0])
            self.env.note_dependency(os.path.abspath(inspect.getfile(module)))
        self.env.note_dependency(os.path.abspath(inspect.getfile(timeline_module)))
        self.env.note_dependency(os.path.abspath(__file__))
        kinds = kinds_drawn(timelines)
        missing = [kind for kind in kinds if not self.options.get(kind)]
        if missing:
            options = ", ".join(f":{kind}:" for kind in missing)
            raise self.error(f"timeline: the figure draws marks that need words: give {options}")
        # Every word the image shows, by name: the gettext builder extracts them, and the
        # figure is drawn from their translation (booktools.editions.words).
        texts = {"xlabel": self.options["xlabel"]}
        texts |= {kind: self.options[kind] for kind in kinds}
        texts |= {f"title-{number}": title for number, title in enumerate(titles)}
        directory = Path(self.env.doctreedir) / "timelines"
        base = "-".join(spec.partition(":")[2] for spec in specs)
        xmax = self.options.get("xmax")

        def draw(translated: dict[str, str]) -> Path:
            labels = Labels(
                xlabel=translated["xlabel"],
                kinds={kind: translated[kind] for kind in kinds},
                titles=tuple(translated[f"title-{number}"] for number in range(len(titles))),
            )
            directory.mkdir(parents=True, exist_ok=True)
            language = self.config.language
            stem = directory / f"{base}-{_fingerprint(timelines, labels, axis, xmax, language)}"
            if not common.drawn(stem):
                render(timelines, labels, axis, stem, xmax, language)
            return stem

        return common.figure_node(self, "timeline", texts, draw)


def setup(app: Sphinx) -> ExtensionMetadata:
    app.setup_extension("booktools.editions.words")
    app.add_directive("timeline", TimelineDirective)
    return {"version": RENDER_VERSION, "parallel_read_safe": True, "parallel_write_safe": True}
