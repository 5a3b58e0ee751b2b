"""The scenario player's VAD (`vad:`) and the verdicts on it (`expect_vad`), driven by hand: the
caller's audio appended in 20 ms chunks at real-time `now`, in each format, by a faithful client
and by clients that shift, cut or garble it. The verdicts are judged from the player's transcript
(conformance.checks.scenario_rules)."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

from realtime_conformance.rtproto.audio import synth
from realtime_conformance.rtproto.audio.codecs import decode, encode, resample
from realtime_conformance.rtproto.audio.formats import FORMATS, PCM16, AudioFormat
from realtime_conformance.rtproto.dialects import to_beta
from realtime_conformance.rtproto.scenario import parse_scenario
from realtime_conformance.rtproto.validation import EventValidator
from tests.support.scenario_tape import RecordedPlayer
from tests.support.vad_caller import HEAD, Call, silence, text

VALIDATOR = EventValidator()
FORMAT_IDS = [fmt.beta_name for fmt in FORMATS]
DELAY_S = 0.1
VAD_EVENTS = ("input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped")
# --- a faithful client ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS, ids=FORMAT_IDS)
def test_the_vad_events_are_where_the_callers_speech_is(fmt: AudioFormat) -> None:
    call = Call.start(text(fmt))
    call.speak()
    expected = call.audio.expected
    started = [e for _, e in call.events("input_audio_buffer.speech_started")]
    stopped = [e for _, e in call.events("input_audio_buffer.speech_stopped")]
    assert len(started) == len(stopped) == len(expected) == 2
    for turn, start, stop in zip(expected, started, stopped, strict=True):
        assert abs(start["audio_start_ms"] - turn.audio_start_ms) <= 10
        assert turn.audio_end_ms is not None
        assert abs(stop["audio_end_ms"] - turn.audio_end_ms) <= 10
        assert start["item_id"] == stop["item_id"]
    assert [v.outcome for v in call.judged().vad] == ["met", "met"]
    assert call.judged().unmet == [] and call.judged().unexpected == ()


def test_each_decision_goes_out_delay_ms_after_the_append_that_completed_it() -> None:
    call = Call.start(text())
    call.speak()
    (started_at, _), _ = call.events("input_audio_buffer.speech_started")
    (stopped_at, _), _ = call.events("input_audio_buffer.speech_stopped")
    speech = call.audio.speech[0]
    # speech starts at 500 ms: its first 10 ms frame is complete in the chunk ending at 520 ms
    assert started_at == pytest.approx(0.520 + DELAY_S)
    # 200 ms of silence after 1300 ms: decided in the chunk ending at 1500 ms
    assert stopped_at == pytest.approx((speech.end_ms + 200) / 1000 + DELAY_S)


def test_a_turn_goes_out_in_the_captured_order_and_the_rules_answer_it() -> None:
    call = Call.start(text())
    call.speak()
    kinds = [e["type"] for _, e in call.events()]
    first = kinds.index("input_audio_buffer.speech_stopped")
    assert kinds[first : first + 5] == [
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
        "conversation.item.added",
        "conversation.item.done",
        "response.created",
    ]
    assert kinds.count("response.done") == 2
    committed = [e for _, e in call.events("input_audio_buffer.committed")]
    added = [e for _, e in call.events("conversation.item.added") if e["item"]["role"] == "user"]
    assert [c["item_id"] for c in committed] == [a["item"]["id"] for a in added]
    assert added[0]["item"]["content"] == [{"type": "input_audio", "transcript": None}]
    assert committed[1]["previous_item_id"] != committed[0]["item_id"]  # the answer came between
    started = [e for _, e in call.events("input_audio_buffer.speech_started")]
    assert [c["item_id"] for c in committed] == [s["item_id"] for s in started]


@pytest.mark.parametrize("fmt", FORMATS, ids=FORMAT_IDS)
def test_every_event_is_valid_in_ga_and_in_beta(fmt: AudioFormat) -> None:
    call = Call.start(text(fmt))
    call.speak()
    for _, event in call.events():
        assert VALIDATOR.validate(event, "realtime", "ga") == [], event
        for translated in to_beta(event):
            assert VALIDATOR.validate(translated, "realtime", "beta") == [], translated


def test_the_session_announces_the_vad_the_player_runs() -> None:
    call = Call.start(text(vad="{silence_duration_ms: 400, prefix_padding_ms: 100}"))
    [(_, created)] = call.events("session.created")
    detection = created["session"]["audio"]["input"]["turn_detection"]
    assert (detection["type"], detection["threshold"]) == ("server_vad", 0.5)
    assert (detection["prefix_padding_ms"], detection["silence_duration_ms"]) == (100, 400)


def test_the_vad_turn_event_carries_the_turn_for_matchers_and_expressions() -> None:
    scenario = text(expect_vad="auto").replace(
        '  - when: {type: vad.turn}\n    reply: [{audio_response: {transcript: "Sure.",'
        " duration_ms: 300}}]\n",
        "  - when: {type: vad.turn, turn: 2}\n"
        "    times: once\n"
        '    reply: [{event: {type: conversation.item.retrieved, item: {id: "${event.item_id}",'
        " type: message, status: completed, role: user, content: []}}}]\n",
    )
    call = Call.start(scenario)
    call.speak()
    [(_, retrieved)] = call.events("conversation.item.retrieved")
    second = [e for _, e in call.events("input_audio_buffer.committed")][1]
    assert retrieved["item"]["id"] == second["item_id"]
    assert call.judged().unexpected == ()  # turn 1 had no rule, and needs none
    assert call.judged().unmet == []


# --- clients that get it wrong --------------------------------------------------------------


def test_audio_shifted_by_300_ms_is_judged_shifted_by_300_ms() -> None:
    call = Call.start(text())
    at = call.append(silence(PCM16, 300))  # the client's own silence before the caller's
    call.append([chunk.audio for chunk in call.audio.chunks], start_at=at)
    verdicts = call.judged().vad
    assert [(v.outcome, v.start_shift_ms, v.end_shift_ms) for v in verdicts] == [
        ("shifted", 300, 300),
        ("shifted", 300, 300),
    ]
    assert str(verdicts[0]) == (
        "VAD turn 1: shifted: speech_started.audio_start_ms 500, expected 200 (+300 ms); "
        "speech_stopped.audio_end_ms 1800, expected 1500 (+300 ms); tolerance 10 ms"
    )
    assert call.judged().unmet == [str(v) for v in verdicts]


def test_audio_cut_short_leaves_a_turn_unfinished_and_the_next_missing() -> None:
    call = Call.start(text())
    chunks = [chunk.audio for chunk in call.audio.chunks]
    call.append(chunks[:50])  # 1000 ms: the first turn's speech has started, not stopped
    unfinished, missing = call.judged().vad
    assert (unfinished.outcome, unfinished.start_shift_ms) == ("unfinished", 0)
    assert missing.outcome == "missing" and missing.detected is None
    assert str(unfinished) == (
        "VAD turn 1: unfinished: speech_started.audio_start_ms 200, expected 200 (+0 ms), but "
        "no speech_stopped (expected audio_end_ms 1500); the client's audio ended at 1000 ms"
    )
    assert str(missing) == (
        "VAD turn 2: missing: expected speech_started.audio_start_ms 2200 and "
        "speech_stopped.audio_end_ms 3300, no speech detected there; the client's audio "
        "ended at 1000 ms"
    )


def test_a_dropped_turn_is_missing_and_noise_is_an_extra_turn() -> None:
    call = Call.start(text())
    audio = call.audio
    chunks = [chunk.audio for chunk in audio.chunks]
    quiet = silence(PCM16, 20)
    # the client loses the second burst (chunks 125..154) and adds a cough at 3900 ms
    cough = synth.chunk(synth.speech(300, seed=9), 20)
    call.append(chunks[:125] + quiet * 30 + chunks[155:] + quiet * 20 + cough + quiet * 20)
    verdicts = call.judged().vad
    assert [v.outcome for v in verdicts] == ["met", "missing", "extra"]
    assert str(verdicts[2]) == (
        "extra VAD turn: speech_started.audio_start_ms 3600 and speech_stopped.audio_end_ms "
        "4400, where the caller's audio has no speech"
    )
    assert verdicts[2].as_dict()["detected"] == {"audio_start_ms": 3600, "audio_end_ms": 4400}


def test_audio_in_another_format_than_the_sessions_is_noise_and_said_so() -> None:
    call = Call.start(text().replace("format: pcm16", "format: g711_ulaw"))
    call.speak()  # mu-law bytes, decoded as PCM16
    unmet = call.judged().unmet
    assert any(v.outcome != "met" for v in call.judged().vad)
    assert unmet[-1] == (
        "the session's input audio format is pcm16 but the caller's audio is g711_ulaw: the VAD "
        "decoded the client's appends as pcm16"
    )


def test_invalid_audio_gets_the_real_servers_error_and_changes_nothing() -> None:
    call = Call.start(text())
    event = {"type": "input_audio_buffer.append", "audio": "not base64!", "event_id": "evt_1"}
    call.clock.send(event, 1.0)
    call.clock.run_out()
    [(_, error)] = call.events("error")
    assert error["error"]["code"] == "invalid_value" and error["error"]["param"] == "audio"
    assert error["error"]["event_id"] == "evt_1"
    assert call.player.listener is not None and call.player.listener.audio_ms == 0


# --- listed turns ---------------------------------------------------------------------------


def test_listed_turns_are_judged_with_their_tolerance() -> None:
    listed = "{turns: [{audio_start_ms: 190, audio_end_ms: 1500}, {audio_start_ms: 2200,"
    listed += " audio_end_ms: 3330}], tolerance_ms: 20}"
    call = Call.start(text(expect_vad=listed))
    call.speak()
    assert [v.outcome for v in call.judged().vad] == ["met", "shifted"]
    assert call.judged().vad[1].end_shift_ms == -30


def test_without_expect_vad_there_are_no_verdicts_but_the_vad_runs() -> None:
    call = Call.start(text().replace("expect_vad: auto\n", ""))
    call.speak()
    assert call.judged().vad == () and call.judged().unmet == []
    assert len(call.events(*VAD_EVENTS)) == 4


def test_without_vad_appends_go_to_the_rules() -> None:
    scenario = HEAD + "expect:\n  - when: {type: input_audio_buffer.append}\n    times: 2\n"
    call = Call.start(scenario)
    call.append(silence(PCM16, 40))
    assert call.judged().unmet == [] and call.events(*VAD_EVENTS) == []


def test_a_wav_callers_turns_are_judged_end_to_end(tmp_path: Path) -> None:
    pcm = synth.caller_script([(900, 1000), (600, 700)], lead_in_ms=500, seed=2).pcm
    with wave.open(str(tmp_path / "caller.wav"), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(16000)
        writer.writeframes(encode(resample(decode(pcm, PCM16), 24000, 16000), PCM16))
    scenario = HEAD + "vad: true\nexpect_vad: auto\ncaller: {wav: caller.wav}\n"
    player = RecordedPlayer(parse_scenario(scenario, str(tmp_path / "s.yaml")))
    call = Call(player)
    call.clock.start(0.0)
    call.speak()
    assert [v.outcome for v in call.judged().vad] == ["met", "met"]
