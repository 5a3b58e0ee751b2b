"""Order and state checks: the conversation grammar (grammar.py) applied to a case recording.

Each client rule is its own check, so a case names exactly what it judges; `order.server_stream`
judges the server side (the mock, or a recorded real stream) with every server rule at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from realtime_conformance.conformance.checks import grammar_rules as g
from realtime_conformance.conformance.checks.grammar import walk
from realtime_conformance.conformance.checks.registry import BoundCheck, Violation, check
from realtime_conformance.conformance.recording import CaseRecording

SERVER_RULES = (
    g.SESSION_FIRST,
    g.ONE_RESPONSE,
    g.OUTSIDE_RESPONSE,
    g.OUTSIDE_ITEM,
    g.PART_ORDER,
    g.ITEM_NESTING,
    g.RESPONSE_NESTING,
    g.TRANSCRIPTION_AFTER_COMMIT,
)


def grammar_of(recording: CaseRecording) -> g.Tracker:
    return walk(recording)


def breaches(bound: BoundCheck, rules: Iterable[str]) -> Iterator[Violation]:
    wanted = set(rules)
    tracker = bound.ctx.once("grammar", grammar_of)
    for breach in tracker.breaches:
        if breach.rule in wanted:
            yield Violation(breach.expected, breach.actual, breach.at_ms, detail=breach.where)


@check(
    "order.session_before_use",
    "order",
    "MUST",
    "The client MUST NOT send conversation, audio or response events before the server's "
    "session.created (a session.update before it is tolerated: real clients do it and the "
    "real API accepts it; anything else depends on a session that does not exist yet).",
)
def session_before_use(bound: BoundCheck) -> Iterator[Violation]:
    return breaches(bound, [g.SESSION_BEFORE_USE])


@check(
    "order.one_response_at_a_time",
    "order",
    "MUST",
    "The client MUST NOT send response.create while a response of the default conversation is "
    "in progress (from its response.create or response.created until response.done); the real "
    "API rejects it with conversation_already_has_active_response. Out-of-band responses "
    '(conversation "none") may overlap.',
)
def one_response_at_a_time(bound: BoundCheck) -> Iterator[Violation]:
    return breaches(bound, [g.RESPONSE_WHILE_ACTIVE])


@check(
    "order.tool_output_before_response",
    "order",
    "MUST",
    "The client MUST answer a function call with one conversation.item.create "
    "function_call_output carrying a call_id the server sent, and MUST send it before the "
    "follow-up response.create (otherwise the model answers without the result).",
)
def tool_output_before_response(bound: BoundCheck) -> Iterator[Violation]:
    return breaches(bound, [g.RESPONSE_BEFORE_OUTPUT, g.UNKNOWN_CALL, g.CALL_TWICE])


@check(
    "order.truncate_delivered_audio",
    "order",
    "MUST",
    "The client MUST truncate only an assistant audio item whose audio it has been sent, with "
    "0 <= audio_end_ms <= the audio of that item sent so far (+{rounding_ms:g} ms for "
    'rounding); past it the real API answers "Audio content of N ms is already shorter than '
    'M ms" and drops the truncation.',
    tolerances={"rounding_ms": g.TRUNCATE_ROUNDING_MS},
)
def truncate_delivered_audio(bound: BoundCheck) -> Iterator[Violation]:
    return breaches(bound, [g.TRUNCATE_UNDELIVERED, g.TRUNCATE_PAST_AUDIO])


@check(
    "order.ids_exist",
    "order",
    "MUST",
    "Item and response ids the client sends (truncate, delete, retrieve, previous_item_id, "
    "response.cancel) MUST refer to items and responses that exist in the conversation; the "
    "real API answers unknown ids with an error (item_truncate_invalid_item_id, ...).",
)
def ids_exist(bound: BoundCheck) -> Iterator[Violation]:
    return breaches(bound, [g.UNKNOWN_ITEM])


@check(
    "order.unique_event_ids",
    "order",
    "SHOULD",
    "Client event_ids SHOULD be unique within a session: the server echoes the offending "
    "event_id in error.event_id, and a reused id makes the error ambiguous.",
)
def unique_event_ids(bound: BoundCheck) -> Iterator[Violation]:
    return breaches(bound, [g.DUPLICATE_EVENT_ID])


@check(
    "order.server_stream",
    "order",
    "MUST",
    "The server stream MUST follow the Realtime grammar (PROTOCOL.md §2 with the §8 "
    "tolerances): session.created first; one response at a time in the default conversation; "
    "every response event between its response.created and response.done; per item "
    "output_item.added, its parts, output_item.done; per part content_part.added, deltas, the "
    "part's *.done, content_part.done; response.done after all its items.",
)
def server_stream(bound: BoundCheck) -> Iterator[Violation]:
    return breaches(bound, SERVER_RULES)
