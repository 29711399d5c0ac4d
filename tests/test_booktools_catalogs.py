"""The translation check (:mod:`booktools.editions.catalogs`): complete only when every message of
every ``.pot`` has a translation in its ``.po``, none fuzzy."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from booktools.editions.catalogs import main, status


def write(path: Path, messages: dict[str, str], fuzzy: tuple[str, ...] = ()) -> None:
    catalogue = Catalog(locale="zh_CN")
    for text, translation in messages.items():
        catalogue.add(text, translation, flags=["fuzzy"] if text in fuzzy else [])
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as file:
        write_po(file, catalogue)


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    pots, pos = tmp_path / "gettext", tmp_path / "locales" / "zh_CN" / "LC_MESSAGES"
    write(pots / "asyncio" / "tasks.pot", dict.fromkeys(["coroutine", "event loop", "task"], ""))
    write(pots / "glossary.pot", dict.fromkeys(["generator"], ""))
    return pots, pos


def test_a_complete_translation_passes(
    folders: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    pots, pos = folders
    write(
        pos / "asyncio" / "tasks.po",
        {"coroutine": "协程", "event loop": "事件循环", "task": "任务"},
    )
    write(pos / "glossary.po", {"generator": "生成器", "a part no longer there": "旧"})
    assert main([str(pots), str(pos)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "4 of 4 messages translated"


def test_untranslated_fuzzy_stale_and_missing_catalogues_fail(
    folders: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    pots, pos = folders
    # "task" is untranslated, "event loop" fuzzy, and "coroutine" missing: the .po was not
    # updated since the .pot gained it; glossary.po does not exist.
    write(
        pos / "asyncio" / "tasks.po", {"event loop": "事件循环", "task": ""}, fuzzy=("event loop",)
    )
    (asyncio, glossary) = status(pots, pos)
    assert (asyncio.part, asyncio.total, asyncio.translated) == ("asyncio/tasks", 3, 0)
    assert asyncio.fuzzy == ["event loop"]
    assert asyncio.untranslated == ["coroutine", "task"]
    assert glossary.missing_file
    assert glossary.untranslated == ["generator"]
    assert main([str(pots), str(pos)]) == 1
    printed = capsys.readouterr().out
    assert "asyncio/tasks: 0 of 3 translated, 1 fuzzy, 2 untranslated" in printed
    assert "  fuzzy: event loop" in printed
    assert "glossary: 0 of 1 translated (no glossary.po in" in printed
    assert printed.splitlines()[-1] == "0 of 4 messages translated: incomplete"


def test_no_messages_at_all_is_a_failure(tmp_path: Path) -> None:
    assert main([str(tmp_path), str(tmp_path)]) == 1


def test_a_translation_that_loses_code_is_broken(
    folders: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    pots, pos = folders
    write(pots / "asyncio" / "tasks.pot", dict.fromkeys(["call `next(g)`"], ""))
    write(pos / "asyncio" / "tasks.po", {"call `next(g)`": "调用 next(g)"})
    write(pos / "glossary.po", {"generator": "生成器"})
    (asyncio, _) = status(pots, pos)
    assert asyncio.broken == ["missing code `next(g)`: call `next(g)`"]
    assert main([str(pots), str(pos)]) == 1
    printed = capsys.readouterr().out
    assert "asyncio/tasks: 0 of 1 translated, 0 fuzzy, 0 untranslated, 1 broken" in printed
    assert "  broken: missing code `next(g)`: call `next(g)`" in printed


def test_a_docstring_translated_in_rest_is_broken(tmp_path: Path) -> None:
    # The API pages are Markdown, and Sphinx parses a translation with the page's parser.
    pots, pos = tmp_path / "gettext", tmp_path / "po"
    english = "Run it with :func:`run` (virtual time)."
    translations = {
        "timeline": "用 :func:`run`\\ （虚拟时间）运行它。",
        "tasks": "用 {py:func}`run`（虚拟时间）运行它。",
    }
    for page, translation in translations.items():
        for folder, text in ((pots, ""), (pos, translation)):
            catalogue = Catalog(locale="zh_CN")
            catalogue.add(english, text, locations=[(f"companion.{page}", 1)])
            folder.mkdir(exist_ok=True)
            suffix = ".pot" if folder == pots else ".po"
            with (folder / f"{page}{suffix}").open("wb") as file:
                write_po(file, catalogue)
    tasks, timeline = status(pots, pos)
    assert tasks.broken == []
    assert [problem.partition(": Run")[0] for problem in timeline.broken] == [
        "a reST role: write {py:func}`name` (the page is Markdown); "
        "a reST escaped space (\\ ): not needed in Markdown"
    ]
