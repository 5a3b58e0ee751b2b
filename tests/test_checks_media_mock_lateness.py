"""The mock's lateness with the model's audio is excused, the client's own is not.

Under load a scripted mock falls behind its real-time pace in steps too small to show as loop
lag; a bridge that forwards audio as it arrives then starves the call. The story: a 2000 ms
answer paced at real time from t=1000 in 100 ms deltas; the bridge plays it into the call in
20 ms frames from t=1020 and sends nothing from t=2000 to t=2300. Whether that gap is the
client's depends only on when the audio for t=2000 reached it.
"""

from __future__ import annotations

import pytest

from realtime_conformance.conformance.checks.harness_clock import ServerAudioLateness
from tests.support.recordings import RecordingBuilder, judge, pcm_audio

MEDIA_TIMING = ["media.playout_cadence", "media.first_audio_latency"]
STALL = "1 underrun(s), 180 ms of silence in item item_a1 (longest 180 ms)"
IDS = {"response_id": "resp_1", "item_id": "item_a1", "output_index": 0, "content_index": 0}


def paced_answer(
    delay: dict[int, float] | None = None, burst_ms: float = 0, dialect: str = "ga"
) -> RecordingBuilder:
    """Session and call at t=0; 20 deltas of 100 ms, delta k due at 1000 + 100 k, sent
    `delay[k]` ms late (a late mock stays late); the first `burst_ms` all at t=1000."""
    b = RecordingBuilder(dialect).session().call_start()
    delta = "response.audio.delta" if dialect == "beta" else "response.output_audio.delta"
    b.at(1000).response_created("resp_1")
    for k in range(20):
        due = 1000.0 + 100 * k
        sent = 1000.0 if 100 * k < burst_ms else due + (delay or {}).get(k, 0.0)
        b.at(sent).server(delta, **IDS, delta=pcm_audio(100))
    return b.at(3400).response_done("resp_1")


def gap_at_2000(b: RecordingBuilder) -> RecordingBuilder:
    """The bridge's frames: 1000 ms of audio from 1020, nothing until 2300, the rest."""
    return b.at(1020).play(1000).at(2300).play(1000)


def late_from(k0: int, ms: float) -> dict[int, float]:
    return dict.fromkeys(range(k0, 20), ms)


@pytest.mark.parametrize("dialect", ["ga", "beta"])
def test_a_mock_late_mid_answer_is_not_the_clients_underrun(dialect: str) -> None:
    """The mock sends the audio for t=2000 300 ms late; the bridge plays it on arrival."""
    late = paced_answer(late_from(10, 300), dialect=dialect)
    assert judge(gap_at_2000(late), MEDIA_TIMING, dialect=dialect) == []


def test_a_client_gap_while_the_mock_kept_its_pace_still_fails() -> None:
    [failure] = judge(gap_at_2000(paced_answer()), MEDIA_TIMING)
    assert failure.check == "media.playout_cadence"
    assert failure.actual == STALL


def test_a_client_gap_with_the_audio_in_hand_fails_however_late_the_mock() -> None:
    """The first 1500 ms came at once, so the audio for t=2000 was there; the mock was late
    later on, with audio the call did not need yet."""
    late = paced_answer(late_from(15, 300), burst_ms=1500)
    [failure] = judge(gap_at_2000(late), MEDIA_TIMING)
    assert failure.actual == STALL


def test_a_mock_falling_behind_in_small_steps_is_excused() -> None:
    """15 ms later with each delta from the fifth on: 225 ms behind by the end; the bridge
    plays each frame as soon as its audio has arrived."""
    delay = {k: 15.0 * max(0, k - 4) for k in range(20)}
    b = paced_answer(delay)
    for j in range(100):
        k = j // 5
        b.at(max(1020 + 20 * j, 1000 + 100 * k + delay[k] + 20 * (j % 5))).play(20)
    assert judge(b, MEDIA_TIMING) == []
    b = paced_answer()
    for j in range(100):
        b.at(1020 + 20 * j + 15 * max(0, j // 5 - 4)).play(20)  # the same, the mock on time
    assert [failure.actual for failure in judge(b, MEDIA_TIMING)] == [
        "item item_a1 sent 15.0% slower than real time (drifting pacer)",
        "9 underrun(s), 125 ms of silence in item item_a1 (longest 15 ms)",
    ]


def test_first_audio_waiting_for_a_late_mock_is_excused() -> None:
    """A bridge that buffers 200 ms before playing: the mock's second delta came 600 ms late."""
    b = paced_answer(late_from(1, 600))
    assert judge(b.at(1720).play(2000), ["media.first_audio_latency"]) == []
    [failure] = judge(paced_answer().at(1720).play(2000), ["media.first_audio_latency"])
    assert "720 ms after it" in failure.actual


def test_server_audio_lateness_is_read_from_the_deltas_own_pace() -> None:
    deltas = [(1000.0, 100.0), (1100.0, 100.0), (1400.0, 100.0), (1450.0, 100.0)]
    lateness = ServerAudioLateness(deltas)
    assert lateness.late == [0.0, 0.0, 200.0, 150.0]
    assert lateness.sent(250) == (1400.0, 200.0)
    assert lateness.between(1000, 1100) == 0
    assert lateness.between(1000, 1500) == 200
    # 180 ms of silence from t=1300 needing audio the mock sent at 1400, 200 ms late: the
    # audio was 120 ms (less a frame's forwarding) from reaching the client: 60 ms left
    assert lateness.excuse_underrun(180, 1300, 250) == 60
    assert lateness.excuse_underrun(180, 1300, 50) == 180  # that audio was on time
    assert ServerAudioLateness([]).excuse_underrun(100, 0, 0) == 100  # no audio: no excuse
