"""Run the book's examples and the companion tests under every supported Python on this machine.

``make matrix`` runs this. For each interpreter that :mod:`booktools.make.pythons` finds (3.11 and
newer, pyenv installs included) it keeps a virtualenv in ``.venv-matrix/<version>``, runs pytest
(the companion tests and every book example, through Sybil) and Sphinx's doctest builder (every
book example again), then prints which versions it found, which it ran, and how each went. It exits
non-zero if any run failed or if no interpreter was found. Standard library only.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from booktools.make import pythons, venv

__all__ = ["main"]

ROOT = Path(__file__).resolve().parents[2]


def _step(title: str, command: list[str]) -> bool:
    print(f"\n--- {title}: {' '.join(command)}", flush=True)
    return subprocess.run(command, cwd=ROOT, check=False).returncode == 0


def run_one(interpreter: pythons.Interpreter) -> dict[str, bool]:
    """Run pytest and the doctest builder under *interpreter*; say which passed."""
    env = ROOT / ".venv-matrix" / interpreter.minor
    python = str(venv.ensure(env, interpreter.path))
    build = f"_build/matrix/{interpreter.minor}"
    return {
        "pytest": _step(f"{interpreter.minor} pytest", [python, "-m", "pytest", "-q"]),
        "doctest": _step(
            f"{interpreter.minor} Sphinx doctest",
            [
                python,
                "-m",
                "booktools.make.recipes",
                "doctest",
                "--quiet",
                "--doctrees",
                f"{build}/doctrees",
                "--out",
                f"{build}/doctest",
            ],
        ),
    }


def main() -> int:
    found = pythons.find()
    print("Found:", ", ".join(str(i) for i in found) or "nothing", flush=True)
    if not found:
        return 1
    # MATRIX_SKIP=3.13 leaves out versions already checked the same way, as .ci/run does for the
    # version of .venv, which `make test` has just run pytest and the doctest builder under.
    skip = {
        minor.strip() for minor in os.environ.get("MATRIX_SKIP", "").split(",") if minor.strip()
    }
    results: dict[str, dict[str, bool]] = {}
    for interpreter in sorted(found):
        if interpreter.minor in skip:
            print(f"--- {interpreter.minor} skipped: MATRIX_SKIP names it", flush=True)
            continue
        started = time.monotonic()
        results[interpreter.minor] = run_one(interpreter)
        print(f"--- {interpreter.minor} took {time.monotonic() - started:.0f} s", flush=True)
    print("\nMatrix summary")
    print(f"{'Python':<8}{'pytest':<8}{'doctest':<8}")
    for minor, outcome in results.items():
        cells = "".join(f"{'ok' if ok else 'FAILED':<8}" for ok in outcome.values())
        print(f"{minor:<8}{cells}")
    print("Ran:", ", ".join(results))
    return 0 if all(all(outcome.values()) for outcome in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
