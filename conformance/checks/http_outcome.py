"""How a Responses or Chat request ended, and whether the client told its application so.

The outcome of each HTTP request is read from the OpenAI wire up to the next request (a retry
or a resume is the next one): the answer completed (`response.completed` or `response.incomplete`,
Chat's `[DONE]` after no error chunk) or it did not (an error answer, a mid-stream `error`,
`response.failed`, Chat's `{"error": ...}` chunk, a stream that just stopped). The client's
error events are the driver's reports named `...Error` (conformance.drivers.base: a driver
reports the client's own events).
"""

from __future__ import annotations

from collections.abc import Iterator

from realtime_conformance.conformance.checks.registry import BoundCheck, Violation, check
from realtime_conformance.conformance.recording import CaseRecording, Entry

COMPLETED = frozenset({"response.completed", "response.incomplete"})
FAILED = frozenset({"error", "response.failed"})


def _outcome(lines: list[Entry]) -> str | None:
    """'completed', or why the answer did not complete (None: no answer at all)."""
    ending = None
    for entry in lines:
        meta = entry.meta or {}
        event = entry.event or {}
        if meta.get("kind") == "http_response" and int(meta.get("status") or 0) >= 400:
            return f"HTTP {meta.get('status')}"
        if entry.record.get("done") is True:
            ending = ending or "completed"
        elif event.get("type") in FAILED or ("error" in event and "object" not in event):
            return f"a failure event ({event.get('type') or 'error chunk'})"
        elif event.get("type") in COMPLETED:
            ending = "completed"
    return ending or "a stream that stopped before its end"


def _answers(recording: CaseRecording) -> list[tuple[Entry, list[Entry], float]]:
    """Each HTTP request with the OpenAI-wire lines of its answer and when the next request
    began (requests of one case run one after another)."""
    requests = recording.openai_meta("http_request")
    ends = [r.t_ms or 0.0 for r in requests[1:]] + [float("inf")]
    wire = recording.on("openai")
    answers = []
    for request, end in zip(requests, ends, strict=True):
        start = request.t_ms or 0.0
        lines = [e for e in wire if start <= (e.t_ms or 0.0) < end and e is not request]
        answers.append((request, lines, end))
    return answers


def _error_reports(recording: CaseRecording, after_ms: float) -> list[Entry]:
    return [
        entry
        for entry in recording.on("driver")
        if (entry.meta or {}).get("kind") == "report"
        and str((entry.meta or {}).get("name", "")).endswith("Error")
        and (entry.t_ms or 0.0) >= after_ms
    ]


@check(
    "http.reports_outcome",
    "resilience",
    "MUST",
    "A Responses or Chat Completions client MUST tell its application how a request ended: an "
    "error event when the answer failed, was refused for good, or was cut and not resumed to "
    "its end; no error event when the answer completed. A cut or failed answer taken as "
    "complete is a wrong answer given to the caller.",
)
def reports_outcome(bound: BoundCheck) -> Iterator[Violation]:
    """Every completed answer: no error event before the next request. The last answer, when it
    did not complete: an error event after it (an earlier one was followed by the client's
    retry or resume, which other checks judge)."""
    answers = _answers(bound.recording)
    for number, (request, lines, end) in enumerate(answers, 1):
        start = request.t_ms or 0.0
        outcome = _outcome(lines)
        errors = [e for e in _error_reports(bound.recording, start) if (e.t_ms or 0.0) < end]
        if outcome == "completed" and errors:
            meta = errors[0].meta or {}
            actual = f"the client reported {meta.get('name')}: {str(meta.get('data'))[:200]}"
            expected = ("no error event: the answer completed",)
            yield Violation(expected, actual, errors[0].t_ms, detail=f"request {number}")
        elif outcome != "completed" and not errors and number == len(answers):
            expected = (f"an error event after {outcome}",)
            yield Violation(expected, "no error event reported", start, detail=f"request {number}")
