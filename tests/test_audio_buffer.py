"""The input audio buffer: limits and errors as the real API words them, commits, VAD turns."""

from __future__ import annotations

import pytest

from realtime_conformance.rtproto.audio import synth
from realtime_conformance.rtproto.audio.buffer import (
    MAX_APPEND_CHARS,
    UNREACHABLE_SILENCE_KEPT_MS,
    BufferEvent,
    CommittedAudio,
    InputAudioBuffer,
)
from realtime_conformance.rtproto.audio.codecs import b64encode_audio, from_pcm16_24k
from realtime_conformance.rtproto.audio.formats import FORMATS, G711_ULAW, PCM16, AudioFormat
from realtime_conformance.rtproto.audio.vad import (
    DEFAULT_FRAME_MS,
    IdleTimedOut,
    IdleTimeout,
    ServerVad,
    SpeechStarted,
    SpeechStopped,
)
from realtime_conformance.rtproto.events import EventBuilder, RealtimeError
from realtime_conformance.rtproto.ids import IdFactory
from realtime_conformance.rtproto.validation import EventValidator

INVALID_PCM16 = (
    "Invalid 'audio'. Expected base64-encoded audio bytes (mono PCM16 at 24kHz) but got an "
    "invalid value."
)


def append_in_chunks(buffer: InputAudioBuffer, audio: bytes, ms: float = 20) -> list[BufferEvent]:
    events: list[BufferEvent] = []
    for piece in synth.chunk(audio, ms, buffer.fmt):
        events += buffer.append(b64encode_audio(piece))
    return events


def test_commit_of_an_empty_buffer_is_the_real_error() -> None:
    with pytest.raises(RealtimeError) as caught:
        InputAudioBuffer().commit()
    assert caught.value.code == "input_audio_buffer_commit_empty"
    assert caught.value.message == (
        "Error committing input audio buffer: buffer too small. Expected at least 100ms of "
        "audio, but buffer only has 0.00ms of audio."
    )
    assert caught.value.type == "invalid_request_error" and caught.value.param is None


@pytest.mark.parametrize(("byte_count", "shown"), [(2400, "50.00"), (4798, "99.96")])
def test_commit_below_100_ms_reports_what_the_buffer_holds(byte_count: int, shown: str) -> None:
    buffer = InputAudioBuffer()
    buffer.append(b64encode_audio(bytes(byte_count)))
    with pytest.raises(RealtimeError, match=f"buffer only has {shown}ms of audio"):
        buffer.commit()
    assert buffer.pending_ms == pytest.approx(byte_count / 48)  # a failed commit keeps it all


def test_commit_of_100_ms_takes_everything_pending() -> None:
    buffer = InputAudioBuffer()
    audio = synth.speech(60, seed=1) + synth.speech(40, seed=2)
    append_in_chunks(buffer, audio)
    committed = buffer.commit()
    assert committed == CommittedAudio(audio, PCM16, 0.0, 100.0)
    assert committed.duration_ms == 100.0
    assert buffer.pending_ms == 0 and buffer.position_ms == 100.0
    buffer.append(b64encode_audio(bytes(4800 * 2)))
    assert buffer.commit().audio_start_ms == 100.0  # the timeline runs on across commits


def test_invalid_base64_is_the_real_invalid_value_error() -> None:
    buffer = InputAudioBuffer()
    with pytest.raises(RealtimeError) as caught:
        buffer.append("this is not base64!")
    assert (caught.value.code, caught.value.message, caught.value.param) == (
        "invalid_value",
        INVALID_PCM16,
        "audio",
    )
    assert buffer.position_ms == 0


def test_odd_byte_count_is_invalid_for_pcm16_but_fine_for_g711() -> None:
    with pytest.raises(RealtimeError, match=r"\(mono PCM16 at 24kHz\)"):
        InputAudioBuffer().append(b64encode_audio(bytes(4801)))
    g711 = InputAudioBuffer(G711_ULAW)
    g711.append(b64encode_audio(b"\xff" * 801))
    assert g711.pending_ms == 100.125
    with pytest.raises(RealtimeError, match=r"\(mono G.711 mu-law at 8kHz\)"):
        g711.append("%%%")


