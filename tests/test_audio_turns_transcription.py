"""Input audio transcription: capture p07 replayed, caller scripts, made-up words, failures,
diarized segments, usage per model, and transcription sessions that never answer."""

from __future__ import annotations

from typing import Any

import pytest
from openai.types.realtime import RealtimeServerEvent
from pydantic import TypeAdapter

from realtime_conformance.rtproto.audio import synth
from realtime_conformance.rtproto.dialects import to_beta
from realtime_conformance.rtproto.server.realtime.simulated_model import tokens_of
from realtime_conformance.rtproto.server.realtime.timing import Timing
from realtime_conformance.rtproto.server.realtime.transcription import SpokenLine
from tests.support.audio import feed
from tests.support.engine import WEATHER_TOOL, EngineDriver, session_update, trace, validator
from tests.support.sdk_types import sdk_adapter


def ga_union() -> TypeAdapter[Any]:
    """Built on first use (~0.7 s): every xdist worker collects this module, one runs it."""
    return sdk_adapter(RealtimeServerEvent)


P07 = "capture-2026-09-18-p07-transcription-session.jsonl"
REAL = Timing.realistic()
PREFIX = "conversation.item.input_audio_transcription."
# p07's caller: 1.7 s of audio sent as 17 appends of 100 ms, "Hello from the Gateway Probe."
P07_AUDIO = synth.silence(100) + synth.speech(1500, seed=7) + synth.silence(100)
P07_WORDS = (SpokenLine.timed("Hello from the Gateway Probe.", 100, ms_per_word=300),)


def transcribing(model: str = "gpt-4o-mini-transcribe", **options: Any) -> EngineDriver:
    driver = EngineDriver(seed=4, **options)
    driver.send(session_update(audio={"input": {"transcription": {"model": model}}}))
    return driver


def replay_p07() -> tuple[EngineDriver, list[dict[str, Any]]]:
    recorded = trace(P07)
    update = next(e for d, e in recorded if d == "client" and e["type"] == "session.update")
    driver = EngineDriver(
        timing=REAL, intent="transcription", caller_transcript=P07_WORDS, start_at=1.338
    )
    driver.send(update, at=1.3441)
    feed(driver, P07_AUDIO, start_at=1.601 - 0.1, chunk_ms=100)  # appends 1.601 .. 3.201 s
    driver.send({"type": "input_audio_buffer.commit"}, at=3.3058)
    driver.settle()
    return driver, [e for d, e in recorded if d == "server"]


def test_a_transcription_session_replays_capture_p07() -> None:
    driver, recorded = replay_p07()
    assert driver.types() == [event["type"] for event in recorded]
    started = driver.one("input_audio_buffer.speech_started")
    assert started["audio_start_ms"] == 0
    assert driver.one("input_audio_buffer.committed")["item_id"] == started["item_id"]
    deltas = driver.of_type(PREFIX + "delta")
    assert [e["delta"] for e in deltas] == [e["delta"] for e in recorded if "delta" in e]
    assert all(len(e["delta"] + e["obfuscation"]) % 16 == 0 for e in deltas)
    assert list(deltas[0]) == list(recorded[6])  # type, event_id, item_id, ..., obfuscation
    ours, theirs = driver.one(PREFIX + "completed"), recorded[-1]
    assert list(ours) == list(theirs)
    assert (ours["transcript"], ours["usage"]) == (theirs["transcript"], theirs["usage"])


def test_p07_timing_committed_to_deltas_to_completed() -> None:
    driver, _ = replay_p07()
    times = {event["type"]: at for at, event in reversed(driver.timed)}
    last_delta = max(at for at, e in driver.timed if e["type"] == PREFIX + "delta")
    assert times["input_audio_buffer.committed"] == pytest.approx(3.3058 + 0.26)  # p07: 3.5654
    assert times[PREFIX + "delta"] - times["input_audio_buffer.committed"] == pytest.approx(0.93)
    assert times[PREFIX + "completed"] - last_delta == pytest.approx(0.2)


