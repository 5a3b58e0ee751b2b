"""`caller_audio`: the caller's audio of a scenario in its format and chunks, and the VAD turns
worked out from the script, checked against what rtproto.audio.vad really finds in that audio."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from realtime_conformance.rtproto.audio import synth
from realtime_conformance.rtproto.audio.codecs import decode, encode, resample
from realtime_conformance.rtproto.audio.formats import (
    FORMATS,
    G711_ALAW,
    G711_ULAW,
    PCM16,
    AudioFormat,
)
from realtime_conformance.rtproto.audio.synth import Span
from realtime_conformance.rtproto.scenario import Scenario, parse_scenario
from realtime_conformance.rtproto.scenario.caller import CallerAudio, caller_audio, detected_turns
from realtime_conformance.rtproto.scenario.spec import (
    BurstScript,
    ExpectedTurn,
    VadSettings,
    WavFile,
)

HEAD = "id: 3.4.9\ntitle: T\nrequirement: The client MUST work.\ndialects: [ga]\n"
FORMAT_IDS = [fmt.beta_name for fmt in FORMATS]
FRAME_MS = 10


def scenario(caller: str, extra: str = "", file: str = "<string>") -> Scenario:
    return parse_scenario(HEAD + extra + "caller:\n" + caller, file)


def script(parts: str, fmt: AudioFormat = PCM16, lead_in_ms: int = 500) -> CallerAudio:
    caller = f"  format: {fmt.beta_name}\n  lead_in_ms: {lead_in_ms}\n  script: {parts}\n"
    return caller_audio(scenario(caller))


def spans(turns: tuple[ExpectedTurn, ...]) -> list[tuple[int, int | None]]:
    return [(turn.audio_start_ms, turn.audio_end_ms) for turn in turns]


def within_a_frame(found: tuple[ExpectedTurn, ...], expected: tuple[ExpectedTurn, ...]) -> bool:
    if len(found) != len(expected):
        return False
    for got, want in zip(found, expected, strict=True):
        if abs(got.audio_start_ms - want.audio_start_ms) > FRAME_MS:
            return False
        if got.audio_end_ms is None or want.audio_end_ms is None:
            if got.audio_end_ms != want.audio_end_ms:
                return False
        elif abs(got.audio_end_ms - want.audio_end_ms) > FRAME_MS:
            return False
    return True


# --- the audio ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS, ids=FORMAT_IDS)
def test_the_audio_is_the_script_in_the_callers_format_cut_in_chunks(fmt: AudioFormat) -> None:
    audio = script("[{speech_ms: 800}, {silence_ms: 1200}]", fmt)
    assert audio.fmt == fmt and audio.duration_ms == 2500
    assert len(audio.audio) == fmt.bytes_for_ms(2500)
    chunks = audio.chunks
    assert len(chunks) == 125 and all(len(c.audio) == fmt.bytes_for_ms(20) for c in chunks)
    assert [(c.start_ms, c.end_ms) for c in chunks[:2]] == [(0, 20), (20, 40)]
    assert b"".join(c.audio for c in chunks) == audio.audio
    assert audio.speech == (Span(500, 1300),)
    event = chunks[0].append_event()
    assert event["type"] == "input_audio_buffer.append" and isinstance(event["audio"], str)


def test_the_lead_in_is_silence_and_the_speech_is_at_its_level() -> None:
    audio = script("[{speech_ms: 1000}, {silence_ms: 300}]", PCM16, lead_in_ms=400)
    samples = decode(audio.audio, PCM16)
    lead, speech = samples[: 24 * 400], samples[24 * 400 : 24 * 1400]
    assert not lead.any()
    level = 10 * np.log10(np.mean(np.square(speech, dtype=np.float64)))
    assert level == pytest.approx(-20, abs=0.2)


def test_chunk_ms_cuts_the_appends_and_a_short_last_chunk_is_kept() -> None:
    caller = "  chunk_ms: 30\n  script: [{speech_ms: 100}, {silence_ms: 220}]\n"
    chunks = caller_audio(scenario(caller)).chunks
    assert [c.end_ms - c.start_ms for c in chunks] == [30.0] * 10 + [20.0]


def test_a_script_is_deterministic_and_its_seed_changes_the_speech() -> None:
    parts = "  script: [{speech_ms: 300}, {silence_ms: 300}]\n"
    first = caller_audio(scenario(parts + "  seed: 4\n")).audio
    assert first == caller_audio(scenario(parts + "  seed: 4\n")).audio
    assert first != caller_audio(scenario(parts + "  seed: 5\n")).audio


def test_the_script_reads_as_bursts_and_the_silences_after_them() -> None:
    source = BurstScript(
        (("silence", 100), ("speech", 500), ("silence", 200), ("silence", 100), ("speech", 300)),
        lead_in_ms=50,
    )
    assert source.lead_ms == 150 and source.duration_ms == 1250
    assert source.turns() == ((500, 300), (300, 0))
    assert source.spans() == (Span(150, 650), Span(950, 1250))


# --- the expected turns, against the real VAD -----------------------------------------------

SCRIPTS = {
    "two turns": ("[{speech_ms: 800}, {silence_ms: 1200}, {speech_ms: 600}, {silence_ms: 400}]",
                  500, [(200, 1500), (2200, 3300)]),
    "off the frame grid": ("[{speech_ms: 805}, {silence_ms: 1203}, {speech_ms: 603},"
                           " {silence_ms: 397}]", 505, [(205, 1510), (2213, 3316)]),
    "a short pause joins bursts": ("[{speech_ms: 700}, {silence_ms: 150}, {speech_ms: 500},"
                                   " {silence_ms: 600}]", 400, [(100, 1950)]),
    "padding stops at the last turn": ("[{speech_ms: 500}, {silence_ms: 300}, {speech_ms: 500},"
                                       " {silence_ms: 300}]", 0, [(0, 700), (700, 1500)]),
    "the audio ends mid-turn": ("[{speech_ms: 600}, {silence_ms: 800}, {speech_ms: 400}]",
                                300, [(0, 1100), (1400, None)]),
}  # fmt: skip


@pytest.mark.parametrize("fmt", FORMATS, ids=FORMAT_IDS)
@pytest.mark.parametrize("name", SCRIPTS)
def test_expected_turns_are_what_the_vad_finds_within_a_frame(name: str, fmt: AudioFormat) -> None:
    parts, lead_in_ms, wanted = SCRIPTS[name]
    audio = script(parts, fmt, lead_in_ms)
    assert spans(audio.expected) == wanted
    found = detected_turns(audio.audio, fmt, audio.vad)
    assert within_a_frame(found, audio.expected), (spans(found), wanted)


def test_the_vad_settings_change_the_expected_turns() -> None:
    parts = "  lead_in_ms: 600\n  script: [{speech_ms: 900}, {silence_ms: 300}, {speech_ms: 500},"
    parts += " {silence_ms: 900}]\n"
    default = caller_audio(scenario(parts))
    assert spans(default.expected) == [(300, 1700), (1700, 2500)]
    patient = caller_audio(
        scenario(parts, "vad: {silence_duration_ms: 400, prefix_padding_ms: 100}\n")
    )
    assert patient.vad == VadSettings(0.5, 100, 400)
    assert spans(patient.expected) == [(500, 2700)]
    assert within_a_frame(detected_turns(patient.audio, PCM16, patient.vad), patient.expected)


def test_a_silence_not_on_whole_frames_waits_whole_frames() -> None:
    parts = "  lead_in_ms: 500\n  script: [{speech_ms: 500}, {silence_ms: 700}]\n"
    audio = caller_audio(scenario(parts, "vad: {silence_duration_ms: 205}\n"))
    assert spans(audio.expected) == [(200, 1210)]
    assert within_a_frame(detected_turns(audio.audio, PCM16, audio.vad), audio.expected)


def test_a_silent_caller_expects_no_turn() -> None:
    assert caller_audio(scenario("  script: [{silence_ms: 1000}]\n")).expected == ()


# --- WAV files ------------------------------------------------------------------------------


def write_wav(path: Path, samples: bytes, rate: int, channels: int = 1, width: int = 2) -> None:
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(width)
        writer.setframerate(rate)
        writer.writeframes(samples)


def speech_at_16k() -> bytes:
    """Two turns of synthetic speech, resampled from 24 kHz to 16 kHz PCM16."""
    pcm = synth.caller_script([(900, 1000), (600, 700)], lead_in_ms=500, seed=2).pcm
    return encode(resample(decode(pcm, PCM16), 24000, 16000), PCM16)


@pytest.mark.parametrize("fmt", [PCM16, G711_ULAW, G711_ALAW], ids=FORMAT_IDS)
def test_a_16k_wav_is_resampled_to_the_callers_format(tmp_path: Path, fmt: AudioFormat) -> None:
    write_wav(tmp_path / "caller.wav", speech_at_16k(), 16000)
    loaded = scenario(
        f"  wav: caller.wav\n  format: {fmt.beta_name}\n", file=str(tmp_path / "s.yaml")
    )
    assert isinstance(loaded.caller and loaded.caller.source, WavFile)
    audio = caller_audio(loaded)
    assert audio.duration_ms == pytest.approx(3700, abs=0.2)
    assert audio.speech == ()
    # a WAV's turns are what the VAD finds in it: here where the script put them
    assert within_a_frame(audio.expected, (ExpectedTurn(200, 1600), ExpectedTurn(2100, 3200)))


def test_a_wav_path_may_be_absolute_and_a_ga_format_name_works(tmp_path: Path) -> None:
    write_wav(tmp_path / "caller.wav", speech_at_16k(), 16000)
    loaded = scenario(f"  wav: {tmp_path / 'caller.wav'}\n  format: audio/pcmu\n")
    assert caller_audio(loaded).fmt == G711_ULAW
