"""How a Responses or Chat request ended, and whether the client told its application so.

The outcome is read from the OpenAI wire after the case's last HTTP request (a retry or a
resume is the last one): the answer completed (`response.completed` or `response.incomplete`,
Chat's `[DONE]` after no error chunk) or it did not (an error answer, a mid-stream `error`,
`response.failed`, Chat's `{"error": ...}` chunk, a stream that just stopped). The client's
error events are the driver's reports named `...Error` (conformance.drivers.base: a driver
reports the client's own events).
"""

from __future__ import annotations

from collections.abc import Iterator

from conformance.checks.registry import BoundCheck, Violation, check
from conformance.recording import CaseRecording, Entry

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


def _last_request(recording: CaseRecording) -> Entry | None:
    requests = recording.openai_meta("http_request")
    return requests[-1] if requests else None


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
    recording = bound.recording
    last = _last_request(recording)
    if last is None:
        return
    start = last.t_ms or 0.0
    lines = [e for e in recording.on("openai") if (e.t_ms or 0.0) >= start and e is not last]
    outcome = _outcome(lines)
    errors = _error_reports(recording, start)
    if outcome == "completed" and errors:
        meta = errors[0].meta or {}
        actual = f"the client reported {meta.get('name')}"
        detail = str(meta.get("data"))[:200]
        expected = ("no error event: the answer completed",)
        yield Violation(expected, actual, errors[0].t_ms, detail=detail)
    elif outcome != "completed" and not errors:
        yield Violation((f"an error event after {outcome}",), "no error event reported", start)
