"""The Responses API's WebSocket mode, sans-I/O (shared/PROTOCOL.md §6): client messages in,
server events out, time passed in.

The driver upgrades `GET /v1/responses`, then calls `on_message` for each text frame and sends
what `due(now)` returns whenever `next_deadline()` arrives. The client sends `response.create`
(the POST body without `stream` and `background`, plus an optional `stream_id`) and
`response.steer`. Server events are the SSE stream's events without SSE framing.

Lanes: responses with the same `stream_id` (or none) run one after another (FIFO); different lanes
run concurrently, and every event of a lane's response echoes its `stream_id`. The connection
keeps each lane's latest response, so `previous_response_id` works with `store: false` for that
response. Limits ([2nd]: OpenAI's WebSocket-mode guide as quoted in public notes): 60 minutes per
connection (`websocket_connection_limit_reached`), 16 responses in flight and 32 named lanes
(`websocket_stream_limit_reached`). A request that fails before its response starts gets
`{type: "error", error: {type, code, message, param}, status, stream_id?}` (status 400 for
`previous_response_not_found`, as pasted from the real server). Messages marked UNVERIFIED in
`socket_errors` are this mock's wording.
"""

from __future__ import annotations

import heapq
import itertools
import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from realtime_conformance.rtproto.api_errors import ApiError
from realtime_conformance.rtproto.server.realtime.outbox import Send
from realtime_conformance.rtproto.server.responses import socket_errors as errors
from realtime_conformance.rtproto.server.responses.running import (
    Running,
    required_input,
    steer_input_items,
)
from realtime_conformance.rtproto.server.responses.service import ResponsesService
from realtime_conformance.rtproto.server.responses.simulated_model import TERMINAL_EVENTS
from realtime_conformance.rtproto.server.responses.store import StoredResponse

ENVELOPE = ("type", "stream_id", "generate", "stream", "background")


@dataclass(frozen=True)
class SocketLimits:
    connection_s: float = 3600.0
    in_flight: int = 16
    named_lanes: int = 32


@dataclass
class Job:
    body: dict[str, Any]
    stream_id: str | None
    generate: bool = True
    successor_of: StoredResponse | None = None
    inputs: list[Any] = field(default_factory=list)


@dataclass
class Lane:
    order: int
    queue: deque[Job] = field(default_factory=deque)
    running: Running | None = None
    latest: StoredResponse | None = None  # the connection-local cache


