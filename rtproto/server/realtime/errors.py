"""The Realtime server's error catalogue (shared/PROTOCOL.md §4), with the real codes and texts.

Every function returns the `RealtimeError` the real GA server sends for one situation; the
caller attaches the offending client event's `event_id`. `problem_to_error` words a schema
`Problem` the way the real server words the same mistake. Texts marked UNVERIFIED follow the
pattern of a recorded sibling (e.g. "Error truncating item" after "Error deleting item") or a
third-party report; the rest are verbatim from recordings and pasted server errors.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from realtime_conformance.rtproto.events import RealtimeError, supported_values_message
from realtime_conformance.rtproto.validation import JSON_TYPE_NAMES, Problem

# The client event types the real GA server accepts, verbatim and in the order of its own error
# message (capture p08). Not the catalogue's list: the server names two types no schema
# describes (`session.close`, `session.input_audio_buffer.append`) and leaves out the
# WebRTC-only `output_audio_buffer.clear`, so this is server text, not an event list.
SUPPORTED_CLIENT_EVENTS = (
    "session.update",
    "session.close",
    "input_audio_buffer.append",
    "session.input_audio_buffer.append",
    "input_audio_buffer.commit",
    "input_audio_buffer.clear",
    "conversation.item.create",
    "conversation.item.truncate",
    "conversation.item.delete",
    "conversation.item.retrieve",
    "response.create",
    "response.cancel",
)
PCM_RATE = 24_000


def with_event_id(error: RealtimeError, event_id: str | None) -> RealtimeError:
    return replace(error, event_id=event_id)


def unknown_event_type(event_type: str) -> RealtimeError:
    message = supported_values_message(event_type, list(SUPPORTED_CLIENT_EVENTS))
    return RealtimeError("invalid_value", message, "type")


def cancel_not_active() -> RealtimeError:
    return RealtimeError(
        "response_cancel_not_active", "Cancellation failed: no active response found"
    )


def active_response(response_id: str) -> RealtimeError:
    return RealtimeError(
        "conversation_already_has_active_response",
        f"Conversation already has an active response in progress: {response_id}. Wait until "
        "the response is finished before creating a new one.",
    )


def _missing_item(code: str, verb: str, item_id: str) -> RealtimeError:
    return RealtimeError(
        code, f"Error {verb} item: the item with id '{item_id}' does not exist.", "item_id"
    )


def delete_unknown_item(item_id: str) -> RealtimeError:
    return _missing_item("item_delete_invalid_item_id", "deleting", item_id)


def retrieve_unknown_item(item_id: str) -> RealtimeError:
    return _missing_item("item_retrieve_invalid_item_id", "retrieving", item_id)  # UNVERIFIED


def truncate_unknown_item(item_id: str) -> RealtimeError:
    return _missing_item("item_truncate_invalid_item_id", "truncating", item_id)  # UNVERIFIED


def create_unknown_previous_item(previous_item_id: str) -> RealtimeError:
    # UNVERIFIED: code and text as a third-party replay of the real server words them.
    return RealtimeError(
        "item_create_invalid_previous_item_id",
        f"Error adding item: the previous item with id '{previous_item_id}' does not exist.",
        "previous_item_id",
    )


def duplicate_item_id(item_id: str) -> RealtimeError:
    # UNVERIFIED: no recording of a duplicate id.
    return RealtimeError(
        "item_create_duplicate_item_id",
        f"Error adding item: an item with id '{item_id}' already exists.",
        "item.id",
    )


def truncate_not_audio() -> RealtimeError:
    # PROTOCOL.md notes conflicting reports on the code; livekit/agents#6157 (2026) pastes
    # `unsupported_content_type`, also for a truncate before the first audio delta.
    return RealtimeError(
        "unsupported_content_type", "Only model output audio messages can be truncated"
    )


def truncate_past_audio(audio_ms: float, audio_end_ms: int) -> RealtimeError:
    return RealtimeError(
        "invalid_value",
        f"Audio content of {round(audio_ms)}ms is already shorter than {audio_end_ms}ms",
        "audio_end_ms",
    )


def cannot_update_voice() -> RealtimeError:
    return RealtimeError(
        "cannot_update_voice",
        "Cannot update a conversation's voice if assistant audio is present.",
        "session.audio.output.voice",
    )


def session_type_mismatch(session_type: str, update_type: str) -> RealtimeError:
    # The realtime -> transcription text is pasted in crmitchelmore/justspeaktoit#427; the other
    # direction is UNVERIFIED, worded alike.
    return RealtimeError(
        "invalid_parameter",
        f"Passing a {update_type} session update event to a {session_type} session is not allowed.",
        "session.type",
    )


def not_in_transcription_session(event_type: str) -> RealtimeError:
    # UNVERIFIED: no recording of a response asked for in a transcription session.
    return RealtimeError(
        "invalid_value",
        f"Event type '{event_type}' is not supported in a transcription session.",
        "type",
    )


def unsupported_conversation(value: str) -> RealtimeError:
    # UNVERIFIED: the SDK documents only `auto` and `none`.
    return RealtimeError(
        "invalid_value",
        supported_values_message(value, ["auto", "none"]),
        "response.conversation",
    )


def session_expired(max_duration_s: float) -> RealtimeError:
    minutes = f"{max_duration_s / 60:g}"
    return RealtimeError(
        "session_expired", f"Your session hit the maximum duration of {minutes} minutes."
    )


# --- schema problems, worded as the real server words them -------------------------------

JSON_TYPE_ARTICLES = {
    "object": "an object",
    "array": "an array",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "null": "null",
}
PYTHON_JSON_TYPES = JSON_TYPE_NAMES  # Python type -> JSON type name
RANGE_WORDS = {
    "minimum": ("below_min_value", "below minimum value", ">="),
    "exclusiveMinimum": ("below_min_value", "below minimum value", ">"),
    "maximum": ("above_max_value", "above maximum value", "<="),
    "exclusiveMaximum": ("above_max_value", "above maximum value", "<"),
}
LENGTH_WORDS = {
    "maxLength": ("string_above_max_length", "string too long", "a string", "maximum"),
    "minLength": ("string_below_min_length", "string too short", "a string", "minimum"),
    "maxItems": ("array_above_max_length", "array too long", "an array", "maximum"),
    "minItems": ("array_below_min_length", "array too short", "an array", "minimum"),
}


def param_of(problem: Problem) -> str:
    """`$.session.tools[3].description` -> `session.tools[3].description`."""
    return problem.path.removeprefix("$").removeprefix(".")


def _number_text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _type_error(problem: Problem, param: str) -> RealtimeError:
    wanted = problem.limit if isinstance(problem.limit, list) else [problem.limit]
    expected = " or ".join(JSON_TYPE_ARTICLES.get(str(kind), str(kind)) for kind in wanted)
    got = JSON_TYPE_ARTICLES[PYTHON_JSON_TYPES.get(type(problem.value), "object")]
    message = f"Invalid type for '{param}': expected {expected}, but got {got} instead."
    return RealtimeError("invalid_type", message, param)


def _range_error(problem: Problem, param: str) -> RealtimeError:
    suffix, words, sign = RANGE_WORDS[problem.keyword]
    integral = isinstance(problem.value, int) and isinstance(problem.limit, int)
    kind = "integer" if integral else "decimal"
    message = (
        f"Invalid '{param}': {kind} {words}. Expected a value {sign} "
        f"{_number_text(problem.limit)}, but got {_number_text(problem.value)} instead."
    )
    return RealtimeError(f"{kind}_{suffix}", message, param)


def _length_error(problem: Problem, param: str) -> RealtimeError:
    code, words, noun, bound = LENGTH_WORDS[problem.keyword]
    length = len(problem.value) if isinstance(problem.value, str | list) else 0
    message = (
        f"Invalid '{param}': {words}. Expected {noun} with {bound} length {problem.limit}, "
        f"but got {noun} with length {length} instead."
    )
    return RealtimeError(code, message, param)


def _audio_rate_error(problem: Problem, param: str) -> RealtimeError | None:
    """GA `audio/pcm` is 24 kHz only; the server words another rate as a range error."""
    if not param.endswith("format.rate") or type(problem.value) is not int:
        return None
    keyword = "minimum" if problem.value < PCM_RATE else "maximum"
    return _range_error(replace(problem, keyword=keyword, limit=PCM_RATE), param)


def _value_error(problem: Problem, param: str) -> RealtimeError:
    choices = problem.limit if isinstance(problem.limit, list) else [problem.limit]
    supported = [_number_text(choice) for choice in choices]
    message = supported_values_message(_number_text(problem.value), supported)
    return RealtimeError("invalid_value", message, param)


def problem_to_error(problem: Problem, event_id: str | None = None) -> RealtimeError:
    """The real server's error for one schema problem with a client event."""
    param = param_of(problem)
    error: RealtimeError | None
    if problem.kind == "unknown_field":
        error = RealtimeError("unknown_parameter", f"Unknown parameter: '{param}'.", param)
    elif problem.kind == "missing":
        error = RealtimeError(
            "missing_required_parameter", f"Missing required parameter: '{param}'.", param
        )
    elif problem.keyword in ("enum", "const"):
        error = _audio_rate_error(problem, param) or _value_error(problem, param)
    elif problem.keyword == "type":
        error = _type_error(problem, param)
    elif problem.keyword in RANGE_WORDS:
        error = _range_error(problem, param)
    elif problem.keyword in LENGTH_WORDS:
        error = _length_error(problem, param)
    else:  # UNVERIFIED: a keyword with no recorded wording (maxProperties, oneOf, ...)
        error = RealtimeError("invalid_value", f"Invalid value for '{param}'.", param)
    return with_event_id(error, event_id)
