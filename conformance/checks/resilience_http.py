"""Resilience of the HTTP stream clients: a Responses stream cut before its terminal event is
resumed where it stopped (PROTOCOL.md §6; `GET /v1/responses/{id}?stream=true&starting_after=N`
with N the last sequence_number received), not restarted with a new request.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs

from realtime_conformance.conformance.checks.grammar_rules import obj
from realtime_conformance.conformance.checks.http_streams import TERMINAL
from realtime_conformance.conformance.checks.registry import BoundCheck, Violation, check
from realtime_conformance.conformance.recording import CaseRecording


@dataclass(frozen=True)
class CutStream:
    response_id: str
    last_sequence: int
    t_ms: float
    index: int  # the last event's line: "after the cut" is by recording order, not the clock


def cut_streams(recording: CaseRecording) -> list[CutStream]:
    """Responses streams with a response id that stopped before their terminal event."""
    found, response_id, last, t_ms, index = [], None, None, 0.0, -1
    for entry in recording.on("openai"):
        event = entry.event or {}
        meta = entry.meta or {}
        if entry.direction == "server" and "sequence_number" in event:
            body = obj(event.get("response"))
            response_id = body.get("id", response_id)
            last, t_ms, index = event.get("sequence_number"), entry.t_ms or 0.0, entry.index
            if event.get("type") in TERMINAL:
                response_id = last = None
        elif meta.get("kind") == "http_request" and response_id and isinstance(last, int):
            found.append(CutStream(str(response_id), last, t_ms, index))
            response_id = last = None
    if response_id and isinstance(last, int):
        found.append(CutStream(str(response_id), last, t_ms, index))
    return found


def _resume_of(recording: CaseRecording, cut: CutStream) -> tuple[str, str] | None:
    """(path, query) of the first request after the cut, or None."""
    for entry in recording.openai_meta("http_request"):
        meta = entry.meta or {}
        if entry.index > cut.index:
            return str(meta.get("path", "")), str(meta.get("query", ""))
    return None


@check(
    "resilience.resumes_stream",
    "resilience",
    "MUST",
    "When a Responses stream is cut before its terminal event, the client MUST resume it with "
    "GET /v1/responses/{{id}}?stream=true&starting_after=N, N being the last sequence_number it "
    "received: a new request would generate (and bill) the answer again, and events would be "
    "lost or repeated.",
)
def resumes_stream(bound: BoundCheck) -> Iterator[Violation]:
    for cut in cut_streams(bound.recording):
        expected = (
            f"GET /v1/responses/{cut.response_id}?stream=true&starting_after={cut.last_sequence}",
        )
        resume = _resume_of(bound.recording, cut)
        if resume is None:
            yield Violation(expected, "timeout: no request after the cut", cut.t_ms)
            continue
        path, query = resume
        params = {key: values[-1] for key, values in parse_qs(query).items()}
        if not path.endswith(f"/responses/{cut.response_id}"):
            yield Violation(expected, f"a request to {path} instead", cut.t_ms)
        elif params.get("starting_after") != str(cut.last_sequence):
            after = params.get("starting_after", "(none)")
            yield Violation(expected, f"resumed with starting_after={after}", cut.t_ms)
