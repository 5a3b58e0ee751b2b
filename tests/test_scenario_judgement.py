"""Judgement of a client under a scenario is a function of the transcript alone
(conformance.checks.scenario_rules), and it reproduces what the players reported before the
judgement moved out of them: the same plays, recorded as the mock records them, judged from their
lines, equal the results the old code gave (tests/data/judgements_before.json). Covered: every
catalogue scenario played by the client written from the rules (all met), a rule unmet, an
unexpected event, each VAD verdict (met, shifted, unfinished, missing, extra, and the format
remark), HTTP scenarios over several requests."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from realtime_conformance.conformance.checks.registry import CheckContext, Failure, run_checks
from realtime_conformance.conformance.checks.scenario_rules import (
    NotPlayed,
    ScenarioJudgement,
    judge_run,
    judge_scenario,
    played_scenarios,
)
from realtime_conformance.conformance.recording import CaseRecording
from realtime_conformance.fixtures import SCENARIOS_ROOT
from realtime_conformance.rtproto.audio import synth
from realtime_conformance.rtproto.audio.formats import PCM16
from realtime_conformance.rtproto.scenario import Scenario, load_scenarios, parse_scenario
from realtime_conformance.rtproto.scenario.coverage import plays_realtime
from realtime_conformance.rtproto.server.play import HttpScenario, ScenarioPlayer
from realtime_conformance.rtproto.server.realtime.outbox import SendRaw
from tests.support.http_scenarios import CHAT_TURNS, FIRST, RESPONSES_TEXT
from tests.support.rules_client import Run, play
from tests.support.scenario_tape import HttpTape, RecordedPlayer
from tests.support.vad_caller import Call, silence, text
from tests.support.virtual_clock import BehaviourClock

BEFORE = json.loads((Path(__file__).parent / "data" / "judgements_before.json").read_text())
USER_ITEM = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hi"}]}


@cache
def catalogue() -> dict[str, Scenario]:
    return {s.id: s for s in load_scenarios(SCENARIOS_ROOT) if plays_realtime(s)}


def reported(judgement: ScenarioJudgement, *keys: str) -> dict[str, Any]:
    """The judgement as the players used to report it (keys: which of it)."""
    shown = judgement.as_dict()
    return {key: shown[key] for key in keys or ("unmatched", "unmet", "vad")}


def judged(player: RecordedPlayer) -> ScenarioJudgement:
    return judge_scenario(player.scenario, player.lines)


# --- the old results, from the transcripts -------------------------------------------------


@pytest.mark.parametrize("scenario_id", sorted(BEFORE["catalogue"]))
def test_every_catalogue_scenario_is_judged_as_before(scenario_id: str) -> None:
    run = play(catalogue()[scenario_id], RecordedPlayer)
    assert isinstance(run.player, RecordedPlayer)
    judgement = judged(run.player)
    assert reported(judgement) == BEFORE["catalogue"][scenario_id]
    assert judgement.passed


NOTHING_AMISS: dict[str, list[Any]] = {"unmatched": [], "unmet": [], "vad": []}


@pytest.mark.parametrize("scenario_id", sorted(set(catalogue()) - set(BEFORE["catalogue"])))
def test_a_scenario_added_since_is_met_by_the_client_written_from_its_rules(
    scenario_id: str,
) -> None:
    run = play(catalogue()[scenario_id], RecordedPlayer)
    assert isinstance(run.player, RecordedPlayer)
    judgement = judged(run.player)
    assert reported(judgement) == NOTHING_AMISS
    assert judgement.passed


def test_a_rule_unmet_and_an_unexpected_event_are_judged_as_before() -> None:
    player = RecordedPlayer(catalogue()["5.1.1"], seed=7)
    run = Run(player)
    run.clock.start(0.0)
    run.pump()
    run.send({"type": "session.update", "session": {"type": "realtime"}, "event_id": "e1"})
    run.send({"type": "input_audio_buffer.clear", "event_id": "e2"})
    run.send({"type": "conversation.item.create", "item": USER_ITEM, "event_id": "e3"})
    judgement = judged(player)
    assert reported(judgement) == BEFORE["rules_5.1.1_unmet_unexpected"]
    [unexpected] = judgement.unexpected
    assert unexpected.event == {"type": "input_audio_buffer.clear", "event_id": "e2"}
    sent_at = next(json.loads(line)["t_ms"] for line in player.lines if '"e2"' in line)
    assert unexpected.t_ms == sent_at  # noted when it came
    assert judgement.unmet_rules == ('expect[2] (once, matched 0): type = "response.create"',)
    assert not judgement.passed


def speak_faithfully(call: Call) -> None:
    call.speak()


def speak_300_ms_late(call: Call) -> None:
    at = call.append(silence(PCM16, 300))
    call.append([chunk.audio for chunk in call.audio.chunks], start_at=at)


def stop_after_one_second(call: Call) -> None:
    call.append([chunk.audio for chunk in call.audio.chunks][:50])


def drop_a_turn_and_cough(call: Call) -> None:
    chunks, quiet = [chunk.audio for chunk in call.audio.chunks], silence(PCM16, 20)
    cough = synth.chunk(synth.speech(300, seed=9), 20)
    call.append(chunks[:125] + quiet * 30 + chunks[155:] + quiet * 20 + cough + quiet * 20)


CALLERS: dict[str, tuple[str, Callable[[Call], None], list[str]]] = {
    "vad_met": (text(), speak_faithfully, ["met", "met"]),
    "vad_shifted": (text(), speak_300_ms_late, ["shifted", "shifted"]),
    "vad_unfinished_missing": (text(), stop_after_one_second, ["unfinished", "missing"]),
    "vad_missing_extra": (text(), drop_a_turn_and_cough, ["met", "missing", "extra"]),
    "vad_format": (
        text().replace("format: pcm16", "format: g711_ulaw"),
        speak_faithfully,
        ["unfinished", "missing"],
    ),
}


@pytest.mark.parametrize("case", sorted(CALLERS))
def test_each_vad_verdict_is_judged_as_before(case: str) -> None:
    scenario_text, speak, outcomes = CALLERS[case]
    call = Call.start(scenario_text)
    speak(call)
    judgement = call.judged()
    assert [verdict.outcome for verdict in judgement.vad] == outcomes
    assert reported(judgement) == BEFORE[case]


def test_http_scenarios_unmet_rules_and_unexpected_requests_are_judged_as_before() -> None:
    chat = HttpScenario(parse_scenario(CHAT_TURNS), seed=4, epoch_s=1_700_000_000)
    tape = HttpTape(chat)
    stream = tape.open(FIRST, 10.0)
    assert stream is not None
    stream.drain()
    judgement = judge_scenario(chat.scenario, tape.lines)
    assert reported(judgement, "unmatched", "unmet") == BEFORE["http_chat_first_only"]
    assert tape.open(FIRST, 20.0) is None  # refused: its rule is used up
    judgement = judge_scenario(chat.scenario, tape.lines)
    assert reported(judgement, "unmatched", "unmet") == BEFORE["http_chat_first_twice"]
    assert judgement.unexpected[0].event == {"type": "chat.completions.create", **FIRST}
    responses = HttpScenario(parse_scenario(RESPONSES_TEXT))
    tape = HttpTape(responses)
    assert tape.open({"model": "gpt-4o", "input": "Hi", "stream": True}, 0.0) is None
    judgement = judge_scenario(responses.scenario, tape.lines)
    assert reported(judgement, "unmatched", "unmet") == BEFORE["http_responses_unmatched"]


# --- what the player notes, and how the transcript is read ---------------------------------


def test_notes_come_out_first_when_due_and_never_through_the_faults() -> None:
    scenario = parse_scenario(
        "id: 1.1.9\ntitle: T\nrequirement: The client MUST work.\ndialects: [ga]\n"
        "expect:\n  - {when: {type: response.create}, reply: [rate_limits.updated]}\n"
        "faults:\n  - {at_ms: 0, delay_ms: 1000}\n  - {at_ms: 0, malform: next}\n"
    )
    clock = BehaviourClock(ScenarioPlayer(scenario))
    clock.start(0.0)
    clock.send({"type": "response.create"}, 0.5)
    clock.send({"type": "nope"}, 0.6)
    assert [(at, note.meta["kind"]) for at, note in clock.notes] == [
        (0.0, "scenario"),
        (0.5, "scenario.rule"),
        (0.6, "scenario.unmatched"),
    ]
    assert clock.sent == []  # the reply is stalled, the notes were not
    clock.run_out()
    [(at, item)] = clock.sent
    assert at == 1.0 and isinstance(item, SendRaw)  # the stall's end, and malformed


def test_a_transcript_is_judged_on_its_last_play_and_its_mock_wire_only() -> None:
    first = play(catalogue()["5.1.1"], RecordedPlayer).player
    second = RecordedPlayer(catalogue()["5.1.1"], seed=1)
    second.start(0.0)
    assert isinstance(first, RecordedPlayer)
    other_wire = json.dumps({"wire": "call", "dir": "meta", "meta": {"kind": "scenario.rule"}})
    lines = [*first.lines, other_wire, *second.lines]
    assert played_scenarios(lines) == ["5.1.1", "5.1.1"]
    assert len(judge_scenario(catalogue()["5.1.1"], lines).unmet_rules) == 2  # the second play
    assert judge_scenario(catalogue()["5.1.1"], first.lines).passed


def test_a_transcript_without_the_players_notes_cannot_be_judged() -> None:
    lines = [json.dumps({"t_ms": 0, "dir": "client", "event": {"type": "response.create"}})]
    with pytest.raises(NotPlayed, match=r"5\.1\.1"):
        judge_scenario(catalogue()["5.1.1"], lines)
    assert played_scenarios(lines) == []


def five_one_one(*events: dict[str, Any], seed: int = 7) -> RecordedPlayer:
    """A play of 5.1.1 (session.update always; the user item, then response.create, once each)
    in which the client sends `events`."""
    player = RecordedPlayer(catalogue()["5.1.1"], seed=seed)
    run = Run(player)
    run.clock.start(0.0)
    for event in events:
        run.send(event)
    return player


ITEM = {"type": "conversation.item.create", "item": USER_ITEM}
ANSWER = {"type": "response.create"}
UPDATE = {"type": "session.update", "session": {"type": "realtime"}}


def test_a_run_is_judged_over_its_plays_as_a_reconnecting_client_plays_it() -> None:
    first, second = five_one_one(ITEM, ANSWER), five_one_one(UPDATE, seed=8)
    lines = [*first.lines, *second.lines]
    scenario = catalogue()["5.1.1"]
    assert len(judge_scenario(scenario, lines).unmet_rules) == 2  # the second connection alone
    assert judge_run(scenario, lines).passed  # each rule took its event on one of them
    assert not judge_run(scenario, [*five_one_one(ITEM).lines, *second.lines]).passed


def case_failures(player: RecordedPlayer, scenario: Scenario | None) -> list[Failure]:
    recording = CaseRecording.from_lines([*player.lines, json.dumps(DRIVER_LINE)])
    return run_checks(CheckContext("5.1.1", "t", recording, scenario=scenario), ["scenario.rules"])


DRIVER_LINE = {"wire": "driver", "dir": "meta", "meta": {"kind": "step", "action": "x"}}


def test_the_suites_check_reports_the_judgement_as_failures() -> None:
    scenario = catalogue()["5.1.1"]
    assert case_failures(five_one_one(UPDATE, ITEM, ANSWER), scenario) == []
    item_unmet, answer_unmet, unexpected = case_failures(five_one_one(ANSWER), scenario)
    assert (item_unmet.check, item_unmet.level) == ("scenario.rules", "MUST")
    assert item_unmet.actual == (
        'expect[1] (once, matched 0): type = "conversation.item.create" and item.role = "user"'
    )
    assert answer_unmet.actual == 'expect[2] (once, matched 0): type = "response.create"'
    assert unexpected.actual == "client event 'response.create', which no rule takes"
    assert unexpected.expected[2] == 'expect[2] (once, later in order): type = "response.create"'
    assert case_failures(five_one_one(ANSWER), None) == []  # no scenario: nothing to judge
