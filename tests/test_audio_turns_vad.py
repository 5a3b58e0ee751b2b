"""Audio turns through the whole session: VAD on the samples a client streams, in every format.

Known audio (rtproto.audio.synth bursts at known offsets) goes in as 20 ms chunks at real time;
the VAD events must carry the audio timeline's numbers: `audio_start_ms` = burst start minus
the prefix padding, `audio_end_ms` = burst end plus the silence duration, each within one
10 ms VAD frame. Every event the session sends is validated against the GA schemas by the
EngineDriver.
"""

from __future__ import annotations

from typing import Any

import pytest

from realtime_conformance.rtproto.audio import synth
from realtime_conformance.rtproto.audio.formats import FORMATS, PCM16, AudioFormat
from realtime_conformance.rtproto.dialects import to_beta
from realtime_conformance.rtproto.server.realtime.timing import Timing
from tests.support.audio import FORMAT_IDS, append, feed, fields, input_format
from tests.support.engine import (
    EngineDriver,
    assert_same_shape,
    collapse,
    first_pairs,
    session_update,
    trace,
    validator,
)

FRAME_MS = 10  # the stated tolerance: one VAD frame
SIP_BLOCK = "sip-gateway-cpp-in-order-block.jsonl"
TWO_TURNS = synth.caller_script([(800, 1000), (600, 900)], lead_in_ms=1000, seed=4)
# bursts: 1000..1800 and 2800..3400 ms


def vad_numbers(driver: EngineDriver) -> list[tuple[str, int]]:
    """(started|stopped, its audio ms) for each VAD event, in order."""
    numbers = []
    for event in driver.events:
        if event["type"] == "input_audio_buffer.speech_started":
            numbers.append(("speech_started", int(event["audio_start_ms"])))
        elif event["type"] == "input_audio_buffer.speech_stopped":
            numbers.append(("speech_stopped", int(event["audio_end_ms"])))
    return numbers


def expected_turns(
    script: synth.CallerScript, padding: int = 300, silence: int = 200
) -> list[tuple[str, int]]:
    expected, floor = [], 0
    for burst in script.bursts:
        expected += [("speech_started", max(floor, burst.start_ms - padding))]
        floor = burst.end_ms + silence
        expected += [("speech_stopped", floor)]
    return expected


def first_times(driver: EngineDriver) -> dict[str, float]:
    """When the first event of each type went out."""
    return {event["type"]: at for at, event in reversed(driver.timed)}


def assert_within_a_frame(actual: list[tuple[str, int]], expected: list[tuple[str, int]]) -> None:
    assert [kind for kind, _ in actual] == [kind for kind, _ in expected]
    for (kind, got), (_, wanted) in zip(actual, expected, strict=True):
        assert abs(got - wanted) <= FRAME_MS, (kind, got, wanted)


@pytest.mark.parametrize("fmt", FORMATS, ids=FORMAT_IDS)
def test_speech_start_and_stop_follow_the_audio_timeline(fmt: AudioFormat) -> None:
    driver = EngineDriver(seed=1)
    driver.send(input_format(fmt, create_response=False))
    feed(driver, TWO_TURNS.pcm, fmt)
    driver.settle()
    assert_within_a_frame(vad_numbers(driver), expected_turns(TWO_TURNS))
    started = driver.of_type("input_audio_buffer.speech_started")
    stopped = driver.of_type("input_audio_buffer.speech_stopped")
    committed = driver.of_type("input_audio_buffer.committed")
    assert [e["item_id"] for e in started] == [e["item_id"] for e in stopped]
    assert [e["item_id"] for e in committed] == [e["item_id"] for e in stopped]
    assert committed[1]["previous_item_id"] == committed[0]["item_id"]
    assert driver.of_type("response.created") == []  # create_response: false


