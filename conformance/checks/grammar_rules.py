"""Rule names, the Breach record and the Tracker the grammar modules share (see grammar.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from realtime_conformance.conformance.checks import stream_state as st
from realtime_conformance.conformance.recording import Entry
from realtime_conformance.rtproto.dialects import BETA_TO_GA_NAMES

# server rules
SESSION_FIRST = "server.session_created_first"
ONE_RESPONSE = "server.one_response_at_a_time"
OUTSIDE_RESPONSE = "server.event_inside_its_response"
OUTSIDE_ITEM = "server.event_inside_its_item"
PART_ORDER = "server.part_lifecycle"
ITEM_NESTING = "server.item_done_after_its_parts"
RESPONSE_NESTING = "server.response_done_after_its_items"
TRANSCRIPTION_AFTER_COMMIT = "server.transcription_after_commit"
# client rules
SESSION_BEFORE_USE = "client.session_before_use"
RESPONSE_WHILE_ACTIVE = "client.response_while_active"
RESPONSE_BEFORE_OUTPUT = "client.response_before_tool_output"
UNKNOWN_CALL = "client.output_for_unknown_call"
CALL_TWICE = "client.call_answered_twice"
TRUNCATE_UNDELIVERED = "client.truncate_delivered_audio_item"
TRUNCATE_PAST_AUDIO = "client.truncate_within_received_audio"
UNKNOWN_ITEM = "client.ids_refer_to_existing_items"
DUPLICATE_EVENT_ID = "client.unique_event_ids"

PART_FAMILIES = {
    f"response.{family}.{phase}": (family, phase)
    for family in ("output_text", "output_audio", "output_audio_transcript")
    for phase in ("delta", "done")
}
ARGUMENT_EVENTS = (
    "response.function_call_arguments.delta",
    "response.function_call_arguments.done",
)
SESSION_CONFIG = ("session.update", "transcription_session.update")
TRUNCATE_ROUNDING_MS = 1.0  # audio_end_ms is an integer; received audio is fractional


@dataclass(frozen=True)
class Breach:
    rule: str
    entry: Entry
    expected: tuple[str, ...]
    actual: str

    @property
    def at_ms(self) -> float | None:
        return self.entry.t_ms

    @property
    def where(self) -> str:
        return f"recording line {self.entry.line.number} ({self.entry.type})"


def ga_type(event: dict[str, Any]) -> str:
    name = str(event.get("type"))
    return BETA_TO_GA_NAMES.get(name, name)


def obj(value: Any) -> dict[str, Any]:
    """`value` if it is a JSON object, else an empty one (summarised lines lack fields)."""
    return value if isinstance(value, dict) else {}


def text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


class Tracker:
    """The stream state and the breaches found so far."""

    def __init__(self) -> None:
        self.state = st.StreamState()
        self.breaches: list[Breach] = []
        self.entry: Entry | None = None  # the entry being fed

    def breach(self, rule: str, expected: Iterable[str], actual: str) -> None:
        assert self.entry is not None
        self.breaches.append(Breach(rule, self.entry, tuple(expected), actual))