def test_a_transcription_session_never_answers() -> None:
    driver = EngineDriver(intent="transcription", caller_transcript=P07_WORDS)
    driver.send(
        {
            "type": "session.update",
            "session": {
                "type": "transcription",
                "audio": {"input": {"transcription": {"model": "gpt-4o-transcribe"}}},
            },
        }
    )
    feed(driver, P07_AUDIO + synth.silence(500))
    driver.send({"type": "response.create", "event_id": "r1"})
    driver.settle()
    assert driver.one(PREFIX + "completed")["transcript"] == "Hello from the Gateway Probe."
    assert driver.of_type("response.created") == []
    assert [e["event_id"] for e in driver.errors()] == ["r1"]


def test_vad_turns_in_a_realtime_session_are_transcribed_beside_the_answer() -> None:
    script = synth.caller_script([(1050, 600)], lead_in_ms=500)
    words = (SpokenLine.timed("What's the time?", 500),)
    driver = transcribing(caller_transcript=words)
    feed(driver, script.pcm)
    driver.settle()
    committed = driver.one("input_audio_buffer.committed")
    completed = driver.one(PREFIX + "completed")
    assert (completed["item_id"], completed["transcript"]) == (
        committed["item_id"],
        "What's the time?",
    )
    assert driver.one("response.done")["response"]["status"] == "completed"
    assert driver.types().index(PREFIX + "delta") > driver.types().index(
        "input_audio_buffer.committed"
    )
    driver.send({"type": "conversation.item.retrieve", "item_id": committed["item_id"]})
    retrieved = driver.one("conversation.item.retrieved")["item"]
    assert retrieved["content"] == [{"type": "input_audio", "transcript": "What's the time?"}]


def test_without_a_script_the_words_are_made_up_one_per_350_ms_of_speech() -> None:
    driver = transcribing()
    feed(driver, synth.caller_script([(1400, 400)], lead_in_ms=300).pcm)
    driver.settle()
    transcript = driver.one(PREFIX + "completed")["transcript"]
    assert len(transcript.split()) == 4
    pieces = [e["delta"] for e in driver.of_type(PREFIX + "delta")]
    assert pieces == list(tokens_of(transcript))


def test_silent_audio_fails_to_transcribe() -> None:
    driver = transcribing()
    driver.send(session_update(audio={"input": {"turn_detection": None}}))
    feed(driver, synth.silence(500))
    driver.send({"type": "input_audio_buffer.commit"})
    driver.settle()
    failed = driver.one(PREFIX + "failed")
    assert failed["item_id"] == driver.one("input_audio_buffer.committed")["item_id"]
    assert failed["error"] == {
        "type": "transcription_error",
        "code": "audio_unintelligible",
        "message": "Audio could not be transcribed.",
        "param": None,
    }
    assert driver.of_type(PREFIX + "delta") == []


def test_the_failure_option_fails_every_transcription() -> None:
    driver = transcribing(caller_transcript=P07_WORDS, transcription_fails=True)
    feed(driver, P07_AUDIO + synth.silence(400))
    driver.settle()
    assert driver.one(PREFIX + "failed")
    assert driver.of_type(PREFIX + "completed") == []
    assert driver.one("response.done")  # the turn is answered all the same


@pytest.mark.parametrize(
    ("model", "usage"),
    [
        ("whisper-1", {"type": "duration", "seconds": 1.7}),
        (
            "gpt-4o-transcribe",
            {
                "type": "tokens",
                "total_tokens": 24,
                "input_tokens": 16,
                "input_token_details": {"text_tokens": 0, "audio_tokens": 16},
                "output_tokens": 8,
            },
        ),
    ],
)
def test_usage_is_by_duration_or_by_tokens_per_model(model: str, usage: dict[str, Any]) -> None:
    driver = transcribing(model, caller_transcript=P07_WORDS)
    driver.send(session_update(audio={"input": {"turn_detection": None}}))
    feed(driver, P07_AUDIO)
    driver.send({"type": "input_audio_buffer.commit"})
    driver.settle()
    assert driver.one(PREFIX + "completed")["usage"] == usage


