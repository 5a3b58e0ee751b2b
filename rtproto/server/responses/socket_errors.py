"""The WebSocket mode's error events and their wording.

Shape, as pasted from the real server in public issues: `{"type": "error", "error": {"type",
"code", "message", "param"}, "status": 400}`, plus `stream_id` when the request named a lane.
Verbatim where seen: "Previous response with id '…' not found." (status 400 over the socket,
where HTTP answers 404) and "Responses websocket connection limit reached (60 minutes). Create a
new websocket connection to continue.". The rest is UNVERIFIED: this mock's wording, in the
real API's style.
"""

from __future__ import annotations

from typing import Any

from realtime_conformance.rtproto.api_errors import ApiError, invalid_type, invalid_value, missing
from realtime_conformance.rtproto.events import JsonInputError, decode_json

SUPPORTED = ("response.create", "response.steer")
WEBSOCKET_STATUS = {"previous_response_not_found": 400}
INVALID_STEER = (
    "Steering input must be a non-empty string or a non-empty array of user messages and "
    "function call outputs."
)  # UNVERIFIED


def error_event(error: ApiError, stream_id: str | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "error",
        "error": {
            "type": error.type,
            "code": error.code,
            "message": error.message,
            "param": error.param,
        },
        "status": WEBSOCKET_STATUS.get(error.code or "", error.status),
    }
    if stream_id is not None:
        event["stream_id"] = stream_id
    return event


def decode(data: str | bytes) -> dict[str, Any]:
    """A client message as a JSON object with a string `type`, or the error answering it."""
    if isinstance(data, bytes):
        raise ApiError(400, "Binary WebSocket messages are not supported.", code="invalid_event")
    try:
        message = decode_json(data)  # the one decoder of client input, with its limits
    except JsonInputError as error:
        raise ApiError(400, f"Invalid JSON: {error}.", code="invalid_json") from None
    return checked_message(message)


def checked_message(message: Any) -> dict[str, Any]:
    """A parsed client message as a JSON object with a string `type`, or the error answering it."""
    if not isinstance(message, dict):
        raise invalid_type("message", "an object", message)
    if "type" not in message:
        raise missing("type")
    if not isinstance(message["type"], str):
        raise invalid_type("type", "a string", message["type"])
    return message


def unsupported_type(value: str) -> ApiError:
    return invalid_value("type", value, SUPPORTED)


def bad_stream_id(value: Any) -> ApiError:
    return invalid_type("stream_id", "a string", value)


def connection_limit() -> ApiError:
    message = (
        "Responses websocket connection limit reached (60 minutes). Create a new websocket "
        "connection to continue."
    )
    return ApiError(400, message, code="websocket_connection_limit_reached")


def background_unsupported() -> ApiError:
    message = "Unsupported parameter: 'background' is not supported in WebSocket mode."
    return ApiError(400, message, param="background", code="unsupported_parameter")


def too_many_lanes(limit: int) -> ApiError:
    message = f"Too many streams on this connection: at most {limit} distinct stream_id values."
    return ApiError(400, message, param="stream_id", code="websocket_stream_limit_reached")


def too_many_in_flight(limit: int) -> ApiError:
    message = f"Too many responses in flight on this connection: at most {limit}."
    return ApiError(400, message, param="stream_id", code="websocket_stream_limit_reached")


def steer_target_message(code: str, response_id: str) -> str:
    if code == "response_already_completed":
        return f"Response with id '{response_id}' has already completed."
    return f"Response with id '{response_id}' is not available on this connection."
