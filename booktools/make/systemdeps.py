"""The system packages behind the optional targets: the PDF, the EPUB, and the browser tests.

``make html`` and ``make test`` need only Python. ``make pdf``, ``make epub`` and
``make browser-test`` also need programs, TeX packages and fonts from the system; this module knows
which, and which Debian/Ubuntu package brings each:

- ``python3 -m booktools.make.systemdeps check pdf`` checks what ``make pdf`` needs; if something is
  missing it says what, names the packages to install, and exits 1 (each target runs this first);
- ``python3 -m booktools.make.systemdeps packages`` prints every package (``make system-deps``
  installs them); ``--missing`` prints only those that bring a need this machine lacks
  (``.ci/run``);
- ``python3 -m booktools.make.systemdeps tex-files BOOK.fls`` checks the list against what a PDF
  build really read: latexmk's recorder file names every TeX file the run opened; each is mapped to
  the Debian package that owns it (``dpkg -S``), and every such package must be in the list or be
  pulled in by it (``Depends``/``Pre-Depends``, as ``apt-get --no-install-recommends`` installs).
  ``make pdf`` runs it after each build, so a TeX package installed on a developer's machine but
  missing from the list fails there, before a fresh machine meets it.

Standard library only: it runs before any virtualenv exists.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CHROMIUM",
    "EPUBCHECK_JAR",
    "NEEDS",
    "Need",
    "closure",
    "installed_relations",
    "main",
    "missing",
    "missing_packages",
    "owners",
    "packages",
    "recorded_files",
    "unlisted_owners",
]

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
"""Debian's Chromium, which the browser tests drive (Playwright never downloads a browser here).

``$CHROMIUM`` names another Chromium-based browser, where Debian's is not to be had.
"""

EPUBCHECK_JAR = Path("/usr/share/java/epubcheck.jar")
"""Debian's epubcheck, run as ``java -jar`` (its wrapper script does not run everywhere)."""


@dataclass(frozen=True)
class Need:
    """One thing a target needs: a ``kind`` of check, what to look for, and its Debian package.

    ``kind`` is ``"command"`` (a program on ``PATH``), ``"file"`` (a path that exists),
    ``"tex"`` (a TeX file that ``kpsewhich`` finds) or ``"font"`` (a family ``fc-list`` knows).
    """

    kind: str
    name: str
    package: str

    def present(self) -> bool:
        """Whether this machine has it."""
        if self.kind == "command":
            return shutil.which(self.name) is not None
        if self.kind == "file":
            return Path(self.name).exists()
        if self.kind == "tex":
            return _quiet(["kpsewhich", self.name], want_output=True)
        if self.kind == "font":
            return _quiet(["fc-list", "-q", self.name])
        raise ValueError(f"unknown kind of need: {self.kind!r}")

    def __str__(self) -> str:
        what = {"command": "program", "file": "file", "tex": "TeX file", "font": "font"}[self.kind]
        return f"{what} {self.name} (Debian package {self.package})"


def _quiet(command: list[str], *, want_output: bool = False) -> bool:
    if shutil.which(command[0]) is None:
        return False
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    return done.returncode == 0 and (not want_output or bool(done.stdout.strip()))


_TEX = [
    Need("command", "xelatex", "texlive-xetex"),
    Need("command", "latexmk", "latexmk"),
    Need("command", "xindy", "xindy"),
    Need("tex", "fontspec.sty", "texlive-latex-recommended"),
    Need("tex", "polyglossia.sty", "texlive-latex-recommended"),
    # What Sphinx's LaTeX writer loads beyond the basics.
    *(
        Need("tex", name, "texlive-latex-extra")
        for name in (
            "fncychap.sty",
            "tabulary.sty",
            "capt-of.sty",
            "needspace.sty",
            "wrapfig.sty",
            "titlesec.sty",
            "framed.sty",
            "upquote.sty",
            "varwidth.sty",
        )
    ),
    # hyperref's link borders under XeTeX load the Zapf Dingbats metrics (pzdr.tfm).
    Need("tex", "pzdr.tfm", "texlive-fonts-recommended"),
    Need("tex", "xeCJK.sty", "texlive-lang-cjk"),
    Need("tex", "ctexhook.sty", "texlive-lang-chinese"),
    Need("command", "fc-list", "fontconfig"),
    Need("font", "FreeSerif", "fonts-freefont-otf"),
    Need("font", "DejaVu Sans Mono", "fonts-dejavu-core"),
    Need("font", "Noto Serif CJK SC", "fonts-noto-cjk"),
    Need("command", "pdfinfo", "poppler-utils"),
]

