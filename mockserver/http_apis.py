"""The HTTP APIs: `POST /v1/responses`, `GET /v1/responses/{id}`, `POST /v1/chat/completions`.

The simulated models (rtproto.server.responses, rtproto.server.chat) plan every event with its due
time; these
handlers authenticate, rate-limit, and write the plan: Server-Sent Events (Responses: `event:` +
`data:`, no `[DONE]`; Chat: `data:` then `data: [DONE]`) or the JSON answer.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from realtime_conformance.mockserver.http_common import (
    answer_error,
    answer_json,
    authenticate,
    open_exchange,
    rate_limit,
    read_body,
    write_stream,
)
from realtime_conformance.mockserver.http_scenarios import (
    chosen_scenario,
    open_stream,
    write_scenario_stream,
)
from realtime_conformance.mockserver.http_stream import StreamApi
from realtime_conformance.mockserver.responses_socket import responses_socket
from realtime_conformance.mockserver.state import STATE, ConnectionRecord, MockState
from realtime_conformance.rtproto.api_errors import ApiError

Respond = Callable[
    [web.Request, MockState, dict[str, Any], ConnectionRecord, dict[str, str]],
    Awaitable[web.StreamResponse],
]


async def handle_post(request: web.Request, api: StreamApi, respond: Respond) -> web.StreamResponse:
    """What every POST endpoint does around the simulated model's answer: authenticate, read the
    JSON body, record the exchange, apply the rate limit, play the scenario chosen for this API
    if there is one, and turn an ApiError into its HTTP answer."""
    state = request.app[STATE]
    try:
        denied = authenticate(request, state)
        if denied is not None:
            raise denied
        body = await read_body(request)
    except ApiError as error:
        return answer_error(None, error)
    record = open_exchange(request, state, body)
    try:
        headers, refused = rate_limit(state, body)
        if refused is not None:
            return answer_error(record, refused, headers)
        player = chosen_scenario(request, state, api)
        if player is not None:
            stream = open_stream(player, body, record.recording)
            return await write_scenario_stream(state, request, record, stream, api)
        return await respond(request, state, body, record, headers)
    except ApiError as error:
        return answer_error(record, error)
    finally:
        state.close_connection(record)


async def respond_responses(
    request: web.Request,
    state: MockState,
    body: dict[str, Any],
    record: ConnectionRecord,
    headers: dict[str, str],
) -> web.StreamResponse:
    stored = state.responses.create(body, time.time())
    if body.get("stream") is True:
        return await write_stream(
            state, request, record, stored.plan.events, "responses", headers=headers
        )
    return answer_json(record, 200, stored.first_answer(), headers)


async def respond_chat(
    request: web.Request,
    state: MockState,
    body: dict[str, Any],
    record: ConnectionRecord,
    headers: dict[str, str],
) -> web.StreamResponse:
    plan = state.chat.create(body, time.time())
    if body.get("stream") is True:
        return await write_stream(
            state,
            request,
            record,
            plan.chunks,
            "chat",
            headers=headers,
            done=plan.ends_with_done,
        )
    if plan.error is not None:
        return answer_error(record, plan.error, headers)
    return answer_json(record, 200, plan.completion, headers)


async def responses_create(request: web.Request) -> web.StreamResponse:
    return await handle_post(request, "responses", respond_responses)


async def chat_create(request: web.Request) -> web.StreamResponse:
    return await handle_post(request, "chat", respond_chat)


async def responses_retrieve(request: web.Request) -> web.StreamResponse:
    """`GET /v1/responses/{id}`, and its resumable stream (`?stream=true&starting_after=N`)."""
    state = request.app[STATE]
    if (denied := authenticate(request, state)) is not None:
        return answer_error(None, denied)
    response_id = request.match_info["response_id"]
    record = open_exchange(request, state, {})
    try:
        if request.query.get("stream") == "true":
            after = request.query.get("starting_after")
            events = state.responses.resume(response_id, int(after) if after else None, time.time())
            return await write_stream(state, request, record, events, "responses")
        return answer_json(record, 200, state.responses.retrieve(response_id, time.time()), {})
    except ApiError as error:
        return answer_error(record, error)
    except ValueError:
        return answer_error(
            record,
            ApiError(400, "Invalid 'starting_after': expected an integer.", param="starting_after"),
        )
    finally:
        state.close_connection(record)


async def not_found(request: web.Request) -> web.Response:
    """The real API's JSON 404 for a path it does not serve."""
    message = f"Invalid URL ({request.method} {request.path})"
    return answer_error(None, ApiError(404, message))


def add_routes(app: web.Application) -> None:
    """Mount the Responses and Chat Completions endpoints, and a JSON 404 for the rest of /v1."""
    app.router.add_get("/v1/responses", responses_socket)  # the WebSocket mode
    app.router.add_post("/v1/responses", responses_create)
    app.router.add_get("/v1/responses/{response_id}", responses_retrieve)
    app.router.add_post("/v1/chat/completions", chat_create)
    app.router.add_route("*", "/v1/{tail:.*}", not_found)
