"""The command line of the benchmarks: ``python -m companion.bench loop [--quick] [--repeat N]``."""

from __future__ import annotations

import argparse
import sys

from companion.bench import convoy, io, loop, workers

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Parse *argv* (default ``sys.argv[1:]``), run the benchmark it names; return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m companion.bench", description=__doc__)
    benchmarks = parser.add_subparsers(dest="benchmark", required=True)
    loop.add_arguments(benchmarks.add_parser("loop", help=loop.SUMMARY))
    workers.add_arguments(benchmarks.add_parser("workers", help=workers.SUMMARY))
    io.add_arguments(benchmarks.add_parser("io", help=io.SUMMARY))
    convoy.add_arguments(benchmarks.add_parser("convoy", help=convoy.SUMMARY))
    args = parser.parse_args(argv)
    command = " ".join(["python -m companion.bench", *(sys.argv[1:] if argv is None else argv)])
    run = {"loop": loop.main, "workers": workers.main, "io": io.main, "convoy": convoy.main}[
        args.benchmark
    ]
    return run(args, command=command)


if __name__ == "__main__":
    sys.exit(main())
