"""`realtime-conformance scenario lint FILES...`: the scenario loader's messages from the shell.

Each problem is one `file:line:col: field: message` line (with a did-you-mean where one is
close), every file's at once. Exit status: 2 when a file could not be read, else 1 when any
has problems, else 0.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def add_scenario_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="scenario_action", required=True, metavar="ACTION")
    lint = actions.add_parser(
        "lint",
        help="check scenario files (YAML) as the mock server loads them",
        description="Check scenario files against schemas/scenario.schema.json and the event "
        "catalogue; print each problem as file:line:col. Directories are searched for *.yaml. "
        "Exit status 2 when a file could not be read, else 1 when any has problems, else 0.",
    )
    lint.add_argument("files", nargs="+", type=Path, metavar="FILE")


def scenario_files(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        found += sorted(path.rglob("*.yaml")) if path.is_dir() else [path]
    return found


def lint_file(path: Path, out: TextIO, err: TextIO) -> int:
    from realtime_conformance.rtproto.scenario import ScenarioError, parse_scenario  # noqa: PLC0415 - --help stays light

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        print(f"realtime-conformance scenario lint: cannot read {path}: {error.strerror}", file=err)
        return EXIT_USAGE
    except UnicodeDecodeError:
        print(f"realtime-conformance scenario lint: {path} is not UTF-8 text", file=err)
        return EXIT_USAGE
    try:
        scenario = parse_scenario(text, str(path))
    except ScenarioError as error:
        for problem in error.problems:
            print(problem, file=out)
        return EXIT_PROBLEMS
    print(f"{path}: scenario {scenario.id} ({scenario.api}): OK", file=out)
    return EXIT_OK


def run_scenario(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    statuses = [lint_file(path, out, err) for path in scenario_files(args.files)]
    return max(statuses, default=EXIT_OK)
