"""Detection power: each deliberately broken client (conformance/clients/broken.py) fails exactly
the cases made for its bug, each such failure naming the broken requirement (its check), it
passes the controls (cases that exercise the same code path without the bug showing), and the
reference client fails none of them.

To stay fast every variant runs only its own cases and controls (GA; the ordering ones in beta
too), all variants at once in one event loop on one mock: ordering cases of every variant
first, then the real-time ones together, as the runner does for one client. The run is made
once per module (`by_variant`); each test asserts on its results.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pytest

from realtime_conformance.conformance.cases import Case, Selected, load_cases
from realtime_conformance.conformance.clients import broken
from realtime_conformance.conformance.drivers.base import ClientDriver
from realtime_conformance.conformance.drivers.reference import reference
from realtime_conformance.conformance.harness import OpenAISide, openai_side
from realtime_conformance.conformance.runner import CaseResult, run_cases
from realtime_conformance.conformance.verdicts import Verdict

BOUND_S = 150.0
# Cases at once, all clients together: each run_cases sets the side's slots, and the nine
# clients share one side, so they share its last-set semaphore (every call sets it before any
# case takes a slot). At 16 the scripted mock fell behind real time by small steps under CI
# load, no single stall a loop-lag reading would show, and the reference client's playout
# underran. The 19 real-time case runs are ~150 s of calls: at 4 their phase took ~35 s (the
# run 54-58 s), at 8 ~23 s (the run 30 s alone, 39-43 s with one core kept busy by another process);
# at either, a case or two whose timing the harness's lag put in doubt was run again alone.
CONCURRENCY = 8
# A truncate never sent, or a follow-up create the script does not take, leaves these scripted
# cases waiting for their rule until their time limit (14-19 s): end them sooner, still well
# after the reference client finishes them (5.4.1 in ~6 s, 5.4.2 ~5 s, 6.1.1 ~1 s, 6.1.2 ~6 s).
SHORTER_TIMEOUT_S = {"5.4.1": 10.0, "5.4.2": 9.0, "6.1.1": 5.0, "6.1.2": 10.0}
Fails = tuple[tuple[str, ...], str]  # the checks that name the bug, and why
TRUNCATE_MISSING = ("media.truncate_on_barge_in", "scenario.rules")
NO_REACTION = ("media.clear_on_barge_in", *TRUNCATE_MISSING)
# The barge-in variants fail all of 5.3.1, 5.4.1, 5.4.2 and 5.4.3 (a full run shows it); each
# runs two of them here, so that the real-time cases of all variants fit in one wave.


@dataclass(frozen=True)
class Expected:
    """A variant, the cases it must fail (case id -> the checks any of which names its bug, and
    why), and the controls it must pass (the same code path, without the bug showing)."""

    make: Callable[[], ClientDriver]
    fails: dict[str, tuple[tuple[str, ...], str]]
    controls: tuple[str, ...]


def _all(case_ids: tuple[str, ...], checks: tuple[str, ...], why: str) -> dict[str, Fails]:
    return dict.fromkeys(case_ids, (checks, why))


EXPECTED: dict[str, Expected] = {
    "truncates_at_received": Expected(
        broken.truncates_at_received,
        _all(("5.3.1", "5.4.3"), ("media.truncate_at_heard_audio",), "truncates past heard"),
        # 5.4.1 is no control: the barge-in comes ~100 ms into an answer still arriving, so
        # what was received is within the check's 250 ms of what was heard.
        ("5.1.1", "5.1.2"),
    ),
    "never_truncates": Expected(
        broken.never_truncates,
        _all(("5.3.1", "5.4.2"), TRUNCATE_MISSING, "no truncate of the item cut short"),
        ("5.1.1", "5.1.2"),
    ),
    "no_clear_on_barge_in": Expected(
        broken.no_clear_on_barge_in,
        _all(("5.4.2", "5.4.3"), NO_REACTION, "plays on over the caller"),
        ("5.1.1", "5.1.2"),
    ),
    "ignores_speech_started": Expected(
        broken.ignores_speech_started,
        _all(("5.4.1", "5.4.3"), NO_REACTION, "no reaction to barge-in"),
        ("5.1.1", "5.1.2"),
    ),
    "create_before_output": Expected(
        broken.create_before_output,
        _all(("6.1.1", "6.1.2"), ("order.tool_output_before_response",), "create before output"),
        ("5.1.1", "5.5.1"),  # a queued create with no tool call before it is not reordered
    ),
    "second_create_while_active": Expected(
        broken.second_create_while_active,
        {
            "5.5.1": (("order.one_response_at_a_time",), "the second question's create at once"),
            # derived: the question's response_create is called while the greeting streams
            "6.2.3": (("order.one_response_at_a_time",), "the question's create mid-greeting"),
            "6.2.4": (("order.one_response_at_a_time",), "the question's create mid-greeting"),
        },
        ("5.1.1", "6.1.1"),  # one create at a time anyway: nothing to queue
    ),
    "crashes_on_unknown_event": Expected(
        broken.crashes_on_unknown_event,
        _all(
            ("8.2.4",),
            ("resilience.keeps_working", "resilience.stays_connected"),
            "closes the connection on an event type it does not know",
        ),
        ("5.1.1", "8.2.2"),  # a malformed frame is no unknown event: it survives that
    ),
    "invalid_session_update": Expected(
        broken.invalid_session_update,
        # every case configures first, so every case fails: two stand for all (no control)
        _all(("1.1.1", "5.1.1"), ("payload.client_events",), "a session.update no schema takes"),
        (),
    ),
}


def _cases_of(expected: Expected) -> list[str]:
    return [*expected.fails, *expected.controls]


def _selection(case_ids: Sequence[str], cases: dict[str, Case]) -> list[Selected]:
    """GA for every case; beta too for the ordering ones (cheap, and the dialect differs)."""
    chosen = []
    for case_id in dict.fromkeys(case_ids):
        case = cases[case_id]
        if case_id in SHORTER_TIMEOUT_S:
            case = dataclasses.replace(case, timeout_s=SHORTER_TIMEOUT_S[case_id])
        dialects = case.dialects if case.timing == "ordering" else ("ga",)
        chosen += [Selected(case, d) for d in dialects]
    return chosen


async def _phase(
    side: OpenAISide,
    runs: dict[str, tuple[list[Selected], Callable[[], ClientDriver]]],
    timing: str,
) -> dict[str, list[CaseResult]]:
    async def one(selection: list[Selected], make: Callable[[], ClientDriver]) -> list[CaseResult]:
        chosen = [s for s in selection if s.case.timing == timing]
        return await run_cases(chosen, side, make, concurrency=CONCURRENCY) if chosen else []

    results = await asyncio.gather(*(one(sel, make) for sel, make in runs.values()))
    return dict(zip(runs, results, strict=True))


async def _run_all() -> dict[str, list[CaseResult]]:
    cases = {case.id: case for case in load_cases()}
    runs = {
        name: (_selection(_cases_of(expected), cases), expected.make)
        for name, expected in EXPECTED.items()
    }
    every_case = [case for expected in EXPECTED.values() for case in expected.fails]
    runs["reference"] = (_selection(every_case, cases), reference)
    async with openai_side() as side:
        ordering = await _phase(side, runs, "ordering")
        realtime = await _phase(side, runs, "realtime")
    return {name: ordering[name] + realtime[name] for name in runs}


def _failed(results: list[CaseResult]) -> dict[str, list[CaseResult]]:
    failed: dict[str, list[CaseResult]] = {}
    for result in results:
        if result.verdict is not Verdict.PASS:
            failed.setdefault(result.case.id, []).append(result)
    return failed


@pytest.fixture(scope="module")
def by_variant() -> dict[str, list[CaseResult]]:
    started = time.monotonic()
    results = asyncio.run(asyncio.wait_for(_run_all(), BOUND_S))
    wall_s = time.monotonic() - started
    print(f"detection: {sum(map(len, results.values()))} case runs in {wall_s:.1f} s")
    return results


def test_each_broken_variant_fails_exactly_its_cases_naming_the_broken_requirement(
    by_variant: dict[str, list[CaseResult]],
) -> None:
    problems = []
    for name, results in by_variant.items():
        failed = _failed(results)
        expected = EXPECTED[name].fails if name in EXPECTED else {}
        for case_id in sorted(set(failed) - set(expected)):
            shown = [f"{f.check}: {f.actual}" for r in failed[case_id] for f in r.failures]
            problems.append(f"{name} fails {case_id}, which it should pass: {shown}")
        for case_id, (checks, why) in expected.items():
            runs = [r for r in results if r.case.id == case_id]
            for run in runs:
                named = {f.check for f in run.failures}
                if run.verdict is not Verdict.FAIL or not named & set(checks):
                    problems.append(
                        f"{name} on {run.node_id} ({why}): {run.verdict.name}, failures "
                        f"{sorted(named)}, none of {checks}"
                    )
                named_by = [f for f in run.failures if f.check in checks]
                if not all("MUST" in f.requirement and f.level == "MUST" for f in named_by):
                    problems.append(f"{name} on {run.node_id}: no MUST requirement named")
    assert not problems, "\n".join(problems)


def _result(results: list[CaseResult], node_id: str) -> CaseResult:
    return next(result for result in results if result.node_id == node_id)


def test_the_reference_clears_and_truncates_once_on_simulated_barge_in(
    by_variant: dict[str, list[CaseResult]],
) -> None:
    """On 5.4.3 (a phone call, barge-in with the simulated model) the reference client passes
    with one `clear` to the call and one truncate to the model; a client without the clear
    fails media.clear_on_barge_in (moved here from tests/test_conformance_runner.py, which ran
    the same two clients on the same case)."""
    passed = _result(by_variant["reference"], "5.4.3[ga]")
    assert passed.verdict is Verdict.PASS, [f.actual for f in passed.failures]
    recording = passed.recording
    assert recording is not None
    clears = [e for e in recording.call_sent() if e.type == "clear"]
    truncates = [e for e in recording.client_events() if e.type == "conversation.item.truncate"]
    assert len(clears) == 1 and len(truncates) == 1
    failed = _result(by_variant["no_clear_on_barge_in"], "5.4.3[ga]")
    assert failed.verdict is Verdict.FAIL
    assert "media.clear_on_barge_in" in {f.check for f in failed.failures}
