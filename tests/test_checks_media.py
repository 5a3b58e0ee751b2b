"""Media timing checks on synthetic two-sided recordings: the bridge bugs users report, each
caught by the requirement it breaks, and the correct bridge passing all of them.

The story of `barge_in`: a 2000 ms answer arrives at t=1000 in one burst; the bridge plays it
into the call in 20 ms frames from t=1020; the caller starts speaking and the server says
`speech_started` at t=1820, when the caller has heard 800 ms of it.
"""

from __future__ import annotations

from realtime_conformance.conformance.checks.media_cadence import underruns
from realtime_conformance.conformance.checks.registry import Failure
from tests.support.recordings import RecordingBuilder, judge, ulaw_audio

OUTPUT_CHECKS = [
    "media.clear_on_barge_in",
    "media.truncate_on_barge_in",
    "media.truncate_at_heard_audio",
    "media.first_audio_latency",
    "media.playout_cadence",
    "media.playout_backlog",
]
SPEECH_MS = 1820.0


def answer(b: RecordingBuilder, ms: float = 2000) -> RecordingBuilder:
    """Session and call at t=0; the answer's audio at t=1000, all at once."""
    b.session().call_start()
    b.at(1000).audio_response("resp_1", "item_a1", ms)
    return b


def barge_in(
    *,
    play_until: float = SPEECH_MS,
    every_ms: float = 20,
    clear: bool = True,
    audio_end_ms: float | None = 800,
    stall_at: float | None = None,
) -> RecordingBuilder:
    b = answer(RecordingBuilder())
    b.at(1020)
    while b.t_ms < play_until:
        if stall_at is not None and abs(b.t_ms - stall_at) < 1:
            b.wait(400)  # the bridge's pacer stalls: the carrier runs dry
        b.play(20, every_ms=every_ms)
    b.at(SPEECH_MS).server("input_audio_buffer.speech_started", audio_start_ms=5000, item_id="u2")
    if clear:
        b.at(1850).clear()
    if audio_end_ms is not None:
        b.at(1860).client(
            "conversation.item.truncate", item_id="item_a1", content_index=0,
            audio_end_ms=audio_end_ms,
        )  # fmt: skip
    return b.at(3000).server("input_audio_buffer.speech_stopped", audio_end_ms=6000, item_id="u2")


def names(failures: list[Failure]) -> list[str]:
    return sorted({failure.check for failure in failures})


def test_a_correct_bridge_passes_every_output_check() -> None:
    b = barge_in()
    failures = judge(b, OUTPUT_CHECKS)
    assert failures == []


def test_measurements_are_taken() -> None:
    from realtime_conformance.conformance.checks.registry import CheckContext, run_checks

    ctx = CheckContext("9.9.9", "t", barge_in().build())
    assert run_checks(ctx, OUTPUT_CHECKS) == []
    assert ctx.measurements["media.first_audio_latency.first_audio_ms"] == 20
    assert ctx.measurements["media.truncate_at_heard_audio.truncate_error_ms"] == 0
    assert 0 <= ctx.measurements["media.clear_on_barge_in.silence_after_speech_started_ms"] <= 30


def test_truncating_at_the_audio_received_instead_of_heard_fails() -> None:
    failures = judge(barge_in(audio_end_ms=2000), OUTPUT_CHECKS)
    assert names(failures) == ["media.truncate_at_heard_audio"]
    assert "the caller had heard 800 ms of item item_a1 (2000 ms received)" in failures[0].actual
    assert "actually heard" in failures[0].requirement


def test_truncation_computed_from_the_call_clock_fails() -> None:
    """The pacer stalled 400 ms mid-answer, so the caller heard 420 ms by the clear; the client
    says 'playback began 840 ms ago'."""
    b = barge_in(stall_at=1420, audio_end_ms=840)
    failures = judge(b, ["media.truncate_at_heard_audio", "media.playout_cadence"])
    assert names(failures) == ["media.playout_cadence", "media.truncate_at_heard_audio"]
    truncate = next(f for f in failures if f.check == "media.truncate_at_heard_audio")
    assert truncate.actual.startswith("audio_end_ms 840; the caller had heard 420 ms")