NEEDS: dict[str, list[Need]] = {
    "pdf": _TEX,
    "epub": [
        Need("command", "java", "default-jre-headless"),
        Need("file", str(EPUBCHECK_JAR), "epubcheck"),
    ],
    "browser-test": [
        Need("file", str(CHROMIUM), "chromium"),
        # axe-core, the accessibility checker the browser tests inject, comes from npm.
        Need("command", "npm", "npm"),
    ],
}
"""What each optional target needs."""


def _known(targets: Sequence[str]) -> None:
    unknown = sorted(set(targets) - NEEDS.keys())
    if unknown:
        raise ValueError(f"unknown targets {unknown}; known: {sorted(NEEDS)}")


def missing(targets: Sequence[str]) -> list[Need]:
    """The needs of *targets* that this machine lacks, each once."""
    _known(targets)
    seen: dict[Need, None] = {}
    for target in targets:
        for need in NEEDS[target]:
            if need not in seen and not need.present():
                seen[need] = None
    return list(seen)


def packages(targets: Sequence[str] = ()) -> list[str]:
    """The Debian packages behind *targets* (all targets if none), sorted, each once."""
    _known(targets)
    chosen = targets or list(NEEDS)
    return sorted({need.package for target in chosen for need in NEEDS[target]})


def missing_packages(targets: Sequence[str] = ()) -> list[str]:
    """The packages that bring what *targets* (all if none) need and this machine lacks, sorted.

    A need counts as met when its check passes, however it got there: ``npm`` that came with
    another vendor's ``nodejs`` package is there, and asking ``apt-get`` for Debian's ``npm`` on
    top of it would fight that package.
    """
    return sorted({need.package for need in missing(list(targets) or list(NEEDS))})


def recorded_files(fls: str) -> list[str]:
    """The absolute paths a TeX run read, from its recorder (``.fls``) file, each once, in order.

    Files under the build directory (relative paths) and the format file that ``fmtutil``
    generates at install time (no package owns it) are left out.
    """
    seen: dict[str, None] = {}
    for line in fls.splitlines():
        kind, _, path = line.partition(" ")
        if kind == "INPUT" and path.startswith("/") and "/var/lib/texmf/" not in path:
            seen.setdefault(os.path.normpath(path))
    return list(seen)


def owners(paths: Sequence[str]) -> dict[str, str]:
    """The Debian package that owns each of *paths* (``dpkg -S``); unowned paths are left out."""
    done = subprocess.run(["dpkg-query", "-S", *paths], capture_output=True, text=True, check=False)
    owned: dict[str, str] = {}
    for line in done.stdout.splitlines():
        # "pkg1, pkg2: /path" (a path two packages share lists both); "diversion by ..." lines
        # have no ": /".
        names, sep, path = line.partition(": /")
        if sep:
            owned["/" + path] = names.split(",")[0].split(":")[0].strip()
    return owned


