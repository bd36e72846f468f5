"""The reliability suite: fault-injection scenarios against the simulator, with figures.

Usage (from the repository root, with the project's virtual environment)::

    .venv/bin/python tests/reliability/run.py [--runs N] [--fast] [--seed S] [--scenarios 1,race,...] [--lanes N] [--output PATH]

It runs each scenario ``--runs`` times (default 3) with seeds derived from ``--seed``, and the hypothesis property
test, in ``--lanes`` lanes side by side (default 2, each with a simulator of its own), then prints a Markdown table
of the figures and writes it, with the command and the date, to docs/reliability.md. ``--fast`` runs a subset once
(for ``make test``); a subset (``--fast``, ``--scenarios``) writes no file unless ``--output`` is given. The exit
status is 1 if any run failed or any invariant count is not zero.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import report
import scenarios
from harness import REPO_ROOT
from suite import run_suite

DEFAULT_OUTPUT = REPO_ROOT / "docs" / "reliability.md"


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="tests/reliability/run.py", description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, help="runs of each scenario (default 3; with --fast 1)")
    parser.add_argument("--fast", action="store_true", help="a subset of the scenarios, once each, no property test")
    parser.add_argument("--seed", type=int, default=1, help="base seed (default 1)")
    parser.add_argument("--scenarios", help="comma-separated scenario numbers or names, e.g. 1,race,16")
    parser.add_argument("--no-properties", action="store_true", help="leave out the hypothesis property test")
    parser.add_argument("--output", type=Path, help=f"where the table goes (default {DEFAULT_OUTPUT.relative_to(REPO_ROOT)} for a full run)")
    parser.add_argument("--lanes", type=int, default=2, help="scenarios run side by side, each lane with a simulator of its own (default 2)")
    parser.add_argument("--keep-files", action="store_true", help="keep the runs' files even when everything passed")
    args = parser.parse_args(argv)
    if args.runs is None:
        args.runs = 1 if args.fast else 3
    if args.runs < 1:
        parser.error("--runs must be 1 or more")
    if args.lanes < 1:
        parser.error("--lanes must be 1 or more")
    return args


def say(line: str) -> None:
    """Print one line of progress at once."""
    print(line, flush=True)


def main(argv: list[str]) -> int:
    """Run the suite; 0 when every run passed with every invariant count zero."""
    args = parse_args(argv)
    try:
        chosen = scenarios.select(args.scenarios, args.fast)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    partial = bool(args.fast or args.scenarios)
    started = time.monotonic()
    rows, workroot = run_suite(chosen, args.runs, args.seed, properties=not partial and not args.no_properties, say=say, lanes=args.lanes, fast=args.fast)
    wall = time.monotonic() - started
    clear = report.all_clear(rows)
    command = " ".join([".venv/bin/python tests/reliability/run.py", *argv])
    print()
    print(report.table(rows))
    print()
    print(f"wall time: {wall:.0f} s ({wall / 60:.1f} min, {args.lanes} lane(s)); {report.timings(rows)}")
    output = args.output or (None if partial else DEFAULT_OUTPUT)
    if output is not None:
        report.write_document(output, report.document(rows, command, wall, args.lanes))
        print(f"written to {output}")
    if clear and not args.keep_files:
        shutil.rmtree(workroot, ignore_errors=True)
    else:
        print(f"the runs' files (outputs, results) are kept under {workroot}")
    print("reliability: all passed" if clear else "reliability: FAILED")
    return 0 if clear else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
