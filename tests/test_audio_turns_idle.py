"""`idle_timeout_ms`: after the answer has played out, a silent caller is prompted.

The timer starts when the last response's audio has played out (`response.done` plus the
audio's duration, SDK docstring), at the input timeline position reached by then; the caller
streams silence at real time from t = 0, so timeline milliseconds equal wall-clock ones. Stated
tolerance: one 20 ms chunk (the timer is armed at the first append from that moment on).
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

from realtime_conformance.rtproto.audio import synth
from realtime_conformance.rtproto.audio.formats import PCM16
from realtime_conformance.rtproto.server.realtime.timing import Timing
from tests.support.audio import CHUNK_MS, feed
from tests.support.engine import EngineDriver, session_update

REAL = Timing.realistic()
IDLE_MS = 2000


def idle_session(**turn_detection: Any) -> EngineDriver:
    driver = EngineDriver(timing=REAL, seed=9)
    detection = {"type": "server_vad", "idle_timeout_ms": IDLE_MS, **turn_detection}
    driver.send(session_update(audio={"input": {"turn_detection": detection}}))
    return driver


def played_out_at(driver: EngineDriver, response_id: str) -> float:
    """When the response's audio has played out: its response.done plus the audio's length."""
    done_at = next(
        at
        for at, e in driver.timed
        if e["type"] == "response.done" and e["response"]["id"] == response_id
    )
    audio = sum(
        len(base64.b64decode(e["delta"]))
        for e in driver.of_type("response.output_audio.delta")
        if e["response_id"] == response_id
    )
    return done_at + audio / PCM16.bytes_per_ms / 1000


def response_ids(driver: EngineDriver) -> list[str]:
    return [e["response"]["id"] for e in driver.of_type("response.created")]


def test_the_timeout_commits_the_silence_and_answers_again_and_again() -> None:
    driver = idle_session()
    driver.send({"type": "response.create"}, at=0.1)
    feed(driver, synth.silence(16_000), start_at=0.0)
    driver.settle()
    timeouts = driver.of_type("input_audio_buffer.timeout_triggered")
    assert len(timeouts) == 2
    responses = response_ids(driver)
    assert len(responses) == len(timeouts) + 1  # the last one answers the last timeout
    for timeout, answered in zip(timeouts, responses[:-1], strict=True):  # follows its playout
        start_ms = played_out_at(driver, answered) * 1000
        assert start_ms - CHUNK_MS <= timeout["audio_start_ms"] <= start_ms
        assert timeout["audio_end_ms"] - timeout["audio_start_ms"] == IDLE_MS
    first = driver.types().index("input_audio_buffer.timeout_triggered")
    assert driver.types()[first : first + 5] == [
        "input_audio_buffer.timeout_triggered",
        "input_audio_buffer.committed",
        "conversation.item.added",
        "conversation.item.done",
        "response.created",
    ]
    committed = driver.of_type("input_audio_buffer.committed")[0]
    assert committed["item_id"] == timeouts[0]["item_id"]
    sent_at = next(at for at, e in driver.timed if e is timeouts[0])
    assert sent_at == pytest.approx(timeouts[0]["audio_end_ms"] / 1000 + REAL.vad)
    assert len(response_ids(driver)) == 3  # the first answer and one per timeout


def test_speech_before_the_deadline_disarms_the_timer() -> None:
    driver = idle_session()
    driver.send({"type": "response.create"}, at=0.1)
    end = feed(driver, synth.silence(4000), start_at=0.0)
    armed_at = played_out_at(driver, response_ids(driver)[0])
    speech_from = armed_at + 1.0  # a second into the wait, the caller speaks
    end = feed(driver, synth.silence(round((speech_from - end) * 1000 / 20) * 20), start_at=end)
    end = feed(driver, synth.speech(600) + synth.silence(8000), start_at=end)
    driver.settle()
    timeouts = driver.of_type("input_audio_buffer.timeout_triggered")
    answer = response_ids(driver)[1]  # the answer to the caller's turn
    assert driver.types().count("input_audio_buffer.speech_started") == 1
    assert timeouts, "the timer runs again after the answer to the turn"
    assert timeouts[0]["audio_start_ms"] >= played_out_at(driver, answer) * 1000 - CHUNK_MS


def test_no_timeout_without_a_response_or_with_manual_turns() -> None:
    never_answered = idle_session()
    feed(never_answered, synth.silence(6000), start_at=0.0)
    manual = EngineDriver(timing=REAL)
    manual.send(session_update(audio={"input": {"turn_detection": None}}))
    manual.send({"type": "response.create"}, at=0.1)
    feed(manual, synth.silence(12_000), start_at=0.0)
    for driver in (never_answered, manual):
        driver.settle()
        assert driver.of_type("input_audio_buffer.timeout_triggered") == []


def test_with_create_response_off_the_silence_is_committed_without_an_answer() -> None:
    driver = idle_session(create_response=False)
    driver.send({"type": "response.create"}, at=0.1)
    feed(driver, synth.silence(9000), start_at=0.0)
    driver.settle()
    assert len(driver.of_type("input_audio_buffer.timeout_triggered")) == 1
    assert len(driver.of_type("input_audio_buffer.committed")) == 1
    assert len(response_ids(driver)) == 1
