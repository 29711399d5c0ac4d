"""A Chinese edition's index in pinyin order, under the letters A to Z, in the HTML and the PDF.

Sphinx sorts index entries by their characters' code points, and the HTML index heads a group
with each entry's first character: a Chinese index would have a hundred groups of one character
each (上, 主, 事 ...), in an order no reader of Chinese looks things up in. A Chinese book's index
follows the pinyin of its entries (汉语拼音), as a dictionary does, Chinese and Latin entries
together under the letters A to Z: 协程 (xiecheng) under X, after `wait_for`, and before `yield`.

:func:`sort_key` spells an entry's Chinese characters in pinyin (pypinyin, which reads the
pronunciation of a character from the word it is in: 重新 is chongxin) and leaves the rest as it is.
In the HTML, the index page's context is regrouped by that key before the page is written
(:func:`regroup`); in the PDF, each ``\\index{key@text}`` that Sphinx writes gets that key as its
sort key, and makeindex then sorts and groups by it. An English build is left as it is.
"""

from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Callable
from itertools import groupby
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.locale import _
from sphinx.util.typing import ExtensionMetadata
from sphinx.writers.latex import LaTeXTranslator

__all__ = ["letter", "regroup", "setup", "sort_key"]

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# One \index{...} as Sphinx's LaTeX writer spells it: levels split by "!", each "sort@text",
# then an optional "|style"; a literal @, ! or " inside is quoted with a ".
_INDEX = re.compile(r"\\index\{((?:[^{}]|\{[^{}]*\})*)\}")
_LEVELS = re.compile(r'(?<!")!')  # a level ends at a "!" that is not quoted
_AT = re.compile(r'(?<!")@')


def _chinese(language: object) -> bool:
    return str(language or "").startswith("zh")


@functools.cache
def _lazy_pinyin() -> Callable[[str], list[str]]:
    """pypinyin's ``lazy_pinyin``, imported and used once with its data loaded: pypinyin 0.55
    reads its data files with :func:`codecs.open`, which Python 3.14 deprecates, and the tests
    make every warning an error. The warning is silenced there only."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", r"codecs\.open\(\) is deprecated", DeprecationWarning)
        from pypinyin import lazy_pinyin

        lazy_pinyin("重新")  # the phrase data, loaded on first use
    return lazy_pinyin


def sort_key(text: str) -> str:
    """*text* with each Chinese character spelled in pinyin, without tones, lower case; other
    characters kept. The text itself follows, so that two entries spelled alike stay apart.

    >>> sort_key("协程函数")
    'xiechenghanshu协程函数'
    >>> sort_key("async with 的协议")
    'async with dexieyiasync with 的协议'
    """
    if not _HAN.search(text):
        return text.lower()
    spelled = "".join(_lazy_pinyin()(text))
    return f"{spelled.lower()}{text}"


def letter(text: str) -> str:
    """The group of the index that *text* goes in: the first letter of its pinyin, ``_`` for a
    special name, or Sphinx's "Symbols" for anything else."""
    first = sort_key(text)[:1].upper()
    if "A" <= first <= "Z" or first == "_":
        return first
    return _("Symbols")


def _order(entry: tuple[str, Any]) -> tuple[int, str]:
    group = letter(entry[0])
    return (0 if group == _("Symbols") else 1 if group == "_" else 2, sort_key(entry[0]))


def regroup(grouped: list[tuple[str, list[tuple[str, Any]]]]) -> list[tuple[str, Any]]:
    """Sphinx's grouped index entries (``genindexentries``: groups of ``(entry, data)``),
    regrouped under pinyin letters and sorted by :func:`sort_key`."""
    entries = sorted((entry for _group, items in grouped for entry in items), key=_order)
    return [(key, list(items)) for key, items in groupby(entries, key=lambda e: letter(e[0]))]


def _html_index(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    if pagename != "genindex" or not _chinese(app.config.language):
        return
    entries = context.get("genindexentries")
    if entries:
        context["genindexentries"] = regroup(entries)
        context["genindexcounts"] = [
            sum(1 + len(data[1]) for _entry, data in items)
            for _key, items in context["genindexentries"]
        ]


def _with_pinyin_keys(latex: str) -> str:
    r"""*latex* with the sort key of each level of each ``\index{...}`` that has Chinese in it
    replaced by its :func:`sort_key` (the text shown after the ``@`` stays).

    >>> _with_pinyin_keys(r"\index{协程@\spxentry{协程}!取消@\spxentry{取消}|spxpagem}")
    '\\index{xiecheng协程@\\spxentry{协程}!quxiao取消@\\spxentry{取消}|spxpagem}'
    >>> _with_pinyin_keys(r"\index{yield@\spxentry{yield}}")
    '\\index{yield@\\spxentry{yield}}'
    """

    def one(match: re.Match[str]) -> str:
        body, style = match[1], ""
        if "|" in body:
            body, bar, style = body.rpartition("|")
            style = bar + style
        levels = []
        for level in _LEVELS.split(body):
            key, *shown = _AT.split(level, maxsplit=1)
            if shown and _HAN.search(key):
                key = sort_key(key)
            levels.append("@".join([key, *shown]))
        return "\\index{" + "!".join(levels) + style + "}"

    return _INDEX.sub(one, latex)


class PinyinIndexTranslator(LaTeXTranslator):
    """Sphinx's LaTeX translator, whose index entries of a Chinese edition sort by pinyin."""

    def visit_index(self, node: nodes.Element) -> None:
        start = len(self.body)
        try:
            super().visit_index(node)  # which ends by raising SkipNode
        finally:
            if _chinese(self.config.language):
                self.body[start:] = [_with_pinyin_keys(part) for part in self.body[start:]]


def setup(app: Sphinx) -> ExtensionMetadata:
    app.connect("html-page-context", _html_index)
    app.set_translator("latex", PinyinIndexTranslator)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
