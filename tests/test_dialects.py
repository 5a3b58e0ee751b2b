"""GA <-> beta translation: translated events are valid in the target dialect."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from realtime_conformance.rtproto.catalogue import load_catalogue
from realtime_conformance.rtproto.dialects import format_to_beta, format_to_ga, to_beta, to_ga
from realtime_conformance.rtproto.schema_store import SchemaStore
from realtime_conformance.rtproto.validation import EventValidator

CATALOGUE, STORE = load_catalogue(), SchemaStore()
VALIDATOR = EventValidator()


def examples(dialect: str, direction: str | None = None) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for spec in CATALOGUE.events("realtime", dialect):
        if direction and spec.direction != direction:
            continue
        for index, example in enumerate(STORE.schema(spec.schema_path)["examples"]):
            found.append((f"{spec.type}#{index}", example))
    return found


def has_counterpart(event: dict[str, Any], target: str) -> bool:
    translated = (to_beta if target == "beta" else to_ga)(copy.deepcopy(event))
    return (
        bool(translated) and CATALOGUE.lookup("realtime", translated[0]["type"], target) is not None
    )


GA_EXAMPLES = [(n, e) for n, e in examples("ga") if has_counterpart(e, "beta")]
# Beta -> GA serves client events (a beta client talking to a GA-shaped core): GA server events
# carry what beta never said (e.g. the function name on function_call_arguments.done).
BETA_EXAMPLES = [
    (n, e) for n, e in examples("beta", direction="client") if has_counterpart(e, "ga")
]


@pytest.mark.parametrize(("name", "event"), GA_EXAMPLES, ids=[n for n, _ in GA_EXAMPLES])
def test_ga_event_translates_to_a_valid_beta_event(name: str, event: dict[str, Any]) -> None:
    [translated] = to_beta(copy.deepcopy(event))
    assert VALIDATOR.validate(translated, "realtime", "beta") == []


@pytest.mark.parametrize(("name", "event"), BETA_EXAMPLES, ids=[n for n, _ in BETA_EXAMPLES])
def test_beta_event_translates_to_a_valid_ga_event(name: str, event: dict[str, Any]) -> None:
    [translated] = to_ga(copy.deepcopy(event))
    assert VALIDATOR.validate(translated, "realtime", "ga") == []


def test_names_translate_both_ways() -> None:
    assert to_beta({"type": "response.output_audio_transcript.delta"})[0]["type"] == (
        "response.audio_transcript.delta"
    )
    assert to_ga({"type": "response.text.done"})[0]["type"] == "response.output_text.done"
    assert to_ga({"type": "conversation.item.created"})[0]["type"] == "conversation.item.added"
    assert to_beta({"type": "conversation.item.done"}) == []
    transcription = {"type": "session.created", "session": {"type": "transcription"}}
    assert to_beta(transcription) == []


def test_session_update_round_trips_through_beta() -> None:
    ga = {
        "type": "session.update",
        "session": {
            "type": "realtime",
            "output_modalities": ["audio"],
            "instructions": "Be brief.",
            "audio": {
                "input": {
                    "format": {"type": "audio/pcmu"},
                    "turn_detection": {"type": "server_vad", "threshold": 0.5},
                },
                "output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "marin"},
            },
            "max_output_tokens": 512,
        },
    }
    [beta] = to_beta(ga)
    assert beta["session"] == {
        "instructions": "Be brief.",
        "modalities": ["audio"],
        "max_response_output_tokens": 512,
        "input_audio_format": "g711_ulaw",
        "turn_detection": {"type": "server_vad", "threshold": 0.5},
        "output_audio_format": "pcm16",
        "voice": "marin",
    }
    assert to_ga(beta) == [ga]


def test_transcription_session_maps_to_the_beta_event_family() -> None:
    ga = {
        "type": "session.update",
        "session": {
            "type": "transcription",
            "audio": {
                "input": {
                    "format": {"type": "audio/pcm", "rate": 24000},
                    "transcription": {"model": "gpt-4o-transcribe"},
                }
            },
        },
    }
    [beta] = to_beta(ga)
    assert beta["type"] == "transcription_session.update"
    assert beta["session"] == {
        "input_audio_format": "pcm16",
        "input_audio_transcription": {"model": "gpt-4o-transcribe"},
    }
    assert to_ga(beta) == [ga]


def test_assistant_content_types_are_renamed() -> None:
    item = {
        "type": "message",
        "role": "assistant",
        "content": [
            {"type": "output_audio", "transcript": "Hi"},
            {"type": "output_text", "text": "x"},
        ],
    }
    [beta] = to_beta({"type": "conversation.item.added", "item": item})
    assert [part["type"] for part in beta["item"]["content"]] == ["audio", "text"]


@pytest.mark.parametrize(
    ("ga", "beta"),
    [
        ({"type": "audio/pcm", "rate": 24000}, "pcm16"),
        ({"type": "audio/pcmu"}, "g711_ulaw"),
        ({"type": "audio/pcma"}, "g711_alaw"),
    ],
)
def test_audio_formats(ga: dict[str, Any], beta: str) -> None:
    assert format_to_beta(ga) == beta and format_to_ga(beta) == ga
