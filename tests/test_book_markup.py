"""Markdown that parses but does not say what it means: checks on the book's sources."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted((ROOT / "book").rglob("*.md"))


def misread_terms(text: str) -> list[int]:
    """The lines of *text* that start a definition (``: ``) under a term written on more than
    one line: MyST's definition lists take a term of one line only, so such a "term" is a
    paragraph and the definition shows its colon (found in references.md, in both editions)."""
    found: list[int] = []
    block: list[str] = []
    fence = False
    for number, line in enumerate(text.split("\n"), 1):
        if line.startswith(("```", "~~~")):
            fence = not fence
        term = len(block) > 1 and not any(e.startswith((": ", "  ")) for e in block)
        if not fence and line.startswith(": ") and term:
            found.append(number)
        block = [] if not line.strip() else [*block, line]
    return found


def test_every_definition_term_is_on_one_line() -> None:
    wrong = [
        f"{page.relative_to(ROOT)}:{line}"
        for page in PAGES
        for line in misread_terms(page.read_text())
    ]
    assert not wrong, wrong


def test_a_term_on_two_lines_is_found() -> None:
    assert misread_terms("A term\ncut in two\n: its definition\n") == [3]
    assert misread_terms("A term\n: a definition\n  that goes on\n") == []
    assert misread_terms("```\nA\nB\n: not Markdown\n```\n") == []
