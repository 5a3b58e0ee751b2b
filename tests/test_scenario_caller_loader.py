"""Loading `caller:`, `vad:` and `expect_vad:`: typed values, and every mistake named with file,
line, column and field."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

from realtime_conformance.rtproto.audio.formats import G711_ALAW, PCM16
from realtime_conformance.rtproto.scenario import ScenarioError, parse_scenario
from realtime_conformance.rtproto.scenario.spec import (
    AUTO,
    BurstScript,
    ExpectedTurn,
    VadExpectation,
    VadSettings,
    WavFile,
)

HEAD = "id: 3.4.9\ntitle: T\nrequirement: The client MUST work.\ndialects: [ga]\n"


def problems(text: str, file: str = "case.yaml") -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(HEAD + text, file)
    return [str(problem) for problem in caught.value.problems]


def write_wav(path: Path, channels: int = 1, width: int = 2, frames: bytes = b"\0\0" * 80) -> None:
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(width)
        writer.setframerate(8000)
        writer.writeframes(frames)


# --- what loads -----------------------------------------------------------------------------


def test_a_scripted_caller_with_vad_and_expect_vad_loads_into_typed_values() -> None:
    scenario = parse_scenario(
        HEAD + "vad: {silence_duration_ms: 300}\nexpect_vad: auto\ncaller:\n"
        "  format: g711_alaw\n  chunk_ms: 40\n  lead_in_ms: 200\n  level_dbfs: -25\n  seed: 3\n"
        "  script: [{speech_ms: 500}, {silence_ms: 700}]\n"
    )
    assert scenario.caller is not None
    assert (scenario.caller.fmt, scenario.caller.chunk_ms) == (G711_ALAW, 40)
    assert scenario.caller.source == BurstScript((("speech", 500), ("silence", 700)), 200, -25, 3)
    assert scenario.vad == VadSettings(silence_duration_ms=300)
    assert scenario.expect_vad == VadExpectation(AUTO, 10)


def test_defaults_vad_true_and_listed_turns() -> None:
    scenario = parse_scenario(
        HEAD + "vad: true\ncaller: {script: [{speech_ms: 500}]}\n"
        "expect_vad:\n  turns: [{audio_start_ms: 0, audio_end_ms: null}]\n  tolerance_ms: 30\n"
    )
    assert scenario.caller is not None and scenario.caller.fmt == PCM16
    assert scenario.caller.chunk_ms == 20 and scenario.vad == VadSettings()
    assert scenario.expect_vad == VadExpectation((ExpectedTurn(0, None),), 30)
    shorthand = parse_scenario(
        HEAD + "vad: true\nexpect_vad: [{audio_start_ms: 1, audio_end_ms: 2}]\n"
    )
    assert shorthand.expect_vad == VadExpectation((ExpectedTurn(1, 2),), 10)
    assert parse_scenario(HEAD + "vad: false\n").vad is None


def test_a_wav_is_read_relative_to_the_scenario_file(tmp_path: Path) -> None:
    write_wav(tmp_path / "caller.wav")
    scenario = parse_scenario(HEAD + "caller: {wav: caller.wav}\n", str(tmp_path / "s.yaml"))
    assert scenario.caller is not None
    assert scenario.caller.source == WavFile(str(tmp_path / "caller.wav"), 8000, b"\0\0" * 80)


# --- what does not --------------------------------------------------------------------------


def test_misspelt_and_malformed_caller_keys_are_placed_with_suggestions() -> None:
    text = (
        "caller:\n"
        "  script: [{speach_ms: 800}, {silence_ms: 200, speech_ms: 300}, {speech_ms: 5}]\n"
        "  formt: pcm16\n"
        "  format: g711_ulow\n"
    )
    assert problems(text) == [
        "case.yaml:6:13: caller.script[0].speach_ms: unknown key 'speach_ms' "
        "(did you mean 'speech_ms'?)",
        "case.yaml:6:30: caller.script[1]: expected exactly one key (one of: speech_ms, "
        "silence_ms); got 2",
        "case.yaml:6:77: caller.script[2].speech_ms: expected a value >= 20; got 5",
        "case.yaml:7:3: caller.formt: unknown key 'formt' (did you mean 'format'?)",
        "case.yaml:8:11: caller.format: unknown audio format 'g711_ulow' "
        "(did you mean 'g711_ulaw'?)",
    ]


def test_a_caller_is_a_script_or_a_wav() -> None:
    assert problems("caller:\n  lead_in_ms: 3\n") == [
        "case.yaml:6:3: caller: needs one of: script, wav"
    ]
    both = problems("caller:\n  script: [{speech_ms: 800}]\n  wav: x.wav\n")
    assert (
        both[0] == "case.yaml:6:3: caller: has 'script' and 'wav'; give exactly one of: script, wav"
    )


def test_a_wav_that_cannot_be_played_says_why(tmp_path: Path) -> None:
    write_wav(tmp_path / "stereo.wav", channels=2)
    write_wav(tmp_path / "eight.wav", width=1, frames=b"\x80" * 80)
    write_wav(tmp_path / "empty.wav", frames=b"")
    (tmp_path / "text.wav").write_text("hello", encoding="utf-8")
    file = str(tmp_path / "case.yaml")

    def wav_problem(name: str) -> str:
        [problem] = problems(f"caller: {{wav: {name}}}\n", file)
        return problem.removeprefix(f"{file}:5:15: caller.wav: ")

    assert wav_problem("missing.wav") == (
        f"cannot read {str(tmp_path / 'missing.wav')!r}: No such file or directory"
    )
    assert wav_problem("stereo.wav") == (
        f"{tmp_path / 'stereo.wav'} has 2 channels; a caller is mono: mix it down first"
    )
    assert (
        wav_problem("eight.wav")
        == f"{tmp_path / 'eight.wav'} has 8-bit samples; expected 16-bit PCM"
    )
    assert wav_problem("empty.wav") == f"{tmp_path / 'empty.wav'} holds no audio"
    assert wav_problem("text.wav").startswith(f"{tmp_path / 'text.wav'} is not a PCM WAV file (")


def test_script_settings_do_not_apply_to_a_wav(tmp_path: Path) -> None:
    write_wav(tmp_path / "caller.wav")
    text = "caller:\n  wav: caller.wav\n  seed: 3\n  level_dbfs: -30\n"
    assert problems(text, str(tmp_path / "case.yaml")) == [
        f"{tmp_path / 'case.yaml'}:7:3: caller.seed: seed applies to a script; a WAV is played "
        "as recorded",
        f"{tmp_path / 'case.yaml'}:8:3: caller.level_dbfs: level_dbfs applies to a script; a "
        "WAV is played as recorded",
    ]


def test_expect_vad_needs_vad_and_auto_needs_a_caller() -> None:
    assert problems("expect_vad: auto\n") == [
        "case.yaml:5:1: expect_vad: auto works the turns out from caller:, which is missing; add "
        "one or list them",
        "case.yaml:5:1: expect_vad: judges the turns the player's VAD detects in the client's "
        "audio: add vad: (true for server_vad's defaults)",
    ]


def test_bad_vad_settings_and_expectations_are_named() -> None:
    assert problems("vad: {silence_ms: 3, threshold: 2}\nexpect_vad: autoo\n") == [
        "case.yaml:5:7: vad.silence_ms: unknown key 'silence_ms' "
        "(did you mean 'silence_duration_ms'?)",
        "case.yaml:5:33: vad.threshold: expected a value <= 1; got 2",
        'case.yaml:6:13: expect_vad: expected "auto"; got string "autoo"',
    ]
    listed = "vad: true\nexpect_vad:\n  - {audio_start_ms: 500, audio_end_ms: 400}\n"
    listed += "  - {audio_start_ms: 300, audio_end_ms: null, audio_stop_ms: 9}\n"
    assert problems(listed) == [
        "case.yaml:7:41: expect_vad[0].audio_end_ms: 400 is not after audio_start_ms 500",
        "case.yaml:8:22: expect_vad[1].audio_start_ms: 300 is before the end of the previous "
        "turn (400)",
        "case.yaml:8:47: expect_vad[1].audio_stop_ms: unknown key 'audio_stop_ms' "
        "(did you mean 'audio_start_ms'?)",
    ]


def test_vad_turn_rules_need_vad_and_a_misspelt_one_gets_a_suggestion() -> None:
    assert problems("expect:\n  - when: {type: vad.turn}\n  - when: {type: vad.trun}\n") == [
        "case.yaml:6:18: expect[0].when.type: 'vad.turn' happens only with vad: (the player's "
        "VAD commits the turns)",
        "case.yaml:7:18: expect[1].when.type: unknown client event type 'vad.trun' "
        "(did you mean 'vad.turn'?)",
    ]


def test_speech_too_quiet_for_the_threshold_is_refused() -> None:
    text = "vad: {threshold: 0.8}\ncaller:\n  level_dbfs: -20\n  script: [{speech_ms: 800}]\n"
    assert problems(text) == [
        "case.yaml:7:15: caller.level_dbfs: speech at -20 dBFS dips to about -33 dBFS, below "
        "the -22 dBFS that vad threshold 0.8 needs: the VAD would not hear each burst as one "
        "stretch of speech; use level_dbfs >= -9 or a lower threshold"
    ]


def test_a_pause_within_a_frame_of_ending_the_turn_is_refused() -> None:
    text = "caller:\n  lead_in_ms: 505\n  script: [{speech_ms: 800}, {silence_ms: 195},"
    text += " {speech_ms: 303}, {silence_ms: 200}]\n"
    assert problems(text) == [
        "case.yaml:7:12: caller.script[0]: the pause after this burst (195 ms of silence, from "
        "1305 ms) is within one 10 ms VAD frame of silence_duration_ms 200: whether it ends the "
        "turn depends on where the burst edge falls in its frame; make it clearly shorter or "
        "longer",
        "case.yaml:7:49: caller.script[2]: the rest of the audio after this burst (200 ms of "
        "silence, from 1803 ms) is within one 10 ms VAD frame of silence_duration_ms 200: "
        "whether it ends the turn depends on where the burst edge falls in its frame; make it "
        "clearly shorter or longer",
    ]
    on_the_grid = "caller:\n  lead_in_ms: 500\n  script: [{speech_ms: 800}, {silence_ms: 200}]\n"
    assert parse_scenario(HEAD + on_the_grid).caller is not None


def test_an_http_scenario_takes_no_caller_or_vad() -> None:
    text = "id: 9.9.9\ntitle: T\nrequirement: The client MUST work.\napi: responses\n"
    text += "vad: true\ncaller: {script: [{speech_ms: 100}]}\n"
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "case.yaml")
    assert [str(p) for p in caught.value.problems] == [
        "case.yaml:5:1: vad: 'vad' applies to api realtime only (it detects turns in a "
        "Realtime session's input audio)",
        "case.yaml:6:1: caller: 'caller' applies to api realtime only (it is audio a client "
        "appends to a Realtime session)",
    ]
