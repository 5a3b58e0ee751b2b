"""Barge-in and truncation: speech during a response cancels it, the client cuts what it played.

The session runs with realistic timing, so the response is still being generated when the
caller speaks again. The client's playout is modelled in the test: it plays the audio from the
first delta at real time and stops when speech_started arrives; what it played by then is the
`audio_end_ms` it truncates at, and the kept transcript is the words said in full by then.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

from realtime_conformance.rtproto.audio import synth
from realtime_conformance.rtproto.audio.formats import PCM16
from realtime_conformance.rtproto.server.realtime.timing import AudioDelivery, Timing
from tests.support.audio import feed, input_format
from tests.support.engine import EngineDriver, response_types

REAL = Timing.realistic()
# Turn 1: speech 300..1100 ms (stops at 1300); turn 2 barges in at 2200 ms, while the answer
# to turn 1 is being generated (its first delta is due at about 1.83 s).
CALLER = synth.caller_script([(800, 1100), (700, 900)], lead_in_ms=300, seed=8)
TURN_DETECTED = {"type": "cancelled", "reason": "turn_detected"}


def at_of(driver: EngineDriver, event: dict[str, Any]) -> float:
    return next(at for at, sent in driver.timed if sent is event)


def received_audio_ms(driver: EngineDriver, response_id: str, until: float = float("inf")) -> float:
    deltas = [
        e
        for at, e in driver.timed
        if e["type"] == "response.output_audio.delta" and e["response_id"] == response_id
        if at <= until
    ]
    return sum(len(base64.b64decode(e["delta"])) for e in deltas) / PCM16.bytes_per_ms


def barge_in(**options: Any) -> EngineDriver:
    driver = EngineDriver(timing=REAL, seed=8, **options)
    feed(driver, CALLER.pcm, start_at=0.0)
    driver.settle()
    return driver


def test_speech_during_a_response_cancels_it_with_turn_detected() -> None:
    driver = barge_in()
    first = driver.of_type("response.created")[0]["response"]["id"]
    second_speech = driver.of_type("input_audio_buffer.speech_started")[1]
    speech_at = at_of(driver, second_speech)
    assert speech_at == pytest.approx(2.22 + REAL.vad)
    assert response_types(driver, first)[-7:] == [
        "response.output_audio.done",
        "response.output_audio_transcript.done",
        "response.content_part.done",
        "conversation.item.done",
        "response.output_item.done",
        "response.done",
        "rate_limits.updated",
    ]
    later = driver.events[driver.events.index(second_speech) :]
    assert not [e for e in later if e.get("response_id") == first and "delta" in e]
    assert [e["type"] for e in later].index("response.done") > 0  # speech_started first


def test_the_cancelled_answer_keeps_what_was_sent() -> None:
    driver = barge_in()
    first = driver.of_type("response.created")[0]["response"]["id"]
    done = driver.of_type("response.done")[0]["response"]
    assert (done["id"], done["status"], done["status_details"]) == (
        first,
        "cancelled",
        TURN_DETECTED,
    )
    sent = "".join(
        e["delta"]
        for e in driver.of_type("response.output_audio_transcript.delta")
        if e["response_id"] == first
    )
    assert done["output"][0]["status"] == "incomplete"
    assert done["output"][0]["content"] == [{"type": "output_audio", "transcript": sent}]
    assert done["usage"]["output_token_details"]["audio_tokens"] == round(
        received_audio_ms(driver, first) / 50
    )


def test_the_interrupting_turn_gets_its_own_response() -> None:
    driver = barge_in()
    created = driver.of_type("response.created")
    assert len(created) == 2
    second = driver.of_type("response.done")[1]["response"]
    assert second["status"] == "completed"
    stopped = driver.of_type("input_audio_buffer.speech_stopped")[1]
    assert stopped["audio_end_ms"] == 2900 + 200
    user_items = [
        e["item"]["id"]
        for e in driver.of_type("conversation.item.done")
        if e["item"]["role"] == "user"
    ]
    assert user_items == [e["item_id"] for e in driver.of_type("input_audio_buffer.committed")]


def test_truncate_at_the_played_audio_keeps_the_words_heard() -> None:
    driver = barge_in()
    response_id = driver.of_type("response.created")[0]["response"]["id"]
    first_audio = next(at for at, e in driver.timed if e["type"] == "response.output_audio.delta")
    speech_at = at_of(driver, driver.of_type("input_audio_buffer.speech_started")[1])
    played_ms = round((speech_at - first_audio) * 1000)  # real-time playout, stopped at speech
    item = driver.of_type("response.output_item.added")[0]["item"]
    driver.send(truncate(item["id"], played_ms))
    driver.settle()
    truncated = driver.one("conversation.item.truncated")
    assert (truncated["item_id"], truncated["audio_end_ms"]) == (item["id"], played_ms)
    driver.send({"type": "conversation.item.retrieve", "item_id": item["id"]})
    driver.settle()
    kept = driver.one("conversation.item.retrieved")["item"]["content"][0]["transcript"]
    said = driver.of_type("response.done")[0]["response"]["output"][0]["content"][0]["transcript"]
    assert kept == synth.text_heard(synth.words_with_timing(said), played_ms)
    assert 0 < len(kept.split()) == played_ms // 350 < len(said.split())
    assert received_audio_ms(driver, response_id) > played_ms  # the burst ran ahead of playout


@pytest.mark.parametrize(
    ("audio_end_ms", "kept_words"), [(0, 0), (349, 0), (350, 1), (1049, 2), (1050, 3)]
)
def test_truncate_math_by_the_word(audio_end_ms: int, kept_words: int) -> None:
    driver = EngineDriver(seed=5)
    driver.send({"type": "response.create"})
    driver.settle()
    item = driver.one("response.done")["response"]["output"][0]
    said = item["content"][0]["transcript"]
    driver.send(truncate(item["id"], audio_end_ms))
    driver.send({"type": "conversation.item.retrieve", "item_id": item["id"]})
    kept = driver.one("conversation.item.retrieved")["item"]["content"][0]["transcript"]
    assert kept == " ".join(said.split()[:kept_words])


def test_truncate_past_what_was_sent_names_both_lengths() -> None:
    driver = barge_in()
    response_id = driver.of_type("response.created")[0]["response"]["id"]
    item_id = driver.of_type("response.output_item.added")[0]["item"]["id"]
    sent_ms = received_audio_ms(driver, response_id)
    driver.send(truncate(item_id, round(sent_ms) + 85, event_id="t1"))
    driver.settle()
    assert driver.errors() == [
        {
            "type": "invalid_request_error",
            "code": "invalid_value",
            "message": f"Audio content of {round(sent_ms)}ms is already shorter than "
            f"{round(sent_ms) + 85}ms",
            "param": "audio_end_ms",
            "event_id": "t1",
        }
    ]
    driver.send(truncate(item_id, round(sent_ms)))
    driver.settle()
    assert driver.one("conversation.item.truncated")["audio_end_ms"] == round(sent_ms)


def test_truncating_a_user_audio_item_or_below_zero_is_refused() -> None:
    driver = barge_in()
    user_item = driver.of_type("input_audio_buffer.committed")[0]["item_id"]
    driver.send(truncate(user_item, 100))
    driver.send(truncate(user_item, -11))
    driver.settle()
    assert [(e["code"], e["message"]) for e in driver.errors()] == [
        ("unsupported_content_type", "Only model output audio messages can be truncated"),
        (
            "integer_below_min_value",
            "Invalid 'audio_end_ms': integer below minimum value. Expected a value >= 0, but got "
            "-11 instead.",
        ),
    ]


def test_without_interrupt_response_the_answer_plays_on() -> None:
    driver = EngineDriver(timing=REAL, seed=8, audio_delivery=AudioDelivery.realtime())
    driver.send(input_format(PCM16, interrupt_response=False))
    feed(driver, CALLER.pcm, start_at=0.0)
    driver.settle()
    (done,) = driver.of_type("response.done")
    assert done["response"]["status"] == "completed"
    (error,) = driver.errors()  # the second turn found the first answer still running
    assert error["code"] == "conversation_already_has_active_response"
    assert len(driver.of_type("input_audio_buffer.committed")) == 2


def test_without_create_response_speech_still_interrupts() -> None:
    driver = EngineDriver(timing=REAL, seed=8)
    driver.send(input_format(PCM16, create_response=False))
    feed(driver, CALLER.pcm[: 1600 * 48], start_at=0.0)
    driver.send({"type": "response.create"}, at=1.6)
    feed(driver, CALLER.pcm[1600 * 48 :], start_at=1.6)
    driver.settle()
    (done,) = driver.of_type("response.done")
    assert done["response"]["status_details"] == TURN_DETECTED
    assert len(driver.of_type("input_audio_buffer.committed")) == 2


def test_a_response_done_generating_is_not_cancelled_the_client_truncates() -> None:
    driver = EngineDriver(timing=REAL, seed=8)
    driver.send({"type": "response.create"}, at=0.1)
    while not driver.of_type("response.done"):
        assert driver.step(), "the session came to rest without a response.done"
    (done,) = driver.of_type("response.done")
    done_at, first_audio = (
        at_of(driver, done),
        next(at for at, e in driver.timed if e["type"] == "response.output_audio.delta"),
    )
    item = done["response"]["output"][0]
    playing_until = first_audio + received_audio_ms(driver, done["response"]["id"]) / 1000
    end = feed(driver, CALLER.pcm[: 1000 * 48], start_at=done_at)  # speech at done + 0.3 s
    driver.advance(end + REAL.vad)
    speech_at = at_of(driver, driver.one("input_audio_buffer.speech_started"))
    assert done_at < speech_at < playing_until  # the caller talks over audio still playing
    assert len(driver.of_type("response.done")) == 1  # nothing left to cancel
    played_ms = round((speech_at - first_audio) * 1000)
    driver.send(truncate(item["id"], played_ms))
    driver.settle()
    assert driver.one("conversation.item.truncated")["audio_end_ms"] == played_ms


def truncate(item_id: str, audio_end_ms: int, **extra: Any) -> dict[str, Any]:
    return {
        "type": "conversation.item.truncate",
        "item_id": item_id,
        "content_index": 0,
        "audio_end_ms": audio_end_ms,
        **extra,
    }
