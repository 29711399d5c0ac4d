"""Find the CPython interpreters on this machine that the book supports (3.11 and newer).

``make`` uses this before any virtualenv exists, so it runs on the standard library alone. It
looks on ``PATH`` (``python3``, ``python3.11`` ... ``python3.19``), in pyenv's versions folder
and in the usual system folders, runs each candidate to learn its real version (a pyenv shim for
a version that is not selected fails, and is passed over), and keeps the newest release of each
minor version. Free-threaded builds are left out: they are a different interpreter.

``find(include_root=True)`` (what ``make matrix`` asks for) also looks in the Debian unstable
root that ``make unstable-root`` builds (:mod:`booktools.make.unstable`), when it exists and this
user may enter it, for each minor version the host lacks: on a Debian 12 host, 3.14 and 3.15 come
from there.

Run ``python3 -m booktools.make.pythons`` to list what it finds (the root included), newest first.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from booktools.make import unstable

__all__ = ["MINIMUM", "Interpreter", "find", "find_in_root", "newest"]

MINIMUM = (3, 11)

_PROBE = (
    "import sys, sysconfig; "
    "print(sys.implementation.name, *sys.version_info[:3], "
    "int(bool(sysconfig.get_config_var('Py_GIL_DISABLED'))), sys.executable)"
)


@dataclass(frozen=True, order=True)
class Interpreter:
    """A working interpreter: its version, the path to run it by, and the root it lives in.

    ``root`` is empty for the host's interpreters; for those of the Debian unstable root it names
    that root, ``path`` is a path inside it, and :meth:`command` runs them there.
    """

    version: tuple[int, int, int]
    path: str
    root: str = ""

    @property
    def minor(self) -> str:
        return f"{self.version[0]}.{self.version[1]}"

    def command(self, *arguments: str) -> list[str]:
        """The command line that runs this interpreter with *arguments* (in the checkout)."""
        if self.root:
            return unstable.command([self.path, *arguments], Path(self.root))
        return [self.path, *arguments]

    def __str__(self) -> str:
        where = f" in {self.root}" if self.root else ""
        return f"Python {'.'.join(map(str, self.version))} ({self.path}{where})"


def _candidates() -> list[str]:
    found: list[str] = []
    for name in ["python3", *(f"python3.{minor}" for minor in range(MINIMUM[1], 20))]:
        path = shutil.which(name)
        if path:
            found.append(path)
    pyenv_root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    found += sorted(glob.glob(os.path.join(pyenv_root, "versions", "*", "bin", "python3")))
    for folder in ("/usr/local/bin", "/usr/bin"):
        found += sorted(glob.glob(os.path.join(folder, "python3.[0-9]*")))
    return found


def probe(path: str, root: str = "") -> Interpreter | None:
    """Run *path* and return what it is, or ``None`` if it does not run or does not qualify.

    With *root*, *path* is an interpreter inside that unstable root
    (:mod:`booktools.make.unstable`).
    """
    try:
        result = subprocess.run(
            Interpreter((0, 0, 0), path, root).command("-c", _PROBE),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    fields = result.stdout.split(maxsplit=5)
    if result.returncode != 0 or len(fields) != 6 or fields[0] != "cpython" or fields[4] != "0":
        return None
    version = (int(fields[1]), int(fields[2]), int(fields[3]))
    if version[:2] < MINIMUM:
        return None
    return Interpreter(version, path, root)


def find_in_root() -> list[Interpreter]:
    """The interpreters in the Debian unstable root, newest first; none if it cannot be entered."""
    if not unstable.usable():
        return []
    root = str(unstable.root_dir())
    found = []
    for package in unstable.PACKAGES:
        if package.startswith("python3.") and not package.endswith("-venv"):
            interpreter = probe(f"/usr/bin/{package}", root)
            if interpreter is not None:
                found.append(interpreter)
    return sorted(found, reverse=True)


def find(include_root: bool = False) -> list[Interpreter]:
    """Every supported interpreter found, the newest release of each minor version, newest first.

    With *include_root*, the Debian unstable root fills in the minor versions the host lacks.
    """
    best: dict[tuple[int, int], Interpreter] = {}
    seen: set[str] = set()
    for path in _candidates():
        real = os.path.realpath(path)
        if real in seen:
            continue
        seen.add(real)
        interpreter = probe(path)
        if interpreter is None:
            continue
        key = interpreter.version[:2]
        if key not in best or interpreter.version > best[key].version:
            best[key] = interpreter
    if include_root:
        for interpreter in find_in_root():
            best.setdefault(interpreter.version[:2], interpreter)
    return sorted(best.values(), reverse=True)


def newest() -> Interpreter:
    """The newest supported interpreter; :exc:`LookupError` if there is none."""
    found = find()
    if not found:
        raise LookupError(
            "no Python 3.11 or newer found on PATH or in pyenv; install one, or name one with "
            "PYTHON=/path/to/python3"
        )
    return found[0]


def main() -> int:
    found = find(include_root=True)
    for interpreter in found:
        print(interpreter)
    if not found:
        print("no Python 3.11 or newer found", file=sys.stderr)
    return 0 if found else 1


if __name__ == "__main__":
    raise SystemExit(main())
