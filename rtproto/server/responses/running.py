"""A response streaming on a WebSocket lane, and the steering operations on it.

Steering (the SDK's `ResponsesResponseResource.steer` documents the contract): a
`response.steer` naming the active response is acknowledged with `response.steer.accepted`,
numbered into that response's stream. If the response will stop for client-owned tool output
(function or custom tool calls, MCP approvals), it completes as planned and
`response.steer.pending` follows `response.completed` with the `required_input` stubs; the input
stays queued for the next `response.create` continuing it. Otherwise the response ends at the
next safe boundary (after the item being streamed) with `response.incomplete`,
`incomplete_details.reason: "steered"`, and an automatic successor continues it with the input.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from realtime_conformance.rtproto.server.responses.simulated_model import (
    TERMINAL_EVENTS,
    ResponsePlan,
)
from realtime_conformance.rtproto.server.responses.store import StoredResponse
from realtime_conformance.rtproto.server.responses.stream import PlannedEvent

STEERED = "steered"
CLIENT_OWNED = ("function_call", "custom_tool_call", "mcp_approval_request")
STEER_ITEM_KEYS = frozenset({"type", "role", "content"})


@dataclass
class Running:
    """One response on its lane: what was sent, what is still to send (absolute times)."""

    stored: StoredResponse
    stream_id: str | None
    start: float
    pending: list[tuple[float, dict[str, Any]]]
    sent: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    successor_inputs: list[Any] | None = None  # set once steered towards a successor
    waiting_steers: list[Any] = field(default_factory=list)  # for the required-input path

    @classmethod
    def begin(cls, stored: StoredResponse, stream_id: str | None, start: float) -> Running:
        lane = {"stream_id": stream_id} if stream_id is not None else {}
        pending = [(start + p.at, {**copy.deepcopy(p.event), **lane}) for p in stored.plan.events]
        return cls(stored, stream_id, start, pending)

    @property
    def id(self) -> str:
        return self.stored.id

    def pop(self) -> tuple[float, dict[str, Any]]:
        entry = self.pending.pop(0)
        self.sent.append(entry)
        return entry

    def insert(self, at: float | None, event_type: str, **fields: Any) -> dict[str, Any]:
        """Number an event into the stream at time `at` (None: after its last event), renumbering
        the events after it."""
        position = next(
            (i for i, (when, _) in enumerate(self.pending) if at is not None and when > at),
            len(self.pending),
        )
        number = len(self.sent) + position
        for _, later in self.pending[position:]:
            later["sequence_number"] += 1
        event = {"type": event_type, "sequence_number": number, **fields}
        if self.stream_id is not None:
            event["stream_id"] = self.stream_id
        when = self._time_before(position) if at is None else max(at, self._time_before(position))
        self.pending.insert(position, (when, event))
        return event

    def _time_before(self, position: int) -> float:
        if position > 0:
            return self.pending[position - 1][0]
        return self.sent[-1][0] if self.sent else self.start

    def ended_by(self, now: float) -> bool:
        """Whether its terminal event is due by `now` (sent or not yet collected by `due`)."""
        return not any(
            when > now for when, event in self.pending if event["type"] in TERMINAL_EVENTS
        )

    def stops_for_client(self) -> bool:
        output = self.stored.plan.final.get("output", [])
        return any(item.get("type") in CLIENT_OWNED for item in output)

    def cut(self, now: float) -> None:
        """End at the next safe boundary with `response.incomplete` (reason `steered`)."""
        kept = next(
            (i for i, (when, _) in enumerate(self.pending) if when > now), len(self.pending)
        )
        open_items = _open_items([event for _, event in self.sent + self.pending[:kept]])
        while open_items > 0 and kept < len(self.pending):
            open_items += _item_step(self.pending[kept][1])
            kept += 1
        rest = [event["type"] for _, event in self.pending[kept:]]
        if all(kind in TERMINAL_EVENTS for kind in rest):
            return  # nothing left to cut: it completes, and the successor follows
        self.pending = self.pending[:kept]
        done = [
            e["item"]
            for _, e in self.sent + self.pending
            if e["type"] == "response.output_item.done"
        ]
        response = {
            **self.stored.plan.final,
            "status": "incomplete",
            "completed_at": None,
            "incomplete_details": {"reason": STEERED},
            "output": done,
        }
        self.insert(None, "response.incomplete", response=response)

    def finished(self) -> StoredResponse:
        """The response as it was actually streamed (possibly cut short)."""
        events = tuple(
            PlannedEvent(when - self.start, {k: v for k, v in event.items() if k != "stream_id"})
            for when, event in self.sent
        )
        plan = self.stored.plan
        return StoredResponse(
            ResponsePlan(plan.request, plan.response_id, plan.created_at, events),
            self.stored.started_at,
            self.stored.context,
        )


def _item_step(event: dict[str, Any]) -> int:
    kind = event["type"]
    return (
        1
        if kind == "response.output_item.added"
        else -1
        if kind == "response.output_item.done"
        else 0
    )


def _open_items(events: list[dict[str, Any]]) -> int:
    return sum(_item_step(event) for event in events)


def required_input(output: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stubs of the tool results and approvals the client owes for this output."""
    stubs: list[dict[str, Any]] = []
    for item in output:
        if item.get("type") == "function_call":
            stubs.append(
                {"type": "function_call_output", "call_id": item["call_id"], "name": item["name"]}
            )
        elif item.get("type") == "custom_tool_call":
            stubs.append({"type": "custom_tool_call_output", "call_id": item["call_id"]})
        elif item.get("type") == "mcp_approval_request":
            stubs.append({"type": "mcp_approval_response", "approval_request_id": item["id"]})
    return stubs


def steer_input_items(value: Any) -> list[dict[str, Any]] | None:
    """The steering input as input items, or None when steering does not accept it."""
    if isinstance(value, str):
        return [{"type": "message", "role": "user", "content": value}] if value else None
    if not isinstance(value, list) or not value:
        return None
    items = []
    for item in value:
        if not isinstance(item, dict):
            return None
        if item.get("type") == "function_call_output" and "output" in item:
            items.append(item)
            continue
        if set(item) - STEER_ITEM_KEYS or item.get("role") != "user":
            return None
        if item.get("type", "message") != "message" or not isinstance(
            item.get("content"), (str, list)
        ):
            return None
        items.append({"type": "message", **item})
    return items