def test_no_clear_on_barge_in_fails_naming_the_extra_speech() -> None:
    b = barge_in(play_until=3000, clear=False)  # ignores speech_started, keeps playing
    failures = judge(b, OUTPUT_CHECKS)
    assert names(failures) == ["media.clear_on_barge_in"]
    assert "the caller heard 1180 ms more of item item_a1" in failures[0].actual
    assert "no clear was sent" in failures[0].actual


def test_stopping_a_paced_stream_without_clear_is_silence_in_time() -> None:
    assert judge(barge_in(clear=False), ["media.clear_on_barge_in"]) == []


def test_never_truncating_fails() -> None:
    failures = judge(barge_in(audio_end_ms=None), OUTPUT_CHECKS)
    assert names(failures) == ["media.truncate_on_barge_in"]
    assert "timeout" in failures[0].actual


def test_an_item_queued_but_never_heard_is_truncated_to_zero_or_deleted() -> None:
    b = answer(RecordingBuilder())
    b.at(1010).server("input_audio_buffer.speech_started", audio_start_ms=5000, item_id="u2")
    b.at(1030).client(
        "conversation.item.truncate", item_id="item_a1", content_index=0, audio_end_ms=0
    )
    checks = ["media.truncate_on_barge_in", "media.truncate_at_heard_audio"]
    assert judge(b, checks) == []
    b.at(1040).client(
        "conversation.item.truncate", item_id="item_a1", content_index=0, audio_end_ms=2000
    )
    [failure] = judge(b, checks)
    assert failure.expected[1] == "conversation.item.delete of item item_a1 instead"


def test_a_drifting_pacer_starves_the_carrier() -> None:
    b = answer(RecordingBuilder()).at(1020).play(2000, every_ms=22)  # 10% slow
    failures = judge(b, OUTPUT_CHECKS)
    assert names(failures) == ["media.playout_cadence"]
    assert failures[0].actual == "item item_a1 sent 10.0% slower than real time (drifting pacer)"
    assert "choppy" in failures[0].requirement


def test_a_stall_caught_up_on_absolute_deadlines_is_forgiven_within_the_buffer() -> None:
    """The machine was busy for 90 ms; the pacer then sends the frames it owes at once."""
    b = answer(RecordingBuilder()).at(1020).play(1000)
    b.wait(90).play(100, every_ms=0).at(2120).play(900)
    assert judge(b, OUTPUT_CHECKS) == []


def test_a_stall_longer_than_the_buffer_is_an_underrun() -> None:
    b = answer(RecordingBuilder()).at(1020).play(1000)
    b.wait(300).play(300, every_ms=0).at(2320).play(700)
    failures = judge(b, OUTPUT_CHECKS)
    assert [f.actual for f in failures] == [
        "1 underrun(s), 200 ms of silence in item item_a1 (longest 200 ms)"
    ]


def test_jitter_within_the_buffer_is_not_an_underrun() -> None:
    b = answer(RecordingBuilder()).at(1020)
    for k in range(100):
        b.at(1020 + 20 * k + (15 if k % 2 else 0)).play(20)  # every other frame 15 ms late
    assert judge(b, ["media.playout_cadence"]) == []


def test_flooding_the_call_builds_a_backlog() -> None:
    b = answer(RecordingBuilder()).at(1020).play(2000, every_ms=0.5)
    failures = judge(b, OUTPUT_CHECKS)
    assert names(failures) == ["media.playout_backlog"]
    assert failures[0].actual.endswith("ms of audio queued at the call")


def test_late_first_audio_fails() -> None:
    b = answer(RecordingBuilder()).at(1800).play(2000)
    failures = judge(b, OUTPUT_CHECKS)
    assert names(failures) == ["media.first_audio_latency"]
    assert "800 ms after it" in failures[0].actual


def test_no_audio_at_the_call_is_a_timeout() -> None:
    b = answer(RecordingBuilder()).at(3000).clear()
    failures = judge(b, ["media.first_audio_latency"])
    assert failures[0].actual == "timeout: the caller never heard item item_a1"


