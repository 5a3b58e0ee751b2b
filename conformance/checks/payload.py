"""Payload checks: what the client sends is valid against schemas/ (and the real API's rules).

Realtime and Responses-WebSocket client events are judged by the schema check
(conformance.checks.schema, the same code as `realtime-conformance validate`) in the case's
dialect; the API of an event is the API of the connection it was sent on (the handshake path).
HTTP request bodies (Responses, Chat) are judged by the request rules the mock answers with
(rtproto.server.*.request), which word the real API's error for each fault.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from realtime_conformance.conformance.checks.registry import BoundCheck, Violation, check
from realtime_conformance.conformance.checks.schema import check_schema
from realtime_conformance.conformance.recording import CaseRecording, Entry
from realtime_conformance.rtproto.api_errors import ApiError
from realtime_conformance.rtproto.catalogue import Api
from realtime_conformance.rtproto.server.chat.request import parse_chat_request
from realtime_conformance.rtproto.server.responses.request import parse_create_request
from realtime_conformance.rtproto.validation import EventValidator


@cache
def validator() -> EventValidator:
    return EventValidator()


def client_events_by_api(recording: CaseRecording) -> dict[Api, list[Entry]]:
    """Client events and frames on the OpenAI wire, grouped by the API of their connection."""
    groups: dict[Api, list[Entry]] = {}
    for api, entry in recording.by_api():
        if entry.direction == "client" and (entry.event is not None or entry.frame):
            groups.setdefault(api, []).append(entry)
    return groups


def _frame_violation(entry: Entry) -> Violation:
    frame = entry.frame or {}
    size = frame.get("size_bytes", len(str(frame.get("data", ""))))
    return Violation(
        ("a text frame holding one JSON event object",),
        f"a {str(frame.get('opcode', '')).lower()} frame of {size} bytes that is no JSON event",
        entry.t_ms,
        detail=f"recording line {entry.line.number}",
    )


@check(
    "payload.client_events",
    "payload",
    "MUST",
    "Every event the client sends MUST be a JSON text frame valid against the schema of its "
    "type in the session's dialect (GA or beta; schemas/): the real API rejects anything else "
    "with an error and ignores the event.",
)
def client_events(bound: BoundCheck) -> Iterator[Violation]:
    dialect = bound.ctx.dialect
    for api, entries in client_events_by_api(bound.recording).items():
        by_line = {entry.line.number: entry for entry in entries}
        events = [entry for entry in entries if entry.event is not None]
        yield from (_frame_violation(entry) for entry in entries if entry.event is None)
        report = check_schema(
            [entry.line for entry in events],
            validator(),
            api=api,
            dialect=dialect if api == "realtime" else "",
        )
        for found in report.problems:
            entry = by_line[found.line]
            problem = found.problem
            yield Violation(
                (problem.expected,),
                f"{problem.event} at {problem.path}: {problem.actual}",
                entry.t_ms,
                detail=f"recording line {found.line}",
            )


def _request_problem(meta: dict[str, Any]) -> str | None:
    body, path = meta.get("body"), str(meta.get("path", ""))
    if meta.get("method") != "POST" or not isinstance(body, dict):
        return None
    try:
        if path.endswith("/chat/completions"):
            parse_chat_request(body)
        elif path.endswith("/responses"):
            parse_create_request(body)
    except ApiError as error:
        return f"HTTP {error.status} {error.code or error.type}: {error.message}"
    return None


@check(
    "payload.http_requests",
    "payload",
    "MUST",
    "Every Responses and Chat Completions request body MUST be one the real API accepts "
    "(known parameters, required fields, valid values): otherwise it answers HTTP 400.",
)
def http_requests(bound: BoundCheck) -> Iterator[Violation]:
    for entry in bound.recording.openai_meta("http_request"):
        problem = _request_problem(entry.meta or {})
        if problem is not None:
            yield Violation(
                ("a request body the real API accepts",),
                problem,
                entry.t_ms,
                detail=f"{(entry.meta or {}).get('path')} at recording line {entry.line.number}",
            )
