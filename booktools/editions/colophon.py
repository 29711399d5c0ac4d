"""The colophon: what identifies this edition (version, date, licence, source, commit).

Each fact has one home, and this module reads it from there, so no page or build file spells it
again: the version is :data:`companion.__version__` (``conf.py`` reads it), the licence and the
address of the source are ``pyproject.toml``'s ``[project] license`` and ``[project.urls]``, and
the date and the commit are those of the commit the book is built from.

The project has no public address yet, so ``[project.urls]`` is absent and :func:`source_url`
returns None: the pages then name "the repository this book is built from" without a link. Adding
``Source = "https://..."`` (or ``Repository``, or ``Homepage``) under ``[project.urls]`` turns
every such mention into a link, and nothing else needs to change.

The date is the commit's date (``git log -1``), so a rebuild of the same commit prints the same
edition; ``SOURCE_DATE_EPOCH`` (the reproducible-builds convention) overrides it, and outside a
git checkout (an sdist, say) the build's own date stands in. Standard library only: ``conf.py``
imports this with nothing but ``.[docs]`` installed.
"""

from __future__ import annotations

import datetime
import os
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SOURCE_URL_KEYS", "Edition", "edition", "source_url"]

SOURCE_URL_KEYS = ("Source", "Repository", "Homepage")
"""The ``[project.urls]`` keys that name where the source lives, the first one present wins."""


@dataclass(frozen=True)
class Edition:
    """What identifies one build of the book."""

    date: str
    """The date of the commit the book is built from, as ``YYYY-MM-DD``."""
    commit: str | None
    """The abbreviated hash of that commit, or None outside a git checkout."""
    dirty: bool
    """Whether tracked files differ from that commit (a build of work in progress)."""
    licence: str
    """The licence, as ``pyproject.toml`` names it (an SPDX expression such as ``MIT``)."""
    source_url: str | None
    """Where the source lives (``[project.urls]``), or None while it has no public address."""


def _pyproject(root: Path) -> dict[str, object]:
    with (root / "pyproject.toml").open("rb") as file:
        project = tomllib.load(file)["project"]
    assert isinstance(project, dict)
    return project


def source_url(root: Path) -> str | None:
    """The address of the book's source from ``[project.urls]``, or None if it names none."""
    urls = _pyproject(root).get("urls", {})
    if not isinstance(urls, dict):
        raise TypeError(f"[project.urls] in {root / 'pyproject.toml'} must be a table")
    return next((str(urls[key]) for key in SOURCE_URL_KEYS if urls.get(key)), None)


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=False, timeout=30
        )
    except OSError:  # no git on this machine
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip() or None


def edition(root: Path) -> Edition:
    """The edition built from the checkout at *root*."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        date = datetime.datetime.fromtimestamp(int(epoch), datetime.UTC).date().isoformat()
    else:
        date = _git(root, "log", "-1", "--format=%cs") or datetime.date.today().isoformat()
    licence = _pyproject(root).get("license")
    if not isinstance(licence, str):
        raise TypeError(f"pyproject.toml's [project] license must be a string, not {licence!r}")
    return Edition(
        date=date,
        commit=_git(root, "rev-parse", "--short=12", "HEAD"),
        dirty=_git(root, "status", "--porcelain", "--untracked-files=no") is not None,
        licence=licence,
        source_url=source_url(root),
    )