def test_without_a_call_the_output_checks_say_so() -> None:
    b = RecordingBuilder().session()
    failures = judge(b, ["media.playout_backlog"])
    assert failures[0].actual == "no call: nothing was recorded on the call wire"


def test_underrun_model() -> None:
    from realtime_conformance.conformance.call.playout import CarrierPlayout

    model = CarrierPlayout()
    for t in (0, 20, 40, 140, 160):  # a 60 ms stall after the third frame, beyond 60 ms jitter
        model.frame(t, 20)
    assert underruns(model.playout.frames, 60) == [(120.0, 20.0)]
    assert underruns(model.playout.frames, 100) == []


def test_interruption_logic_that_runs_only_while_marks_are_pending_fails() -> None:
    """The bridge marked only its first chunk; the carrier echoed the mark at once, so at
    speech_started no mark was pending and the bridge did nothing while 1.2 s still played."""
    b = answer(RecordingBuilder()).at(1020).play(100).mark("chunk-1")
    b.call_in({"event": "mark", "streamSid": "MZ1", "mark": {"name": "chunk-1"}})
    b.play(1900)
    b.at(SPEECH_MS).server("input_audio_buffer.speech_started", audio_start_ms=5000, item_id="u2")
    b.at(3000)
    failures = judge(b, OUTPUT_CHECKS)
    assert names(failures) == ["media.clear_on_barge_in", "media.truncate_on_barge_in"]


def test_playing_twice_as_fast_as_real_time_builds_a_backlog() -> None:
    b = answer(RecordingBuilder()).at(1020).play(2000, every_ms=10)
    failures = judge(b, OUTPUT_CHECKS)
    assert names(failures) == ["media.playout_backlog"]
    assert failures[0].actual == "1010 ms of audio queued at the call"  # 1990 sent by 2000


def caller_with_stall(b: RecordingBuilder, stall: tuple[float, float] | None) -> None:
    """The call's 20 ms caller frames from t=0 to 4000; during `stall` the harness's loop
    stood still, so the frames due then went out together when it ended."""
    for k in range(200):
        due = 20.0 * (k + 1)
        sent = stall[1] if stall and stall[0] <= due < stall[1] else due
        media = {"track": "inbound", "payload": ulaw_audio(20)}
        b.at(sent).call_in({"event": "media", "streamSid": "MZ1", "media": media})


def stalled_bridge(harness_stalled: bool) -> RecordingBuilder:
    b = answer(RecordingBuilder())
    caller_with_stall(b, (2000, 2300) if harness_stalled else None)
    return b.at(1020).play(980).at(2300).play(1020)  # nothing sent from 2000 to 2300


def test_an_underrun_the_harness_caused_is_excused() -> None:
    assert judge(stalled_bridge(harness_stalled=True), OUTPUT_CHECKS) == []
    [failure] = judge(stalled_bridge(harness_stalled=False), OUTPUT_CHECKS)
    assert failure.actual == "1 underrun(s), 200 ms of silence in item item_a1 (longest 200 ms)"


def test_harness_lateness_is_read_from_the_calls_own_schedule() -> None:
    from realtime_conformance.conformance.checks.harness_clock import HarnessLateness

    frames = [(20.0 * (k + 1), 20.0) for k in range(10)]
    frames[5] = (frames[5][0] + 70, 20.0)  # one frame sent 70 ms late
    lateness = HarnessLateness(frames)
    assert lateness.between(0, 100) == 0
    assert lateness.between(150, 200) == 70
    assert lateness.excuse(100, 150, 200) == 30
    assert HarnessLateness([]).excuse(100, 0, 1000) == 100  # no call: nothing excused


def test_an_item_the_application_already_cut_needs_no_second_truncate() -> None:
    """clear_media_buffer cut the answer at 1400 (truncated at what was heard); the caller
    speaks later, while the cut item still has unheard audio: nothing more to truncate."""
    b = answer(RecordingBuilder()).at(1020).play(380)
    b.at(1400).clear()
    b.at(1410).client(
        "conversation.item.truncate", item_id="item_a1", content_index=0, audio_end_ms=380
    )
    b.at(2500).server("input_audio_buffer.speech_started", audio_start_ms=5000, item_id="u2")
    assert judge(b, OUTPUT_CHECKS) == []
