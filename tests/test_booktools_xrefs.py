"""Standard-library names in the book's prose are links: the check, and the whole book checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from booktools.audits.xrefs import inventory_names, plain_names

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted((ROOT / "book").rglob("*.md"))
NAMES = inventory_names(ROOT / "intersphinx" / "python-3.13.inv")


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_every_standard_library_name_in_prose_is_a_link(page: Path) -> None:
    problems = plain_names(page.read_text(encoding="utf-8"), NAMES, str(page.relative_to(ROOT)))
    assert not problems, "\n".join(map(str, problems))


def test_the_inventory_knows_the_names_the_book_links() -> None:
    assert {"asyncio.run", "asyncio.Runner.close", "contextlib.contextmanager"} <= NAMES
    assert "asyncio.no_such_function" not in NAMES


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
is not in the inventory, `companion.loop.run`, or has no dot, `run`.

% a comment may say `asyncio.run`
"""


def test_only_plain_names_in_prose_are_reported() -> None:
    found = [(problem.line, problem.message.split()[0]) for problem in plain_names(PAGE, NAMES)]
    assert found == [(3, "`asyncio.run`"), (3, "`asyncio.run()`"), (14, "`asyncio.run`")]
