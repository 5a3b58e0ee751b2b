"""Which checks judge a derived case: those every case runs, those of media at the call,
those of barge-in, and the resilience checks a scenario's faults call for. Names of the
registry (conformance.checks); a name the registry does not know is reported, not run.
"""

from __future__ import annotations

from collections.abc import Iterable

from realtime_conformance.rtproto.scenario.spec import (
    AbortConnection,
    Drop,
    ErrorFault,
    ExpireSession,
    RawStep,
    Scenario,
)

ORDERING_CHECKS = (
    "payload.client_events",
    "order.session_before_use",
    "order.one_response_at_a_time",
    "order.tool_output_before_response",
    "order.ids_exist",
    "order.truncate_delivered_audio",
    "order.unique_event_ids",
    "scenario.rules",
)
REALTIME_CHECKS = (
    "media.input_format",
    "media.input_pacing",
    "media.playout_cadence",
    "media.playout_backlog",
    "media.first_audio_latency",
    "media.media_reports",
)
BARGE_IN_CHECKS = (
    "media.clear_on_barge_in",
    "media.truncate_on_barge_in",
    "media.truncate_at_heard_audio",
)
STAYS = "resilience.stays_connected"
WORKS = "resilience.keeps_working"
RECONNECTS = "resilience.reconnects"


def resilience_checks(scenario: Scenario, needs: Iterable[str]) -> tuple[str, ...]:
    """The resilience checks a scenario's faults call for.

    A fault a session survives (duplicate, malformed, reorder, stall, server_error, and a raw
    frame in a reply: an unknown event type or field, broken JSON) asks that the client stays
    connected and a later turn completes; a rate-limited response.create only that it stays
    connected (no turn follows it: the client may retry later). A lost connection (drop,
    abort, session expiry) asks for a reconnect only when the case needs "reconnect": a client
    need not reconnect by default (the reference client does not).
    """
    actions = [fault.action for fault in scenario.faults]
    raw = any(isinstance(step, RawStep) for rule in scenario.rules for step in rule.reply)
    lost = [a for a in actions if isinstance(a, Drop | AbortConnection | ExpireSession)]
    survived = [a for a in actions if a not in lost]
    chosen: list[str] = []
    if survived or raw:
        chosen.append(STAYS)
    rate_limited_only = survived and all(
        isinstance(a, ErrorFault) and a.kind == "rate_limit" for a in survived
    )
    if raw or (survived and not rate_limited_only):
        chosen.append(WORKS)
    if lost and "reconnect" in needs:
        chosen.append(RECONNECTS)
    return tuple(chosen)
