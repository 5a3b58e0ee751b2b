"""The simulated model's voice: speech-like audio a VAD hears, word timing, formats, delivery."""

from __future__ import annotations

import base64
import itertools
from typing import Any

import pytest

from realtime_conformance.rtproto.audio import synth
from realtime_conformance.rtproto.audio.codecs import decode, from_pcm16_24k, to_pcm16_24k
from realtime_conformance.rtproto.audio.formats import FORMATS, PCM16, AudioFormat
from realtime_conformance.rtproto.audio.vad import ServerVad, SpeechStarted, SpeechStopped
from realtime_conformance.rtproto.server.realtime import speech
from realtime_conformance.rtproto.server.realtime.simulated_model import tokens_of
from realtime_conformance.rtproto.server.realtime.timing import AudioDelivery, Timing
from tests.support.audio import FORMAT_IDS
from tests.support.engine import EngineDriver, session_update

TOKENS = ["Hi", " there", ",", " friend", "!"]
REAL = Timing.realistic()


@pytest.mark.parametrize("fmt", FORMATS, ids=FORMAT_IDS)
def test_a_word_is_350_ms_and_punctuation_rides_with_it(fmt: AudioFormat) -> None:
    said = speech.speak(TOKENS, fmt)
    assert [(w.text, w.start_ms, w.end_ms) for w in said.words] == [
        ("Hi", 0, 350),
        ("there,", 350, 700),
        ("friend!", 700, 1050),
    ]
    assert said.token_starts_ms == [0, 350, 350, 700, 700]
    assert len(said.audio) == 1050 * fmt.bytes_per_ms
    assert synth.text_heard(said.words, 800) == "Hi there,"


def test_the_same_answer_sounds_the_same() -> None:
    assert speech.speak(TOKENS, PCM16).audio == speech.speak(TOKENS, PCM16).audio
    assert speech.speak(TOKENS, PCM16).audio != speech.speak(["Hi", " you"], PCM16).audio


@pytest.mark.parametrize("fmt", FORMATS, ids=FORMAT_IDS)
def test_a_vad_hears_the_whole_answer_as_speech(fmt: AudioFormat) -> None:
    """Loopback: the model's audio, fed to server VAD, is one turn spanning the words."""
    said = speech.speak(list(tokens_of("One two three four five six.")), fmt)
    vad = ServerVad(sample_rate=fmt.sample_rate)
    events = vad.feed(decode(said.audio + from_pcm16_24k(synth.silence(500), fmt), fmt))
    assert events == [SpeechStarted(0, 10), SpeechStopped(0, round(said.duration_ms) + 200)]


@pytest.mark.parametrize(
    ("tokens", "expected"),
    [(["Hello", " world"], [0, 1]), ([" a", "-", "b", " c"], [0, 0, 0, 1]), ([",", " x"], [0, 1])],
)
def test_tokens_map_to_whitespace_separated_words(tokens: list[str], expected: list[int]) -> None:
    assert speech.word_indexes(tokens) == expected
    assert max(expected) + 1 == len("".join(tokens).split())


def audio_deltas(driver: EngineDriver) -> list[tuple[float, bytes]]:
    return [
        (at, base64.b64decode(e["delta"]))
        for at, e in driver.timed
        if e["type"] == "response.output_audio.delta"
    ]


@pytest.mark.parametrize(
    ("delivery", "gap_s"),
    [
        (AudioDelivery.burst(), 0.1 / REAL.audio_speed),
        (AudioDelivery.burst(10), 0.01),
        (AudioDelivery.realtime(), 0.1),
        (AudioDelivery.rate(0.5), 0.2),
    ],
    ids=["burst-default", "burst-10x", "realtime", "half-speed"],
)
def test_audio_goes_out_at_the_chosen_rate(delivery: AudioDelivery, gap_s: float) -> None:
    driver = EngineDriver(timing=REAL, audio_delivery=delivery)
    driver.send({"type": "response.create"})
    driver.settle()
    times = [at for at, _ in audio_deltas(driver)]
    gaps = {round(b - a, 9) for a, b in itertools.pairwise(times)}
    assert gaps == {round(gap_s, 9)}


def test_burst_with_instant_timing_sends_everything_at_once() -> None:
    driver = EngineDriver(timing=Timing.instant())
    driver.send({"type": "response.create"}, at=3.0)
    driver.settle()
    assert {at for at, _ in audio_deltas(driver)} == {3.0}


@pytest.mark.parametrize("bad", [lambda: AudioDelivery.burst(0.5), lambda: AudioDelivery.rate(0)])
def test_impossible_rates_are_refused(bad: Any) -> None:
    with pytest.raises(ValueError):
        bad()


def test_transcript_deltas_lead_the_audio_of_their_word() -> None:
    driver = EngineDriver(timing=REAL, audio_delivery=AudioDelivery.realtime())
    driver.send({"type": "response.create"})
    driver.settle()
    first_audio = audio_deltas(driver)[0][0]
    words = synth.words_with_timing(
        driver.one("response.output_audio_transcript.done")["transcript"]
    )
    starts = [
        at
        for at, e in driver.timed
        if e["type"] == "response.output_audio_transcript.delta" and e["delta"][:1].isspace()
    ]
    for word, at in zip(words[1:], starts, strict=True):  # each word's delta as it starts
        assert at - first_audio == pytest.approx(word.start_ms / 1000)


@pytest.mark.parametrize("fmt", FORMATS, ids=FORMAT_IDS)
def test_output_format_per_session(fmt: AudioFormat) -> None:
    driver = EngineDriver()
    driver.send(session_update(audio={"output": {"format": fmt.ga()}}))
    driver.send({"type": "response.create"})
    driver.settle()
    chunks = [chunk for _, chunk in audio_deltas(driver)]
    assert {len(chunk) for chunk in chunks[:-1]} == {fmt.bytes_for_ms(100)}
    transcript = driver.one("response.output_audio_transcript.done")["transcript"]
    audio = b"".join(chunks)
    assert len(audio) == fmt.bytes_for_ms(350 * len(transcript.split()))
    pcm = to_pcm16_24k(audio, fmt)
    assert pcm == speech.speak(list(tokens_of(transcript)), PCM16).audio or fmt != PCM16


def test_a_response_can_override_the_output_format() -> None:
    driver = EngineDriver()
    params = {"audio": {"output": {"format": {"type": "audio/pcma"}}}}
    driver.send({"type": "response.create", "response": params})
    driver.settle()
    assert driver.one("response.created")["response"]["audio"]["output"]["format"] == {
        "type": "audio/pcma"
    }
    chunks = [chunk for _, chunk in audio_deltas(driver)]
    assert {len(chunk) for chunk in chunks[:-1]} == {800}  # 100 ms of 8 kHz G.711
