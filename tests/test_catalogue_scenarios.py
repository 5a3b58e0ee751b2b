"""The scenario catalogue (fixtures/scenarios/): ids, requirements, and every scenario played end
to end by a client written from its own rules, with every server event valid in each dialect and
the client judged from the transcript (conformance.checks.scenario_rules) to have met them."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from realtime_conformance.conformance.checks.scenario_rules import ScenarioJudgement, judge_scenario
from realtime_conformance.fixtures import SCENARIOS_ROOT
from realtime_conformance.rtproto.dialects import to_beta, to_ga
from realtime_conformance.rtproto.scenario import Scenario, load_scenarios
from realtime_conformance.rtproto.scenario.caller import caller_audio
from realtime_conformance.rtproto.scenario.coverage import plays_realtime
from realtime_conformance.rtproto.scenario.expressions import Resolver
from realtime_conformance.rtproto.scenario.matchers import match_all
from realtime_conformance.rtproto.scenario.names import PSEUDO_TYPES
from realtime_conformance.rtproto.scenario.rule_events import client_event_for
from realtime_conformance.rtproto.validation import EventValidator
from tests.support.rules_client import UNKNOWN_TYPE, Run, play
from tests.support.scenario_tape import RecordedPlayer

VALIDATOR = EventValidator()
CATEGORIES = {
    1: "connection",
    2: "session",
    3: "input-audio-buffer",
    4: "conversation",
    5: "response",
    6: "function-calling",
    7: "errors",
    8: "faults",
}


@cache
def catalogue() -> tuple[Scenario, ...]:
    return tuple(s for s in load_scenarios(SCENARIOS_ROOT) if plays_realtime(s))


def scenario_ids() -> list[str]:
    return [s.id for s in catalogue()]


def by_id(scenario_id: str) -> Scenario:
    return next(s for s in catalogue() if s.id == scenario_id)


# --- the files -----------------------------------------------------------------------------


def test_the_catalogue_has_every_category_and_unique_ids() -> None:
    ids = scenario_ids()
    assert len(ids) == len(set(ids))
    assert 30 <= len(ids) <= 50
    assert {int(i.split(".")[0]) for i in ids} == set(CATEGORIES)


def test_each_file_is_named_after_its_id_in_its_category_folder() -> None:
    for scenario in catalogue():
        path = Path(scenario.source)
        category = int(scenario.id.split(".")[0])
        assert re.fullmatch(r"\d+\.\d+\.\d+", scenario.id), scenario.source
        assert path.parent.name == f"{category}-{CATEGORIES[category]}", scenario.source
        assert path.stem.startswith(f"{scenario.id}-"), scenario.source
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", path.stem.removeprefix(f"{scenario.id}-"))


def test_every_requirement_is_one_must_or_should_line() -> None:
    for scenario in catalogue():
        text = scenario.requirement
        assert "\n" not in text and text.endswith("."), scenario.id
        assert ("SHOULD" in text) == scenario.strict, scenario.id
        assert ("MUST" in text) != scenario.strict, scenario.id


# --- every scenario played by the client written from the rules (tests/support) --------


@cache
def played(scenario_id: str) -> Run:
    return play(by_id(scenario_id), RecordedPlayer)


def judged(scenario_id: str) -> ScenarioJudgement:
    player = played(scenario_id).player
    assert isinstance(player, RecordedPlayer)
    return judge_scenario(player.scenario, player.lines)


@pytest.mark.parametrize("scenario_id", scenario_ids())
def test_the_scenario_plays_to_the_end(scenario_id: str) -> None:
    run = played(scenario_id)
    judgement = judged(scenario_id)
    assert [str(u) for u in judgement.unexpected] == []
    assert judgement.unmet == []
    assert run.player.problems == []  # every ${...} found its value
    assert run.events()[0]["type"] == "session.created"


@pytest.mark.parametrize("scenario_id", scenario_ids())
def test_every_server_event_is_valid_in_each_dialect(scenario_id: str) -> None:
    scenario, run = by_id(scenario_id), played(scenario_id)
    for event in run.events():
        assert VALIDATOR.validate(event, "realtime", "ga") == [], event
        if "beta" not in scenario.dialects:
            continue
        for translated in to_beta(event):
            assert VALIDATOR.validate(translated, "realtime", "beta") == [], translated


def test_the_client_events_written_from_the_rules_are_valid() -> None:
    """The rules describe events a correct client can send, in each of its dialects."""
    for scenario in catalogue():
        for rule in scenario.rules:
            event = client_event_for(rule, Resolver(lambda _: "item_placeholder"))
            if "type" not in event or event["type"] in PSEUDO_TYPES:
                continue
            assert VALIDATOR.validate(event, "realtime", "ga") == [], (scenario.id, rule.label)
            for translated in to_beta(event) if "beta" in scenario.dialects else ():
                problems = VALIDATOR.validate(translated, "realtime", "beta")
                assert problems == [], (scenario.id, rule.label)


def test_the_rules_take_a_beta_clients_events_as_the_driver_translates_them() -> None:
    """A beta client sends the same events in beta shape; the driver hands them on through
    rtproto.dialects.to_ga, and the rules must still take them."""

    def resolve(value: object) -> object:
        return Resolver(lambda _: "item_placeholder")(value)

    for scenario in catalogue():
        for rule in scenario.rules if "beta" in scenario.dialects else ():
            event = client_event_for(rule, resolve)
            if "type" not in event or event["type"] in PSEUDO_TYPES:
                continue
            [beta] = to_beta(event)
            [delivered] = to_ga(beta)
            assert match_all(rule.when, delivered, resolve), (scenario.id, rule.describe())


# --- what some scenarios do (the flows, not just their validity) ----------------------------


def kinds(run: Run) -> list[str]:
    return [str(event["type"]) for event in run.events()]


def test_a_server_vad_turn_follows_the_captured_order() -> None:
    sent = kinds(played("3.1.1"))
    turn = sent[sent.index("input_audio_buffer.speech_started") :]
    assert turn[:7] == [
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
        "conversation.item.added",
        "conversation.item.done",
        "response.created",
        "response.output_item.added",
    ]
    events = played("3.1.1").events()
    started, stopped, committed = (e for e in events if e["type"].startswith("input_audio"))
    assert started["item_id"] == stopped["item_id"] == committed["item_id"]


@pytest.mark.parametrize("scenario_id", [s.id for s in catalogue() if s.expect_vad])
def test_the_callers_turns_are_heard_where_the_caller_spoke(scenario_id: str) -> None:
    run = played(scenario_id)
    verdicts = judged(scenario_id).vad
    assert [v.outcome for v in verdicts] == ["met"] * len(caller_audio(by_id(scenario_id)).expected)
    turns = [e for e in run.events() if e["type"] == "input_audio_buffer.committed"]
    assert len(turns) == len(verdicts) > 0


def test_a_cancelled_response_ends_with_its_done_events_and_reason() -> None:
    events = played("5.3.1").events()
    done = [e for e in events if e["type"] == "response.done"][-1]["response"]
    assert (done["status"], done["status_details"]["reason"]) == ("cancelled", "client_cancelled")
    created = [e for e in events if e["type"] == "response.created"][-1]["response"]
    assert done["id"] == created["id"]
    assert done["conversation_id"] == created["conversation_id"] is not None
    cancelled = [e for e in events if e.get("response_id") == done["id"]]
    assert {"response.output_audio.done", "response.content_part.done"} <= {
        e["type"] for e in cancelled
    }
    assert kinds(played("5.3.1"))[-1] == "conversation.item.truncated"


def test_a_barge_in_cancels_with_turn_detected_and_is_truncated() -> None:
    events = played("5.4.1").events()
    done = [e for e in events if e["type"] == "response.done"][-1]["response"]
    assert done["status_details"] == {"type": "cancelled", "reason": "turn_detected"}
    truncated = events[-1]
    assert truncated["type"] == "conversation.item.truncated"
    assert truncated["item_id"] == done["output"][0]["id"]


def test_the_second_response_create_gets_an_error_and_no_response() -> None:
    sent = kinds(played("7.2.2"))
    error_at = sent.index("error")
    assert "response.created" not in sent[error_at:]
    assert sent[-2:] == ["response.done", "rate_limits.updated"]
    error = played("7.2.2").events()[error_at]["error"]
    assert error["code"] == "conversation_already_has_active_response"
    assert error["event_id"] is not None  # the offending response.create's


def test_the_unknown_event_error_names_the_type_it_got() -> None:
    error = next(e for e in played("7.1.1").events() if e["type"] == "error")["error"]
    assert error["message"].startswith(f"Invalid value: '{UNKNOWN_TYPE}'. Supported values are:")
    assert (error["code"], error["param"]) == ("invalid_value", "type")


def test_mcp_items_chain_their_previous_item_ids() -> None:
    events = played("6.2.3").events()
    added = [e for e in events if e["type"] == "conversation.item.added"]
    ids = [e["item"]["id"] for e in added]
    assert [e["previous_item_id"] for e in added] == [None, *ids[:-1]]
    assert [e["item"]["type"] for e in added][-2:] == ["mcp_call", "message"]
