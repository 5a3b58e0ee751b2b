"""In the catalogue's caller scenarios, each scripted answer to a VAD turn ends well before the
caller's next turn begins. Scenario failures are never rerun, so a case whose turns are its
subject must not hang on a margin a loaded machine eats: with too small a gap a late playout
turns the follow-up into a barge-in, and a correct client's truncate breaks the rules (3.4.1's
first answer once ended 150 ms before the next turn by this reckoning; CI caught it)."""

from __future__ import annotations

import itertools

import pytest

from realtime_conformance.fixtures import SCENARIOS_ROOT
from realtime_conformance.rtproto.scenario import Scenario, caller_audio, load_scenarios
from realtime_conformance.rtproto.scenario.spec import TemplateStep

MIN_MARGIN_MS = 500  # answer's last sample due -> the caller's next speech, on the case's clock


def caller_scenarios() -> list[Scenario]:
    return [s for s in load_scenarios(SCENARIOS_ROOT) if s.caller is not None and s.vad]


def answer_ms(scenario: Scenario, turn: int) -> int | None:
    """The audio of the scripted answer to VAD turn `turn` (1-based), if it has one."""
    event = {"type": "vad.turn", "turn": turn}
    for rule in scenario.rules:
        if all(matcher.matches(event) for matcher in rule.when):
            return sum(
                int(step.params.get("duration_ms", 0))
                for step in rule.reply
                if isinstance(step, TemplateStep) and step.name == "audio_response"
            )
    return None


def margins(scenario: Scenario) -> list[tuple[int, int]]:
    """(turn, ms from its scripted answer's end to the next turn's speech) for each answered
    turn that has a next one."""
    found = []
    turns = caller_audio(scenario).expected
    for number, (turn, after) in enumerate(itertools.pairwise(turns), start=1):
        duration = answer_ms(scenario, number)
        if duration and turn.audio_end_ms is not None and after.speech is not None:
            ends = turn.audio_end_ms + scenario.delay_ms + duration
            found.append((number, after.speech.start_ms - ends))
    return found


@pytest.mark.parametrize("scenario", caller_scenarios(), ids=lambda s: s.id)
def test_each_answer_ends_before_the_next_turn(scenario: Scenario) -> None:
    for number, margin in margins(scenario):
        assert margin >= MIN_MARGIN_MS, (
            f"{scenario.id}: the answer to turn {number} ends {margin} ms before turn "
            f"{number + 1} begins (at least {MIN_MARGIN_MS} ms)"
        )


def test_the_multi_turn_caller_scenarios_are_measured() -> None:
    measured = {s.id: margins(s) for s in caller_scenarios()}
    assert measured["3.4.1"] and measured["3.4.2"], measured
