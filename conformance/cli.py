"""`realtime-conformance`: the command-line entry point."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from conformance.checks.schema import SchemaReport, check_schema
from conformance.reporting.options import add_report_arguments
from conformance.run_options import add_run_arguments
from fixtures import EXAMPLE_TRANSCRIPT
from mockserver.cli import add_serve_arguments, run_serve
from rtproto.transcript import parse_lines
from rtproto.validation import EventValidator

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="realtime-conformance",
        description="Conformance harness for OpenAI Realtime, Responses and Chat stream clients.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    validate = commands.add_parser(
        "validate",
        help="check every event of recorded transcripts (JSONL) against the schemas",
        description=(
            "Check every event of one or more transcripts against the schemas. A transcript has "
            'one JSON event per line, or {"dir": ..., "event": ...} records. Without a '
            "transcript, the bundled example is checked. Exit status 1 if any event is invalid."
        ),
    )
    validate.add_argument("transcripts", nargs="*", type=Path, metavar="TRANSCRIPT")
    validate.add_argument(
        "--api",
        choices=["realtime", "responses", "chat"],
        help="API of the events (default: told from each event's shape)",
    )
    validate.add_argument(
        "--dialect",
        choices=["ga", "beta"],
        help="Realtime dialect (default: from the handshake, else the event names)",
    )
    validate.add_argument("--format", choices=["text", "json"], default="text")
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
    return parser


def summary_line(report: SchemaReport) -> str:
    apis = ", ".join(
        sorted(
            f"{api} {report.dialect.upper()}" if api == "realtime" else api for api in report.apis
        )
    )
    skipped = sum(report.skipped.values())
    verdict = "OK" if report.ok else f"{len(report.invalid_lines)} invalid line(s)"
    parts = [f"{report.events_checked} events checked" + (f" ({apis})" if apis else "")]
    if skipped:
        reasons = "; ".join(f"{count} {reason}" for reason, count in sorted(report.skipped.items()))
        parts.append(f"{skipped} lines skipped: {reasons}")
    return f"{report.source}: {', '.join(parts)}: {verdict}"


def write_text(reports: list[SchemaReport], out: TextIO) -> None:
    for report in reports:
        print(summary_line(report), file=out)
        for problem in report.problems:
            print(f"  {report.source}:{problem}", file=out)


def write_json(reports: list[SchemaReport], out: TextIO) -> None:
    document = [
        {
            "source": report.source,
            "ok": report.ok,
            "events_checked": report.events_checked,
            "dialect": report.dialect,
            "apis": sorted(report.apis),
            "skipped": dict(report.skipped),
            "problems": [
                {
                    "line": p.line,
                    "event": p.problem.event,
                    "path": p.problem.path,
                    "kind": p.problem.kind,
                    "expected": p.problem.expected,
                    "actual": p.problem.actual,
                }
                for p in report.problems
            ],
        }
        for report in reports
    ]
    json.dump(document, out, indent=2, ensure_ascii=False)
    out.write("\n")


def run_validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    paths: list[Path] = args.transcripts
    if not paths:
        print(
            f"no transcript given: checking the bundled example {EXAMPLE_TRANSCRIPT.name}", file=err
        )
        paths = [EXAMPLE_TRANSCRIPT]
    validator = EventValidator()
    reports = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            print(f"realtime-conformance: cannot read {path}: {error.strerror}", file=err)
            return EXIT_USAGE
        lines = parse_lines(text.splitlines())
        reports.append(
            check_schema(lines, validator, source=str(path), api=args.api, dialect=args.dialect)
        )
    (write_json if args.format == "json" else write_text)(reports, out)
    return EXIT_OK if all(report.ok for report in reports) else EXIT_INVALID


def main(
    argv: Sequence[str] | None = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr
) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "validate":
        return run_validate(args, out, err)
    if args.command == "serve":
        return run_serve(args, out, err)
    if args.command == "run":
        from conformance.run_command import run_run  # noqa: PLC0415 - keeps --help light

        return run_run(args, out, err)
    if args.command == "report":
        from conformance.reporting.command import run_report  # noqa: PLC0415 - as for run

        return run_report(args, out, err)
    raise AssertionError(f"unhandled command {args.command}")  # argparse rejects unknown ones


if __name__ == "__main__":
    sys.exit(main())
