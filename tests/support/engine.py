"""Drive a `RealtimeSession` by hand, sans-I/O: client events at chosen instants, and everything
the session sends collected with the instant it was due. Every event is validated against the
GA server schemas as it comes out, so no test can pass on an invalid event.
"""

from __future__ import annotations

import base64
import json
from functools import cache
from pathlib import Path
from typing import Any

from realtime_conformance.rtproto.events import RealtimeError
from realtime_conformance.rtproto.server.realtime.outbox import Outgoing, Send
from realtime_conformance.rtproto.server.realtime.session import RealtimeSession, SessionOptions
from realtime_conformance.rtproto.server.realtime.timing import Timing
from realtime_conformance.rtproto.transcript import parse_lines
from realtime_conformance.rtproto.validation import EventValidator
from tests.support.shared import require_shared
from tests.support.virtual_clock import VirtualClock

Event = dict[str, Any]
HORIZON_S = 120.0  # how far `settle` runs the clock: past any response, before session expiry


@cache
def validator() -> EventValidator:
    return EventValidator()


def assert_valid(event: Event) -> None:
    problems = validator().validate(event, "realtime", "ga")
    assert not problems, "invalid server event:\n" + "\n".join(map(str, problems))


def check_sent(item: Outgoing) -> None:
    if isinstance(item, Send):
        assert_valid(item.event)


class EngineDriver:
    """One session, a hand-driven clock, and the log of what went out."""

    def __init__(
        self,
        session: RealtimeSession | None = None,
        *,
        timing: Timing | None = None,
        start_at: float = 0.0,
        **options: Any,
    ) -> None:
        if session is None:
            options.setdefault("timing", timing or Timing.instant())
            session = RealtimeSession(SessionOptions(**options), validator=validator())
        self.session = session
        self.clock = VirtualClock(session, now=start_at, on_item=check_sent)
        self.clock.deliver(start_at, session.start)

    @property
    def now(self) -> float:
        return self.clock.now

    @property
    def sent(self) -> list[tuple[float, Outgoing]]:
        return self.clock.sent

    def advance(self, until: float) -> None:
        """Run the clock to `until`, stopping at every deadline on the way."""
        self.clock.advance(until)

    def step(self) -> bool:
        """Run the clock to the next deadline; False when nothing is pending."""
        return self.clock.step()

    def settle(self) -> None:
        self.advance(self.now + HORIZON_S)

    def send(self, event: Event, at: float | None = None) -> None:
        self.clock.deliver(at, lambda now: self.session.on_client_event(event, now))

    def frame_error(self, error: RealtimeError, at: float | None = None) -> None:
        self.clock.deliver(at, lambda now: self.session.on_frame_error(error, now))

    # --- reading the log ----------------------------------------------------------------

    @property
    def timed(self) -> list[tuple[float, Event]]:
        return [(at, item.event) for at, item in self.sent if isinstance(item, Send)]

    @property
    def events(self) -> list[Event]:
        return [event for _, event in self.timed]

    def types(self) -> list[str]:
        return [event["type"] for event in self.events]

    def of_type(self, event_type: str) -> list[Event]:
        return [event for event in self.events if event["type"] == event_type]

    def one(self, event_type: str) -> Event:
        found = self.of_type(event_type)
        assert len(found) == 1, f"{len(found)} {event_type} events: {self.types()}"
        return found[0]

    def errors(self) -> list[dict[str, Any]]:
        return [event["error"] for event in self.of_type("error")]

    def clear(self) -> None:
        self.sent.clear()


# --- client events --------------------------------------------------------------------


def user_text(text: str, item_id: str | None = None, **fields: Any) -> Event:
    item = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
    if item_id is not None:
        item["id"] = item_id
    return {"type": "conversation.item.create", "item": item, **fields}


def session_update(**session: Any) -> Event:
    return {"type": "session.update", "session": {"type": "realtime", **session}}


def append_silence(ms: int, bytes_per_ms: int = 48) -> Event:
    audio = base64.b64encode(bytes(ms * bytes_per_ms)).decode("ascii")
    return {"type": "input_audio_buffer.append", "audio": audio}


WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "Get the current weather for a city.",
    "parameters": {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "days": {"type": "integer", "minimum": 1, "maximum": 7},
        },
        "required": ["city"],
    },
}


# --- event-type sequences -------------------------------------------------------------


def collapse(types: list[str]) -> list[str]:
    """Runs of one delta type become one entry: the number of deltas is the model's business."""
    collapsed: list[str] = []
    for event_type in types:
        if not (collapsed and collapsed[-1] == event_type and event_type.endswith(".delta")):
            collapsed.append(event_type)
    return collapsed


def response_types(driver: EngineDriver, response_id: str) -> list[str]:
    """The event types of one response, from response.created to its rate_limits.updated."""
    types, inside = [], False
    for event in driver.events:
        belongs = event.get("response", {}).get("id") == response_id
        belongs |= event.get("response_id") == response_id
        inside |= event["type"] == "response.created" and belongs
        if inside and (belongs or event["type"].startswith(("conversation.item", "rate_limits"))):
            types.append(event["type"])
        if inside and event["type"] == "rate_limits.updated":
            break
    return types


def trace(name: str) -> list[tuple[str, Event]]:
    """(direction, event) of a GA trace in shared/traces/realtime-ga."""
    path: Path = require_shared("traces", "realtime-ga", name)
    lines = parse_lines(path.read_text(encoding="utf-8").splitlines())
    return [(line.direction or "", line.event) for line in lines if line.event is not None]


def dumps(value: Any) -> str:
    return json.dumps(value, indent=1)[:2000]


def firsts(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each event that differs in type from the one before (the first of each run)."""
    return [e for i, e in enumerate(events) if i == 0 or events[i - 1]["type"] != e["type"]]


def first_pairs(recorded: list[Event], ours: list[Event]) -> list[tuple[Event, Event]]:
    """(recorded, ours) for the first event of each run of the recording; ours must have at least
    as many runs (it may go on), so no pair is silently left out."""
    theirs, mine = firsts(recorded), firsts(ours)
    assert len(mine) >= len(theirs), ([e["type"] for e in mine], [e["type"] for e in theirs])
    return list(zip(theirs, mine[: len(theirs)], strict=True))


def assert_same_shape(recorded: dict[str, Any], ours: dict[str, Any]) -> None:
    """Same keys in the same order, down through items and parts."""
    assert list(ours) == list(recorded), (recorded["type"], list(ours), list(recorded))
    for key in ("item", "part", "response"):
        if isinstance(recorded.get(key), dict):
            assert_same_shape_of(recorded[key], ours[key], key)


def assert_same_shape_of(recorded: dict[str, Any], ours: dict[str, Any], where: str) -> None:
    assert list(ours) == list(recorded), (where, list(ours), list(recorded))
    for index, part in enumerate(recorded.get("content") or []):
        assert list(ours["content"][index]) == list(part), (where, ours["content"], part)