def test_events_go_out_when_the_deciding_chunk_arrives() -> None:
    driver = EngineDriver()
    driver.send(session_update(audio={"input": {"turn_detection": {"type": "server_vad"}}}))
    feed(driver, TWO_TURNS.pcm, start_at=10.0)
    times = first_times(driver)
    # The first speech frame [1000, 1010) is complete with the chunk that ends at 1020 ms; the
    # silence reaches 200 ms in the frame ending 2000 ms, which arrives with that chunk.
    assert times["input_audio_buffer.speech_started"] == pytest.approx(11.02)
    assert times["input_audio_buffer.speech_stopped"] == pytest.approx(12.0)
    assert times["response.created"] == pytest.approx(12.0)  # Timing.instant


def test_realistic_timing_delays_vad_events_by_the_vad_latency() -> None:
    real = Timing.realistic()
    driver = EngineDriver(timing=real)
    feed(driver, TWO_TURNS.pcm, start_at=1.0)
    driver.settle()
    times = first_times(driver)
    assert times["input_audio_buffer.speech_started"] == pytest.approx(2.02 + real.vad)
    assert times["input_audio_buffer.speech_stopped"] == pytest.approx(3.0 + real.vad)
    assert times["input_audio_buffer.committed"] == pytest.approx(3.0 + real.vad)
    assert times["response.created"] == pytest.approx(
        3.0 + real.vad + real.step + real.response_created
    )


def test_the_ga_audio_turn_is_the_sip_gateway_block_event_for_event() -> None:
    recorded = [event for direction, event in trace(SIP_BLOCK) if direction == "server"]
    expected = collapse([event["type"] for event in recorded])
    driver = EngineDriver(seed=2)
    driver.send({"type": "response.create"})  # an earlier turn, as in the trace's session
    driver.settle()
    driver.clear()
    feed(driver, synth.caller_script([(1500, 400)], lead_in_ms=600).pcm)
    driver.settle()
    ours = driver.events
    assert collapse([event["type"] for event in ours])[: len(expected)] == expected
    for theirs, mine in first_pairs(recorded, ours):
        assert_same_shape(theirs, mine)
    committed = driver.one("input_audio_buffer.committed")
    assert committed["previous_item_id"] is not None  # the earlier assistant item
    assistant = driver.of_type("conversation.item.added")[1]
    assert assistant["previous_item_id"] == committed["item_id"]


def test_the_whole_turn_ends_as_protocol_section_2() -> None:
    driver = EngineDriver(seed=3)
    feed(driver, synth.caller_script([(700, 400)], lead_in_ms=300).pcm)
    driver.settle()
    types = collapse(driver.types()[1:])
    assert types[:5] == [
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
        "conversation.item.added",
        "conversation.item.done",
    ]
    assert types[-8:] == [
        "response.output_audio.delta",
        "response.output_audio.done",
        "response.output_audio_transcript.done",
        "response.content_part.done",
        "conversation.item.done",
        "response.output_item.done",
        "response.done",
        "rate_limits.updated",
    ]
    user = driver.of_type("conversation.item.done")[0]["item"]
    assert user["content"] == [{"type": "input_audio", "transcript": None}]
    assert user["role"] == "user" and user["status"] == "completed"


@pytest.mark.parametrize(
    ("turn_detection", "padding", "silence"),
    [
        ({"prefix_padding_ms": 500}, 500, 200),
        ({"silence_duration_ms": 600}, 300, 600),
        ({"prefix_padding_ms": 0, "silence_duration_ms": 350}, 0, 350),
    ],
)
def test_padding_and_silence_are_honoured(
    turn_detection: dict[str, int], padding: int, silence: int
) -> None:
    script = synth.caller_script([(900, 1000)], lead_in_ms=1200)
    driver = EngineDriver()
    driver.send(input_format(PCM16, create_response=False, **turn_detection))
    feed(driver, script.pcm)
    assert_within_a_frame(vad_numbers(driver), expected_turns(script, padding, silence))


def test_a_pause_shorter_than_the_silence_duration_keeps_one_turn() -> None:
    script = synth.caller_script([(500, 400), (500, 1000)], lead_in_ms=500)  # 400 ms pause
    short, long = EngineDriver(), EngineDriver()
    short.send(input_format(PCM16, create_response=False))
    long.send(input_format(PCM16, create_response=False, silence_duration_ms=500))
    feed(short, script.pcm)
    feed(long, script.pcm)
    assert len(short.of_type("input_audio_buffer.committed")) == 2
    assert vad_numbers(long) == [("speech_started", 200), ("speech_stopped", 2400)]


