"""Scripted streams for the HTTP APIs: a `responses` or `chat` scenario answers POST requests.

A scenario of the endpoint's API is chosen like a Realtime one: for every request by the control
API (`PUT /_mock/scenario`) or `serve --scenario`, or for one request by the `x-mock-scenario`
header (SDKs pass it with `extra_headers`) or `?scenario=`. The scenario's player lives as long
as it stays chosen, so its rules' `times` and `ordered` carry over from request to request.
Scripted answers are streams: a request without `stream: true` is refused with a clear 400.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from aiohttp import web

from mockserver.http_common import SSE_HEADERS, event_check
from mockserver.recorder import Recording
from mockserver.state import ConnectionRecord, MockState
from rtproto.api_errors import ApiError
from rtproto.server.play.http import HttpScenario, ScenarioStream
from rtproto.server.realtime.outbox import Abort, Close, Send, SendRaw
from rtproto.sse import encode_data, encode_event

SCENARIO_HEADER = "x-mock-scenario"
MIN_WAIT_S = 0.001


def chosen_scenario(request: web.Request, state: MockState, api: str) -> HttpScenario | None:
    """The scenario playing this request, or None for the simulated model.

    A scenario named by the request must exist and be of this endpoint's API (ApiError 400
    otherwise); the server-wide choice applies only when it is of this endpoint's API.
    """
    named = request.headers.get(SCENARIO_HEADER) or request.query.get("scenario")
    scenario_id = named or state.selected_scenario
    if scenario_id is None:
        return None
    scenario = state.scenarios.by_id.get(scenario_id)
    if scenario is None or scenario.api != api:
        if named is None:  # the server-wide choice is for another API
            return None
        refusal = state.scenarios.unknown(scenario_id)
        message = refusal.message if refusal else f"Scenario {scenario_id!r} is not a {api} one."
        raise ApiError(400, message, param="scenario", code="unknown_scenario")
    return state.http_player(scenario)


def open_stream(player: HttpScenario, body: dict[str, Any]) -> ScenarioStream:
    if body.get("stream") is not True:
        raise ApiError(
            400,
            "This mock scenario scripts streamed answers: set 'stream': true.",
            param="stream",
            code="scenario_requires_stream",
        )
    return player.open(body, time.monotonic())


def sse_frame(item: Send | SendRaw, api: str) -> bytes:
    if isinstance(item, Send):
        return encode_event(item.event) if api == "responses" else encode_data(item.event)
    text = item.data.decode("utf-8", "replace") if isinstance(item.data, bytes) else item.data
    return "".join(f"data: {line}\n" for line in text.split("\n")).encode() + b"\n"


async def write_scenario_stream(
    state: MockState,
    request: web.Request,
    record: ConnectionRecord,
    stream: ScenarioStream,
    api: str,
) -> web.StreamResponse:
    """Write what the scenario's stream sends, when it is due, until it ends (or is cut)."""
    response = web.StreamResponse(headers=SSE_HEADERS)
    await response.prepare(request)
    recording, check = record.recording, event_check(record, state)
    try:
        while not stream.finished:
            deadline = stream.next_deadline()
            if deadline is not None and deadline > time.monotonic():
                await _sleep_until(deadline)
            for item in stream.due(time.monotonic()):
                if isinstance(item, Abort):
                    recording.meta(time.monotonic(), {"kind": "abort"})
                    if request.transport is not None:
                        request.transport.abort()
                    return response
                if isinstance(item, Close):
                    await response.write_eof()
                    return response
                if check is not None and isinstance(item, Send):
                    check(item.event)
                await response.write(sse_frame(item, api))
                _record(recording, item)
    except ConnectionResetError:
        stream.client_closed()
        recording.close(time.monotonic(), "client", None, note="the client went away mid-stream")
    return response


async def _sleep_until(deadline: float) -> None:
    await asyncio.sleep(max(deadline - time.monotonic(), MIN_WAIT_S))


def _record(recording: Recording, item: Send | SendRaw) -> None:
    now = time.monotonic()
    if isinstance(item, Send):
        recording.event(now, "server", item.event, json.dumps(item.event, separators=(",", ":")))
    elif item.data == "[DONE]":
        recording.done(now)
    else:
        text = item.data if isinstance(item.data, str) else item.data.decode("utf-8", "replace")
        recording.frame(now, "server", {"opcode": "TEXT", "data": text})
