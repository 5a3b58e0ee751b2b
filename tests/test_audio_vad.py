"""Server VAD on real samples: exact event times in every format, whatever the chunking."""

from __future__ import annotations

import numpy as np
import pytest

from realtime_conformance.rtproto.audio import synth
from realtime_conformance.rtproto.audio.codecs import decode, encode, from_pcm16_24k
from realtime_conformance.rtproto.audio.formats import FORMATS, PCM16, AudioFormat
from realtime_conformance.rtproto.audio.vad import (
    WIRE_FRAME_MS,
    Eagerness,
    IdleTimedOut,
    IdleTimeout,
    SemanticVad,
    ServerVad,
    SpeechStarted,
    SpeechStopped,
    VadEvent,
    level_for_threshold,
    speech_probability,
    vad_from_config,
)

BURST = synth.silence(1000) + synth.speech(800) + synth.silence(1000)  # speech 1000..1800 ms


def run_vad(vad: ServerVad, wire: bytes, fmt: AudioFormat, chunk_ms: float = 20) -> list[VadEvent]:
    events: list[VadEvent] = []
    for piece in synth.chunk(wire, chunk_ms, fmt):
        events += vad.feed(decode(piece, fmt))
    return events


def turns(events: list[VadEvent]) -> list[tuple[int, int]]:
    return [
        (event.audio_start_ms, event.audio_end_ms)
        for event in events
        if isinstance(event, SpeechStopped)
    ]


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda fmt: fmt.beta_name)
@pytest.mark.parametrize("chunk_ms", [20, 100, 7.125, 1000])
def test_burst_is_found_exactly_in_every_format(fmt: AudioFormat, chunk_ms: float) -> None:
    wire = from_pcm16_24k(BURST, fmt)
    events = run_vad(ServerVad(sample_rate=fmt.sample_rate), wire, fmt, chunk_ms)
    # Speech starts in frame [1000, 1010): start = 1000 - 300 ms of padding, decided at 1010.
    # It stops 200 ms after the last speech frame ends at 1800: end = 2000 (silence included).
    assert events == [SpeechStarted(700, 1010), SpeechStopped(700, 2000)]


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda fmt: fmt.beta_name)
def test_random_chunk_sizes_give_the_same_events(fmt: AudioFormat) -> None:
    wire = from_pcm16_24k(BURST, fmt)
    rng = np.random.default_rng(7)
    vad = ServerVad(sample_rate=fmt.sample_rate)
    events: list[VadEvent] = []
    offset = 0
    while offset < len(wire):
        size = int(rng.integers(1, 900)) * fmt.bytes_per_sample
        events += vad.feed(decode(wire[offset : offset + size], fmt))
        offset += size
    assert events == [SpeechStarted(700, 1010), SpeechStopped(700, 2000)]


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda fmt: fmt.beta_name)
def test_silence_alone_is_not_speech(fmt: AudioFormat) -> None:
    wire = from_pcm16_24k(synth.silence(3000), fmt)
    vad = ServerVad(sample_rate=fmt.sample_rate)
    assert run_vad(vad, wire, fmt) == []
    assert vad.position_ms == 3000 and not vad.in_speech


@pytest.mark.parametrize(("padding", "silence"), [(0, 0), (300, 500), (500, 200), (120, 1000)])
def test_padding_and_silence_duration_move_the_edges(padding: int, silence: int) -> None:
    vad = ServerVad(prefix_padding_ms=padding, silence_duration_ms=silence)
    pcm = BURST + synth.silence(1000)
    events = run_vad(vad, pcm, PCM16)
    end = 1800 + max(silence, 10)  # a stop needs at least one silent frame
    assert turns(events) == [(1000 - padding, end)]


def test_prefix_padding_is_clamped_at_the_start_of_the_session() -> None:
    pcm = synth.silence(100) + synth.speech(500) + synth.silence(500)
    assert turns(run_vad(ServerVad(), pcm, PCM16)) == [(0, 800)]


def test_prefix_padding_never_reaches_into_the_previous_turn() -> None:
    script = synth.caller_script([(400, 250), (400, 500)], lead_in_ms=1000)
    # turn 1 ends 200 ms after its burst (1400 + 200); turn 2's burst starts at 1650, and its
    # padding stops at 1600 (not 1650 - 300): that audio is already in turn 1's item
    assert turns(run_vad(ServerVad(), script.pcm, PCM16)) == [(700, 1600), (1600, 2250)]


def test_a_pause_shorter_than_the_silence_duration_does_not_end_the_turn() -> None:
    script = synth.caller_script([(500, 150), (500, 600)], lead_in_ms=500)
    assert turns(run_vad(ServerVad(), script.pcm, PCM16)) == [(200, 1850)]


def sine(level_dbfs: float, ms: int) -> bytes:
    """A 400 Hz tone (whole periods per 10 ms frame) whose RMS is `level_dbfs`."""
    count = PCM16.samples_for_ms(ms)
    amplitude = np.sqrt(2) * 10 ** (level_dbfs / 20)
    return encode(amplitude * np.sin(2 * np.pi * 400 * np.arange(count) / 24000), PCM16)


def detects(threshold: float, level_dbfs: float) -> bool:
    pcm = synth.silence(500) + sine(level_dbfs, 500) + synth.silence(500)
    return bool(run_vad(ServerVad(threshold=threshold), pcm, PCM16))


