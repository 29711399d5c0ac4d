"""The Chinese edition's index in pinyin order (:mod:`booktools.editions.pinyin`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

from booktools.editions.pinyin import _with_pinyin_keys, letter, regroup, sort_key


def entry(text: str) -> tuple[str, Any]:
    return (text, ([(False, f"page.html#{text}")], [], None))


def test_chinese_and_latin_entries_share_the_letters_a_to_z() -> None:
    # As Sphinx groups them: by first character, in code-point order.
    sphinx = [
        ("_", [entry("__aenter__")]),
        ("A", [entry("asyncio")]),
        ("Y", [entry("yield")]),
        ("协", [entry("协程")]),
        ("取", [entry("取消")]),
        ("重", [entry("重新抛出")]),
        ("生", [entry("生成器")]),
    ]
    grouped = regroup(sphinx)
    assert [(key, [text for text, _ in items]) for key, items in grouped] == [
        ("_", ["__aenter__"]),
        ("A", ["asyncio"]),
        ("C", ["重新抛出"]),  # chóngxīn: pypinyin reads the word, not the character alone
        ("Q", ["取消"]),
        ("S", ["生成器"]),
        ("X", ["协程"]),
        ("Y", ["yield"]),
    ]


def test_a_key_spells_chinese_in_pinyin_and_keeps_the_rest() -> None:
    assert sort_key("事件循环") == "shijianxunhuan事件循环"
    assert sort_key("TaskGroup") == "taskgroup"
    assert letter("事件循环") == "S"
    assert letter("__await__") == "_"


def test_the_pdf_index_sorts_each_chinese_level_by_pinyin() -> None:
    latex = r"\index{取消@\spxentry{取消}!在 await 处@\spxentry{在 await 处}|spxpagem}"
    assert _with_pinyin_keys(latex) == (
        r"\index{quxiao取消@\spxentry{取消}!zai await chu在 await 处@\spxentry{在 await 处}"
        r"|spxpagem}"
    )
    # A quoted ! or @ is text, not a separator.
    quoted = r'\index{a"!b@\spxentry{a"!b}}'
    assert _with_pinyin_keys(quoted) == quoted


def test_a_chinese_latex_build_writes_pinyin_sort_keys(tmp_path: Path) -> None:
    # Sphinx's visit_index ends by raising SkipNode: the keys are rewritten all the same.
    (tmp_path / "conf.py").write_text(
        'extensions = ["booktools.editions.pinyin"]\nlanguage = "zh_CN"\n', encoding="utf-8"
    )
    (tmp_path / "index.rst").write_text(
        "Test\n====\n\n.. index:: 协程, yield\n\ntext\n", encoding="utf-8"
    )
    app = Sphinx(tmp_path, tmp_path, tmp_path / "out", tmp_path / "doctrees", "latex", status=None)
    app.build()
    (tex,) = (tmp_path / "out").glob("*.tex")
    written = tex.read_text(encoding="utf-8")
    assert r"\index{xiecheng协程@\spxentry{协程}}" in written
    assert r"\index{yield@\spxentry{yield}}" in written
