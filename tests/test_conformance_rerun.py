"""A timing failure measured while the harness itself lagged, or while a separate client's
processes waited for a CPU, is run again alone; any other verdict stands as first judged
(conformance.rerun)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from realtime_conformance.conformance import runner
from realtime_conformance.conformance.cases import Selected, load_cases, select
from realtime_conformance.conformance.checks.registry import Failure
from realtime_conformance.conformance.rerun import (
    LAG_KEY,
    LAG_LIMIT_MS,
    MAX_RERUNS,
    NEAR_KEY,
    RERUNS_KEY,
    WAIT_KEY,
    WAIT_NEAR_KEY,
    WINDOW_BEFORE_MS,
    lag_windows,
    timing_in_doubt,
)
from realtime_conformance.conformance.runner import CaseResult, run_cases
from realtime_conformance.conformance.verdicts import Verdict


def failure(concern: str) -> Failure:
    return Failure(f"{concern}.x", "MUST ...", "MUST", ("on time",), "late", concern=concern)


def result(selected: Selected, lag_ms: float, concern: str | None) -> CaseResult:
    failures = [failure(concern)] if concern else []
    verdict = Verdict.FAIL if failures else Verdict.PASS
    return CaseResult(
        selected.case, selected.dialect, verdict, failures, measurements={LAG_KEY: lag_ms}
    )


@pytest.fixture
def selected() -> Selected:
    return select(load_cases(), ["5.1.1"])[0]


def test_only_a_timing_failure_under_harness_lag_is_suspect(selected: Selected) -> None:
    late, on_time = LAG_LIMIT_MS + 1, LAG_LIMIT_MS - 1
    assert timing_in_doubt(result(selected, late, "media"))
    assert not timing_in_doubt(result(selected, on_time, "media"))
    assert not timing_in_doubt(result(selected, late, "order"))
    assert not timing_in_doubt(result(selected, late, None))


def test_the_lag_near_the_timing_failures_decides_over_the_whole_case(selected: Selected) -> None:
    spike_elsewhere = result(selected, LAG_LIMIT_MS * 4, "media")
    spike_elsewhere.measurements[NEAR_KEY] = 0.0
    assert not timing_in_doubt(spike_elsewhere)
    spike_near = result(selected, LAG_LIMIT_MS * 4, "media")
    spike_near.measurements[NEAR_KEY] = LAG_LIMIT_MS
    assert timing_in_doubt(spike_near)


def test_a_timing_failure_is_judged_against_the_lag_just_before_it() -> None:
    timed = Failure("media.x", "MUST", "MUST", ("on time",), "late", at_ms=5000.0, concern="media")
    untimed = failure("media")
    windows = lag_windows([timed, untimed, failure("order")])
    assert len(windows) == 2 and windows[1] is None, "one window per timing failure"
    assert windows[0] is not None
    start, end = windows[0]
    assert start == 5000.0 - WINDOW_BEFORE_MS and 5000.0 < end <= 5200.0


def scripted(monkeypatch: pytest.MonkeyPatch, outcomes: list[tuple[float, str | None]]) -> None:
    """run_case answers each call with the next (lag, failing concern) of `outcomes`."""
    answers: Iterator[tuple[float, str | None]] = iter(outcomes)

    async def fake_run_case(selected: Selected, *args: Any) -> CaseResult:
        lag, concern = next(answers)
        return result(selected, lag, concern)

    monkeypatch.setattr(runner, "run_case", fake_run_case)


class Side:
    """The runner needs only a place for its concurrency bound (run_case is scripted)."""

    slots: asyncio.Semaphore


def run_one(selected: Selected) -> tuple[CaseResult, list[CaseResult]]:
    heard: list[CaseResult] = []
    side: Any = Side()
    results = asyncio.run(run_cases([selected], side, lambda: None, on_result=heard.append))  # type: ignore[arg-type,return-value]
    return results[0], heard


def test_a_late_timing_failure_is_rerun_and_the_rerun_stands(
    monkeypatch: pytest.MonkeyPatch, selected: Selected
) -> None:
    scripted(monkeypatch, [(LAG_LIMIT_MS * 4, "media"), (0.0, None)])
    final, heard = run_one(selected)
    assert final.verdict is Verdict.PASS and final.measurements[RERUNS_KEY] == 1
    assert heard == [final], "progress hears of the case once, with the verdict that stands"


def test_a_timing_failure_on_time_stands_without_a_rerun(
    monkeypatch: pytest.MonkeyPatch, selected: Selected
) -> None:
    scripted(monkeypatch, [(0.0, "media")])  # a second answer would raise StopIteration
    final, _ = run_one(selected)
    assert final.verdict is Verdict.FAIL and RERUNS_KEY not in final.measurements


def test_reruns_stop_after_the_limit_and_keep_the_last_verdict(
    monkeypatch: pytest.MonkeyPatch, selected: Selected
) -> None:
    scripted(monkeypatch, [(LAG_LIMIT_MS * 4, "media")] * (1 + MAX_RERUNS))
    final, heard = run_one(selected)
    assert final.verdict is Verdict.FAIL and final.measurements[RERUNS_KEY] == MAX_RERUNS
    assert len(heard) == 1


def test_a_separate_client_starved_of_cpu_near_the_failure_is_suspect(selected: Selected) -> None:
    starved = result(selected, 0.0, "media")
    starved.measurements[WAIT_KEY] = LAG_LIMIT_MS * 4
    starved.measurements[WAIT_NEAR_KEY] = LAG_LIMIT_MS
    assert timing_in_doubt(starved)
    starved_elsewhere = result(selected, 0.0, "media")
    starved_elsewhere.measurements[WAIT_KEY] = LAG_LIMIT_MS * 4
    starved_elsewhere.measurements[WAIT_NEAR_KEY] = LAG_LIMIT_MS - 1
    assert not timing_in_doubt(starved_elsewhere)
    starved_ordering = result(selected, 0.0, "order")
    starved_ordering.measurements[WAIT_KEY] = LAG_LIMIT_MS * 4
    assert not timing_in_doubt(starved_ordering)
