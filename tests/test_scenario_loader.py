"""Scenario files: catalogue examples load; broken files get every error, placed and explained."""

from __future__ import annotations

from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from realtime_conformance.fixtures import FIXTURES_ROOT
from realtime_conformance.rtproto.scenario import (
    ScenarioError,
    load_scenario,
    load_scenarios,
    parse_scenario,
)
from realtime_conformance.rtproto.scenario.loader import check, scenario_schema
from realtime_conformance.rtproto.scenario.names import TEMPLATE_NAMES, ga_event_names
from realtime_conformance.rtproto.scenario.spec import Drop, Rule, TemplateStep

SCENARIOS = FIXTURES_ROOT / "scenarios"
TEXT_TURN = SCENARIOS / "5-response" / "5.1.1-text-turn.yaml"
FUNCTION_CALL_TURN = SCENARIOS / "6-function-calling" / "6.1.1-function-call-round-trip.yaml"
DROP_FAULT = SCENARIOS / "8-faults" / "8.1.1-drop-while-response-awaited.yaml"
EXAMPLES = [TEXT_TURN, FUNCTION_CALL_TURN, DROP_FAULT]
BROKEN = Path(__file__).parent / "data" / "scenarios" / "broken.yaml"
HEAD = """\
id: 1.1.1
title: T
requirement: The client MUST work.
dialects: [ga]
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "case.yaml")
    return [str(problem) for problem in caught.value.problems]


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(scenario_schema())


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_is_valid(path: Path) -> None:
    _, found = check(path.read_text(encoding="utf-8"), str(path))
    assert found == []
    scenario = load_scenario(path)
    assert scenario.source == str(path)
    assert set(scenario.dialects) == {"ga", "beta"}


def test_the_catalogue_loads_as_a_set_sorted_by_id() -> None:
    ids = [s.id for s in load_scenarios(SCENARIOS)]
    assert {"5.1.1", "6.1.1", "8.1.1"} <= set(ids)
    assert ids == sorted(ids, key=lambda i: [int(part) for part in i.split(".")])


def test_the_text_turn_loads_into_typed_rules() -> None:
    scenario = load_scenario(TEXT_TURN)
    assert (scenario.ordered, scenario.delay_ms, scenario.pace_ms) == (True, 250, 5)
    assert scenario.on_start == (TemplateStep("session.created"),)
    session_rule, item_rule, response_rule = scenario.rules
    assert isinstance(session_rule, Rule) and session_rule.limit is None
    assert item_rule.describe() == (
        'expect[1] (once): type = "conversation.item.create" and item.role = "user"'
    )
    assert response_rule.reply == (TemplateStep("text_response", {"text": "Hi there, friend!"}),)


def test_the_fault_example_drops_after_response_create() -> None:
    [fault] = load_scenario(DROP_FAULT).faults
    assert (fault.after, fault.nth, fault.at_ms) == ("response.create", 1, None)
    assert fault.action == Drop(1011, "Internal server error")


def test_a_broken_file_gets_every_error_with_file_line_field_and_suggestion() -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(BROKEN)
    at = str(BROKEN)
    assert str(caught.value).splitlines() == [
        f"{at}:4:14: requirement: expected a MUST requirement (a SHOULD-level case needs "
        'strict: true); got string "The client sends response.create."',
        f"{at}:5:16: dialects[1]: unknown dialect 'betta' (did you mean 'beta'?)",
        f"{at}:7:5: on_start[0]: unknown template 'session.create' "
        "(did you mean 'session.created'?)",
        f"{at}:8:20: on_start[1].event.type: 'session.update' is a client event; "
        "a reply sends server events",
        f"{at}:10:18: expect[0].when.type: unknown client event type 'response.creat' "
        "(did you mean 'response.create'?)",
        f"{at}:12:9: expect[0].reply[0].text_respons: unknown key 'text_respons' "
        "(did you mean 'text_response'?)",
        f"{at}:13:5: expect[0].tims: unknown key 'tims' (did you mean 'times'?)",
        f"{at}:14:47: expect[1].when[\"item.role\"].reqex: unknown key 'reqex' "
        "(did you mean 'regex'?)",
        f"{at}:15:12: expect[1].times: expected a value >= 1; got 0",
        f"{at}:18:9: expect[2].reply[0]: template 'function_call_response' needs parameters: "
        "write it as {function_call_response: {...}}",
        f"{at}:19:40: expect[2].reply[1].event.message: unknown expression '${{evnt.event_id}}' "
        "(expected ${event.PATH}, ${last.PATH} or ${id:PREFIX})",
        f"{at}:21:5: faults[0]: has 'drop' and 'abort'; give exactly one of: drop, abort, "
        "duplicate, malform, reorder, delay_ms, error, expire_session",
        f"{at}:25:5: faults[1]: needs one of: at_ms, after",
        f"{at}:25:5: faults[1].nth: 'nth' needs 'after'",
    ]


def test_the_line_of_each_problem_is_the_line_marked_in_the_file() -> None:
    lines = BROKEN.read_text(encoding="utf-8").splitlines()
    with pytest.raises(ScenarioError) as caught:
        load_scenario(BROKEN)
    for problem in caught.value.problems:
        if problem.field != "faults[1].nth":  # shares its line with the other faults[1] error
            assert "<-" in lines[problem.line - 1], problem


def test_missing_keys_are_named_on_the_mapping_that_lacks_them() -> None:
    assert problems("title: T\nexpect:\n  - reply: [text_response]\n") == [
        "case.yaml:1:1: (top level): missing required key 'dialects'",
        "case.yaml:1:1: (top level): missing required key 'id'",
        "case.yaml:1:1: (top level): missing required key 'requirement'",
        "case.yaml:3:5: expect[0]: missing required key 'when'",
    ]


def test_yaml_syntax_errors_are_placed() -> None:
    assert problems(HEAD + "expect: [\n") == [
        "case.yaml:6:1: (syntax): invalid YAML: expected the node content, but found '<stream end>'"
    ]


def test_a_duplicate_key_is_reported_with_the_first_one() -> None:
    text = HEAD + "expect:\n  - when: {type: response.create}\n    times: once\n    times: 2\n"
    assert problems(text) == [
        "case.yaml:8:5: expect[0].times: duplicate key 'times' (first on line 7)"
    ]


def test_a_two_part_id_is_text_not_a_float() -> None:
    scenario = parse_scenario(HEAD.replace("1.1.1", "5.30"))
    assert scenario.id == "5.30"


def test_strict_cases_are_should_level() -> None:
    assert problems(HEAD + "strict: true\n") == [
        "case.yaml:3:14: requirement: expected a SHOULD requirement (strict: true marks a "
        'SHOULD-level case); got string "The client MUST work."'
    ]
    should = HEAD.replace("MUST", "SHOULD") + "strict: true\n"
    assert parse_scenario(should).strict is True


def test_event_types_come_from_the_catalogue_with_suggestions() -> None:
    text = HEAD + (
        "ignore: [input_audio_buffer.apend]\n"
        "expect:\n"
        "  - when: {type: session.updated}\n"
        "    reply: [{event: {type: response.don}}]\n"
        "faults:\n"
        "  - {after: response.output_text.delt, abort: true}\n"
    )
    assert problems(text) == [
        "case.yaml:5:10: ignore[0]: unknown client event type 'input_audio_buffer.apend' "
        "(did you mean 'input_audio_buffer.append'?)",
        "case.yaml:7:18: expect[0].when.type: 'session.updated' is a server event; rules match "
        "client events (did you mean 'session.update'?)",
        "case.yaml:8:28: expect[0].reply[0].event.type: unknown server event type "
        "'response.don' (did you mean 'response.done'?)",
        "case.yaml:10:13: faults[0].after: unknown event type 'response.output_text.delt' "
        "(did you mean 'response.output_text.delta'?)",
    ]


def test_a_server_event_named_as_a_template_is_pointed_to_a_literal_event() -> None:
    assert problems(HEAD + "on_start: [response.done]\n") == [
        "case.yaml:5:12: on_start[0]: no template named 'response.done'; send it as a literal "
        "event: {event: {type: response.done, ...}}"
    ]


def test_expressions_are_checked_where_they_are_used() -> None:
    text = HEAD + (
        "on_start:\n"
        "  - {event: {type: error, error: {message: '${event.item.id}'}}}\n"
        "expect:\n"
        "  - when: {item.call_id: '${id:call}', item.id: {regex: '(unclosed'}}\n"
    )
    assert problems(text) == [
        "case.yaml:6:44: on_start[0].event.error.message: '${event.item.id}' cannot be used in "
        "on_start: no client event has arrived",
        "case.yaml:8:26: expect[0].when[\"item.call_id\"]: '${id:call}' cannot be used in a "
        "matcher (only ${last.PATH} is)",
        'case.yaml:8:57: expect[0].when["item.id"].regex: invalid regex: missing ), '
        "unterminated subpattern at position 0",
    ]


def test_values_of_the_wrong_kind_are_explained() -> None:
    text = HEAD + (
        "expect:\n"
        "  - when: {type: [response.create]}\n"
        "    reply: [42, {text_response: {text: hi}, wait_ms: 5}]\n"
        "    times: sometimes\n"
    )
    assert problems(text) == [
        "case.yaml:6:18: expect[0].when.type: expected string, number, boolean, null or "
        'object; got array ["response.create"]',
        "case.yaml:7:13: expect[0].reply[0]: expected string or object; got integer 42",
        "case.yaml:7:17: expect[0].reply[1]: expected exactly one key (one of: event, raw, "
        "wait_ms, session.created, session.updated, conversation.item.truncated, "
        "conversation.item.deleted, input_audio_buffer.committed, input_audio_buffer.cleared, "
        "rate_limits.updated, error, item_added_done, text_response, audio_response, "
        "function_call_response); got 2",
        "case.yaml:8:12: expect[0].times: unknown value 'sometimes'; expected one of: once, always",
    ]


def test_the_schema_and_the_template_registry_name_the_same_templates() -> None:
    step = scenario_schema()["$defs"]["step"]["anyOf"]
    with_params = set(step[1]["properties"]) - {"event", "raw", "wait_ms"}
    needing_params = {name for name, spec in step[1]["properties"].items() if "required" in spec}
    assert with_params == set(TEMPLATE_NAMES)
    assert set(step[0]["enum"]) == set(TEMPLATE_NAMES) - needing_params


def test_templates_named_after_an_event_build_a_ga_server_event() -> None:
    server = set(ga_event_names().server)
    dotted = {name for name in TEMPLATE_NAMES if "." in name or name == "error"}
    assert dotted <= server


def test_load_scenarios_reports_every_file_and_duplicate_ids(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(HEAD, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(HEAD, encoding="utf-8")
    (tmp_path / "c.yaml").write_text(HEAD + "requirment: x\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenarios(tmp_path)
    assert [str(p).replace(str(tmp_path), "") for p in caught.value.problems] == [
        "/b.yaml:1:1: id: duplicate scenario id '1.1.1' (also in /a.yaml)",
        "/c.yaml:5:1: requirment: unknown key 'requirment' (did you mean 'requirement'?)",
    ]


def test_an_empty_file_or_a_wrong_kind_of_value_is_explained() -> None:
    assert problems("") == ["case.yaml:1:1: (top level): expected object; got null"]
    assert problems(HEAD + "on_start: [{audio_response: {duration_ms: soon}}]\n") == [
        "case.yaml:5:43: on_start[0].audio_response.duration_ms: expected an integer or a ${...} "
        'expression; got string "soon"'
    ]
