"""Cases from the catalogue: derivation, the `case:` block, selection; verdicts and deviations."""

from __future__ import annotations

import pytest

from realtime_conformance.conformance.case_defaults import Step, Wait
from realtime_conformance.conformance.cases import (
    CASES_ROOT,
    UnknownCase,
    case_of,
    check_patterns,
    load_cases,
    select,
)
from realtime_conformance.conformance.verdicts import (
    DeviationsError,
    Verdict,
    grade,
    parse_deviations,
)
from realtime_conformance.fixtures import SCENARIOS_ROOT
from realtime_conformance.rtproto.scenario import load_scenarios, parse_scenario
from realtime_conformance.rtproto.scenario.diagnostics import ScenarioError

HEADER = "id: 9.9.1\ntitle: T\nrequirement: The client MUST x.\ndialects: [ga, beta]\n"
TEXT_RULES = """expect:
  - when: {type: session.update}
  - when: {type: conversation.item.create, item.role: user}
    times: once
  - when: {type: response.create}
    times: once
"""


def test_every_catalogue_scenario_is_a_case_in_id_order_with_the_simulated_model_cases() -> None:
    cases = load_cases()
    catalogue = [s.id for s in load_scenarios(SCENARIOS_ROOT)]  # Responses and Chat ones too
    simulated = [s.id for s in load_scenarios(CASES_ROOT)]
    assert simulated and not set(simulated) & set(catalogue)
    assert sorted(c.id for c in cases) == sorted(catalogue + simulated)
    assert [c.id for c in cases] == sorted(
        (c.id for c in cases), key=lambda i: [int(p) for p in i.split(".")]
    )
    assert all(c.simulated is not None for c in cases if c.id in simulated)
    assert all(c.steps and c.steps[0].action == "configure" for c in cases)
    assert {c.level for c in cases} == {"MUST", "SHOULD"}


def test_a_text_turn_is_derived_as_send_text_and_a_wait_for_its_response() -> None:
    case = case_of(parse_scenario(HEADER + TEXT_RULES))
    assert [s.action for s in case.steps] == ["configure", "send_text", "wait"]
    assert case.steps[2].args == Wait("response.done", 1, closed=True)
    assert case.needs == {"text"} and case.timing == "ordering" and case.unrunnable is None
    assert case.until == Wait(rules_met=True, closed=True)


def test_a_required_event_only_a_client_method_sends_is_a_call_method_step() -> None:
    rules = TEXT_RULES + (
        "  - when: {type: conversation.item.delete, item_id: '${last.item.id}'}\n    times: once\n"
    )
    case = case_of(parse_scenario(HEADER + rules))
    assert case.unrunnable is None and "methods" in case.needs
    assert case.steps[-1] == Step(
        "call_method",
        {"name": "conversation_item_delete", "args": {"item_id": "${last.item.id}"}},
    )


def test_an_event_no_client_method_sends_leaves_the_case_unrunnable() -> None:
    case = case_of(parse_scenario(HEADER + TEXT_RULES + "  - when: {}\n    times: once\n"))
    assert case.unrunnable is not None
    assert case.unrunnable.startswith("no client method sends: an event of a type the API")


def test_caller_audio_makes_a_realtime_case_that_streams_the_call() -> None:
    case = next(c for c in load_cases() if c.id == "3.4.1")
    assert case.uses_call and case.timing == "realtime"
    assert {"audio", "telephony"} <= case.needs
    assert case.steps[-1].args.ms == 6900  # the caller's script, lead-in included
    assert "media.input_pacing" in case.checks


def test_the_case_block_states_what_it_gives_and_the_rest_is_derived() -> None:
    block = """case:
  needs: [text]
  server: {simulated: {timing: instant}}
  steps: [configure, {send_text: hi}, {wait: {event: error, ms: 100}}]
  until: {closed: true}
  timeout_s: 3
  tolerances: {lead_ms: 40}
"""
    case = case_of(parse_scenario(HEADER + TEXT_RULES + block))
    assert [s.describe() for s in case.steps][1:] == [
        "send_text 'hi'",
        "wait until error and 100 ms after it",
    ]
    assert case.simulated == {"timing": "instant"} and case.timeout_s == 3
    assert case.until == Wait(closed=True) and case.tolerances == {"lead_ms": 40}
    assert case.checks == case_of(parse_scenario(HEADER + TEXT_RULES)).checks


def test_a_misspelt_case_key_is_a_load_error_with_a_suggestion() -> None:
    with pytest.raises(ScenarioError, match="did you mean 'timeout_s'"):
        parse_scenario(HEADER + TEXT_RULES + "case:\n  timeout: 3\n")


def test_selection_by_pattern_strictness_and_dialect() -> None:
    cases = load_cases()
    chosen = select(cases, ["5.1.*"], strict=False, dialect="both")
    assert [s.node_id for s in chosen] == ["5.1.1[ga]", "5.1.1[beta]", "5.1.2[ga]", "5.1.2[beta]"]
    strict = select(cases, ["5.1"], strict=True, dialect="beta")
    assert [s.node_id for s in select(cases, ["6.1.1[beta]"])] == ["6.1.1[beta]"]
    assert [s.node_id for s in strict] == ["5.1.1[beta]", "5.1.2[beta]", "5.1.3[beta]"]
    ga_only = select(cases, ["2.2.1"], dialect="beta")
    assert ga_only == []  # a GA-only case has no beta run
    with pytest.raises(UnknownCase, match=r"'9\.9' matches no case"):
        check_patterns(cases, ["9.9"])


@pytest.mark.parametrize(
    ("levels", "strict_case", "verdict"),
    [
        ([], False, Verdict.PASS),
        (["MUST"], False, Verdict.FAIL),
        (["SHOULD"], False, Verdict.NON_STRICT),
        (["MUST"], True, Verdict.NON_STRICT),
        (["INFO"], False, Verdict.INFORMATIONAL),
        (["INFO", "MUST"], False, Verdict.FAIL),
    ],
)
def test_grades(levels: list[str], strict_case: bool, verdict: Verdict) -> None:
    assert grade(levels, strict_case=strict_case) is verdict


def test_unimplemented_and_informational_override_failures() -> None:
    assert grade(["MUST"], strict_case=False, unimplemented=True) is Verdict.UNIMPLEMENTED
    assert grade(["MUST"], strict_case=False, informational=True) is Verdict.INFORMATIONAL


def test_known_deviations_turn_listed_fails_into_documented_deviations() -> None:
    deviations = parse_deviations(
        "- {case: 5.4.2, reason: our carrier cannot clear}\n- {case: '8.*[beta]', reason: beta}\n"
    )
    assert deviations.apply(Verdict.FAIL, "5.4.2", "5.4.2[ga]") == (
        Verdict.KNOWN_DEVIATION,
        "our carrier cannot clear",
    )
    assert deviations.apply(Verdict.FAIL, "8.1.1", "8.1.1[beta]")[0] is Verdict.KNOWN_DEVIATION
    assert deviations.apply(Verdict.FAIL, "8.1.1", "8.1.1[ga]") == (Verdict.FAIL, None)
    assert deviations.apply(Verdict.PASS, "5.4.2", "5.4.2[ga]") == (Verdict.PASS, None)


def test_a_deviation_without_a_reason_is_refused() -> None:
    with pytest.raises(DeviationsError, match=r"entry 1 \(5\.4\.2\) needs a reason"):
        parse_deviations("- {case: 5.4.2}\n", "deviations.yaml")
