"""`realtime-conformance validate`: every event of transcripts against the schemas.

Every file that can be read is checked and reported, whatever happens to the others. The exit
status, in this order of precedence: 2 when any file could not be read (missing, a directory,
binary or not UTF-8), else 1 when any transcript has an invalid or malformed line or checked
nothing at all (an empty file, only meta lines; `--allow-empty` accepts that), else 0.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TextIO

from realtime_conformance.conformance.validate_formats import (
    FORMATS,
    NOTHING_CHECKED,
    Outcome,
    Unreadable,
)
from realtime_conformance.fixtures import EXAMPLE_TRANSCRIPT

if TYPE_CHECKING:  # loaded when validate runs: `realtime-conformance --help` stays light
    from realtime_conformance.conformance.checks.schema import SchemaReport
    from realtime_conformance.rtproto.validation import EventValidator

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
STDIN = "-"


def add_validate_arguments(validate: argparse.ArgumentParser) -> None:
    validate.add_argument(
        "transcripts",
        nargs="*",
        metavar="TRANSCRIPT",
        help="JSONL files; - reads standard input (default: the bundled example)",
    )
    validate.add_argument(
        "--api",
        choices=["realtime", "responses", "chat"],
        help="API of the events (default: a WebSocket's by its handshake path, else each "
        "event's shape)",
    )
    validate.add_argument(
        "--dialect",
        choices=["ga", "beta"],
        help="Realtime dialect (default: from the handshake, else the event names)",
    )
    validate.add_argument(
        "--format",
        choices=sorted(FORMATS),
        default="text",
        help="text (default), json (with totals and the harness version), junit (XML), "
        "github (Actions annotations: ::error file=...,line=...::)",
    )
    validate.add_argument(
        "--allow-empty",
        action="store_true",
        help="pass a transcript with no event to check (default: 'nothing checked' fails)",
    )


@dataclass(frozen=True)
class Source:
    name: str  # as given; "<stdin>" for -
    path: Path | None  # None: standard input


def read_text(source: Source, stdin: BinaryIO) -> str:
    """The transcript's text; OSError or ValueError (binary, not UTF-8) when it has none."""
    data = stdin.read() if source.path is None else source.path.read_bytes()
    if b"\0" in data[:8192]:
        raise ValueError("a binary file, not a JSONL transcript")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(
            f"not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start}): "
            "give a JSONL transcript"
        ) from None


def check_source(
    source: Source, args: argparse.Namespace, validator: EventValidator, stdin: BinaryIO
) -> SchemaReport | Unreadable:
    try:
        text = read_text(source, stdin)
    except IsADirectoryError:
        return Unreadable(source.name, "is a directory: give the transcript files in it")
    except OSError as error:
        return Unreadable(source.name, str(error.strerror or error))
    except ValueError as error:
        return Unreadable(source.name, str(error))
    from realtime_conformance.conformance.checks.schema import check_schema  # noqa: PLC0415 - see the imports
    from realtime_conformance.rtproto.transcript import parse_lines  # noqa: PLC0415

    lines = parse_lines(text.splitlines())
    return check_schema(lines, validator, source=source.name, api=args.api, dialect=args.dialect)


def sources(args: argparse.Namespace, err: TextIO) -> list[Source]:
    given: list[str] = args.transcripts
    if not given:
        print(
            f"no transcript given: checking the bundled example {EXAMPLE_TRANSCRIPT.name}", file=err
        )
        return [Source(str(EXAMPLE_TRANSCRIPT), EXAMPLE_TRANSCRIPT)]
    return [
        Source("<stdin>", None) if name == STDIN else Source(name, Path(name)) for name in given
    ]


def run_validate(
    args: argparse.Namespace, out: TextIO, err: TextIO, stdin: BinaryIO | None = None
) -> int:
    from realtime_conformance.conformance.checks.schema import SchemaReport  # noqa: PLC0415 - see the imports
    from realtime_conformance.rtproto.validation import EventValidator  # noqa: PLC0415

    validator = EventValidator()
    stdin = stdin if stdin is not None else sys.stdin.buffer
    results = [check_source(source, args, validator, stdin) for source in sources(args, err)]
    outcome = Outcome(
        [r for r in results if isinstance(r, SchemaReport)],
        [r for r in results if isinstance(r, Unreadable)],
        allow_empty=args.allow_empty,
    )
    for unreadable in outcome.unreadable:
        print(f"realtime-conformance validate: cannot read {unreadable}", file=err)
    for report in filter(outcome.empty, outcome.reports):
        print(f"realtime-conformance validate: {report.source}: {NOTHING_CHECKED}", file=err)
    FORMATS[args.format](outcome, out)
    if outcome.unreadable:
        return EXIT_USAGE
    return EXIT_OK if outcome.ok else EXIT_INVALID
