"""Coverage of the Realtime channels by the scenario catalogue, and the generated COVERAGE.md."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path
from types import ModuleType

from realtime_conformance.fixtures import SCENARIOS_ROOT
from realtime_conformance.rtproto.catalogue import load_catalogue
from realtime_conformance.rtproto.dialects import beta_cannot_say, to_ga
from realtime_conformance.rtproto.scenario import Scenario, load_scenarios, parse_scenario
from realtime_conformance.rtproto.scenario.coverage import (
    CoverageTable,
    coverage_table,
    plays_realtime,
    scenario_coverage,
)
from realtime_conformance.rtproto.scenario.expressions import Resolver
from realtime_conformance.rtproto.scenario.matchers import lookup, match_all
from realtime_conformance.rtproto.scenario.rule_events import client_event_for
from realtime_conformance.rtproto.scenario.spec import EventStep
from tests.support.seeds import CHANNELS_37

REPO_ROOT = Path(__file__).resolve().parent.parent
HEAD = "id: 1.1.1\ntitle: T\nrequirement: The client MUST work.\n"


@cache
def catalogue() -> tuple[Scenario, ...]:
    return tuple(s for s in load_scenarios(SCENARIOS_ROOT) if plays_realtime(s))


@cache
def table() -> CoverageTable:
    return coverage_table(catalogue())


def ga_name(beta_name: str) -> str:
    return str(to_ga({"type": beta_name})[0]["type"])


def test_the_37_channels_of_seed_002_are_exercised_in_both_dialects() -> None:
    missing = [
        (name, dialect, checked)
        for name, _ in CHANNELS_37
        for dialect, checked in (("beta", name), ("ga", ga_name(name)))
        if not table().ids(checked, dialect)
    ]
    assert missing == []


def test_every_ga_only_event_is_exercised_in_ga() -> None:
    events = load_catalogue().events
    beta = {spec.type for spec in events("realtime", "beta")}
    ga_only = sorted({spec.type for spec in events("realtime", "ga")} - beta)
    assert {"conversation.item.done", "mcp_list_tools.failed"} <= set(ga_only)  # among 19
    assert [name for name in ga_only if not table().ids(name, "ga")] == []


def opens_a_transcription_session(scenario: Scenario) -> bool:
    """Its session.created is a transcription session's, which beta has no event for."""
    return any(
        isinstance(step, EventStep) and lookup(step.event, "session.type") == "transcription"
        for step in scenario.on_start
    )


def test_scenarios_play_in_both_dialects_unless_beta_cannot_say_what_they_send() -> None:
    for coverage in table().scenarios:
        scenario = coverage.scenario
        ga_only = any(beta_cannot_say(name) for name in coverage.by_dialect["ga"].every)
        ga_only = ga_only or opens_a_transcription_session(scenario)
        assert scenario.dialects == (("ga",) if ga_only else ("ga", "beta")), scenario.id


def test_the_table_has_every_channel_and_marks_the_other_dialect() -> None:
    assert table().channels == tuple(load_catalogue().channel_names("realtime"))
    assert table().ids("response.text.delta", "ga") is None  # a beta name
    assert table().ids("mcp_list_tools.failed", "beta") is None  # GA only
    assert table().ids("mcp_list_tools.failed", "ga") == ("6.2.2",)


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen", REPO_ROOT / "tools" / "gen_coverage.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_coverage_md_is_what_the_generator_writes() -> None:
    committed = (SCENARIOS_ROOT / "COVERAGE.md").read_text(encoding="utf-8")
    rendered = generator().render(catalogue())
    assert committed == rendered, "COVERAGE.md is stale: run tools/gen_coverage.py"


# --- how a scenario's coverage is worked out ------------------------------------------------


def test_client_events_written_from_rules_satisfy_them() -> None:
    def resolve(value: object) -> object:
        return Resolver(lambda _: "item_placeholder")(value)

    for scenario in catalogue():
        for rule in scenario.rules:
            event = client_event_for(rule, resolve)
            assert match_all(rule.when, event, resolve), (scenario.id, rule.describe())


def test_a_rule_gets_the_schema_example_that_fits_it_best() -> None:
    scenario = parse_scenario(
        HEAD + "dialects: [ga]\nexpect:\n"
        "  - when: {type: conversation.item.create, item.type: function_call_output,"
        " item.call_id: call_1}\n"
        "  - when: {type: conversation.item.truncate, audio_end_ms: {present: true},"
        " content_index: {absent: true}}\n"
    )
    output, truncate = (client_event_for(rule) for rule in scenario.rules)
    assert output["item"]["type"] == "function_call_output"
    assert output["item"]["call_id"] == "call_1"
    assert "output" in output["item"]  # from the example, not made up
    assert truncate["audio_end_ms"] == 1450 and "content_index" not in truncate


SCENARIO = """\
dialects: [ga, beta]
on_start: [session.created]
expect:
  - when: {type: {any_of: [input_audio_buffer.commit, input_audio_buffer.clear]}}
  - when: {type: session.update, session.type: transcription}
    reply: [session.updated]
  - when: {type: conversation.item.create}
    reply: [item_added_done, text_response]
  - when: {}
    reply: [{event: {type: input_audio_buffer.timeout_triggered, audio_start_ms: 0,
                     audio_end_ms: 10, item_id: "${last.item_id}"}}]
faults:
  - {after: response.done, error: server_error}
"""


def test_a_scenario_exercises_its_rules_replies_and_fault_errors() -> None:
    coverage = scenario_coverage(parse_scenario(HEAD + SCENARIO))
    ga, beta = coverage.by_dialect["ga"], coverage.by_dialect["beta"]
    assert ga.client == {
        "input_audio_buffer.commit",
        "input_audio_buffer.clear",
        "session.update",
        "conversation.item.create",
    }  # the rule without a type expects no type in particular
    assert {"conversation.item.done", "response.output_text.delta", "error"} <= ga.server
    assert "input_audio_buffer.timeout_triggered" in ga.server
    # beta: translated whole, so GA bookkeeping drops out and names change
    assert "transcription_session.update" in beta.client and "session.update" not in beta.client
    assert "transcription_session.updated" in beta.server
    assert "conversation.item.done" not in beta.server
    assert {"conversation.item.created", "response.text.delta"} <= beta.server


def test_a_ga_only_scenario_has_no_beta_view() -> None:
    coverage = scenario_coverage(parse_scenario(HEAD + "dialects: [ga]\n"))
    assert list(coverage.by_dialect) == ["ga"]