def test_diarization_sends_one_segment_per_speaker_run() -> None:
    caller = synth.caller_script([(1400, 100), (1050, 600)], lead_in_ms=200)  # 200..1600..2750
    lines = (
        SpokenLine.timed("Hi, this is Dana.", 200, speaker="A"),
        SpokenLine.timed("And Sam here.", 1700, speaker="B"),
    )
    driver = transcribing("gpt-4o-transcribe-diarize", caller_transcript=lines)
    feed(driver, caller.pcm)
    driver.settle()
    item_id = driver.one("input_audio_buffer.committed")["item_id"]
    segments = driver.of_type(PREFIX + "segment")
    assert [(s["item_id"], s["speaker"], s["start"], s["end"], s["text"]) for s in segments] == [
        (item_id, "A", 0.2, 1.6, "Hi, this is Dana."),  # the item's audio starts at 0 ms
        (item_id, "B", 1.7, 2.75, "And Sam here."),
    ]
    assert [s["id"] for s in segments] == ["seg_0001", "seg_0002"]
    assert driver.of_type(PREFIX + "delta") == []
    completed = driver.one(PREFIX + "completed")
    assert completed["transcript"] == "Hi, this is Dana. And Sam here."


def test_the_model_hears_what_the_caller_script_says() -> None:
    """With the words known, a spoken request can call a tool, as a typed one does."""
    words = (SpokenLine.timed("Use get weather for city: Paris", 300),)
    driver = EngineDriver(seed=2, caller_transcript=words)
    driver.send(session_update(tools=[WEATHER_TOOL]))
    feed(driver, synth.caller_script([(2100, 500)], lead_in_ms=300).pcm)
    driver.settle()
    (call,) = driver.one("response.done")["response"]["output"]
    assert (call["type"], call["name"], call["arguments"][:16]) == (
        "function_call",
        "get_weather",
        '{"city":"Paris",',
    )


def test_transcription_events_translate_to_valid_beta_events() -> None:
    driver = transcribing(caller_transcript=P07_WORDS)
    feed(driver, P07_AUDIO + synth.silence(300))
    driver.send(session_update(audio={"input": {"turn_detection": None}}))
    feed(driver, synth.silence(300))
    driver.send({"type": "input_audio_buffer.commit"})
    driver.settle()
    kinds = set()
    for event in driver.events:
        if event["type"].startswith(PREFIX):
            for beta in to_beta(event):
                assert validator().validate(beta, "realtime", "beta") == [], beta
                kinds.add(beta["type"])
    assert kinds == {PREFIX + "delta", PREFIX + "completed", PREFIX + "failed"}


def test_every_audio_event_satisfies_the_sdk_types() -> None:
    """The official SDK's GA union, strictly, as an oracle independent of our schemas."""
    diarized = transcribing("gpt-4o-transcribe-diarize", caller_transcript=P07_WORDS)
    failing = transcribing(transcription_fails=True)
    idle = transcribing("whisper-1", timing=REAL)
    idle.send(
        session_update(
            audio={"input": {"turn_detection": {"type": "server_vad", "idle_timeout_ms": 1000}}}
        )
    )
    idle.send({"type": "response.create"}, at=0.1)
    feed(diarized, P07_AUDIO + synth.silence(300))
    feed(failing, P07_AUDIO + synth.silence(300))
    feed(idle, synth.silence(8000), start_at=0.0)
    seen = set()
    for driver in (diarized, failing, idle):
        driver.settle()
        for event in driver.events:
            ga_union().validate_python(event, strict=True)
            seen.add(event["type"])
    assert {
        PREFIX + "segment",
        PREFIX + "completed",
        PREFIX + "failed",
        "input_audio_buffer.timeout_triggered",
        "input_audio_buffer.speech_stopped",
    } <= seen