def test_append_limit_is_15_mib_of_base64() -> None:
    buffer = InputAudioBuffer()
    buffer.append("A" * MAX_APPEND_CHARS)  # exactly at the limit: accepted (about 245 s)
    assert buffer.pending_ms == MAX_APPEND_CHARS * 3 // 4 / 48
    with pytest.raises(RealtimeError) as caught:
        buffer.append("A" * (MAX_APPEND_CHARS + 4))
    assert caught.value.code == "string_above_max_length"
    assert caught.value.message == (
        "Invalid 'audio': string too long. Expected a string with maximum length 15728640, "
        "but got a string with length 15728644 instead."
    )


def test_clear_drops_pending_audio_but_not_the_timeline() -> None:
    buffer = InputAudioBuffer()
    append_in_chunks(buffer, synth.speech(500))
    buffer.clear()
    assert buffer.pending_ms == 0 and buffer.pending_audio == b""
    with pytest.raises(RealtimeError, match=r"0\.00ms"):
        buffer.commit()
    append_in_chunks(buffer, synth.silence(200))
    committed = buffer.commit()
    assert (committed.audio_start_ms, committed.audio_end_ms) == (500.0, 700.0)


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda fmt: fmt.beta_name)
def test_vad_turn_commits_from_prefix_padding_to_speech_stop(fmt: AudioFormat) -> None:
    wire = from_pcm16_24k(synth.silence(1000) + synth.speech(800) + synth.silence(1000), fmt)
    buffer = InputAudioBuffer(fmt, ServerVad())
    events = append_in_chunks(buffer, wire)
    item = fmt.bytes_per_ms
    assert events == [
        SpeechStarted(700, 1010),
        SpeechStopped(700, 2000),
        CommittedAudio(wire[700 * item : 2000 * item], fmt, 700.0, 2000.0),
    ]
    assert buffer.pending_audio == wire[2000 * item :]  # what follows the stop stays
    assert buffer.vad is not None and buffer.vad.sample_rate == fmt.sample_rate


def test_each_turn_of_a_caller_script_becomes_one_item() -> None:
    script = synth.caller_script([(600, 700), (900, 700), ("hello", 700)], lead_in_ms=400)
    buffer = InputAudioBuffer(vad=ServerVad())
    events = append_in_chunks(buffer, script.pcm, 40)
    items = [event for event in events if isinstance(event, CommittedAudio)]
    expected = [(max(0, burst.start_ms - 300), burst.end_ms + 200) for burst in script.bursts]
    assert [(item.audio_start_ms, item.audio_end_ms) for item in items] == expected
    for item in items:
        start = int(item.audio_start_ms) * 48
        assert item.audio == script.pcm[start : start + len(item.audio)]


def test_manual_commit_during_speech_splits_the_turn() -> None:
    buffer = InputAudioBuffer(vad=ServerVad())
    audio = synth.silence(1000) + synth.speech(800) + synth.silence(400)
    append_in_chunks(buffer, audio[: 1400 * 48])
    committed = buffer.commit()
    assert (committed.audio_start_ms, committed.audio_end_ms) == (0.0, 1400.0)
    events = append_in_chunks(buffer, audio[1400 * 48 :])
    assert events[0] == SpeechStopped(1400, 2000)  # the rest of the speech, a new item
    assert events[1] == CommittedAudio(audio[1400 * 48 : 2000 * 48], PCM16, 1400.0, 2000.0)


def test_idle_timeout_commits_the_silent_stretch() -> None:
    idle = IdleTimeout(1000)
    buffer = InputAudioBuffer(vad=ServerVad(), idle_timeout=idle)
    append_in_chunks(buffer, synth.silence(300))
    idle.arm(500)  # e.g. the last response's audio finished playing at 500 ms
    events = append_in_chunks(buffer, synth.silence(1700))
    assert events == [
        IdleTimedOut(500, 1500),
        CommittedAudio(bytes(1000 * 48), PCM16, 500.0, 1500.0),
    ]
    assert buffer.pending_start_ms == 1500.0


def test_speech_disarms_the_idle_timeout() -> None:
    idle = IdleTimeout(1000)
    buffer = InputAudioBuffer(vad=ServerVad(), idle_timeout=idle)
    idle.arm(0)
    events = append_in_chunks(buffer, synth.silence(300) + synth.speech(400) + synth.silence(2000))
    assert [type(event) for event in events] == [SpeechStarted, SpeechStopped, CommittedAudio]
    assert idle.deadline_ms is None


