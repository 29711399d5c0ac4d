"""Standard-library names in the book's prose are links: the check, and the whole book checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from booktools.audits.xrefs import inventory, plain_names, short_names

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted((ROOT / "book").rglob("*.md"))
OBJECTS = inventory(ROOT / "intersphinx" / "python-3.13.inv")
NAMES = frozenset(OBJECTS)
SHORT = short_names(OBJECTS)


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_every_standard_library_name_in_prose_is_a_link(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    problems = plain_names(text, NAMES, page.relative_to(ROOT).as_posix(), SHORT)
    assert not problems, "\n".join(map(str, problems))


def test_the_inventory_knows_the_names_the_book_links() -> None:
    assert {"asyncio.run", "asyncio.Runner.close", "contextlib.contextmanager"} <= NAMES
    assert "asyncio.no_such_function" not in NAMES


def test_short_names_are_the_unambiguous_ones() -> None:
    assert SHORT["gather"] == "asyncio.gather"
    assert SHORT["create_task"] == "asyncio.create_task"
    assert SHORT["StopIteration"] == "StopIteration"
    assert SHORT["next"] == "next"
    # Shared by asyncio and the builtins, or by several classes' methods: only a sentence can tell.
    assert "TimeoutError" not in SHORT
    assert "send" not in SHORT
    assert "close" not in SHORT
    # Constants stay code, like keywords.
    assert "None" not in SHORT


PAGE = """\
# Where does `asyncio.run` come from?

Call `asyncio.run` once, or `asyncio.run()`; {py:func}`asyncio.run` is linked.

```{doctest}
>>> import asyncio
>>> asyncio.run(asyncio.sleep(0))
```

```{index} asyncio.run
```

```{versionchanged} 3.12
`asyncio.run` takes `loop_factory`.
```

Code that is an expression stays code: `asyncio.run(main(), debug=True)`, and so does a name that
is not in the inventory, `companion.loop.run`, or is not asyncio's or a builtin, `send`.
A short name that is, `gather()`, is reported; [`gather`](#gather) is a link already.

% a comment may say `asyncio.run`
"""


def test_only_plain_names_in_prose_are_reported() -> None:
    problems = plain_names(PAGE, NAMES, short=SHORT)
    found = [(problem.line, problem.message.split()[0]) for problem in problems]
    assert found == [
        (3, "`asyncio.run`"),
        (3, "`asyncio.run()`"),
        (14, "`asyncio.run`"),
        (19, "`gather()`"),
    ]


def test_spans_that_name_no_object_are_listed_per_page() -> None:
    page = "The hook's argument has an `object` attribute; `object` is the base class."
    assert plain_names(page, NAMES, "book/version-atlas.md", SHORT) == []
    assert len(plain_names(page, NAMES, "book/glossary.md", SHORT)) == 2
