"""No code in the book escapes the example runners: the audit, and the audit of the whole book."""

from __future__ import annotations

from pathlib import Path

import pytest

from booktools.audits.fences import audit, audit_text

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted((ROOT / "book").rglob("*.md"))


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_every_fence_in_the_book_runs_or_says_why_not(page: Path) -> None:
    problems = audit(page, ROOT)
    assert not problems, "\n".join(map(str, problems))


def test_the_book_has_pages() -> None:
    assert len(PAGES) >= 3


FINE = """
```{doctest}
>>> 1 + 1
2
```

```{testcode}
:skipif: sys.version_info < (3, 13)

print(1)
```

```{testoutput}
:skipif: sys.version_info < (3, 13)

1
```

```{literalinclude} ../companion/generators.py
:pyobject: countdown
```

% not-run: a shell session
```console
$ python3 -m asyncio
>>> 1
```

```console
$ make html
```
"""


def test_executed_included_and_marked_code_passes() -> None:
    assert audit_text(FINE) == []


BAD = {
    "python fence": ("```python\nx = 1\n```\n", "'python' code that nothing runs"),
    "pycon code-block": ("```{code-block} pycon\n>>> 1\n1\n```\n", "'pycon' code that nothing"),
    "no language": ("```\nx = 1\n```\n", "a code fence needs a language"),
    "prompt in a console fence": ("```console\n>>> 1\n```\n", "a '>>>' line outside"),
    "indented prompt": ("Text.\n\n    >>> 1\n    1\n", "a '>>>' line outside"),
    "colon fence": (":::{doctest}\n>>> 1\n1\n:::\n", "in a ':::' fence"),
    "group": ("```{doctest} mygroup\n>>> 1\n1\n```\n", "groups are not supported"),
    "pyversion": ("```{doctest}\n:pyversion: >= 3.13\n\n>>> 1\n1\n```\n", "['pyversion']"),
    "yaml options": ("```{doctest}\n---\nhide:\n---\n>>> 1\n1\n```\n", "not YAML"),
    "orphan output": ("```{testoutput}\n1\n```\n", "must directly follow its {testcode}"),
    "guards differ": (
        "```{testcode}\n:skipif: False\n\nprint(1)\n```\n\n```{testoutput}\n1\n```\n",
        "needs the same :skipif:",
    ),
    "rst doctest": ("```{eval-rst}\n.. doctest::\n\n   >>> 1\n   1\n```\n", "inside eval-rst"),
    "empty reason": ("% not-run:\n```python\nx = 1\n```\n", "needs a reason"),
    "nested": ("````{note}\n```python\nx = 1\n```\n````\n", "'python' code that nothing runs"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_each_escape_is_reported_at_its_line(case: str) -> None:
    text, message = BAD[case]
    problems = audit_text("# Title\n\n" + text, "page.md")
    assert problems, case
    assert any(message in problem.message for problem in problems), problems
    assert all(problem.line >= 3 for problem in problems)
    assert str(problems[0]).startswith(f"page.md:{problems[0].line}: ")


def test_a_colon_fence_must_be_closed_on_a_line_of_its_own() -> None:
    joined = ":::{admonition} What the note says\n:class: note-errata\n\nText ends here. :::\n"
    messages = [problem.message for problem in audit_text(joined)]
    assert any("needs its own line" in message for message in messages)
    assert any("never closed" in message for message in messages)
    assert not audit_text(joined.replace(" :::\n", "\n:::\n"))
    assert any("closes no" in problem.message for problem in audit_text("Text.\n\n:::\n"))