def test_a_higher_threshold_needs_louder_speech() -> None:
    quiet = synth.caller_script([(600, 600)], lead_in_ms=400, level_dbfs=-48.0)
    heard, unheard = EngineDriver(), EngineDriver()
    heard.send(input_format(PCM16, threshold=0.3, create_response=False))  # -52 dBFS
    unheard.send(input_format(PCM16, threshold=0.5, create_response=False))  # -40 dBFS
    feed(heard, quiet.pcm)
    feed(unheard, quiet.pcm)
    assert [kind for kind, _ in vad_numbers(heard)] == ["speech_started", "speech_stopped"]
    assert vad_numbers(unheard) == []


@pytest.mark.parametrize(("eagerness", "silence"), [("high", 250), ("auto", 500), ("low", 1000)])
def test_semantic_vad_waits_by_eagerness(eagerness: str, silence: int) -> None:
    script = synth.caller_script([(800, 1500)], lead_in_ms=500)
    driver = EngineDriver()
    detection = {"type": "semantic_vad", "eagerness": eagerness, "create_response": False}
    driver.send(session_update(audio={"input": {"turn_detection": detection}}))
    feed(driver, script.pcm)
    assert_within_a_frame(vad_numbers(driver), expected_turns(script, 300, silence))


def test_32_ms_frames_put_events_on_the_real_servers_grid() -> None:
    driver = EngineDriver(vad_frame_ms=32)
    driver.send(input_format(PCM16, create_response=False))
    feed(driver, synth.caller_script([(2400, 600)], lead_in_ms=1540).pcm)
    (_, start), (_, end) = vad_numbers(driver)
    assert (start + 300) % 32 == 0 and end % 32 == 0  # as in the sip-gateway trace
    assert 0 <= 1540 - 300 - start < 32  # the frame holding the onset starts the speech
    assert 0 <= end - (3940 + 200) < 2 * 32  # silence counted from a frame edge, rounded up


@pytest.mark.parametrize("fmt", FORMATS, ids=FORMAT_IDS)
def test_manual_turns_without_turn_detection(fmt: AudioFormat) -> None:
    driver = EngineDriver()
    driver.send(session_update(audio={"input": {"format": fmt.ga(), "turn_detection": None}}))
    feed(driver, TWO_TURNS.pcm, fmt)
    assert driver.types() == ["session.created", "session.updated"]
    driver.send({"type": "input_audio_buffer.commit"})
    driver.settle()
    assert driver.types()[2:] == [
        "input_audio_buffer.committed",
        "conversation.item.added",
        "conversation.item.done",
    ]
    driver.send({"type": "response.create"})
    driver.settle()
    assert driver.one("response.done")["response"]["status"] == "completed"


def test_a_manual_commit_during_speech_takes_the_speech_item() -> None:
    """As capture p07: speech_started's item is the item the client's commit makes."""
    driver = EngineDriver()
    driver.send(input_format(PCM16, create_response=False))
    end = feed(driver, synth.silence(400) + synth.speech(1200))
    driver.send({"type": "input_audio_buffer.commit"})
    started = driver.one("input_audio_buffer.speech_started")
    assert driver.one("input_audio_buffer.committed")["item_id"] == started["item_id"]
    feed(driver, synth.speech(300) + synth.silence(400), start_at=end)
    second_start = driver.of_type("input_audio_buffer.speech_started")[1]
    stopped = driver.one("input_audio_buffer.speech_stopped")
    assert second_start["audio_start_ms"] == 1600  # speech goes on: a new item from the commit
    assert (stopped["audio_end_ms"], stopped["item_id"]) == (2100, second_start["item_id"])