def installed_relations() -> dict[str, list[list[str]]]:
    """Each installed package's ``Depends`` and ``Pre-Depends``, as lists of alternatives.

    Virtual packages are resolved to the installed packages that provide them.
    """
    done = subprocess.run(
        [
            "dpkg-query",
            "-W",
            "-f",
            "${Package}\t${db:Status-Abbrev}\t${Provides}\t${Pre-Depends}, ${Depends}\n",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    providers: dict[str, list[str]] = {}
    raw: dict[str, str] = {}
    for line in done.stdout.splitlines():
        name, status, provides, depends = [*line.split("\t"), "", "", ""][:4]
        if not status.startswith("ii"):
            continue
        raw[name] = depends
        providers.setdefault(name, []).append(name)
        for provided in _names(provides):
            providers.setdefault(provided, []).append(name)
    return {
        name: [
            [real for alternative in group.split("|") for real in _provided(alternative, providers)]
            for group in depends.split(",")
            if group.strip()
        ]
        for name, depends in raw.items()
    }


def _provided(alternative: str, providers: dict[str, list[str]]) -> list[str]:
    names = _names(alternative)
    return providers.get(names[0], []) if names else []


def _names(field: str) -> list[str]:
    """Package names in a dpkg relation field, without versions and architecture qualifiers."""
    return [
        part.split("(")[0].split(":")[0].strip()
        for part in field.split(",")
        if part.split("(")[0].strip()
    ]


def closure(roots: Sequence[str], relations: dict[str, list[list[str]]]) -> set[str]:
    """*roots* and everything their dependencies pull in, following the installed alternatives."""
    reached: set[str] = set()
    stack = list(roots)
    while stack:
        name = stack.pop()
        if name in reached:
            continue
        reached.add(name)
        for alternatives in relations.get(name, []):
            stack.extend(alternatives)
    return reached


def unlisted_owners(
    files: Sequence[str], owned: dict[str, str], pulled_in: set[str]
) -> dict[str, list[str]]:
    """The packages owning some of *files* that *pulled_in* lacks, with the files each owns."""
    found: dict[str, list[str]] = {}
    for path in files:
        package = owned.get(path)
        if package is not None and package not in pulled_in:
            found.setdefault(package, []).append(path)
    return found


def check_tex_files(fls_path: Path) -> int:
    """Check the TeX files a PDF build read against the list; 1 if a package is missing from it."""
    files = recorded_files(fls_path.read_text(encoding="utf-8", errors="replace"))
    owned = owners(files)
    pulled_in = closure(packages(["pdf"]), installed_relations())
    lacking = unlisted_owners(files, owned, pulled_in)
    if lacking:
        print(
            f"{fls_path}: the PDF build read TeX files of packages that"
            " booktools/make/systemdeps.py does not list (a fresh machine would not have them):",
            file=sys.stderr,
        )
        for package, paths in sorted(lacking.items()):
            print(f"  - {package}: {', '.join(paths[:3])}", file=sys.stderr)
        return 1
    print(
        f"{fls_path}: the build read {len(files)} system files of {len(set(owned.values()))}"
        " packages, all in the list or pulled in by it"
    )
    return 0


def _report(target_names: Sequence[str], lacking: Sequence[Need]) -> str:
    names = " ".join(f"make {target}" for target in target_names)
    lines = [f"{names}: this machine lacks what the build needs:"]
    lines += [f"  - {need}" for need in lacking]
    wanted = " ".join(sorted({need.package for need in lacking}))
    lines += [
        "Install the Debian/Ubuntu packages:",
        f"  sudo apt-get install --no-install-recommends {wanted}",
        "or run `make system-deps`, which installs every package the optional targets need.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``check TARGET...`` or ``packages [--missing] [TARGET...]``; see the module docstring."""
    parser = argparse.ArgumentParser(prog="python3 -m booktools.make.systemdeps")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser(
        "check", help="exit 1, saying what to install, if a need is missing"
    )
    check.add_argument("targets", nargs="+", choices=sorted(NEEDS))
    listing = commands.add_parser("packages", help="print the Debian packages, one per line")
    # No choices= here: argparse before 3.13 rejects an empty list against them.
    listing.add_argument("targets", nargs="*", help=f"some of {', '.join(sorted(NEEDS))}")
    listing.add_argument(
        "--missing", action="store_true", help="only those that bring a missing need"
    )
    recorded = commands.add_parser(
        "tex-files", help="check the TeX files a PDF build read (latexmk's .fls) against the list"
    )
    recorded.add_argument("fls", type=Path)
    args = parser.parse_args(argv)
    if args.command == "tex-files":
        return check_tex_files(args.fls)
    if args.command == "check":
        lacking = missing(args.targets)
        if lacking:
            print(_report(args.targets, lacking), file=sys.stderr)
            return 1
        return 0
    unknown = sorted(set(args.targets) - NEEDS.keys())
    if unknown:
        parser.error(f"unknown targets {unknown}; known: {sorted(NEEDS)}")
    chosen = missing_packages(args.targets) if args.missing else packages(args.targets)
    for name in chosen:
        print(name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
