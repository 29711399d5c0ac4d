"""Every code line the book shows fits the PDF's width: the audit, and the whole book audited."""

from __future__ import annotations

from pathlib import Path

import pytest

from booktools.audits.codewidth import audit, audit_text, shown_lines
from booktools.editions import geometry
from booktools.editions.geometry import CODE_COLUMNS, code_columns

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted((ROOT / "book").rglob("*.md"))


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_every_code_line_in_the_book_fits_the_pdf(page: Path) -> None:
    problems = audit(page, ROOT)
    assert not problems, "\n".join(map(str, problems))


def test_the_limit_comes_from_the_page_and_the_font() -> None:
    # A4 less two 1-inch margins, over DejaVu Sans Mono's advance at 8 pt (0.602 of 8 pt).
    assert round(geometry.TEXT_WIDTH, 2) == 452.97
    assert CODE_COLUMNS == int(452.97 / (8 * 0.602)) == 94
    assert code_columns(1) < CODE_COLUMNS


def test_a_larger_code_font_leaves_fewer_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(geometry, "CHARACTER_WIDTH", 10 * 0.86 * geometry.MONO_ADVANCE)
    assert code_columns() == 87


def fits(length: int) -> str:
    return "x" * length


PAGE = f"""\
# A page

```{{doctest}}
:options: +NORMALIZE_WHITESPACE

>>> {fits(CODE_COLUMNS - 4)}
{fits(CODE_COLUMNS + 1)}
>>> 1  # doctest: +ELLIPSIS {fits(CODE_COLUMNS)}
```

```{{testsetup}}
{fits(200)}
```

```{{testcode}}
:hide:

{fits(200)}
```

```console
$ {fits(CODE_COLUMNS - 1)}
```

- In a list:

  ```{{doctest}}
  >>> {fits(CODE_COLUMNS - 4)}
  ```

```{{benchtable}} bench-loop.json
:columns: {fits(200)}
```

{fits(200)} is prose.
"""


def test_only_shown_code_lines_longer_than_the_room_are_reported(tmp_path: Path) -> None:
    problems = audit_text(PAGE, tmp_path / "page.md", "page.md")
    # The doctest's output line (7), the shell session's line (22: its "$ " puts it one over), and
    # the doctest in a list (28), which has less room.
    assert [problem.line for problem in problems] == [7, 22, 28]
    assert str(problems[0]).startswith(f"page.md:7: a code line of {CODE_COLUMNS + 1} columns")
    # The doctest flag is not shown, so its line is short.
    assert any(line.text == ">>> 1" for line in shown_lines(PAGE, tmp_path / "page.md"))


INCLUDED = '''\
"""A module."""


def short() -> None:
    """Short."""


def long() -> None:
    """{long}"""


# [start]
{long}
# [end]
'''.format(long=fits(CODE_COLUMNS + 1))


@pytest.mark.parametrize(
    ("options", "reported"),
    [
        (":pyobject: short", False),
        (":pyobject: long", True),
        (':start-after: "# [start]"\n:end-before: "# [end]"', True),
        (':start-after: "# [end]"', False),
        (":lines: 1-6", False),
        (":lines: 9", True),
    ],
)
def test_included_lines_are_the_ones_the_options_choose(
    tmp_path: Path, options: str, reported: bool
) -> None:
    (tmp_path / "module.py").write_text(INCLUDED, encoding="utf-8")
    page = f"# Page\n\n```{{literalinclude}} module.py\n{options}\n```\n"
    problems = audit_text(page, tmp_path / "page.md")
    assert bool(problems) is reported, problems
    assert all(p.line == 3 and "(from module.py)" in p.message for p in problems)


def test_dedent_is_honoured(tmp_path: Path) -> None:
    body = "class A:\n    def f(self) -> None:\n        " + fits(CODE_COLUMNS - 4) + "\n"
    (tmp_path / "module.py").write_text(body, encoding="utf-8")
    page = "```{literalinclude} module.py\n:lines: 3\n%s```\n"
    assert audit_text(page % "", tmp_path / "page.md")
    assert not audit_text(page % ":dedent:\n", tmp_path / "page.md")
