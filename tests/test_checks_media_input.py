"""Input pacing, input format and the client's media reports.

The story: the call streams the caller's audio from t=0 (Twilio, 20 ms mu-law frames in real
time); the session declares PCM16 24 kHz input; a correct bridge resamples and appends 100 ms
every 100 ms, 20 ms after the audio arrived.
"""

from __future__ import annotations

from typing import Any

from tests.support.recordings import ULAW_BYTES_PER_MS, RecordingBuilder, judge

INPUT_CHECKS = ["media.input_pacing", "media.input_format"]
PCMU_SESSION: dict[str, Any] = {
    "type": "realtime",
    "audio": {"input": {"format": {"type": "audio/pcmu"}}},
}


def call(ms: float = 4000, session: dict[str, Any] | None = None) -> RecordingBuilder:
    b = RecordingBuilder().session(session)
    return b.at(0).call_start().caller_media(ms)


def appends(
    b: RecordingBuilder,
    count: int = 39,
    every_ms: float = 100,
    chunk_ms: float = 100,
    bytes_per_ms: int = 48,
) -> RecordingBuilder:
    for k in range(count):
        b.at(120 + k * every_ms).append(chunk_ms, bytes_per_ms)
    return b


def test_a_real_time_bridge_passes() -> None:
    assert judge(appends(call()), INPUT_CHECKS) == []


def test_a_drifting_pacer_falls_behind() -> None:
    b = appends(call(), count=36, every_ms=110)  # 100 ms of audio every 110 ms
    [failure] = judge(b, INPUT_CHECKS)
    assert failure.check == "media.input_pacing"
    assert "behind (starved or drifting)" in failure.actual
    assert "300 ms behind" in failure.requirement


def test_holding_audio_then_flushing_it_fails() -> None:
    b = appends(call(), count=10)  # until t=1020, then nothing
    b.at(2500).append(1500)  # a second and a half held back, then sent at once
    for k in range(10):
        b.at(2600 + k * 100).append(100)
    [failure] = judge(b, ["media.input_pacing"])
    assert failure.actual == "1480 ms behind (starved or drifting)"
    assert failure.at_ms == 2500


def test_audio_in_another_format_than_declared_fails_both_ways() -> None:
    # declared PCM16 24 kHz, sent the call's mu-law as it is: a sixth as long as it should be
    failures = judge(appends(call(), bytes_per_ms=ULAW_BYTES_PER_MS), INPUT_CHECKS)
    assert [f.check for f in failures] == ["media.input_pacing", "media.input_format"]
    assert "ratio 0.17: not the declared format" in failures[1].actual
    # declared mu-law, sent PCM16 24 kHz: six times as long, ahead of the caller
    failures = judge(appends(call(session=PCMU_SESSION)), INPUT_CHECKS)
    assert [f.check for f in failures] == ["media.input_pacing", "media.input_format"]
    assert "ahead (bursting faster than real time)" in failures[0].actual
    assert "ratio 5.94" in failures[1].actual


def test_the_declared_mu_law_passes_when_sent_as_mu_law() -> None:
    b = appends(call(session=PCMU_SESSION), bytes_per_ms=ULAW_BYTES_PER_MS)
    assert judge(b, INPUT_CHECKS) == []


def test_odd_pcm16_byte_counts_are_not_whole_samples() -> None:
    b = call()
    b.at(200).client("input_audio_buffer.append", audio="AAAA")  # 3 bytes
    [failure] = judge(b, ["media.input_format"])
    assert failure.actual == "an append of 3 bytes"


def test_without_a_call_real_time_is_the_reference() -> None:
    b = RecordingBuilder().session()
    for k in range(30):
        b.at(100 + k * 100).append(100)
    assert judge(b, INPUT_CHECKS) == []
    b = RecordingBuilder().session()
    for k in range(30):
        b.at(100 + k * 10).append(100)  # 3 s of audio in 0.3 s
    [failure] = judge(b, INPUT_CHECKS)
    assert "ahead" in failure.actual and "real time since the first append" in failure.expected[0]