@pytest.mark.parametrize("threshold", [0.1, 0.3, 0.5, 0.7, 0.9])
def test_threshold_is_a_level_one_db_either_side(threshold: float) -> None:
    level = level_for_threshold(threshold)
    assert detects(threshold, level + 1)
    assert not detects(threshold, level - 1)


def test_higher_threshold_needs_louder_audio() -> None:
    assert level_for_threshold(0.5) == -40.0
    thresholds = np.linspace(0.05, 0.95, 19)
    for level in (-60, -45, -35, -25, -15):
        detected = [detects(threshold, level) for threshold in thresholds]
        assert detected == sorted(detected, reverse=True)  # once missed, missed from then on
    levels = np.linspace(-80, 0, 81)
    assert np.all(np.diff(speech_probability(levels)) >= 0)


def test_speech_continues_above_the_release_level() -> None:
    # threshold 0.5 starts at -40 dBFS; speech then holds down to -49 dBFS (0.35)
    held = synth.silence(500) + sine(-30, 300) + sine(-48, 600) + synth.silence(500)
    assert turns(run_vad(ServerVad(), held, PCM16)) == [(200, 1600)]
    dropped = synth.silence(500) + sine(-30, 300) + sine(-51, 600) + synth.silence(500)
    assert turns(run_vad(ServerVad(), dropped, PCM16)) == [(200, 1000)]


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda fmt: fmt.beta_name)
def test_wire_frame_grid_of_32_ms(fmt: AudioFormat) -> None:
    wire = from_pcm16_24k(BURST, fmt)
    events = run_vad(ServerVad(sample_rate=fmt.sample_rate, frame_ms=WIRE_FRAME_MS), wire, fmt)
    # Frame [992, 1024) holds the onset; silence from 1824 needs 7 frames (224 ms) to reach 200.
    assert events == [SpeechStarted(692, 1024), SpeechStopped(692, 2048)]
    assert (692 + 300) % 32 == 0 and 2048 % 32 == 0  # as real events are (see vad.py)


def test_frames_must_be_whole_samples() -> None:
    with pytest.raises(ValueError, match="whole number of samples"):
        ServerVad(sample_rate=22050)
    with pytest.raises(ValueError, match="threshold"):
        ServerVad(threshold=1.5)


@pytest.mark.parametrize(
    ("eagerness", "end"), [("low", 2800), ("medium", 2300), ("auto", 2300), ("high", 2050)]
)
def test_semantic_vad_eagerness_sets_the_silence(eagerness: Eagerness, end: int) -> None:
    vad = SemanticVad(eagerness)
    assert turns(run_vad(vad, BURST + synth.silence(1000), PCM16)) == [(700, end)]
    assert vad.max_timeout_ms == {"low": 8000, "high": 2000}.get(eagerness, 4000)


def test_semantic_vad_rejects_unknown_eagerness() -> None:
    with pytest.raises(ValueError, match="eagerness"):
        SemanticVad("eager")  # type: ignore[arg-type]


def test_vad_from_session_config() -> None:
    assert vad_from_config(None) is None
    default = vad_from_config({"type": "server_vad"})
    assert default is not None
    assert (default.threshold, default.prefix_padding_ms, default.silence_duration_ms) == (
        0.5,
        300,
        200,
    )
    custom = vad_from_config(
        {
            "type": "server_vad",
            "threshold": 0.7,
            "prefix_padding_ms": 100,
            "silence_duration_ms": 800,
            "idle_timeout_ms": None,
        },
        sample_rate=8000,
    )
    assert custom is not None
    assert (
        custom.threshold,
        custom.prefix_padding_ms,
        custom.silence_duration_ms,
        custom.sample_rate,
    ) == (0.7, 100, 800, 8000)
    semantic = vad_from_config({"type": "semantic_vad", "eagerness": "high"})
    assert isinstance(semantic, SemanticVad) and semantic.silence_duration_ms == 250


def test_restart_forgets_speech_and_moves_the_grid() -> None:
    vad = ServerVad()
    vad.feed(decode(synth.silence(100) + synth.speech(200), PCM16))
    assert vad.in_speech
    vad.restart(5000)
    assert (vad.in_speech, vad.position_ms) == (False, 5000)  # a tuple: mypy keeps no narrowing
    events = vad.feed(decode(synth.speech(100) + synth.silence(300), PCM16))
    assert events == [SpeechStarted(5000, 5010), SpeechStopped(5000, 5300)]


def armed_until(idle: IdleTimeout) -> float | None:
    """The deadline read afresh (mypy keeps `idle.deadline_ms` narrowed across `poll`)."""
    return idle.deadline_ms


def test_idle_timeout_fires_once_at_its_deadline() -> None:
    idle = IdleTimeout(5000)
    assert idle.poll(10_000) is None  # not armed
    idle.arm(2000)
    assert idle.deadline_ms == 7000
    assert idle.poll(6999.9) is None
    assert idle.poll(7020) == IdleTimedOut(2000, 7000)
    assert idle.poll(8000) is None and armed_until(idle) is None  # fired once: disarmed
    idle.arm(9000)
    idle.disarm()
    assert idle.poll(20_000) is None