def test_commit_needs_100_ms_appended_since_the_last_commit() -> None:
    driver = EngineDriver()
    driver.send(input_format(PCM16, create_response=False))
    feed(driver, synth.caller_script([(600, 200)], lead_in_ms=200).pcm)
    feed(driver, synth.silence(60))  # the VAD committed up to 1000 ms; 60 ms follow
    driver.send({"type": "input_audio_buffer.commit"})
    assert driver.errors()[-1]["message"] == (
        "Error committing input audio buffer: buffer too small. Expected at least 100ms of "
        "audio, but buffer only has 60.00ms of audio."
    )
    feed(driver, synth.silence(40))
    driver.send({"type": "input_audio_buffer.commit"})
    assert len(driver.of_type("input_audio_buffer.committed")) == 2


@pytest.mark.parametrize(
    ("fmt", "audio", "description"),
    [
        (PCM16, "AAE=AAE=", "mono PCM16 at 24kHz"),  # not canonical base64
        (PCM16, "AAAA", "mono PCM16 at 24kHz"),  # 3 bytes: half a sample
        (FORMATS[1], "not base64!", "mono G.711 mu-law at 8kHz"),
    ],
)
def test_bad_appends_are_refused_with_the_real_error(
    fmt: AudioFormat, audio: str, description: str
) -> None:
    driver = EngineDriver()
    driver.send(input_format(fmt))
    driver.send({"type": "input_audio_buffer.append", "audio": audio, "event_id": "a1"})
    assert driver.errors() == [
        {
            "type": "invalid_request_error",
            "code": "invalid_value",
            "message": f"Invalid 'audio'. Expected base64-encoded audio bytes ({description}) "
            "but got an invalid value.",
            "param": "audio",
            "event_id": "a1",
        }
    ]


def test_an_append_over_15_mib_is_refused() -> None:
    driver = EngineDriver()
    driver.send({"type": "input_audio_buffer.append", "audio": "A" * (15 * 1024 * 1024 + 4)})
    assert driver.errors()[0]["code"] == "string_above_max_length"
    driver.send(append(bytes(4800)))
    driver.send({"type": "input_audio_buffer.commit"})
    assert driver.one("input_audio_buffer.committed")


def test_clear_forgets_speech_in_progress() -> None:
    driver = EngineDriver()
    driver.send(input_format(PCM16, create_response=False))
    end = feed(driver, synth.silence(300) + synth.speech(500))
    driver.send({"type": "input_audio_buffer.clear"})
    feed(driver, synth.silence(600), start_at=end)
    assert driver.of_type("input_audio_buffer.speech_stopped") == []
    assert driver.one("input_audio_buffer.cleared")


def test_vad_events_are_valid_beta_events_after_translation() -> None:
    driver = EngineDriver()
    feed(driver, synth.caller_script([(600, 400)], lead_in_ms=300).pcm)
    driver.settle()
    checked = set()
    for event in driver.events:
        for beta in to_beta(event):
            assert validator().validate(beta, "realtime", "beta") == [], beta["type"]
            checked.add(beta["type"])
    assert {
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
        "conversation.item.created",
        "response.audio.delta",
        "response.audio_transcript.delta",
    } <= checked


def run_turns(seed: int) -> list[tuple[float, dict[str, Any]]]:
    driver = EngineDriver(timing=Timing.realistic(), seed=seed)
    driver.send(input_format(FORMATS[2]))
    feed(driver, TWO_TURNS.pcm, FORMATS[2], start_at=1.0)
    feed(driver, synth.silence(3000), FORMATS[2])
    driver.settle()
    return driver.timed


def test_the_same_audio_and_seed_replay_event_for_event() -> None:
    first, again, other = run_turns(5), run_turns(5), run_turns(6)
    assert first == again
    assert [e for _, e in first] != [e for _, e in other]
    numbers = ("type", "audio_start_ms", "audio_end_ms")
    vad = [e for _, e in first if e["type"].startswith("input_audio_buffer.speech")]
    assert len(vad) == 4  # the seed changes ids and words, not what the audio holds
    assert [fields(e, *numbers) for e in vad] == [
        fields(e, *numbers) for _, e in other if e["type"].startswith("input_audio_buffer.speech")
    ]
