"""What a translation must keep of its message: the code, the targets, the substitutions.

A message is Markdown (MyST) for the book's pages and reStructuredText for the docstrings the API
pages show. A translator rewrites the words; what a reader types or follows stays as it is:

- code spans (```yield from```, reST ````yield````) are the same text, each as often (a
  translation may add one: the term list writes ```Future`` 对象` for "a future");
- roles keep their target: ``{py:func}`asyncio.gather``` stays as it is (a docstring's
  ``:func:`gather``` is the same role as ``{py:func}`gather```), and ``{term}`coroutine
  function``` may become ``{term}`协程函数 <coroutine function>``` (the shown words change, the
  target does not), as may ``{ref}`Part I <part-generators>``` become
  ``{ref}`第一部分 <part-generators>```; the same for reST roles (``:class:`Task```);
- links keep their address (``[text](address)``, ``<https://...>``), substitutions their name
  (``{{ name }}``), and what a program fills in stays: ``{size}``, ``%s``.

Each is compared as a multiset, so a translation may put them in another order. Sphinx checks the
references of a translated message itself (its "inconsistent ... references" warnings, errors
under ``-W``), but only when a whole build runs and without saying which code span went missing;
:func:`problems` says it at once, per message.
"""

from __future__ import annotations

import re
from collections import Counter

__all__ = ["docstring_problems", "kept", "problems"]

# A role: MyST {name}`content` or reST :name:`content`, with any run of backticks.
_ROLE = re.compile(
    r"(?:\{(?P<myst>[\w:.+-]+)\}|:(?P<rest>[\w:.+-]+):)(?P<ticks>`+)(?P<body>.+?)(?P=ticks)"
)
_CODE = re.compile(r"(?P<codeticks>`+)(?P<code>.+?)(?P=codeticks)")
# Read from left to right, so that code that shows a role (``{timeline}``) is code.
_ROLE_OR_CODE = re.compile(f"{_ROLE.pattern}|{_CODE.pattern}")
_LINK = re.compile(r"\]\((?P<address>[^)\s]+)\)")
_AUTOLINK = re.compile(r"<(?P<address>https?://[^>\s]+)>")
_SUBSTITUTION = re.compile(r"\{\{\s*(?P<name>[\w.-]+)\s*\}\}")
# What a program fills in: a format field ({size}) or %s. (A date format such as %-d %B %Y is
# not checked: each language writes dates its own way, 2026年12月7日 with %m, not %B.)
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}(?!`)|%(?:\([a-z_]+\))?s")
_TITLED = re.compile(r"^(?P<title>.*?)\s*<(?P<target>[^<>]+)>$", re.DOTALL)

#: Roles whose content is code a reader types: kept whole, title and all.
_WHOLE = ("py:", "pep", "rfc", "kbd", "samp", "file", "envvar", "option")
#: The Python domain's roles, which a docstring writes without ``py:``.
_PYTHON = frozenset({"func", "meth", "class", "exc", "mod", "attr", "data", "obj", "const"})
#: Roles whose content is words only, translated whole (``{source}`the repository```: the
#: book's own role, whose target is a setting): only the role itself is kept.
_WORDS = ("source",)


def _target(name: str, body: str) -> str:
    """What a role points at: the ``<target>`` of a titled role, else its whole content."""
    if name in _WORDS:
        return "..."
    if name not in _PYTHON and not any(name.startswith(prefix) for prefix in _WHOLE):
        match = _TITLED.match(body)
        if match:
            return match["target"]
    return body


def kept(text: str) -> Counter[str]:
    """The things in *text* that a translation of it must contain unchanged, counted."""
    found: Counter[str] = Counter()
    for match in _SUBSTITUTION.finditer(text):
        found[f"substitution {match['name']}"] += 1
    text = _SUBSTITUTION.sub(" ", text)

    def role(match: re.Match[str]) -> str:
        name = match["myst"] or match["rest"]
        # A docstring writes :func:`x`; its translation, Markdown, writes {py:func}`x`.
        name = name.removeprefix("py:")
        found[f"{{{name}}}`{_target(name, match['body'])}`"] += 1
        return " "

    def role_or_code(match: re.Match[str]) -> str:
        if match["body"] is not None:  # a role (a role inside code is code: ``{timeline}``)
            return role(match)
        found[f"code `{match['code']}`"] += 1
        return " "

    text = _ROLE_OR_CODE.sub(role_or_code, text)
    for pattern in (_LINK, _AUTOLINK):
        for match in pattern.finditer(text):
            found[f"link {match['address']}"] += 1
    for match in _PLACEHOLDER.finditer(text):
        found[f"placeholder {match[0]}"] += 1
    return found


def problems(message: str, translation: str) -> list[str]:
    """Why *translation* does not keep what *message* has (empty when it does): each thing
    missing from it or added to it, in words."""
    before, after = kept(message), kept(translation)
    result = [f"missing {thing}" for thing in sorted((before - after).elements())]
    # Code may be added (the term list writes `Future` 对象 for "a future"); a role or a link may
    # not: Sphinx refuses a reference the English does not have.
    added = (after - before).elements()
    result += [f"added {thing}" for thing in sorted(added) if not thing.startswith("code ")]
    return result


_REST_ROLE = re.compile(r"(?<![\w`]):[a-z_:]+:`")


def docstring_problems(message: str, translation: str) -> list[str]:
    """For a message from a docstring (reStructuredText): what goes wrong in its translation.

    Sphinx parses a translation with the parser of the page it is on, and the API pages are
    Markdown: a translated docstring is Markdown too. Its roles are written ``{py:func}`run```,
    not ``:func:`run```, which would show as text, and it needs no reST escapes (``\\ ``).
    A translation equal to its message is not parsed again, so it may stay reST."""
    if translation == message:
        return []
    found = []
    if _REST_ROLE.search(translation):
        found.append("a reST role: write {py:func}`name` (the page is Markdown)")
    if "\\ " in translation:
        found.append("a reST escaped space (\\ ): not needed in Markdown")
    return found
