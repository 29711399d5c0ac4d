"""The command line of the benchmarks: ``python -m companion.bench loop [--quick] [--repeat N]``."""

from __future__ import annotations

import argparse
import sys

from companion.bench import loop

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Parse *argv* (default ``sys.argv[1:]``), run the benchmark it names; return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m companion.bench", description=__doc__)
    benchmarks = parser.add_subparsers(dest="benchmark", required=True)
    loop.add_arguments(benchmarks.add_parser("loop", help=loop.SUMMARY))
    args = parser.parse_args(argv)
    command = " ".join(["python -m companion.bench", *(sys.argv[1:] if argv is None else argv)])
    return loop.main(args, command=command)


if __name__ == "__main__":
    sys.exit(main())
