"""Translate a page's messages in a plain text file, and put the translations into its catalogue.

A ``.po`` file wraps each message across quoted lines, which makes a long paragraph hard to read
and to translate. A worksheet gives each message whole, under a short id (the first 10 hex digits
of the SHA-1 of the message, stable while the message does not change)::

    @@ 3f0a9c2e41
    The examples on this page run in one session, in order.

``export`` writes the worksheet of each page's messages that have no translation yet (or a fuzzy
one: then the old translation follows the English, after a ``@@ was`` line); with ``--all``, every
message, or with ``--containing TEXT``, those whose translation contains TEXT, each with its
translation after ``@@ was``, for a reviewer (``import`` replaces a translation too). A translator
writes a file in the same shape with the translation under each id, and ``import`` puts them into
the catalogue: each is checked first (:func:`booktools.editions.markup.problems`: code, role
targets, links and substitutions kept), and nothing is written when one fails. ``fill`` translates,
by copying it, every message with no word to translate (a code span, a Python cross-reference, a
number alone).

    python -m booktools.editions.worksheet export asyncio/tasks [...]   # to _build/worksheets
    python -m booktools.editions.worksheet export --containing 陷阱       # every page: a review
    python -m booktools.editions.worksheet import asyncio/tasks FILE    # FILE: the translations
    python -m booktools.editions.worksheet fill asyncio/tasks [...]
    python -m booktools.editions.worksheet left [PAGE ...]              # how many are left

Pages are named as in the book, without ``.md``; the catalogues are
``locales/<language>/LC_MESSAGES/<page>.po`` (``--language``, default zh_CN).
"""

from __future__ import annotations

import argparse
import hashlib
import re
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po, write_po

from booktools.editions.markup import docstring_problems, problems

__all__ = ["export", "fill", "identify", "main", "parse", "put"]

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ROOT / "locales"
WORKSHEETS = ROOT / "_build" / "worksheets"
HEADER = re.compile(r"^@@ (?P<id>[0-9a-f]{10}|was)$", re.MULTILINE)
#: What a message with nothing to translate has left once its code is taken out.
_WORDLESS = re.compile(r"[\W\d_x]*")
_CODE_ONLY = re.compile(r"\{py:[\w]+\}`[^`]+`|\{(?:pep|rfc)\}`[^`]+`|(`+).+?\1")


def identify(message: str) -> str:
    """The worksheet id of *message*."""
    return hashlib.sha1(message.encode()).hexdigest()[:10]


