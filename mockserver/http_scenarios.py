"""Scripted streams for the HTTP APIs: a `responses` or `chat` scenario answers POST requests.

A scenario of the endpoint's API is chosen like a Realtime one: for every request by the control
API (`PUT /_mock/scenario`) or `serve --scenario`, or for one request by the `x-mock-scenario`
header (SDKs pass it with `extra_headers`) or `?scenario=`. The scenario's player lives as long
as it stays chosen, so its rules' `times` and `ordered` carry over from request to request.
Scripted answers are streams: a request without `stream: true` is refused with a clear 400.
"""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from realtime_conformance.mockserver.http_common import event_check
from realtime_conformance.mockserver.http_stream import StreamApi, write_sse
from realtime_conformance.mockserver.recorder import Recording
from realtime_conformance.mockserver.state import ConnectionRecord, MockState
from realtime_conformance.rtproto.api_errors import ApiError
from realtime_conformance.rtproto.server.play.http import (
    HttpScenario,
    ScenarioStream,
    UnmatchedRequest,
)

SCENARIO_HEADER = "x-mock-scenario"


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


def open_stream(player: HttpScenario, body: dict[str, Any], recording: Recording) -> ScenarioStream:
    """The request's stream; an ApiError to answer instead (a request no rule takes: after
    recording what the player noted of it, for the judgement of the client)."""
    if body.get("stream") is not True:
        raise ApiError(
            400,
            "This mock scenario scripts streamed answers: set 'stream': true.",
            param="stream",
            code="scenario_requires_stream",
        )
    now = time.monotonic()
    try:
        return player.open(body, now)
    except UnmatchedRequest as unmatched:
        for note in unmatched.notes:
            recording.meta(now, note.meta)
        raise


async def write_scenario_stream(
    state: MockState,
    request: web.Request,
    record: ConnectionRecord,
    stream: ScenarioStream,
    api: StreamApi,
) -> web.StreamResponse:
    """Write what the scenario's stream sends, when it is due, until it ends (or is cut)."""
    check = event_check(record, state)
    return await write_sse(request, record.recording, stream, api, check_event=check)
