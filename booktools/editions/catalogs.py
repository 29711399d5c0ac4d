"""Whether a translation is complete: every message of the book translated, none fuzzy.

The gettext builder writes the messages the book has now, one ``.pot`` per page
(``_build/gettext/<part>/<page>.pot``); sphinx-intl merges them into a language's catalogues
(``locales/<language>/LC_MESSAGES/<part>/<page>.po``),
which translators fill in. A translation is complete when, for every ``.pot``, its ``.po``
exists and gives a translation to each of its messages, with no fuzzy flag (sphinx-intl marks
fuzzy a message whose English changed, and keeps the old translation, which is then wrong).
Comparing with the ``.pot`` rather than reading the ``.po`` alone also catches a catalogue that
was not updated after the English text changed. A translation must also keep its message's code,
reference targets, links and placeholders (:mod:`booktools.editions.markup`); one that does not
counts as broken.

The catalogues are read with Babel (a dependency of Sphinx). ``python -m
booktools.editions.catalogs POT_DIR PO_DIR`` prints, for each part, how many messages are
translated, fuzzy and untranslated, the first few of those missing, and exits 1 unless all are
translated (``make translations``; ``python -m booktools.make.recipes po-check`` extracts the
messages first).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from booktools.editions.markup import docstring_problems, problems

__all__ = ["Status", "main", "status"]

#: How many of the messages missing in a part are printed.
SHOWN = 5


@dataclass
class Status:
    """What one catalogue (``part``) translates of its ``.pot``'s messages."""

    part: str
    total: int = 0
    translated: int = 0
    fuzzy: list[str] = field(default_factory=list)
    untranslated: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)
    missing_file: bool = False

    @property
    def complete(self) -> bool:
        return not (self.fuzzy or self.untranslated or self.broken or self.missing_file)


def _read(path: Path) -> Catalog:
    with path.open("rb") as file:
        return read_po(file)


def _text(message_id: object) -> str:
    return message_id if isinstance(message_id, str) else str(message_id)


def _problems(message: Message, text: str) -> list[str]:
    """What *message*'s translation fails to keep of *text*; for a docstring (from a module
    rather than a page of the book), also reST markup in it (see ``markup.docstring_problems``)."""
    translation = _text(message.string)
    found = problems(text, translation)
    if any(not str(name).endswith(".md") for name, _ in message.locations):
        found += docstring_problems(text, translation)
    return found


def status(pot_dir: Path, po_dir: Path) -> list[Status]:
    """The :class:`Status` of each page, one per ``.pot`` under *pot_dir*, from its ``.po`` in
    *po_dir*; a ``.po`` with no ``.pot`` (a part the book no longer has) is ignored."""
    result = []
    for pot in sorted(pot_dir.rglob("*.pot")):
        messages = [_text(message.id) for message in _read(pot) if message.id]
        page = pot.relative_to(pot_dir).with_suffix("")
        state = Status(page.as_posix(), total=len(messages))
        po = po_dir / page.with_suffix(".po")
        if not po.is_file():
            state.missing_file = True
            state.untranslated = messages
            result.append(state)
            continue
        catalogue = _read(po)
        for text in messages:
            message = catalogue.get(text)
            if message is None or not message.string:
                state.untranslated.append(text)
            elif message.fuzzy:
                state.fuzzy.append(text)
            elif found := _problems(message, text):
                state.broken.append(f"{'; '.join(found)}: {text}")
            else:
                state.translated += 1
        result.append(state)
    return result


def main(argv: list[str] | None = None) -> int:
    """The command line; see the module docstring."""
    parser = argparse.ArgumentParser(prog="python -m booktools.editions.catalogs")
    parser.add_argument("pot_dir", type=Path, help="the gettext builder's output (.pot)")
    parser.add_argument("po_dir", type=Path, help="a language's LC_MESSAGES folder (.po)")
    args = parser.parse_args(argv)
    states = status(args.pot_dir, args.po_dir)
    if not states:
        print(f"no .pot files in {args.pot_dir}: run the gettext builder first")
        return 1
    for state in states:
        line = f"{state.part}: {state.translated} of {state.total} translated"
        if state.missing_file:
            line += f" (no {state.part}.po in {args.po_dir})"
        line += f", {len(state.fuzzy)} fuzzy, {len(state.untranslated)} untranslated"
        if state.broken:
            line += f", {len(state.broken)} broken"
        print(line)
        kinds = ("fuzzy", state.fuzzy), ("untranslated", state.untranslated)
        for kind, texts in (*kinds, ("broken", state.broken)):
            for text in texts[:SHOWN]:
                print(f"  {kind}: {text[:100]}")
    total = sum(state.total for state in states)
    done = sum(state.translated for state in states)
    complete = all(state.complete for state in states)
    print(f"{done} of {total} messages translated" + ("" if complete else ": incomplete"))
    return 0 if complete else 1


if __name__ == "__main__":
    raise SystemExit(main())