def _catalogue_path(page: str, language: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / f"{page}.po"


def _read(path: Path) -> Catalog:
    if not path.is_file():
        raise SystemExit(f"no catalogue {path}: run `make update-po` first")
    with path.open("rb") as file:
        return read_po(file)


def _write(path: Path, catalogue: Catalog) -> None:
    with path.open("wb") as file:
        write_po(file, catalogue, width=76)


def _messages(catalogue: Catalog) -> list[Message]:
    return [message for message in catalogue if message.id and isinstance(message.id, str)]


def _open(message: Message) -> bool:
    return not message.string or message.fuzzy


def export(
    page: str, language: str = "zh_CN", *, everything: bool = False, containing: str = ""
) -> str:
    """The worksheet of *page*'s untranslated and fuzzy messages, or of all its messages
    (*everything*: for a reviewer), or of those whose translation contains *containing*; a
    message that has a translation shows it after ``@@ was``."""
    parts = []
    for message in _messages(_read(_catalogue_path(page, language))):
        translated = str(message.string or "")
        chosen = (everything or _open(message)) if not containing else containing in translated
        if chosen:
            text = str(message.id)
            parts.append(f"@@ {identify(text)}\n{text}\n")
            if message.string:
                parts.append(f"@@ was\n{message.string}\n")
    return "\n".join(parts)


def parse(text: str) -> dict[str, str]:
    """The translations of a worksheet, by id (``@@ was`` blocks are ignored)."""
    result: dict[str, str] = {}
    headers = list(HEADER.finditer(text))
    for header, following in zip(headers, [*headers[1:], None], strict=True):
        end = following.start() if following else len(text)
        body = text[header.end() : end].strip("\n")
        if header["id"] == "was":
            continue
        if header["id"] in result:
            raise ValueError(f"id {header['id']} is given twice")
        result[header["id"]] = body.strip()
    return result


def put(page: str, translations: dict[str, str], language: str = "zh_CN") -> list[str]:
    """Put *translations* (by id) into *page*'s catalogue; the problems found, if any, in which
    case nothing is written."""
    path = _catalogue_path(page, language)
    catalogue = _read(path)
    by_id = {identify(str(message.id)): message for message in _messages(catalogue)}
    found = []
    for key, translation in translations.items():
        message = by_id.get(key)
        if message is None:
            found.append(f"{key}: no such message in {page} (changed since the export?)")
            continue
        if not translation:
            found.append(f"{key}: empty translation")
            continue
        found += [f"{key}: {problem}" for problem in problems(str(message.id), translation)]
        if any(not str(name).endswith(".md") for name, _ in message.locations):  # a docstring
            found += [
                f"{key}: {problem}" for problem in docstring_problems(str(message.id), translation)
            ]
    if found:
        return found
    for key, translation in translations.items():
        message = by_id[key]
        message.string = translation
        message.flags.discard("fuzzy")
        message.previous_id = []
    _write(path, catalogue)
    return []


def _wordless(message: str) -> bool:
    return _WORDLESS.fullmatch(_CODE_ONLY.sub("", message)) is not None


def fill(page: str, language: str = "zh_CN") -> int:
    """Translate each open message of *page* that has no word in it by itself; how many."""
    path = _catalogue_path(page, language)
    catalogue = _read(path)
    count = 0
    for message in _messages(catalogue):
        if _open(message) and _wordless(str(message.id)):
            message.string = str(message.id)
            message.flags.discard("fuzzy")
            count += 1
    if count:
        _write(path, catalogue)
    return count


def _pages(names: list[str], language: str) -> list[str]:
    if names:
        return names
    folder = LOCALES / language / "LC_MESSAGES"
    paths = folder.rglob("*.po")
    return sorted(path.relative_to(folder).with_suffix("").as_posix() for path in paths)


def main(argv: list[str] | None = None) -> int:
    """The command line; see the module docstring."""
    parser = argparse.ArgumentParser(prog="python -m booktools.editions.worksheet")
    parser.add_argument("--language", default="zh_CN")
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("export", "fill", "left"):
        command = commands.add_parser(name)
        command.add_argument("pages", nargs="*")
        if name == "export":
            command.add_argument("--all", action="store_true", help="every message (review)")
            command.add_argument("--containing", default="", help="translations with this text")
    put_command = commands.add_parser("import")
    put_command.add_argument("page")
    put_command.add_argument("file", type=Path)
    args = parser.parse_args(argv)
    if args.command == "import":
        found = put(args.page, parse(args.file.read_text(encoding="utf-8")), args.language)
        for problem in found:
            print(problem)
        if not found:
            print(f"{args.page}: translations put into its catalogue")
        return 1 if found else 0
    for page in _pages(args.pages, args.language):
        if args.command == "export":
            target = WORKSHEETS / f"{page}.txt"
            target.parent.mkdir(parents=True, exist_ok=True)
            sheet = export(page, args.language, everything=args.all, containing=args.containing)
            target.write_text(sheet, encoding="utf-8")
            print(f"{page}: {target}")
        elif args.command == "fill":
            print(f"{page}: {fill(page, args.language)} translated by copying")
        else:
            catalogue = _read(_catalogue_path(page, args.language))
            left = sum(_open(message) for message in _messages(catalogue))
            print(f"{page}: {left} left")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
