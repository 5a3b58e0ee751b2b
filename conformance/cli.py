"""`realtime-conformance`: the command-line entry point."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

from realtime_conformance.conformance.record.command import add_record_arguments
from realtime_conformance.conformance.reporting.options import add_report_arguments
from realtime_conformance.conformance.run_options import add_run_arguments
from realtime_conformance.conformance.scenario_command import add_scenario_arguments
from realtime_conformance.conformance.validate_command import add_validate_arguments, run_validate
from realtime_conformance.mockserver.cli import add_serve_arguments, run_serve
from realtime_conformance.mockserver.cli_checks import UsageParser

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = UsageParser(
        prog="realtime-conformance",
        description="Conformance harness for OpenAI Realtime, Responses and Chat stream clients.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    validate = commands.add_parser(
        "validate",
        help="check every event of recorded transcripts (JSONL) against the schemas",
        description=(
            "Check every event of one or more transcripts against the schemas. A transcript has "
            'one JSON event per line, or {"dir": ..., "event": ...} records; - reads standard '
            "input. Without a transcript, the bundled example is checked. Exit status 2 when "
            "any file could not be read, else 1 when any line is invalid or malformed or a "
            "transcript checked nothing (unless --allow-empty), else 0."
        ),
    )
    add_validate_arguments(validate)
    serve = commands.add_parser(
        "serve",
        help="run the mock OpenAI Realtime server until stopped",
        description="Run the mock server on 127.0.0.1; print its URL on one line; stop on SIGINT.",
    )
    add_serve_arguments(serve)
    run = commands.add_parser(
        "run",
        help="run the conformance suite against a client (default: the reference client)",
        description=(
            "Run the conformance cases against a client under test, with the mock server and "
            "the virtual call on loopback; write results.json and junit.xml to reports/<run-id>/ "
            "(or --output). Exit status 0 when no MUST case failed, 1 otherwise, 2 for a usage "
            "error."
        ),
    )
    add_run_arguments(run)
    report = commands.add_parser(
        "report",
        help="re-render a run's reports (HTML, CTRF, JUnit) or compare two runs",
        description=(
            "Render index.html, a page per case, ctrf.json and junit.xml from a run's "
            "results.json and recordings; or, with --compare OLD NEW, print what changed "
            "between two runs, new failures first (exit status 1 when there are new failures)."
        ),
    )
    add_report_arguments(report)
    record = commands.add_parser(
        "record",
        help="record a client and a server through a proxy, or make a scenario of a transcript",
        description=(
            "With --upstream URL: a recording proxy between a client and a Realtime, Responses "
            "or Chat server (WebSocket and HTTP/SSE), one transcript per connection in --output "
            "(secrets redacted); stop it with SIGINT. With --to-scenario TRANSCRIPT: print a "
            "replay scenario of that transcript (YAML)."
        ),
    )
    add_record_arguments(record)
    scenario = commands.add_parser(
        "scenario",
        help="work with scenario files: lint",
        description="Work with scenario files (the format: schemas/scenario.schema.json).",
    )
    add_scenario_arguments(scenario)
    return parser


def main(
    argv: Sequence[str] | None = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr
) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "validate":
        return run_validate(args, out, err)
    if args.command == "serve":
        return run_serve(args, out, err)
    if args.command == "run":
        from realtime_conformance.conformance.run_command import run_run  # noqa: PLC0415 - keeps --help light

        return run_run(args, out, err)
    if args.command == "record":
        from realtime_conformance.conformance.record.command import run_record  # noqa: PLC0415 - as for run

        return run_record(args, out, err)
    if args.command == "scenario":
        from realtime_conformance.conformance.scenario_command import run_scenario  # noqa: PLC0415 - as for run

        return run_scenario(args, out, err)
    if args.command == "report":
        from realtime_conformance.conformance.reporting.command import run_report  # noqa: PLC0415 - as for run

        return run_report(args, out, err)
    raise AssertionError(f"unhandled command {args.command}")  # argparse rejects unknown ones


if __name__ == "__main__":
    sys.exit(main())
