"""What a scenario's player notes in the transcript: the meta lines that, with the wire, make
judging the client a function of the transcript alone (conformance.checks.scenario_rules).

A player records only what it saw and what the wire does not show; the checks decide. Each
note is the `meta` object of a `{"dir": "meta", "meta": {...}}` line:

    {"kind": "scenario", "id": "5.1.1", "api": "realtime"}          when a connection starts
    {"kind": "scenario", "id": "9.3.1", "api": "chat", "request": 2}  per HTTP request (1, 2, ...
                                                                     for as long as it is chosen)
    {"kind": "scenario.rule", "rule": 2, "type": "response.create"}  a rule took a client event
                                                                     (or a `vad.turn`)
    {"kind": "scenario.unmatched", "type": "...", "event_id": "...", "expected": ["expect[0]
      (always): ...", ...]}                                          no rule took a client event;
                                                                     every rule as it stood then
    {"kind": "vad.format", "format": "pcm16"}                        the format the VAD decodes
                                                                     appends in (at start, and
                                                                     when the session changes it)
    {"kind": "vad.speech_started", "turn": 1, "item_id": "...", "audio_start_ms": 200}
    {"kind": "vad.speech_stopped", "turn": 1, "item_id": "...", "audio_end_ms": 1500}

The wording of an unexpected event is here too, so that the player's error answer and the
check's report say the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from realtime_conformance.rtproto.catalogue import Api

SCENARIO = "scenario"
RULE = "scenario.rule"
UNMATCHED = "scenario.unmatched"
VAD_FORMAT = "vad.format"
SPEECH_STARTED = "vad.speech_started"
SPEECH_STOPPED = "vad.speech_stopped"
KINDS = (SCENARIO, RULE, UNMATCHED, VAD_FORMAT, SPEECH_STARTED, SPEECH_STOPPED)

Meta = dict[str, Any]


@dataclass(frozen=True)
class DetectedTurn:
    """A turn the player's VAD found: its item, where it starts and (once stopped) ends."""

    item_id: str
    audio_start_ms: int
    audio_end_ms: int | None = None


def scenario_note(scenario_id: str, api: Api, request: int | None = None) -> Meta:
    note: Meta = {"kind": SCENARIO, "id": scenario_id, "api": api}
    return note if request is None else {**note, "request": request}


def rule_note(rule_index: int, event_type: object) -> Meta:
    return {"kind": RULE, "rule": rule_index, "type": event_type}


def unmatched_note(event: dict[str, Any], expected: Sequence[str]) -> Meta:
    return {
        "kind": UNMATCHED,
        "type": event.get("type"),
        "event_id": event.get("event_id"),
        "expected": list(expected),
    }


def vad_format_note(beta_name: str) -> Meta:
    return {"kind": VAD_FORMAT, "format": beta_name}


def speech_started_note(turn: int, item_id: str, audio_start_ms: int) -> Meta:
    return {
        "kind": SPEECH_STARTED,
        "turn": turn,
        "item_id": item_id,
        "audio_start_ms": audio_start_ms,
    }


def speech_stopped_note(turn: int, item_id: str, audio_end_ms: int | None) -> Meta:
    return {"kind": SPEECH_STOPPED, "turn": turn, "item_id": item_id, "audio_end_ms": audio_end_ms}


def describe_unmatched(event_type: object, expected: Sequence[str]) -> str:
    """`unexpected client event 'x'; expected one of: expect[0] (always): ...; ...`"""
    listing = "; ".join(expected) or "nothing (the scenario has no rules)"
    return f"unexpected client event {event_type!r}; expected one of: {listing}"
