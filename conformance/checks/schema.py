"""Schema check: every event of a transcript against schemas/, line by line."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from realtime_conformance.rtproto.catalogue import Api, Catalogue
from realtime_conformance.rtproto.transcript import (
    TranscriptLine,
    api_of_event,
    api_of_opening,
    dialect_from_handshake,
)
from realtime_conformance.rtproto.validation import EventValidator, Problem


@dataclass(frozen=True)
class LineProblem:
    line: int
    problem: Problem

    def __str__(self) -> str:
        return f"line {self.line}: {self.problem}"


@dataclass
class SchemaReport:
    """What the schema check found in one transcript."""

    source: str
    events_checked: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    problems: list[LineProblem] = field(default_factory=list)
    apis: set[str] = field(default_factory=set)
    dialect: str = ""

    @property
    def invalid_lines(self) -> list[int]:
        return sorted({problem.line for problem in self.problems})

    @property
    def ok(self) -> bool:
        return not self.problems


def dialect_from_event_names(lines: list[TranscriptLine], catalogue: Catalogue) -> str | None:
    """The dialect that the first dialect-specific event type in the stream belongs to."""
    ga = {spec.type for spec in catalogue.events("realtime", "ga")}
    beta = {spec.type for spec in catalogue.events("realtime", "beta")}
    for line in lines:
        event_type = line.event.get("type") if isinstance(line.event, dict) else None
        if event_type in beta - ga:
            return "beta"
        if event_type in ga - beta:
            return "ga"
    return None


def detect_dialect(lines: list[TranscriptLine], catalogue: Catalogue) -> str:
    """Realtime dialect of a transcript: the handshake says, else the event names, else GA."""
    for line in lines:
        if line.meta is not None:
            stated = dialect_from_handshake(line.meta)
            if stated is not None:
                return stated
    return dialect_from_event_names(lines, catalogue) or "ga"


def _api_of(event: object, socket_api: Api) -> Api:
    """An HTTP stream's event by its shape; else the API of the WebSocket it came on."""
    shaped = api_of_event(event) if isinstance(event, dict) else "realtime"
    return shaped if shaped != "realtime" else socket_api


DIRECTIONS = ("client", "server", "meta")


def _malformed(line: TranscriptLine) -> Problem | None:
    """A line that is no transcript record: not JSON, or a record with an unknown `dir`."""
    if line.syntax_error is not None:
        return Problem("transcript line", "$", "other", "one JSON object", line.syntax_error)
    if "dir" in line.record and line.record["dir"] not in DIRECTIONS:
        expected = " or ".join(map(repr, DIRECTIONS))
        return Problem("transcript record", "$.dir", "value", expected, repr(line.record["dir"]))
    return None


def _skip_reason(line: TranscriptLine) -> str | None:
    if line.syntax_error is not None:
        return None
    if line.event is None:
        return "not an event (handshake, close, non-JSON frame or [DONE])"
    if line.is_partial:
        return "partial (summarised frame, not schema-complete)"
    return None


def _direction_problem(line: TranscriptLine, expected: str, label: str) -> Problem | None:
    if line.direction in ("client", "server") and line.direction != expected:
        return Problem(
            label,
            "$",
            "other",
            f"sent by the {expected}",
            f"recorded as sent by the {line.direction}",
        )
    return None


def check_schema(
    lines: Iterable[TranscriptLine],
    validator: EventValidator,
    *,
    source: str = "<transcript>",
    api: Api | None = None,
    dialect: str | None = None,
) -> SchemaReport:
    """Validate every event line; lines that are no events, or only summaries, are counted apart."""
    lines = list(lines)
    report = SchemaReport(source)
    report.dialect = dialect or detect_dialect(lines, validator.catalogue)
    socket_api: Api = "realtime"  # a WebSocket's API, by its handshake's path
    for line in lines:
        malformed = _malformed(line)
        if malformed is not None:
            report.problems.append(LineProblem(line.number, malformed))
            continue
        socket_api = (api_of_opening(line.meta) if line.meta else None) or socket_api
        reason = _skip_reason(line)
        if reason is not None:
            report.skipped[reason] += 1
            continue
        event_api = api or _api_of(line.event, socket_api)
        report.apis.add(event_api)
        event_dialect = report.dialect if event_api == "realtime" else ""
        report.events_checked += 1
        problems = validator.validate(line.event, event_api, event_dialect)
        spec = None if problems else validator.spec_of(line.event, event_api, event_dialect)
        if spec is not None:
            direction = _direction_problem(line, spec.direction, spec.label)
            problems = [direction] if direction else []
        report.problems.extend(LineProblem(line.number, problem) for problem in problems)
    return report
