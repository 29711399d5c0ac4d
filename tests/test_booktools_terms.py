"""The Chinese edition's term list (``locales/zh_CN/terms.md``): every term of the book's glossary
has a row with a Chinese term, and no term has two."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TERMS = ROOT / "locales" / "zh_CN" / "terms.md"
GLOSSARY = ROOT / "book" / "glossary.md"

CJK = re.compile(r"[\u4e00-\u9fff]")


def glossary_terms(text: str) -> list[str]:
    """The terms of a MyST ``{glossary}``: its unindented lines after the options."""
    body = text.partition("```{glossary}")[2].partition("\n```")[0]
    return [
        line.strip()
        for line in body.splitlines()
        if line.strip() and not line[0].isspace() and not line.startswith(":")
    ]


def rows(text: str) -> list[list[str]]:
    """The rows of the Markdown tables in *text*, each as its cells (header rows left out)."""
    found = []
    for line in text.splitlines():
        if not line.startswith("|") or line.startswith("| ---") or line.startswith("| English"):
            continue
        found.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return found


def test_every_glossary_term_has_a_chinese_term() -> None:
    terms = glossary_terms(GLOSSARY.read_text(encoding="utf-8"))
    assert len(terms) > 80, terms  # the parser found the glossary
    table = rows(TERMS.read_text(encoding="utf-8"))
    assert all(len(row) == 3 for row in table), [row for row in table if len(row) != 3]
    english = [row[0] for row in table]
    assert len(english) == len(set(english)), "a term has two rows"
    missing = sorted(set(terms) - set(english))
    assert not missing, f"glossary terms with no row in {TERMS.name}: {missing}"
    untranslated = [row[0] for row in table if not CJK.search(row[1]) and row[0] != "PEP 479"]
    assert not untranslated, untranslated


def test_the_glossary_parser_reads_terms_not_definitions() -> None:
    text = "```{glossary}\n:sorted:\n\nawaitable\n  Can be awaited.\n\ntask\n  A.\n```\n"
    assert glossary_terms(text) == ["awaitable", "task"]
