"""Synthetic speech: deterministic, speech-like, and found by the VAD burst by burst."""

from __future__ import annotations

import numpy as np
import pytest

from realtime_conformance.rtproto.audio import synth
from realtime_conformance.rtproto.audio.codecs import decode, from_pcm16_24k
from realtime_conformance.rtproto.audio.formats import FORMATS, G711_ALAW, PCM16, AudioFormat
from realtime_conformance.rtproto.audio.vad import ServerVad, SpeechStopped, frame_dbfs


def test_same_seed_same_bytes_other_seed_other_bytes() -> None:
    assert synth.speech(700, seed=3) == synth.speech(700, seed=3)
    assert synth.speech(700, seed=3) != synth.speech(700, seed=4)
    script: list[tuple[int | str, int]] = [(300, 200), ("word", 100)]
    assert synth.caller_script(script, seed=9) == synth.caller_script(script, seed=9)


@pytest.mark.parametrize("ms", [0, 1, 20, 333, 2000])
def test_durations_are_exact(ms: int) -> None:
    assert len(synth.speech(ms)) == ms * 48
    assert synth.silence(ms) == bytes(ms * 48)


def test_speech_has_the_asked_level_and_a_syllable_rhythm() -> None:
    samples = decode(synth.speech(2000, seed=5), PCM16)
    assert 20 * np.log10(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) == pytest.approx(
        -20.0, abs=0.05
    )
    levels = frame_dbfs(samples.reshape(-1, 240))
    assert levels.min() > -40  # every 10 ms frame is speech to the default VAD...
    assert levels.max() - levels.min() > 8  # ...yet the loudness rises and falls
    contour = levels - levels.mean()
    rates = np.fft.rfftfreq(len(contour), 0.01)
    assert 3.5 <= rates[np.argmax(np.abs(np.fft.rfft(contour))[1:]) + 1] <= 5.5


def test_speech_is_voiced_at_a_speaking_pitch() -> None:
    samples = decode(synth.speech(1000, seed=2), PCM16)
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    frequencies = np.fft.rfftfreq(len(samples), 1 / 24000)
    assert 110 <= frequencies[np.argmax(spectrum)] <= 230
    assert spectrum[frequencies > 4000].max() < spectrum.max() / 100  # survives 8 kHz G.711


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda fmt: fmt.beta_name)
def test_vad_finds_every_burst_of_a_caller_script(fmt: AudioFormat) -> None:
    script = synth.caller_script(
        [("Hello", 600), (1200, 450), (250, 800), ("bye", 1000)], lead_in_ms=800, seed=11
    )
    assert [(burst.start_ms, burst.end_ms) for burst in script.bursts] == [
        (800, 1150),
        (1750, 2950),
        (3400, 3650),
        (4450, 4800),
    ]
    wire = from_pcm16_24k(script.pcm, fmt)
    vad = ServerVad(sample_rate=fmt.sample_rate)
    stops = [
        event
        for piece in synth.chunk(wire, 20, fmt)
        for event in vad.feed(decode(piece, fmt))
        if isinstance(event, SpeechStopped)
    ]
    assert [(stop.audio_start_ms, stop.audio_end_ms) for stop in stops] == [
        (max(burst.start_ms - 300, previous), burst.end_ms + 200)
        for burst, previous in zip(script.bursts, [0, 1350, 3150, 3850], strict=True)
    ]
    assert script.duration_ms == 5800


def test_words_with_timing_and_what_a_truncation_keeps() -> None:
    words = synth.words_with_timing("Hi there, how can I help?", ms_per_word=300, start_ms=100)
    assert [(word.text, word.start_ms, word.end_ms) for word in words][:2] == [
        ("Hi", 100, 400),
        ("there,", 400, 700),
    ]
    assert words[-1].end_ms == 1900
    assert synth.text_heard(words, 1000) == "Hi there, how"
    assert synth.text_heard(words, 999) == "Hi there,"  # "how" was cut off mid-word
    assert synth.text_heard(words, 0) == ""


def test_utterance_lasts_as_long_as_its_words() -> None:
    pcm, words = synth.utterance("one two three", ms_per_word=250, seed=1)
    assert len(pcm) == 750 * 48 and words[-1].end_ms == 750
    assert synth.utterance("") == (b"", [])


def test_chunking_into_frames() -> None:
    pcm = synth.speech(50)
    chunks = synth.chunk(pcm, 20)
    assert [len(piece) for piece in chunks] == [960, 960, 480]
    assert b"".join(chunks) == pcm
    assert [len(piece) for piece in synth.chunk(bytes(400), 20, G711_ALAW)] == [160, 160, 80]
    with pytest.raises(ValueError, match="less than one sample"):
        synth.chunk(pcm, 0.01)
