"""Conversation items (create, delete, retrieve, truncate) and the input audio buffer."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from realtime_conformance.rtproto.server.realtime.timing import Timing
from tests.support.engine import EngineDriver, append_silence, session_update, user_text


def ids_in_order(driver: EngineDriver) -> list[str | None]:
    return [e["previous_item_id"] for e in driver.of_type("conversation.item.added")]


def error(
    code: str, message: str, param: str | None, event_id: str | None = None
) -> dict[str, Any]:
    return {
        "type": "invalid_request_error",
        "code": code,
        "message": message,
        "param": param,
        "event_id": event_id,
    }


def test_client_items_are_added_then_done_completed() -> None:
    driver = EngineDriver()
    driver.send(user_text("first", event_id="e1"))
    added, done = driver.events[1:]
    assert [added["type"], done["type"]] == ["conversation.item.added", "conversation.item.done"]
    assert added["item"] == done["item"]
    assert list(added["item"]) == ["id", "type", "status", "role", "content"]
    assert added["item"]["status"] == "completed"
    assert added["previous_item_id"] is None


def test_previous_item_id_places_the_item() -> None:
    driver = EngineDriver()
    driver.send(user_text("a", "item_a"))
    driver.send(user_text("b", "item_b"))
    driver.send(user_text("c", "item_c", previous_item_id="item_a"))
    driver.send(user_text("r", "item_r", previous_item_id="root"))
    assert ids_in_order(driver) == [None, "item_a", "item_a", None]
    driver.send(user_text("z", previous_item_id="item_nope", event_id="e9"))
    assert driver.errors() == [
        error(
            "item_create_invalid_previous_item_id",
            "Error adding item: the previous item with id 'item_nope' does not exist.",
            "previous_item_id",
            "e9",
        )
    ]
    driver.send({"type": "response.create"})
    driver.settle()
    assistant = driver.of_type("conversation.item.added")[-1]
    assert assistant["previous_item_id"] == "item_b"  # the end of r, a, c, b


def test_an_item_id_is_used_once() -> None:
    driver = EngineDriver()
    driver.send(user_text("a", "item_a"))
    driver.send(user_text("again", "item_a"))
    assert [e["code"] for e in driver.errors()] == ["item_create_duplicate_item_id"]
    assert len(driver.of_type("conversation.item.added")) == 1


def test_delete_and_retrieve() -> None:
    driver = EngineDriver()
    driver.send(user_text("a", "item_a"))
    driver.send({"type": "conversation.item.retrieve", "item_id": "item_a"})
    retrieved = driver.one("conversation.item.retrieved")["item"]
    assert retrieved == driver.one("conversation.item.done")["item"]
    driver.send({"type": "conversation.item.delete", "item_id": "item_a"})
    assert driver.one("conversation.item.deleted")["item_id"] == "item_a"
    driver.send({"type": "conversation.item.delete", "item_id": "item_a", "event_id": "d2"})
    driver.send({"type": "conversation.item.retrieve", "item_id": "item_a"})
    assert driver.errors() == [
        error(
            "item_delete_invalid_item_id",
            "Error deleting item: the item with id 'item_a' does not exist.",
            "item_id",
            "d2",
        ),
        error(
            "item_retrieve_invalid_item_id",
            "Error retrieving item: the item with id 'item_a' does not exist.",
            "item_id",
        ),
    ]


def spoken_item(driver: EngineDriver) -> dict[str, Any]:
    driver.send({"type": "response.create"})
    driver.settle()
    return dict(driver.one("response.done")["response"]["output"][0])


def test_truncate_cuts_audio_and_transcript() -> None:
    driver = EngineDriver(seed=5)
    item = spoken_item(driver)
    words = item["content"][0]["transcript"].split()
    driver.send(
        {
            "type": "conversation.item.truncate",
            "item_id": item["id"],
            "content_index": 0,
            "audio_end_ms": 800,
        }
    )
    assert driver.one("conversation.item.truncated") | {"event_id": ""} == {
        "type": "conversation.item.truncated",
        "event_id": "",
        "item_id": item["id"],
        "content_index": 0,
        "audio_end_ms": 800,
    }
    driver.send({"type": "conversation.item.retrieve", "item_id": item["id"]})
    kept = driver.one("conversation.item.retrieved")["item"]["content"][0]["transcript"]
    assert kept.split() == words[:2]  # 350 ms a word: two whole words by 800 ms


def test_truncate_past_the_audio_names_both_lengths() -> None:
    driver = EngineDriver(seed=5)
    item = spoken_item(driver)
    total = len(item["content"][0]["transcript"].split()) * 350
    truncate = {"type": "conversation.item.truncate", "item_id": item["id"], "content_index": 0}
    driver.send({**truncate, "audio_end_ms": total + 85})
    driver.send({**truncate, "audio_end_ms": total})
    assert driver.errors() == [
        error(
            "invalid_value",
            f"Audio content of {total}ms is already shorter than {total + 85}ms",
            "audio_end_ms",
        )
    ]
    assert len(driver.of_type("conversation.item.truncated")) == 1


def test_truncate_knows_only_the_audio_sent_so_far() -> None:
    timing = Timing.realistic()
    driver = EngineDriver(timing=timing)
    driver.send({"type": "response.create"}, at=1.0)
    first_audio = 1.0 + timing.response_created + timing.first_delta
    driver.advance(first_audio + timing.audio_offset(250))  # three 100 ms chunks are out
    item_id = driver.one("response.output_item.added")["item"]["id"]
    driver.send({"type": "response.cancel"})
    driver.send(
        {
            "type": "conversation.item.truncate",
            "item_id": item_id,
            "content_index": 0,
            "audio_end_ms": 2535,
        }
    )
    driver.settle()
    assert driver.errors()[-1]["message"] == "Audio content of 300ms is already shorter than 2535ms"


@pytest.mark.parametrize(
    ("target", "end_ms", "expected"),
    [
        (
            "text",
            0,
            error(
                "unsupported_content_type",
                "Only model output audio messages can be truncated",
                None,
            ),
        ),
        (
            "missing",
            0,
            error(
                "item_truncate_invalid_item_id",
                "Error truncating item: the item with id 'item_missing' does not exist.",
                "item_id",
            ),
        ),
        (
            "text",
            -11,
            error(
                "integer_below_min_value",
                "Invalid 'audio_end_ms': integer below minimum value. Expected a value >= 0, "
                "but got -11 instead.",
                "audio_end_ms",
            ),
        ),
    ],
)
def test_truncate_errors(target: str, end_ms: int, expected: dict[str, Any]) -> None:
    driver = EngineDriver()
    driver.send(user_text("hi", "item_text"))
    item_id = "item_missing" if target == "missing" else "item_text"
    truncate = {"type": "conversation.item.truncate", "item_id": item_id, "content_index": 0}
    driver.send({**truncate, "audio_end_ms": end_ms})
    assert driver.errors() == [expected]


def test_commit_needs_100_ms_since_the_last_commit() -> None:
    driver = EngineDriver()
    driver.send({"type": "input_audio_buffer.commit", "event_id": "c1"})
    driver.send(append_silence(99))
    driver.send({"type": "input_audio_buffer.commit"})
    assert driver.errors() == [
        error(
            "input_audio_buffer_commit_empty",
            "Error committing input audio buffer: buffer too small. Expected at least 100ms of "
            "audio, but buffer only has 0.00ms of audio.",
            None,
            "c1",
        ),
        error(
            "input_audio_buffer_commit_empty",
            "Error committing input audio buffer: buffer too small. Expected at least 100ms of "
            "audio, but buffer only has 99.00ms of audio.",
            None,
        ),
    ]
    driver.send(append_silence(1))
    driver.send({"type": "input_audio_buffer.commit"})
    committed = driver.one("input_audio_buffer.committed")
    added = driver.one("conversation.item.added")
    assert committed["item_id"] == added["item"]["id"]
    assert committed["previous_item_id"] is None
    assert added["item"]["content"] == [{"type": "input_audio", "transcript": None}]
    driver.send({"type": "input_audio_buffer.commit"})
    assert "0.00ms" in driver.errors()[-1]["message"]


def test_g711_input_is_eight_bytes_a_millisecond() -> None:
    driver = EngineDriver()
    driver.send(session_update(audio={"input": {"format": {"type": "audio/pcmu"}}}))
    driver.send(append_silence(100, bytes_per_ms=8))
    driver.send({"type": "input_audio_buffer.commit"})
    assert driver.errors() == []
    assert driver.one("input_audio_buffer.committed")


def test_clear_empties_the_buffer() -> None:
    driver = EngineDriver()
    driver.send(append_silence(500))
    driver.send({"type": "input_audio_buffer.clear"})
    driver.send({"type": "input_audio_buffer.commit"})
    assert driver.one("input_audio_buffer.cleared")
    assert [e["code"] for e in driver.errors()] == ["input_audio_buffer_commit_empty"]


def test_bad_base64_is_refused() -> None:
    driver = EngineDriver()
    driver.send({"type": "input_audio_buffer.append", "audio": "not base64!", "event_id": "a1"})
    assert driver.errors() == [
        error(
            "invalid_value",
            "Invalid 'audio'. Expected base64-encoded audio bytes (mono PCM16 at 24kHz) but got "
            "an invalid value.",
            "audio",
            "a1",
        )
    ]


def test_the_alias_append_fills_the_same_buffer() -> None:
    driver = EngineDriver()
    audio = base64.b64encode(bytes(4800)).decode()
    driver.send({"type": "session.input_audio_buffer.append", "audio": audio})
    driver.send({"type": "input_audio_buffer.commit"})
    assert driver.errors() == []
