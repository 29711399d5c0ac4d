"""The copy button on a REPL example copies the code only: no prompts, no output, no traceback.

This runs sphinx-copybutton's own text filter (its JavaScript, under Node.js) with the settings in
``conf.py``, on the text of a doctest as a reader sees it. The browser tests check the button
itself on the built pages.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

import conf

NODE = shutil.which("node")

EXAMPLE = """\
>>> def closes_with_a_value():
...     try:
...         yield 1
...     except GeneratorExit:
...         return "closed cleanly"
...
>>> gen = closes_with_a_value()
>>> next(gen)
1
>>> gen.throw(ValueError("boom"))
Traceback (most recent call last):
...
ValueError: boom
"""

CODE = """\
def closes_with_a_value():
    try:
        yield 1
    except GeneratorExit:
        return "closed cleanly"

gen = closes_with_a_value()
next(gen)
gen.throw(ValueError("boom"))

"""  # The traceback's "..." leaves a blank line; the filter drops the last newline.


def copied(text: str, tmp_path: Path) -> str:
    assert NODE is not None
    spec = importlib.util.find_spec("sphinx_copybutton")
    assert spec is not None
    assert spec.origin is not None
    library = Path(spec.origin).parent / "_static" / "copybutton_funcs.js"
    shutil.copy(library, tmp_path / "funcs.mjs")
    arguments = [
        text,
        conf.copybutton_prompt_text,
        conf.copybutton_prompt_is_regexp,
        conf.copybutton_only_copy_prompt_lines,
        conf.copybutton_remove_prompts,
    ]
    script = tmp_path / "copy.mjs"
    script.write_text(
        textwrap.dedent(
            f"""
            import {{ formatCopyText }} from "./funcs.mjs";
            process.stdout.write(formatCopyText(...{json.dumps(arguments)}));
            """
        ),
        encoding="utf-8",
    )
    result = subprocess.run([NODE, str(script)], capture_output=True, text=True, check=True)
    return result.stdout


@pytest.mark.skipif(NODE is None, reason="needs Node.js to run sphinx-copybutton's JavaScript")
def test_a_repl_example_is_copied_without_prompts_or_output(tmp_path: Path) -> None:
    assert copied(EXAMPLE, tmp_path) == CODE.removesuffix("\n")


@pytest.mark.skipif(NODE is None, reason="needs Node.js to run sphinx-copybutton's JavaScript")
def test_a_program_is_copied_whole(tmp_path: Path) -> None:
    program = 'for n in range(3):\n    print(n, "...")\n'
    assert copied(program, tmp_path) == program.rstrip("\n")
