"""How the HTML book runs one of its examples in the browser, in Pyodide. Standard library only.

This module is shipped with the HTML (inside ``_static/companion.zip``, as ``book_inbrowser``;
see :mod:`booktools.editions.browser`) and runs in the reader's browser; the tests run it with
CPython too. It compares output as the book's two other runners do: with :mod:`doctest`'s
:class:`doctest.OutputChecker` and the flags of :mod:`booktools.examples.contract`, which the
page passes in. A doctest session runs prompt by prompt, in the page's namespace.
"""

from __future__ import annotations

import contextlib
import doctest
import io
import traceback
import warnings
from typing import Any

__all__ = ["run_code", "run_session"]


def _matches(want: str, got: str, flags: int) -> bool:
    return doctest.OutputChecker().check_output(want, got, flags)


def _execute(
    source: str, namespace: dict[str, Any], mode: str, filename: str = "<example>"
) -> tuple[str, str | None]:
    """Run *source* (``single``: one prompt, its value shown as the prompt shows it) as the file
    *filename*: what it printed (with its traceback, as the interactive prompt prints it), and
    the exception's last line alone (``None`` when it raised nothing)."""
    out = io.StringIO()
    raised = None
    # Warnings are errors, as in the book's other runners (booktools.examples.hygiene).
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            exec(compile(source, filename, mode), namespace)
        except KeyboardInterrupt:
            raise
        except BaseException as error:  # SystemExit and GeneratorExit too, as doctest shows them
            frames = traceback.extract_tb(error.__traceback__)
            first = next((i for i, f in enumerate(frames) if f.filename == filename), len(frames))
            shown = traceback.format_exception_only(error)
            raised = shown[-1]  # as doctest compares it: the exception's last line
            out.write("Traceback (most recent call last):\n")
            out.write("".join(traceback.format_list(frames[first:])))
            out.write("".join(shown))
    return out.getvalue(), raised


def run_session(text: str, flags: int, namespace: dict[str, Any]) -> list[dict[str, Any]]:
    """Run the doctest session *text* prompt by prompt in *namespace*: for each prompt, its
    source, the book's output, what it printed here, and whether they match under *flags*.

    >>> ns: dict[str, Any] = {}
    >>> [step["ok"] for step in run_session(">>> 1 + 1\\n2\\n>>> print('x')\\ny\\n", 0, ns)]
    [True, False]
    """
    steps = []
    for number, example in enumerate(doctest.DocTestParser().get_examples(text)):
        step_flags = flags
        for flag, on in example.options.items():
            step_flags = step_flags | flag if on else step_flags & ~flag
        # Named as doctest names a prompt's code, which tracebacks and stacks show.
        got, raised = _execute(example.source, namespace, "single", f"<doctest page[{number}]>")
        if example.exc_msg is not None:
            # As doctest does: only the exception's last line is compared.
            ok = raised is not None and _matches(example.exc_msg, raised, step_flags)
        else:
            ok = raised is None and _matches(example.want, got, step_flags)
        want = example.want
        steps.append({"source": example.source, "want": want, "got": got, "ok": ok})
    return steps


def run_code(
    source: str, want: str | None, flags: int, namespace: dict[str, Any]
) -> dict[str, Any]:
    """Run the ``testcode`` *source* in *namespace*: what it printed, and whether that matches
    the ``testoutput`` *want* under *flags* (``ok`` is ``None`` with no *want*).

    >>> run_code("print(2 ** 10)", "1024\\n", 0, {})["ok"]
    True
    """
    got, _ = _execute(source, namespace, "exec")
    ok = None if want is None else _matches(want, got, flags)
    return {"source": source, "want": want, "got": got, "ok": ok}