class ResponsesSocketSession:
    """One WebSocket connection to `/v1/responses`."""

    def __init__(
        self, service: ResponsesService, *, connected_at: float, limits: SocketLimits | None = None
    ) -> None:
        self.service = service
        self.connected_at = connected_at
        self.limits = limits or SocketLimits()
        self.lanes: dict[str, Lane] = {}
        self._loose: list[tuple[float, int, dict[str, Any]]] = []  # events outside any stream
        self._order = itertools.count()
        self._waiting: dict[str, list[Any]] = {}  # response id -> queued steering input

    # input
    def on_message(self, data: str | bytes, now: float) -> None:
        """One text (or binary) frame from the client."""
        try:
            message = errors.decode(data)
        except ApiError as error:
            self._emit(now, errors.error_event(error))
            return
        self._dispatch(message, now)

    def on_json_object(self, value: dict[str, Any], now: float) -> None:
        """A text frame the driver has already parsed (and recorded): it is parsed only once."""
        try:
            message = errors.checked_message(value)
        except ApiError as error:
            self._emit(now, errors.error_event(error))
            return
        self._dispatch(message, now)

    def _dispatch(self, message: dict[str, Any], now: float) -> None:
        stream_id = message.get("stream_id")
        try:
            if message["type"] == "response.create":
                self._create(message, now)
            elif message["type"] == "response.steer":
                self._steer(message, now)
            else:
                raise errors.unsupported_type(message["type"])
        except ApiError as error:
            lane = stream_id if isinstance(stream_id, str) else None
            self._emit(now, errors.error_event(error, lane))

    def _create(self, message: dict[str, Any], now: float) -> None:
        stream_id = message.get("stream_id")
        if stream_id is not None and not isinstance(stream_id, str):
            raise errors.bad_stream_id(stream_id)
        if now - self.connected_at >= self.limits.connection_s:
            raise errors.connection_limit()
        if message.get("background"):
            raise errors.background_unsupported()
        key = stream_id or ""
        if key not in self.lanes and sum(1 for k in self.lanes if k) >= self.limits.named_lanes:
            raise errors.too_many_lanes(self.limits.named_lanes)
        if self._in_flight() >= self.limits.in_flight:
            raise errors.too_many_in_flight(self.limits.in_flight)
        lane = self.lanes.setdefault(key, Lane(len(self.lanes)))
        body = {k: v for k, v in message.items() if k not in ENVELOPE}
        lane.queue.append(Job(body, stream_id, generate=message.get("generate") is not False))
        if lane.running is None:
            self._next(lane, now)

    def _in_flight(self) -> int:
        return sum(len(lane.queue) + (lane.running is not None) for lane in self.lanes.values())

    def _next(self, lane: Lane, at: float) -> None:
        """Start the lane's next job (a request that fails is answered and skipped)."""
        while lane.running is None and lane.queue:
            job = lane.queue.popleft()
            try:
                stored = self.service.create(
                    self._body_of(job), at, lookup=self._lookup, generate=job.generate
                )
            except ApiError as error:
                self._emit(at, errors.error_event(error, job.stream_id))
                continue
            lane.running = Running.begin(stored, job.stream_id, at)

    def _body_of(self, job: Job) -> dict[str, Any]:
        if job.successor_of is not None:
            previous = job.successor_of
            return {
                **previous.plan.request.body,
                "input": job.inputs,
                "previous_response_id": previous.id,
            }
        queued = self._waiting.pop(str(job.body.get("previous_response_id")), [])
        if not queued:
            return job.body
        given = job.body.get("input")
        given_items = (
            [{"type": "message", "role": "user", "content": given}]
            if isinstance(given, str)
            else list(given or [])
        )
        return {**job.body, "input": [*queued, *given_items]}

    def _lookup(self, response_id: str) -> StoredResponse | None:
        cached = [lane.latest for lane in self.lanes.values() if lane.latest is not None]
        return next((stored for stored in cached if stored.id == response_id), None)

    # steering
    def _steer(self, message: dict[str, Any], now: float) -> None:
        target_id = message.get("previous_response_id")
        lane = self._running_lane(target_id)
        items = steer_input_items(message.get("input"))
        steer = {"previous_response_id": target_id, "input": message.get("input")}
        unknown_keys = set(message) - {"type", "previous_response_id", "input"}
        if items is None or unknown_keys or not isinstance(target_id, str):
            self._steer_failed(lane, now, steer, "invalid_input", errors.INVALID_STEER)
        elif lane is None or lane.running is None or lane.running.ended_by(now):
            known = lane or self._lookup(target_id) or self.service.store.get(target_id)
            code = "response_already_completed" if known else "response_not_found"
            self._steer_failed(lane, now, steer, code, errors.steer_target_message(code, target_id))
        else:
            self._steer_accepted(lane.running, now, target_id, items)

    def _running_lane(self, response_id: Any) -> Lane | None:
        running = [lane for lane in self.lanes.values() if lane.running is not None]
        return next(
            (lane for lane in running if lane.running and lane.running.id == response_id), None
        )

    def _steer_accepted(
        self, running: Running, now: float, target_id: str, items: list[Any]
    ) -> None:
        steer = {
            "id": self.service.simulation_for({"steer": target_id, "at": now}).hex_id("steer"),
            "previous_response_id": target_id,
        }
        running.insert(now, "response.steer.accepted", steer=steer)
        if running.stops_for_client():
            running.waiting_steers.extend(items)
            stubs = required_input(running.stored.plan.final["output"])
            running.insert(
                None,
                "response.steer.pending",
                steer=steer,
                reason="waiting_for_required_input",
                required_input=stubs,
            )
            return
        if running.successor_inputs is None:
            running.successor_inputs = []
            running.cut(now)
        running.successor_inputs.extend(items)

    def _steer_failed(
        self, lane: Lane | None, now: float, steer: dict[str, Any], code: str, message: str
    ) -> None:
        error = {"type": "invalid_request_error", "code": code, "message": message}
        if lane is not None and lane.running is not None:
            lane.running.insert(now, "response.steer.failed", steer=steer, error=error)
            return
        self._emit(
            now,
            {"type": "response.steer.failed", "sequence_number": 0, "steer": steer, "error": error},
        )

    # output
    def _emit(self, at: float, event: dict[str, Any]) -> None:
        heapq.heappush(self._loose, (at, next(self._order), event))

    def next_deadline(self) -> float | None:
        times = [
            lane.running.pending[0][0]
            for lane in self.lanes.values()
            if lane.running and lane.running.pending
        ]
        times += [self._loose[0][0]] if self._loose else []
        return min(times) if times else None

    def due(self, now: float) -> list[Send]:
        sent: list[Send] = []
        while (source := self._earliest(now)) is not None:
            if source == "loose":
                sent.append(Send(heapq.heappop(self._loose)[2]))
                continue
            lane = self.lanes[source]
            assert lane.running is not None
            at, event = lane.running.pop()
            sent.append(Send(event))
            if not lane.running.pending:
                self._finish(lane, at)
        return sent

    def _earliest(self, now: float) -> str | None:
        candidates = [(self._loose[0][0], -1, "loose")] if self._loose else []
        candidates += [
            (lane.running.pending[0][0], lane.order, key)
            for key, lane in self.lanes.items()
            if lane.running is not None and lane.running.pending
        ]
        due = [candidate for candidate in candidates if candidate[0] <= now]
        return min(due)[2] if due else None

    def _finish(self, lane: Lane, at: float) -> None:
        running = lane.running
        assert running is not None
        if running.pending or not any(e["type"] in TERMINAL_EVENTS for _, e in running.sent):
            return
        finished = running.finished()
        lane.latest, lane.running = finished, None
        if finished.plan.request.store:
            self.service.store.add(finished)
        if running.waiting_steers:
            self._waiting.setdefault(finished.id, []).extend(running.waiting_steers)
        if running.successor_inputs:
            lane.queue.appendleft(
                Job({}, running.stream_id, successor_of=finished, inputs=running.successor_inputs)
            )
        self._next(lane, at)


def sent_events(outgoing: list[Send]) -> list[dict[str, Any]]:
    """The events of `due`'s answer (for tests and logs)."""
    return [json.loads(json.dumps(item.event)) for item in outgoing]
