"""The options of `realtime-conformance run` (light: `--help` imports no network code)."""

from __future__ import annotations

import argparse
from pathlib import Path

from realtime_conformance.conformance.connector_options import add_connector_arguments
from realtime_conformance.mockserver.cli_checks import non_negative

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
REPORTS_DIR = Path("reports")
DEFAULT_CONCURRENCY = 16  # cases at once in one loop: real-time cases mostly wait


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--client",
        metavar="MODULE:FACTORY",
        help="the client under test: a Python driver factory (default: the reference client)",
    )
    parser.add_argument(
        "--client-cmd",
        metavar="CMD",
        help="the client under test as a command: one child process per case, driven by JSON "
        "lines on stdin/stdout (docs/reference/driver-interface.md)",
    )
    parser.add_argument(
        "--case",
        action="append",
        default=[],
        metavar="PATTERN",
        help="case ids to run, fnmatch patterns (5.4.*, 5.4 = 5.4.*); repeatable; default: all",
    )
    parser.add_argument("--strict", action="store_true", help="add the SHOULD-level cases")
    parser.add_argument("--dialect", choices=["ga", "beta", "both"], default="both")
    parser.add_argument("--output", type=Path, metavar="DIR", help="default: reports/<run-id>/")
    parser.add_argument(
        "--deviations", type=Path, metavar="FILE", help="the client's known deviations (YAML)"
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=DEFAULT_CONCURRENCY,
        metavar="N",
        help=f"cases run at once in one event loop (default {DEFAULT_CONCURRENCY})",
    )
    parser.add_argument("--list", action="store_true", help="list the chosen cases; run nothing")
    parser.add_argument(
        "--seed",
        type=non_negative(int),
        metavar="N",
        help="seed of the mock's ids and text (default: a fresh one, in results.json's run.seed; "
        "give it back to replay a run)",
    )
    add_connector_arguments(parser.add_argument)  # --connector-cmd, --connector-url, ...
