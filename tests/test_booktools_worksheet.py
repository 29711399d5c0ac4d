"""The translators' tools: what a translation must keep of its message
(:mod:`booktools.editions.markup`), and the worksheets that carry a page's messages out of its
catalogue and the translations back (:mod:`booktools.editions.worksheet`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from booktools.editions import worksheet
from booktools.editions.markup import problems

# -- markup ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "translation"),
    [
        # The shown words of a term or a titled reference change; the target does not.
        ("A {term}`coroutine function` runs.", "{term}`协程函数 <coroutine function>` 运行。"),
        ("See {ref}`Part I <part-generators>`.", "见{ref}`第一部分 <part-generators>`。"),
        # Order may change; code may be added (the term list's `Future` 对象).
        ("`a` then `b`, a future", "先 `b` 后 `a`，一个 `Future` 对象"),
        ("[the docs](https://example.org/x)", "[文档](https://example.org/x)"),
        ("reST: ``yield`` and :class:`Task`", "reST：``yield`` 与 :class:`Task`"),
        # A docstring's role, translated in Markdown (the API pages are Markdown).
        (":meth:`~Task.join` waits", "{py:meth}`~Task.join` 等待"),
        ("{{ version }} and {py:func}`asyncio.gather`", "{{version}} 与 {py:func}`asyncio.gather`"),
        # The book's {source} role shows its words and links a setting.
        ("See {source}`the repository`.", "见{source}`本书的代码仓库`。"),
        # Code that shows a role is code.
        ("The ``{timeline}`` directive", "``{timeline}`` 指令"),
        # A date is written each language's way.
        ("%-d %B %Y", "%Y年%m月%-d日"),
    ],
)
def test_a_translation_that_keeps_everything_passes(message: str, translation: str) -> None:
    assert problems(message, translation) == []


@pytest.mark.parametrize(
    ("message", "translation", "expected"),
    [
        ("call `next(g)`", "调用 `next(gen)`", ["missing code `next(g)`"]),
        ("a `{term}` role", "一个 {term} 角色",
         ["missing code `{term}`", "added placeholder {term}"]),
        ("`x` and `x`", "`x`", ["missing code `x`"]),
        # A Python cross-reference is code: its title is not translated either.
        ("{py:func}`asyncio.gather`", "{py:func}`聚集 <asyncio.gather>`",
         ["missing {func}`asyncio.gather`", "added {func}`聚集 <asyncio.gather>`"]),
        ("{term}`coroutine`", "{term}`协程`", ["missing {term}`coroutine`", "added {term}`协程`"]),
        ("a [link](https://a.example)", "一个[链接](https://b.example)",
         ["missing link https://a.example", "added link https://b.example"]),
        ("words", "{ref}`extra`", ["added {ref}`extra`"]),
        ("{{ name }}", "名字", ["missing substitution name"]),
        ("Loading {size}, once", "正在加载（{大小}）", ["missing placeholder {size}"]),
        ("Figure %s", "图", ["missing placeholder %s"]),
    ],
)  # fmt: skip
def test_what_a_translation_loses_or_adds_is_named(
    message: str, translation: str, expected: list[str]
) -> None:
    assert problems(message, translation) == expected


# -- worksheets -----------------------------------------------------------------------------------

MESSAGES = {
    "Tasks": "",
    "A {term}`task` wraps a coroutine.": "",
    "`asyncio.run(main())`": "",
    "Old words": "旧的译文",
}


@pytest.fixture
def page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(worksheet, "LOCALES", tmp_path)
    catalogue = Catalog(locale="zh_CN")
    for text, translation in MESSAGES.items():
        catalogue.add(text, translation, flags=["fuzzy"] if translation else [])
    path = tmp_path / "zh_CN" / "LC_MESSAGES" / "asyncio" / "tasks.po"
    path.parent.mkdir(parents=True)
    with path.open("wb") as file:
        write_po(file, catalogue)
    return path


def read(path: Path) -> dict[str, tuple[str, bool]]:
    with path.open("rb") as file:
        return {str(m.id): (str(m.string), m.fuzzy) for m in read_po(file) if m.id}


def test_export_lists_open_messages_under_stable_ids(page: Path) -> None:
    sheet = worksheet.export("asyncio/tasks")
    assert f"@@ {worksheet.identify('Tasks')}\nTasks\n" in sheet
    # A fuzzy message comes with its old translation, for reference.
    assert f"@@ {worksheet.identify('Old words')}\nOld words\n\n@@ was\n旧的译文\n" in sheet
    assert worksheet.identify("Tasks") == worksheet.identify("Tasks")
    assert len(worksheet.identify("Tasks")) == 10


def test_import_puts_checked_translations_into_the_catalogue(page: Path) -> None:
    sheet = (
        f"@@ {worksheet.identify('Tasks')}\n任务\n\n"
        f"@@ {worksheet.identify('Old words')}\n新的译文\n\n@@ was\n旧的译文\n"
    )
    assert worksheet.put("asyncio/tasks", worksheet.parse(sheet)) == []
    messages = read(page)
    assert messages["Tasks"] == ("任务", False)
    assert messages["Old words"] == ("新的译文", False)  # and no longer fuzzy
    assert messages["`asyncio.run(main())`"] == ("", False)


def test_import_writes_nothing_when_one_translation_is_wrong(page: Path) -> None:
    before = page.read_bytes()
    term = worksheet.identify("A {term}`task` wraps a coroutine.")
    sheet = f"@@ {worksheet.identify('Tasks')}\n任务\n\n@@ {term}\n{{term}}`任务` 包装一个协程。\n"
    assert worksheet.put("asyncio/tasks", worksheet.parse(sheet)) == [
        f"{term}: missing {{term}}`task`",
        f"{term}: added {{term}}`任务`",
    ]
    assert worksheet.put("asyncio/tasks", {"0123456789": "字"}) == [
        "0123456789: no such message in asyncio/tasks (changed since the export?)"
    ]
    assert page.read_bytes() == before


def test_an_id_given_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="given twice"):
        worksheet.parse("@@ 0123456789\n甲\n@@ 0123456789\n乙\n")


def test_fill_copies_only_messages_with_nothing_to_translate(page: Path) -> None:
    assert worksheet.fill("asyncio/tasks") == 1
    assert read(page)["`asyncio.run(main())`"] == ("`asyncio.run(main())`", False)
    assert read(page)["Tasks"] == ("", False)


def test_a_page_without_a_catalogue_says_what_to_run(page: Path) -> None:
    with pytest.raises(SystemExit, match="make update-po"):
        worksheet.export("asyncio/nowhere")


def test_a_reviewer_exports_every_message_or_those_with_a_word(page: Path) -> None:
    everything = worksheet.export("asyncio/tasks", everything=True)
    assert everything.count("@@ ") - everything.count("@@ was") == len(MESSAGES)
    assert worksheet.export("asyncio/tasks", containing="旧的") == (
        f"@@ {worksheet.identify('Old words')}\nOld words\n\n@@ was\n旧的译文\n"
    )


def test_a_docstring_is_translated_in_markdown(page: Path) -> None:
    catalogue = Catalog(locale="zh_CN")
    catalogue.add("Run :func:`main`.", "", locations=[("companion.timeline", 3)])
    with page.open("wb") as file:
        write_po(file, catalogue)
    key = worksheet.identify("Run :func:`main`.")
    assert worksheet.put("asyncio/tasks", {key: "运行 :func:`main`。"}) == [
        f"{key}: a reST role: write {{py:func}}`name` (the page is Markdown)"
    ]
    assert worksheet.put("asyncio/tasks", {key: "运行 {py:func}`main`。"}) == []
