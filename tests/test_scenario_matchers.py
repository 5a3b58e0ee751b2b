"""Matchers on dotted field paths: eq, regex, present, absent, any_of."""

from __future__ import annotations

from typing import Any

import pytest

from realtime_conformance.rtproto.scenario.matchers import MISSING, json_equal, lookup, parse_when

EVENT = {
    "type": "conversation.item.create",
    "item": {
        "role": "user",
        "content": [{"type": "input_text", "text": "What's the weather in Paris?"}],
        "urgent": True,
    },
    "count": 1,
}


@pytest.mark.parametrize(
    ("when", "matches"),
    [
        ({"type": "conversation.item.create"}, True),
        ({"type": {"eq": "response.create"}}, False),
        ({"item.content.0.text": {"regex": r"weather in \w+"}}, True),
        ({"item.content.0.text": {"regex": "^Paris"}}, False),
        ({"item.content.1": {"absent": True}}, True),
        ({"item.role": {"present": True}, "item.id": {"absent": True}}, True),
        ({"item.id": {"present": True}}, False),
        ({"item.role": {"any_of": ["system", "user"]}}, True),
        ({"item.role": {"any_of": ["assistant"]}}, False),
        ({"item.urgent": 1}, False),  # JSON equality: true is not 1
        ({"count": 1.0}, True),
        ({"item": {"eq": {"role": "user"}}}, False),  # eq on objects compares the whole object
        ({}, True),
    ],
)
def test_matchers(when: dict[str, Any], matches: bool) -> None:
    assert all(matcher.matches(EVENT) for matcher in parse_when(when)) is matches


def test_paths_index_lists_and_say_when_nothing_is_there() -> None:
    assert lookup(EVENT, "item.content.0.type") == "input_text"
    assert lookup(EVENT, "item.content.5.type") is MISSING
    assert lookup(EVENT, "type.length") is MISSING


def test_json_equality() -> None:
    assert json_equal({"a": [1, True]}, {"a": [1.0, True]})
    assert not json_equal({"a": [1, True]}, {"a": [True, 1]})
    assert not json_equal(0, False) and not json_equal("1", 1)


def test_descriptions_say_what_was_expected() -> None:
    when = {"type": "response.create", "response.metadata": {"present": True},
            "x": {"regex": "a+"}, "y": {"any_of": [1, "b"]}, "z": {"absent": True}}  # fmt: skip
    assert [m.describe() for m in parse_when(when)] == [
        'type = "response.create"',
        "response.metadata present",
        "x ~ /a+/",
        'y in [1, "b"]',
        "z absent",
    ]
