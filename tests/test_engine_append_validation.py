"""Appends skip jsonschema only when the schema would accept them: the answers are unchanged."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from realtime_conformance.rtproto.server.realtime import errors
from realtime_conformance.rtproto.server.realtime.session import shared_validator
from tests.support.engine import EngineDriver

AUDIO = base64.b64encode(bytes(960)).decode()


def schema_error(event: dict[str, Any]) -> dict[str, Any] | None:
    """The error the full schema validation gives `event` (None: valid)."""
    problems = shared_validator().validate(event, "realtime", "ga")
    return errors.problem_to_error(problems[0]).details() if problems else None


@pytest.mark.parametrize(
    "event",
    [
        {"type": "input_audio_buffer.append", "audio": AUDIO},
        {"type": "input_audio_buffer.append", "audio": AUDIO, "event_id": "evt_1"},
        {"type": "input_audio_buffer.append"},  # audio missing
        {"type": "input_audio_buffer.append", "audio": 12},
        {"type": "input_audio_buffer.append", "audio": AUDIO, "event_id": 7},
        {"type": "input_audio_buffer.append", "audio": AUDIO, "extra": "x"},
        {"type": "input_audio_buffer.clear", "event_id": "evt_2"},  # not an append, valid
        {"type": "conversation.item.delete", "event_id": "evt_3"},  # item_id missing
    ],
)
def test_an_event_gets_the_answer_full_validation_gives(event: dict[str, Any]) -> None:
    driver = EngineDriver()
    driver.send(event)
    expected = schema_error(event)
    got = driver.errors()
    if expected is None:
        assert got == []
    else:
        assert got and {k: got[0][k] for k in expected if k != "event_id"} == {
            k: v for k, v in expected.items() if k != "event_id"
        }
