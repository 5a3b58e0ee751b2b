"""Resilience: the client survives the faults a case injects, as the case says.

Faults are found on the wire itself (pure): a server frame that is not JSON (malformed), a
server event of a type the dialect does not have (unknown event), a server event_id sent twice
(duplicate), `error` events of type `server_error` or code `rate_limit_exceeded` /
`session_expired`, a server close or abort (drop), an HTTP 429 or 5xx. Faults that leave no
mark of their own (reorder, stall) are placed by the case: `expect: {fault_after: <server event
type>}` marks the first such event as the fault.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from realtime_conformance.conformance.checks.grammar_rules import ga_type, obj
from realtime_conformance.conformance.checks.payload import validator
from realtime_conformance.conformance.checks.registry import BoundCheck, Violation, check
from realtime_conformance.conformance.recording import CaseRecording, Entry
from realtime_conformance.rtproto.catalogue import Api

SURVIVABLE = ("malformed", "unknown_event", "duplicate", "server_error", "rate_limit", "marked")
CONNECTION_LOST = ("drop", "session_expired")


@dataclass(frozen=True)
class Fault:
    t_ms: float
    kind: str
    what: str
    index: int = -1  # its line in the recording: "after it" is by wire order, since the
    # 0.1 ms timestamps of a burst (a late pacer catching up) may be equal


def _unknown_type(event: dict[str, object], api: Api, dialect: str) -> bool:
    if api == "chat":  # chunks have no type
        return False
    kind = str(event.get("type"))
    return validator().catalogue.lookup(api, kind, dialect if api == "realtime" else "") is None


def _event_fault(
    event: dict[str, object], api: Api, dialect: str, seen: set[object]
) -> Fault | None:
    kind = ga_type(event)
    error = obj(event.get("error"))
    event_id = event.get("event_id")
    if kind == "error" and error.get("code") == "session_expired":
        return Fault(0, "session_expired", "session_expired error")
    if kind == "error" and error.get("code") == "rate_limit_exceeded":
        return Fault(0, "rate_limit", "rate_limit_exceeded error")
    if kind == "error" and error.get("type") == "server_error":
        return Fault(0, "server_error", "server_error error")
    if event_id is not None and event_id in seen:
        return Fault(0, "duplicate", f"a duplicate of {kind} {event_id}")
    seen.add(event_id)
    if _unknown_type(event, api, dialect):
        return Fault(0, "unknown_event", f"an event of unknown type {event.get('type')!r}")
    return None


def _meta_fault(meta: dict[str, object]) -> Fault | None:
    if meta.get("kind") in ("close", "abort") and meta.get("from") == "server":
        return Fault(0, "drop", f"a server {meta.get('kind')} (code {meta.get('code')})")
    status = meta.get("status")
    if meta.get("kind") == "http_response" and isinstance(status, int):
        if status == 429:
            return Fault(0, "rate_limit_http", "HTTP 429")
        if status >= 500:
            return Fault(0, "server_error", f"HTTP {status}")
    return None


def _fault_of(
    entry: Entry, api: Api, dialect: str, seen: set[object], marker: str | None
) -> Fault | None:
    found = None
    if entry.direction == "server" and entry.frame is not None:
        found = Fault(0, "malformed", "a server frame that is not a JSON event")
    elif entry.direction == "server" and entry.event is not None:
        found = _event_fault(entry.event, api, dialect, seen)
        if found is None and marker is not None and entry.event.get("type") == marker:
            found = Fault(0, "marked", f"the fault placed after {marker}")
    elif entry.meta is not None:
        found = _meta_fault(entry.meta)
    return Fault(entry.t_ms or 0.0, found.kind, found.what, entry.index) if found else None


def faults_in(recording: CaseRecording, dialect: str, marker: str | None = None) -> list[Fault]:
    """Every fault on the OpenAI wire, in order. A server close that answers the client's own
    close, or comes after the case closed the client, is no fault."""
    seen: set[object] = set()
    found, client_closed, case_close = [], False, _case_close_ms(recording)
    for api, entry in recording.by_api():
        meta = entry.meta or {}
        if meta.get("kind") == "handshake":
            client_closed = False
        elif meta.get("kind") in ("close", "abort") and meta.get("from") != "server":
            client_closed = True
        fault = _fault_of(entry, api, dialect, seen, marker)
        ignored = (
            fault is not None
            and fault.kind == "drop"
            and (client_closed or fault.t_ms >= case_close)
        )
        if fault is not None and not ignored:
            found.append(fault)
            marker = None if fault.kind == "marked" else marker
    return found


def faults(bound: BoundCheck) -> list[Fault]:
    marker = bound.ctx.expect.get("fault_after")
    return faults_in(bound.recording, bound.ctx.dialect, str(marker) if marker else None)


def _closed_by_client(recording: CaseRecording, after: float, until: float) -> Entry | None:
    for entry in recording.closes() + recording.openai_meta("abort"):
        meta, t_ms = entry.meta or {}, entry.t_ms or 0.0
        if meta.get("from") != "server" and after <= t_ms < until:
            return entry
    return None


def _case_close_ms(recording: CaseRecording) -> float:
    """When the case closed the client: its `close` step, else a normal client close (1000)
    with no step after it (the runner closes the client once the case is over)."""
    steps = recording.driver_steps()
    closes = [entry.t_ms or 0.0 for entry in steps if (entry.meta or {}).get("action") == "close"]
    if closes:
        return min(closes)
    last_step = max((entry.t_ms or 0.0 for entry in steps), default=float("-inf"))
    normal = [
        entry.t_ms or 0.0
        for entry in recording.closes()
        if (entry.meta or {}).get("from") == "client" and (entry.meta or {}).get("code") == 1000
    ]
    return min((t for t in normal if t > last_step), default=float("inf"))


@check(
    "resilience.stays_connected",
    "resilience",
    "MUST",
    "After a fault a client can survive (a malformed frame, an unknown event type, a duplicate "
    "or reordered event, a server_error or rate-limit error), the client MUST keep its "
    "connection open and keep doing what it is asked: the real API adds event types without "
    "notice, and these errors leave the session usable.",
)
def stays_connected(bound: BoundCheck) -> Iterator[Violation]:
    recording = bound.recording
    case_close = _case_close_ms(recording)
    for fault in (f for f in faults(bound) if f.kind in SURVIVABLE):
        closed = _closed_by_client(recording, fault.t_ms, case_close)
        failed = [
            step
            for step in recording.driver_steps()
            if (step.t_ms or 0.0) >= fault.t_ms and (step.meta or {}).get("error")
        ]
        expected = ("the connection stays open and later steps succeed",)
        if closed is not None:
            code = (closed.meta or {}).get("code")
            after = (closed.t_ms or 0.0) - fault.t_ms
            yield Violation(
                expected,
                f"connection closed by the client (code {code}) {after:.0f} ms after {fault.what}",
                closed.t_ms,
            )
        elif failed:
            meta = failed[0].meta or {}
            actual = f"step {meta.get('action')} failed after {fault.what}: {meta.get('error')}"
            yield Violation(expected, actual, failed[0].t_ms)


def _completed_after(recording: CaseRecording, fault: Fault) -> bool:
    for entry in recording.server_events():
        event = entry.event or {}
        completed = obj(event.get("response")).get("status") == "completed"
        if ga_type(event) == "response.done" and completed and entry.index > fault.index:
            return True
    return False


@check(
    "resilience.keeps_working",
    "resilience",
    "MUST",
    "After the case's fault the client MUST keep working: a later turn completes (a "
    "response.done with status completed after the fault).",
)
def keeps_working(bound: BoundCheck) -> Iterator[Violation]:
    found = faults(bound)
    if not found:
        return
    last = found[-1]
    if not _completed_after(bound.recording, last):
        closed = _closed_by_client(bound.recording, last.t_ms, float("inf"))
        actual = "connection closed" if closed is not None else "timeout"
        yield Violation(
            (f"a response completed after {last.what}",),
            f"{actual}: no response completed after {last.what}",
            last.t_ms,
        )


@check(
    "resilience.reconnects",
    "resilience",
    "MUST",
    "After the server drops the connection or expires the session, the client MUST connect "
    "again within {reconnect_ms:g} ms and configure the new session (session.update) before "
    "using it: a session's state does not survive its connection.",
    tolerances={"reconnect_ms": 5000},
)
def reconnects(bound: BoundCheck) -> Iterator[Violation]:
    recording = bound.recording
    lost = [f for f in faults(bound) if f.kind in CONNECTION_LOST]
    if not lost:
        return
    fault, limit = lost[0], bound.tolerance["reconnect_ms"]
    later = [h for h in recording.handshakes() if h.index > fault.index]
    expected = (f"a new connection within {limit:g} ms, then session.update before other use",)
    if not later or (later[0].t_ms or 0.0) - fault.t_ms > limit:
        when = f"after {(later[0].t_ms or 0.0) - fault.t_ms:.0f} ms" if later else "timeout"
        yield Violation(expected, f"no reconnection in time after {fault.what} ({when})")
        return
    first_use = _first_client_event(recording, later[0])
    if recording.client_events() and first_use is not None:
        kind = ga_type(first_use.event or {})
        if kind not in ("session.update", "transcription_session.update"):
            actual = f"the new connection's first client event was {kind}, not session.update"
            yield Violation(expected, actual, first_use.t_ms)


def _first_client_event(recording: CaseRecording, after: Entry) -> Entry | None:
    later = [e for e in recording.client_events() if e.index > after.index]
    return later[0] if later else None


def _retry_after_ms(meta: dict[str, object]) -> float | None:
    headers = obj(meta.get("headers"))
    for name, value in headers.items():
        if str(name).lower() == "retry-after-ms":
            return float(str(value))
        if str(name).lower() == "retry-after":
            return float(str(value)) * 1000
    return None


@check(
    "resilience.retry_after",
    "resilience",
    "MUST",
    "After an HTTP 429 the client MUST retry no sooner than its retry-after (or retry-after-ms) "
    "header says, and MUST retry: a client that hammers a rate-limited API is throttled "
    "further, and one that gives up fails a call that a short wait would have saved.",
)
def retry_after(bound: BoundCheck) -> Iterator[Violation]:
    recording = bound.recording
    responses = recording.openai_meta("http_response")
    requests = recording.openai_meta("http_request")
    for answer in (r for r in responses if (r.meta or {}).get("status") == 429):
        t_ms = answer.t_ms or 0.0
        wait_ms = _retry_after_ms(answer.meta or {})
        if wait_ms is None:
            wait_ms = float(bound.ctx.expect.get("retry_after_ms", 0))
        retries = [r.t_ms or 0.0 for r in requests if (r.t_ms or 0.0) > t_ms]
        expected = (f"a retry {wait_ms:.0f} ms or more after the 429",)
        if not retries:
            yield Violation(expected, "timeout: no retry after the 429", t_ms)
        elif retries[0] - t_ms < wait_ms:
            yield Violation(expected, f"a retry {retries[0] - t_ms:.0f} ms after the 429", t_ms)
