"""The runner with a fake text client: a correct one passes, a broken one fails the requirement
it breaks (with the reason), a missing capability is UNIMPLEMENTED, cases run at once."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

from realtime_conformance.conformance.case_defaults import Step, Wait
from realtime_conformance.conformance.cases import Case, Selected, load_cases, select
from realtime_conformance.conformance.harness import openai_side
from realtime_conformance.conformance.runner import CaseResult, DriverFactory, run_cases
from realtime_conformance.conformance.verdicts import Verdict, parse_deviations
from tests.support import fake_driver

T = TypeVar("T")
BOUND_S = 90.0  # a hang guard: a timing verdict under harness lag is run again (rerun.py)


def run(body: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(asyncio.wait_for(body, BOUND_S))


def case(case_id: str, **changes: Any) -> Case:
    found = next(c for c in load_cases() if c.id == case_id)
    return dataclasses.replace(found, **changes)


async def run_selected(selection: Sequence[Selected], factory: DriverFactory) -> list[CaseResult]:
    async with openai_side() as side:
        return await run_cases(selection, side, factory)


def both(found: Case) -> list[Selected]:
    return [Selected(found, "ga"), Selected(found, "beta")]


def test_a_correct_client_passes_a_text_turn_and_a_tool_round_trip_in_both_dialects() -> None:
    selection = select(load_cases(), ["5.1.1", "6.1.1"])
    results = run(run_selected(selection, fake_driver.correct))
    assert [(r.node_id, r.verdict) for r in results] == [
        ("5.1.1[ga]", Verdict.PASS),
        ("5.1.1[beta]", Verdict.PASS),
        ("6.1.1[ga]", Verdict.PASS),
        ("6.1.1[beta]", Verdict.PASS),
    ]
    recording = results[3].recording
    assert recording is not None and recording.dialect() == "beta"
    steps = [entry.meta["action"] for entry in recording.driver_steps() if entry.meta]
    assert steps == ["start", "configure", "set_tool_outputs", "send_text", "wait"]
    outputs = [e for e in recording.client_events() if e.event and "output" in str(e.event)]
    assert outputs, "the function_call_output the client sent is in the recording"
    times = [entry.t_ms for entry in recording if entry.t_ms is not None]
    assert times == sorted(times) and 0 <= times[0] < times[-1] < 5000


def test_a_client_that_never_asks_for_the_response_fails_with_the_unmet_rule() -> None:
    short = case("5.1.1", timeout_s=1.5)
    (result,) = run(run_selected([Selected(short, "ga")], fake_driver.never_responds))
    assert result.verdict is Verdict.FAIL
    (failure,) = [f for f in result.failures if f.check == "harness.timeout"]
    assert failure.actual.startswith("timeout after 1.5 s, waiting for wait until response.done")
    assert (
        'the scenario still expected: expect[2] (once): type = "response.create"' in failure.actual
    )
    assert failure.requirement == short.requirement and failure.level == "MUST"


def test_a_step_that_raises_fails_the_case_and_the_next_case_still_runs() -> None:
    cases = [Selected(case("5.1.1"), "ga"), Selected(case("1.1.1"), "ga")]
    crashed, configured = run(run_selected(cases, fake_driver.crashes_on_send))
    assert crashed.verdict is Verdict.FAIL
    assert crashed.failures[0].check == "harness.step"
    assert "raised DriverError: this client cannot send text today" in crashed.failures[0].actual
    assert configured.verdict is Verdict.PASS  # 1.1.1 only configures


def test_a_missing_capability_or_an_undrivable_case_is_unimplemented_with_why() -> None:
    selection = select(load_cases(), ["3.4.1", "4.1.2", "7.1.1"], dialect="ga")
    audio, delete, unknown = run(run_selected(selection, fake_driver.correct))
    assert (audio.verdict, audio.reason) == (
        Verdict.UNIMPLEMENTED,
        "the client lacks: audio, telephony",
    )
    assert (delete.verdict, delete.reason) == (Verdict.UNIMPLEMENTED, "the client lacks: methods")
    assert unknown.verdict is Verdict.UNIMPLEMENTED
    assert unknown.reason is not None
    assert unknown.reason.startswith("no client method sends: an event of a type the API")


def test_a_should_case_that_fails_is_non_strict_and_a_listed_fail_a_known_deviation() -> None:
    should = case("5.1.1", strict=True, timeout_s=1.0)
    deviations = parse_deviations("- {case: '5.1.1[beta]', reason: we never ask}\n")

    async def body() -> list[CaseResult]:
        async with openai_side() as side:
            return await run_cases(
                [Selected(should, "ga"), Selected(case("5.1.1", timeout_s=1.0), "beta")],
                side,
                fake_driver.never_responds,
                deviations=deviations,
            )

    non_strict, deviation = run(body())
    assert non_strict.verdict is Verdict.NON_STRICT
    assert (deviation.verdict, deviation.reason) == (Verdict.KNOWN_DEVIATION, "we never ask")


def test_cases_run_at_once_so_the_wall_time_is_near_the_longest_case() -> None:
    wait_1s = (Step("configure", {"type": "realtime"}), Step("wait", Wait(ms=1000)))
    selection = [
        Selected(case(case_id, steps=wait_1s, until=Wait(), needs=frozenset()), "ga")
        for case_id in ("1.1.1", "1.1.2", "4.1.1", "5.1.1", "5.1.2", "6.2.1")
    ]
    started = time.monotonic()
    results = run(run_selected(selection, fake_driver.correct))
    wall = time.monotonic() - started
    durations = [r.duration_ms / 1000 for r in results]
    assert all(d >= 1.0 for d in durations)
    assert wall < sum(durations) / 2, (wall, durations)  # six 1 s cases: not run one by one
