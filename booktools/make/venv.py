"""Create or refresh a virtualenv with the book's tools: what every ``make`` target runs first.

``python3 -m booktools.make.venv --venv .venv`` makes sure ``.venv`` exists, runs, and has
``companion`` (editable) with its ``docs`` and ``test`` extras installed for the current
``pyproject.toml``. It does nothing, quickly, when all of that already holds; it reinstalls when
``pyproject.toml`` changes, and recreates the virtualenv when it is broken or when ``--python``
names a different interpreter. Without ``--python`` a new virtualenv gets the newest Python 3.11+
that :mod:`booktools.make.pythons` finds. ``ensure(..., root=...)`` makes a virtualenv inside the
Debian unstable root (:mod:`booktools.make.unstable`) instead, in the checkout as seen from inside,
for that root's interpreters. Standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from booktools.make import pythons, unstable

__all__ = ["ensure", "main"]

ROOT = Path(__file__).resolve().parents[2]
STAMP = ".booktools-stamp.json"


def _wanted(interpreter: str | None, extras: str, root: str) -> dict[str, str]:
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    wanted = {"pyproject": digest, "extras": extras}
    if interpreter is not None:
        # Inside the unstable root, the interpreter's path names the root's file, not the host's.
        wanted["base"] = f"{root}:{interpreter}" if root else os.path.realpath(interpreter)
    return wanted


def _command(root: str, *command: str | Path) -> list[str]:
    argv = [str(part) for part in command]
    return unstable.command(argv, Path(root)) if root else argv


def _current(venv: Path, root: str) -> dict[str, str]:
    try:
        stamp: dict[str, str] = json.loads((venv / STAMP).read_text())
    except (OSError, ValueError):
        return {}
    python = venv / "bin" / "python"
    works = subprocess.run(
        _command(root, python, "-c", "pass"), capture_output=True, check=False
    ).returncode
    return stamp if works == 0 else {}


def ensure(
    venv: Path, python: str | None = None, extras: str = "docs,test,bench", root: str = ""
) -> Path:
    """Make *venv* ready (see the module docstring) and return its ``python``.

    With *root*, *python* is an interpreter inside that Debian unstable root, and the virtualenv
    is made and used there (*venv* must lie in the checkout, which the root sees at its own path).
    """
    wanted = _wanted(python, extras, root)
    current = _current(venv, root)
    if all(current.get(key) == value for key, value in wanted.items()):
        return venv / "bin" / "python"

    started = time.monotonic()
    if not current or current.get("base") != wanted.get("base", current.get("base")):
        interpreter = pythons.probe(python, root) if python else pythons.newest()
        if interpreter is None:
            raise SystemExit(f"{python} is not a working CPython 3.11 or newer")
        print(f"Creating {venv} with {interpreter}", flush=True)
        _run(root, interpreter.path, "-m", "venv", "--clear", venv)
        _run(root, venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        base = wanted["base"] if root else os.path.realpath(interpreter.path)
    else:
        base = current["base"]
    print(
        f"Installing companion[{extras}] into {venv} (a minute or two the first time)", flush=True
    )
    _run(
        root, venv / "bin" / "python", "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[{extras}]"
    )
    stamp = {**wanted, "base": base}
    (venv / STAMP).write_text(json.dumps(stamp, indent=2) + "\n")
    print(f"{venv} is ready ({time.monotonic() - started:.0f} s)", flush=True)
    return venv / "bin" / "python"


def _run(root: str, *command: str | Path) -> None:
    subprocess.run(_command(root, *command), check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--venv", type=Path, default=ROOT / ".venv")
    parser.add_argument("--python", help="the interpreter to build the virtualenv from")
    parser.add_argument("--extras", default="docs,test,bench")
    arguments = parser.parse_args(argv)
    try:
        ensure(arguments.venv, arguments.python or None, arguments.extras)
    except subprocess.CalledProcessError as error:
        print(f"booktools.make.venv: {error}", file=sys.stderr)
        return 1
    except LookupError as error:
        print(f"booktools.make.venv: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
