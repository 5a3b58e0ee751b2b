"""The Realtime conversation grammar, one pass over both directions of the OpenAI wire.

Server side (shared/PROTOCOL.md §2, with the §8 tolerances): `session.created` first; one
response at a time in the default conversation (out-of-band responses may overlap); every
response event inside `response.created … response.done`; per item `output_item.added` → parts
→ `output_item.done`; per part `content_part.added` → deltas → the part's `*.done` →
`content_part.done`; every delta names an open response, item and part; `rate_limits.updated`,
`conversation.created` and errors anywhere; audio `.done` and transcript `.done` in either order.

Client side: the session before use; no `response.create` while one is active; tool outputs for
known calls, each once, before the follow-up `response.create`; truncate only delivered
assistant audio, not past the audio sent so far; ids that exist; unique event ids.

`walk(entries)` returns the Tracker with every `Breach` and its rule; the checks in order.py
pick their rules. Beta names are read as their GA names (rtproto.dialects).
"""

from __future__ import annotations

from realtime_conformance.conformance.checks.client_grammar import on_client_event
from realtime_conformance.conformance.checks.grammar_rules import Tracker, ga_type
from realtime_conformance.conformance.checks.server_grammar import on_server_event
from realtime_conformance.conformance.checks.stream_state import StreamState
from realtime_conformance.conformance.recording import CaseRecording, Entry


def feed(tracker: Tracker, entry: Entry) -> None:
    event = entry.event
    if event is None or entry.direction not in ("client", "server"):
        return
    tracker.entry = entry
    if entry.direction == "server":
        on_server_event(tracker, event, ga_type(event))
    else:
        on_client_event(tracker, event, ga_type(event))


def walk(recording: CaseRecording) -> Tracker:
    """Every event of the recording's Realtime connections, in order, through both sides'
    rules (Responses and Chat streams have their own grammar: http_streams.py)."""
    tracker = Tracker()
    for entry in recording.realtime():
        if (entry.meta or {}).get("kind") == "handshake":
            tracker.state = StreamState()  # a new connection is a new session
        feed(tracker, entry)
    return tracker
