"""Translate Realtime events between the GA and beta dialects (shared/PROTOCOL.md §3).

Names: GA `response.output_text.*`, `response.output_audio.*` and
`response.output_audio_transcript.*` are beta's `response.text.*`, `response.audio.*` and
`response.audio_transcript.*`; GA's `conversation.item.added` is beta's
`conversation.item.created`. GA events beta has no name for (`conversation.item.done`, the idle
timeout, diarized segments, DTMF, MCP) translate to nothing. Beta's
`transcription_session.update(d)` is GA's `session.update(d)` with `session.type: "transcription"`.

Shapes: the GA session nests audio settings under `audio.input` / `audio.output`, beta keeps
them flat; GA audio formats are objects (`{"type": "audio/pcm", "rate": 24000}`), beta's are
names (`pcm16`); GA assistant content is `output_text` / `output_audio`, beta's `text` / `audio`.
Fields with no counterpart in the target dialect (GA `include`, `prompt`, `truncation`; beta
`temperature`) are dropped: a translation is exact for everything both dialects can say. Where
beta requires what GA never says, the beta default is filled in: a server session's
`temperature` (0.8) and an item's `object` ("realtime.item").

Limits, each for want of a recorded counterpart: GA's `session.created` of a transcription
session has no beta event; beta -> GA cannot add what GA requires and beta never carried (the
function name on `response.function_call_arguments.done`), so it is meant for client events.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from realtime_conformance.rtproto.catalogue import load_catalogue

Event = dict[str, Any]
Convert = Callable[[Any], Any]

GA_TO_BETA_NAMES = {
    "response.output_text.delta": "response.text.delta",
    "response.output_text.done": "response.text.done",
    "response.output_audio.delta": "response.audio.delta",
    "response.output_audio.done": "response.audio.done",
    "response.output_audio_transcript.delta": "response.audio_transcript.delta",
    "response.output_audio_transcript.done": "response.audio_transcript.done",
    "conversation.item.added": "conversation.item.created",
}
BETA_TO_GA_NAMES = {beta: ga for ga, beta in GA_TO_BETA_NAMES.items()}


@cache
def ga_only_without_counterpart() -> frozenset[str]:
    """GA event types beta has no name for (conversation.item.done, the timeout, DTMF, MCP, ...):
    the GA catalogue's types that are neither in beta's nor renamed for it."""
    catalogue = load_catalogue()
    ga = {spec.type for spec in catalogue.events("realtime", "ga")}
    beta = {spec.type for spec in catalogue.events("realtime", "beta")}
    return frozenset(ga - beta - GA_TO_BETA_NAMES.keys())


# Beta omits conversation.item.done without losing anything: its conversation.item.created says it.
OMITTED_IN_BETA = frozenset({"conversation.item.done"})


def beta_cannot_say(event_type: str) -> bool:
    """Whether a GA event cannot be said in beta at all (a scenario sending it is GA-only)."""
    return event_type in ga_only_without_counterpart() - OMITTED_IN_BETA


GA_TO_BETA_FORMATS = {"audio/pcm": "pcm16", "audio/pcmu": "g711_ulaw", "audio/pcma": "g711_alaw"}
BETA_TO_GA_FORMATS = {beta: ga for ga, beta in GA_TO_BETA_FORMATS.items()}
PCM_RATE = 24_000

GA_TO_BETA_CONTENT = {"output_text": "text", "output_audio": "audio"}
BETA_ITEM_OBJECT = "realtime.item"
BETA_DEFAULT_TEMPERATURE = 0.8
SERVER_SESSION_EVENTS = frozenset({"session.created", "session.updated"})
NESTED_KEYS = frozenset({"session", "item", "response"})  # what to_beta reshapes beyond the name
BETA_TO_GA_CONTENT = {beta: ga for ga, beta in GA_TO_BETA_CONTENT.items()}


def rename(names: dict[str, str], name: Any) -> Any:
    """`names[name]` when there is such an entry, else `name` as it is (whatever its type)."""
    return names.get(name, name) if isinstance(name, str) else name


def format_to_beta(value: Any) -> Any:
    if isinstance(value, dict):
        return rename(GA_TO_BETA_FORMATS, value.get("type"))
    return value


def format_to_ga(value: Any) -> Any:
    ga_type = BETA_TO_GA_FORMATS.get(value, value)
    return {"type": ga_type, "rate": PCM_RATE} if ga_type == "audio/pcm" else {"type": ga_type}


def turn_detection_to_beta(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: item for key, item in value.items() if key != "idle_timeout_ms"}
    return value


def _same(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class Field:
    """One setting: where GA nests it, what beta calls it, how the value converts each way."""

    ga_path: tuple[str, ...]
    beta_key: str
    to_beta: Convert = _same
    to_ga: Convert = _same


def _get(mapping: dict[str, Any], path: tuple[str, ...]) -> tuple[bool, Any]:
    value: Any = mapping
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return False, None
        value = value[key]
    return True, value


def _put(mapping: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        mapping = mapping.setdefault(key, {})
    mapping[path[-1]] = value


def flatten(nested: dict[str, Any], fields: list[Field]) -> dict[str, Any]:
    flat = {}
    for spec in fields:
        found, value = _get(nested, spec.ga_path)
        if found:
            flat[spec.beta_key] = spec.to_beta(value)
    return flat


def nest(flat: dict[str, Any], fields: list[Field]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for spec in fields:
        if spec.beta_key in flat:
            _put(nested, spec.ga_path, spec.to_ga(flat[spec.beta_key]))
    return nested


def _shared(*names: str) -> list[Field]:
    return [Field((name,), name) for name in names]


AUDIO_INPUT_FIELDS = [
    Field(("audio", "input", "format"), "input_audio_format", format_to_beta, format_to_ga),
    Field(("audio", "input", "transcription"), "input_audio_transcription"),
    Field(("audio", "input", "noise_reduction"), "input_audio_noise_reduction"),
    Field(("audio", "input", "turn_detection"), "turn_detection", turn_detection_to_beta),
]
SESSION_FIELDS = [
    *_shared(
        "id", "object", "model", "expires_at", "instructions", "tools", "tool_choice", "tracing"
    ),
    Field(("output_modalities",), "modalities"),
    Field(("max_output_tokens",), "max_response_output_tokens"),
    *AUDIO_INPUT_FIELDS,
    Field(("audio", "output", "format"), "output_audio_format", format_to_beta, format_to_ga),
    Field(("audio", "output", "voice"), "voice"),
    Field(("audio", "output", "speed"), "speed"),
]
TRANSCRIPTION_SESSION_FIELDS = [
    *_shared("id", "object", "expires_at", "include"),
    *AUDIO_INPUT_FIELDS,
]
RESPONSE_FIELDS = [
    *_shared(
        "id",
        "object",
        "status",
        "status_details",
        "usage",
        "metadata",
        "conversation_id",
        "max_output_tokens",
    ),
    Field(
        ("output",),
        "output",
        lambda items: [item_to_beta(i) for i in items],
        lambda items: [item_to_ga(i) for i in items],
    ),
    Field(("output_modalities",), "modalities"),
    Field(("audio", "output", "format"), "output_audio_format", format_to_beta, format_to_ga),
    Field(("audio", "output", "voice"), "voice"),
]
RESPONSE_PARAMS_FIELDS = [
    *_shared("conversation", "instructions", "metadata", "tools", "tool_choice"),
    Field(
        ("input",),
        "input",
        lambda items: [item_to_beta(i) for i in items],
        lambda items: [item_to_ga(i) for i in items],
    ),
    Field(("output_modalities",), "modalities"),
    Field(("max_output_tokens",), "max_response_output_tokens"),
    Field(("audio", "output", "format"), "output_audio_format", format_to_beta, format_to_ga),
    Field(("audio", "output", "voice"), "voice"),
]


def _recontent(item: Any, names: dict[str, str]) -> Any:
    if not isinstance(item, dict) or not isinstance(item.get("content"), list):
        return item
    content = [
        {**part, "type": rename(names, part.get("type"))} if isinstance(part, dict) else part
        for part in item["content"]
    ]
    return {**item, "content": content}


def item_to_beta(item: Any) -> Any:
    item = _recontent(item, GA_TO_BETA_CONTENT)
    if isinstance(item, dict) and "type" in item and "object" not in item:
        item = {"object": BETA_ITEM_OBJECT, **item}
    return item


def item_to_ga(item: Any) -> Any:
    return _recontent(item, BETA_TO_GA_CONTENT)


def _with(event: Event, **changes: Any) -> Event:
    """A copy of `event` with some fields replaced, keeping the key order."""
    return {key: changes.get(key, value) for key, value in event.items()} | changes


def _is_transcription(session: Any) -> bool:
    return isinstance(session, dict) and session.get("type") == "transcription"


def _session_to_beta(event: Event) -> Event:
    session = event["session"]
    if _is_transcription(session):
        name = event["type"].replace("session.", "transcription_session.", 1)
        return _with(event, type=name, session=flatten(session, TRANSCRIPTION_SESSION_FIELDS))
    flat = flatten(session, SESSION_FIELDS)
    if event["type"] in SERVER_SESSION_EVENTS:
        flat.setdefault("temperature", BETA_DEFAULT_TEMPERATURE)
    return _with(event, session=flat)


def _session_to_ga(event: Event) -> Event:
    session = event["session"]
    if event["type"].startswith("transcription_session."):
        nested = {"type": "transcription", **nest(session, TRANSCRIPTION_SESSION_FIELDS)}
        name = event["type"].replace("transcription_session.", "session.", 1)
        return _with(event, type=name, session=nested)
    return _with(event, session={"type": "realtime", **nest(session, SESSION_FIELDS)})


def to_beta(event: Event) -> list[Event]:
    """The beta events that say what one GA event says (none for GA-only bookkeeping)."""
    event_type = event.get("type")
    if event_type in ga_only_without_counterpart():
        return []
    if event_type == "session.created" and _is_transcription(event.get("session")):
        return []
    if event.keys().isdisjoint(NESTED_KEYS):  # deltas and the like: only the name changes
        renamed = GA_TO_BETA_NAMES.get(event_type, event_type) if type(event_type) is str else None
        return [{**event, "type": renamed if renamed is not None else event_type}]  # key order
    event = _with(event, type=rename(GA_TO_BETA_NAMES, event_type))
    if isinstance(event.get("session"), dict):
        event = _session_to_beta(event)
    if "item" in event:
        event = _with(event, item=item_to_beta(event["item"]))
    if isinstance(event.get("response"), dict):
        fields = RESPONSE_PARAMS_FIELDS if event_type == "response.create" else RESPONSE_FIELDS
        event = _with(event, response=flatten(event["response"], fields))
    return [event]


def to_ga(event: Event) -> list[Event]:
    """The GA events that say what one beta event says."""
    event_type = event.get("type")
    event = _with(event, type=rename(BETA_TO_GA_NAMES, event_type))
    if isinstance(event.get("session"), dict):
        event = _session_to_ga(event)
    if "item" in event:
        event = _with(event, item=item_to_ga(event["item"]))
    if isinstance(event.get("response"), dict):
        fields = RESPONSE_PARAMS_FIELDS if event_type == "response.create" else RESPONSE_FIELDS
        event = _with(event, response=nest(event["response"], fields))
    return [event]
