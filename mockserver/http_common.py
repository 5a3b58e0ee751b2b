"""What every HTTP endpoint of the mock shares: authentication, rate limits, the recorded
exchange, and the writing of a planned stream as Server-Sent Events or of a JSON answer.

Errors are the real API's HTTP shape `{"error": {message, type, param, code}}`. Streams are
paced on absolute deadlines counted from the request's arrival. Every exchange is recorded in
the transcript format, like a WebSocket connection: the request as a meta line, each event as
it was sent, and the JSON answer or the close.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from aiohttp import web

from realtime_conformance.mockserver.guard import error_response
from realtime_conformance.mockserver.handshake import API_KEYS_URL, mask_key
from realtime_conformance.mockserver.http_stream import PlannedStream, StreamApi, write_sse
from realtime_conformance.mockserver.options import ConnectionInfo
from realtime_conformance.mockserver.pump import EventCheck
from realtime_conformance.mockserver.state import ConnectionRecord, MockState
from realtime_conformance.rtproto.api_errors import ApiError, parse_json_body
from realtime_conformance.rtproto.catalogue import Api
from realtime_conformance.rtproto.handshake import redacted_header_map, redacted_query_string
from realtime_conformance.rtproto.server.pacing import PlannedEvent

NO_KEY_MESSAGE = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header "
    "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with "
    "blank username) if you're accessing the API from your browser and are prompted for a "
    f"username. You can obtain an API key from {API_KEYS_URL}."
)
CHARS_PER_TOKEN = 4  # the usual estimate, for the rate limiter's token bucket


def authenticate(request: web.Request, state: MockState) -> ApiError | None:
    """The real API's 401s: no key at all, or a key the server does not accept."""
    scheme, _, value = request.headers.get("Authorization", "").strip().partition(" ")
    key = value.strip() if scheme.lower() == "bearer" else request.headers.get("api-key", "")
    if not key:
        return ApiError(401, NO_KEY_MESSAGE)
    accepted = state.options.api_keys
    if accepted is not None and key not in accepted:
        message = (
            f"Incorrect API key provided: {mask_key(key)}. "
            f"You can find your API key at {API_KEYS_URL}."
        )
        return ApiError(401, message, code="invalid_api_key")
    return None


def open_exchange(request: web.Request, state: MockState, body: dict[str, Any]) -> ConnectionRecord:
    """An HTTP exchange, recorded like a connection: the request, then what was answered."""
    info = ConnectionInfo(
        connection_id=state.new_connection_id(),
        dialect="ga",
        model=body.get("model") if isinstance(body.get("model"), str) else None,
        path=request.path,
        query=dict(request.query),
        headers=redacted_header_map(request.headers.items()),
        seed=state.seed,
    )
    record = state.open_connection(info, None)
    record.recording.meta(
        record.recording.started_at,
        {
            "kind": "http_request",
            "method": request.method,
            "path": request.path,
            "query": redacted_query_string(request.query_string),
            "request_headers": dict(info.headers),
            "body": body,
            "seed": state.seed,
        },
    )
    return record


def rate_limit(state: MockState, body: dict[str, Any]) -> tuple[dict[str, str], ApiError | None]:
    """The `x-ratelimit-*` headers, and the 429 when the policy refuses the request."""
    policy = state.rate_limits
    if policy is None:
        return {}, None
    estimate = len(json.dumps(body)) // CHARS_PER_TOKEN
    admission = policy.admit(time.monotonic(), estimate, str(body.get("model", "")))
    return admission.headers, admission.error


async def read_body(request: web.Request) -> dict[str, Any]:
    return parse_json_body(await request.read())


def event_check(record: ConnectionRecord, state: MockState) -> EventCheck | None:
    """Test mode's check of what an HTTP stream sends (its API told by the endpoint's path).

    A Chat mid-stream `{"error": ...}` chunk is no `chat.completion.chunk`: no schema describes
    it, so it is left out.
    """
    api: Api = "chat" if record.info.path.endswith("/chat/completions") else "responses"
    check = state.event_check(record.connection_id, "", api)
    if check is None or api == "responses":
        return check
    return lambda event: None if "error" in event and "object" not in event else check(event)


async def write_stream(
    state: MockState,
    request: web.Request,
    record: ConnectionRecord,
    planned: Sequence[PlannedEvent],
    api: StreamApi,
    *,
    headers: dict[str, str] | None = None,
    done: bool = False,
) -> web.StreamResponse:
    """Send each planned event when it falls due (absolute deadlines from the request's arrival)."""
    recording = record.recording
    stream = PlannedStream(planned, recording.started_at, done=done)
    check = event_check(record, state)
    return await write_sse(request, recording, stream, api, check_event=check, headers=headers)


def answer_json(
    record: ConnectionRecord, status: int, body: dict[str, Any], headers: dict[str, str]
) -> web.Response:
    record.recording.meta(
        time.monotonic(), {"kind": "http_response", "status": status, "body": body}
    )
    return web.json_response(body, status=status, headers=headers)


def answer_error(
    record: ConnectionRecord | None, error: ApiError, headers: dict[str, str] | None = None
) -> web.Response:
    if record is not None:
        record.recording.meta(
            time.monotonic(),
            {"kind": "http_response", "status": error.status, "body": error.body()},
        )
    return error_response(error, headers)