def test_timeout_before_speech_in_one_append_comes_first() -> None:
    idle = IdleTimeout(500)
    buffer = InputAudioBuffer(vad=ServerVad(), idle_timeout=idle)
    idle.arm(0)
    events = buffer.append_bytes(synth.silence(700) + synth.speech(300) + synth.silence(300))
    assert events[:2] == [IdleTimedOut(0, 500), CommittedAudio(bytes(500 * 48), PCM16, 0, 500)]
    assert events[2] == SpeechStarted(500, 710)  # padding stops at the committed stretch
    assert events[3] == SpeechStopped(500, 1200)


def test_format_change_converts_pending_audio() -> None:
    buffer = InputAudioBuffer(vad=ServerVad())
    append_in_chunks(buffer, synth.silence(500))
    buffer.set_format(G711_ULAW)
    assert buffer.fmt is G711_ULAW and buffer.pending_ms == 500.0 and buffer.position_ms == 500
    assert buffer.pending_audio == b"\xff" * 4000
    wire = from_pcm16_24k(synth.speech(400) + synth.silence(500), G711_ULAW)
    events = append_in_chunks(buffer, wire)
    assert events[:2] == [SpeechStarted(200, 510), SpeechStopped(200, 1100)]
    committed = events[2]
    assert isinstance(committed, CommittedAudio)
    assert committed.audio == b"\xff" * 300 * 8 + wire[: 600 * 8]


def test_vad_events_make_valid_ga_server_events() -> None:
    """The buffer's numbers fill the real events' fields (the session adds the ids)."""
    builder, validator = EventBuilder(IdFactory(1)), EventValidator()
    buffer = InputAudioBuffer(vad=ServerVad())
    events = append_in_chunks(buffer, synth.silence(500) + synth.speech(500) + synth.silence(500))
    started, stopped = events[0], events[1]
    assert isinstance(started, SpeechStarted) and isinstance(stopped, SpeechStopped)
    wire = [
        builder.event(
            "input_audio_buffer.speech_started",
            audio_start_ms=started.audio_start_ms,
            item_id="item_1",
        ),
        builder.event(
            "input_audio_buffer.speech_stopped", audio_end_ms=stopped.audio_end_ms, item_id="item_1"
        ),
        builder.event(
            "input_audio_buffer.timeout_triggered",
            audio_start_ms=0,
            audio_end_ms=1000,
            item_id="item_2",
        ),
    ]
    for event in wire:
        assert validator.validate(event, "realtime", "ga") == []


def test_silence_under_vad_is_kept_only_as_far_back_as_prefix_padding_reaches() -> None:
    buffer = InputAudioBuffer(PCM16, ServerVad(prefix_padding_ms=300))
    for _ in range(60):  # a minute of silence that never becomes speech
        append_in_chunks(buffer, synth.silence(1000))
    assert buffer.pending_ms <= 300 + UNREACHABLE_SILENCE_KEPT_MS + DEFAULT_FRAME_MS
    events = append_in_chunks(buffer, synth.speech(800) + synth.silence(1000))
    committed = [event for event in events if isinstance(event, CommittedAudio)]
    assert committed[0].audio_start_ms == 60_000 - 300  # the padding was still there
    assert committed[0].duration_ms == committed[0].audio_end_ms - committed[0].audio_start_ms


def test_an_armed_idle_timeout_keeps_the_silence_it_will_commit() -> None:
    idle = IdleTimeout(8000)
    buffer = InputAudioBuffer(PCM16, ServerVad(), idle)
    append_in_chunks(buffer, synth.silence(4000))
    idle.arm(2000)  # still kept: silence goes once 2.3 s behind the VAD (here from 1700)
    events = append_in_chunks(buffer, synth.silence(9000))  # unarmed, it would go up to 10700
    fired = [event for event in events if isinstance(event, CommittedAudio)]
    assert [(c.audio_start_ms, c.audio_end_ms, c.duration_ms) for c in fired] == [
        (2000.0, 10000.0, 8000.0)
    ]
