"""Negative tests: mutated events are rejected, and the error names the field path."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from realtime_conformance.rtproto.catalogue import Api, EventSpec, load_catalogue
from realtime_conformance.rtproto.schema_store import SchemaStore
from realtime_conformance.rtproto.validation import EventValidator, type_key

CATALOGUE = load_catalogue()
STORE = SchemaStore()
ALL_SPECS = [spec for channel in CATALOGUE.channels for spec in channel.events]


def spec_id(spec: EventSpec) -> str:
    return f"{spec.api}-{spec.dialect or 'any'}-{spec.type}"


@pytest.fixture(scope="module")
def validator() -> EventValidator:
    return EventValidator()


def example(spec: EventSpec) -> dict[str, Any]:
    return copy.deepcopy(STORE.schema(spec.schema_path)["examples"][0])


def required_fields(spec: EventSpec) -> list[str]:
    schema = STORE.schema(spec.schema_path)
    return [field for field in schema.get("required", []) if field != type_key(spec.api)]


def wrong_type_value(value: Any) -> Any:
    return 12345 if isinstance(value, str) else "not-the-right-type"


@pytest.mark.parametrize("spec", ALL_SPECS, ids=spec_id)
def test_example_is_valid(spec: EventSpec, validator: EventValidator) -> None:
    assert validator.validate(example(spec), spec.api, spec.dialect) == []


@pytest.mark.parametrize("spec", ALL_SPECS, ids=spec_id)
def test_wrong_type_constant_is_an_unknown_event(
    spec: EventSpec, validator: EventValidator
) -> None:
    key = type_key(spec.api)
    event = example(spec) | {key: spec.type + "_bogus"}
    [problem] = validator.validate(event, spec.api, spec.dialect)
    assert problem.kind == "unknown_event" and problem.path == f"$.{key}"
    assert f'"{spec.type}_bogus"' in problem.actual


@pytest.mark.parametrize("spec", ALL_SPECS, ids=spec_id)
def test_each_missing_required_field_is_named(spec: EventSpec, validator: EventValidator) -> None:
    for field in required_fields(spec):
        event = example(spec)
        del event[field]
        problems = validator.validate(event, spec.api, spec.dialect)
        assert any(p.kind == "missing" and p.path == f"$.{field}" for p in problems), (
            f"removing {field!r}: {[str(p) for p in problems]}"
        )


@pytest.mark.parametrize("spec", ALL_SPECS, ids=spec_id)
def test_each_required_field_of_wrong_type_is_named(
    spec: EventSpec, validator: EventValidator
) -> None:
    for field in required_fields(spec):
        event = example(spec)
        event[field] = wrong_type_value(event[field])
        problems = validator.validate(event, spec.api, spec.dialect)
        assert problems and all(p.path.startswith(f"$.{field}") for p in problems), (
            f"{field!r} = {event[field]!r}: {[str(p) for p in problems]}"
        )


CLIENT_SPECS = [spec for spec in ALL_SPECS if spec.direction == "client"]


@pytest.mark.parametrize("spec", CLIENT_SPECS, ids=spec_id)
def test_unknown_field_in_a_client_event_is_named(
    spec: EventSpec, validator: EventValidator
) -> None:
    event = example(spec) | {"bogus_field": True}
    problems = validator.validate(event, spec.api, spec.dialect)
    assert [(p.kind, p.path) for p in problems] == [("unknown_field", "$.bogus_field")]


NESTED_CASES = [
    # (api, dialect, event, expected path, expected kind)
    (
        "realtime",
        "ga",
        {"type": "session.update", "session": {"output_modalities": ["text"]}},
        "$.session.type",
        "missing",
    ),
    (
        "realtime",
        "ga",
        {"type": "session.update", "session": {"type": "realtime", "bogus": 1}},
        "$.session.bogus",
        "unknown_field",
    ),
    (
        "realtime",
        "ga",
        {
            "type": "conversation.item.create",
            "item": {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": 7}],
            },
        },
        "$.item.content[0].text",
        "type",
    ),
    (
        "realtime",
        "ga",
        {"type": "conversation.item.create", "item": {"type": "telepathy", "role": "user"}},
        "$.item.type",
        "value",
    ),
    (
        "realtime",
        "beta",
        {"type": "session.update", "session": {"input_audio_format": "mp3"}},
        "$.session.input_audio_format",
        "value",
    ),
    (
        "realtime",
        "ga",
        {
            "type": "conversation.item.truncate",
            "item_id": "item_1",
            "content_index": 0,
            "audio_end_ms": -11,
        },
        "$.audio_end_ms",
        "range",
    ),
]


@pytest.mark.parametrize(("api", "dialect", "event", "path", "kind"), NESTED_CASES)
def test_nested_problem_is_named_precisely(
    api: Api, dialect: str, event: dict[str, Any], path: str, kind: str, validator: EventValidator
) -> None:
    problems = validator.validate(event, api, dialect)
    assert (path, kind) in [(p.path, p.kind) for p in problems], [str(p) for p in problems]


def test_problem_text_has_event_path_expected_and_actual(validator: EventValidator) -> None:
    event = {
        "type": "response.output_text.delta",
        "event_id": "event_1",
        "response_id": "resp_1",
        "item_id": "item_1",
        "output_index": 0,
        "content_index": 0,
        "delta": 42,
    }
    [problem] = validator.validate(event, "realtime", "ga")
    assert str(problem) == (
        "response.output_text.delta (GA server event): at $.delta: expected string; got integer 42"
    )


def test_beta_name_in_a_ga_stream_says_which_dialect(validator: EventValidator) -> None:
    [problem] = validator.validate({"type": "response.text.delta"}, "realtime", "ga")
    assert "BETA dialect only" in problem.expected


def test_near_miss_type_gets_a_suggestion(validator: EventValidator) -> None:
    [problem] = validator.validate({"type": "session.updat"}, "realtime", "ga")
    assert "did you mean 'session.update'" in problem.expected


def test_non_object_event(validator: EventValidator) -> None:
    [problem] = validator.validate(["not", "an", "event"], "realtime", "ga")
    assert problem.kind == "not_an_object" and problem.path == "$"
