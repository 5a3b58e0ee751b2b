"""Run cases: the stimulus through a fresh driver, both wires recorded, the checks, a verdict.

Per case run: the live part (conformance.case_run: a token on the shared mock, the virtual call
when the case streams one, a fresh driver, its steps under a time limit, the end condition),
then every record (the mock's connections rebased to the case start, the call, the driver's
steps and reports) into one CaseRecording, judged by the case's checks, and a verdict. A case
the client lacks a capability for is UNIMPLEMENTED before it starts.

Many cases run at once in one event loop (`run_cases`, bounded), so the wall time of a set of
real-time cases stays close to its longest one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from realtime_conformance.conformance.case_run import CaseRun, harness_failure, live
from realtime_conformance.conformance.cases import Case, Selected
from realtime_conformance.conformance.checks.registry import (
    CheckContext,
    Failure,
    load_all_checks,
    run_checks,
)
from realtime_conformance.conformance.drivers.base import ClientDriver, SeparateProcess
from realtime_conformance.conformance.drivers.connector import ServiceClient
from realtime_conformance.conformance.harness import OpenAISide
from realtime_conformance.conformance.recording import CaseRecording
from realtime_conformance.conformance.rerun import (
    LAG_KEY,
    MAX_RERUNS,
    NEAR_KEY,
    RERUNS_KEY,
    WAIT_KEY,
    WAIT_NEAR_KEY,
    lag_windows,
    timing_in_doubt,
)
from realtime_conformance.conformance.run_options import DEFAULT_CONCURRENCY
from realtime_conformance.conformance.schedule import longest_first
from realtime_conformance.conformance.verdicts import KnownDeviations, Verdict, grade
from realtime_conformance.rtproto.scenario import caller_audio

DriverFactory = Callable[[], ClientDriver]


@dataclass
class CaseResult:
    """One case run in one dialect: its verdict and everything a report shows of it."""

    case: Case
    dialect: str
    verdict: Verdict
    failures: list[Failure] = field(default_factory=list)
    reason: str | None = None  # UNIMPLEMENTED / KNOWN-DEVIATION: why
    duration_ms: float = 0.0
    measurements: dict[str, float] = field(default_factory=dict)
    unavailable_checks: list[str] = field(default_factory=list)
    recording: CaseRecording | None = None

    @property
    def node_id(self) -> str:
        return self.case.node_id(self.dialect)


def collect(run: CaseRun) -> CaseRecording:
    """Every record of the run on the case's clock: the mock's connections (rebased from their
    own start), the call, the driver."""
    lines: list[dict[str, Any]] = []
    for record in run.side.connections(run.token):
        shift = round((record.recording.started_at - run.origin) * 1000, 1)
        for line in record.recording.records():
            line["t_ms"] = round(float(line.get("t_ms", 0.0)) + shift, 1)
            lines.append(line)
    if run.call is not None:
        lines += [dict(line, wire="call") for line in run.call.records()]
    lines += run.log.lines
    lines.sort(key=lambda line: float(line.get("t_ms") or 0.0))
    return CaseRecording.from_dicts(lines)


def judge(
    run: CaseRun, recording: CaseRecording
) -> tuple[list[Failure], dict[str, float], list[str]]:
    """The case's checks over its recording; names the registry does not know are listed."""
    known = set(load_all_checks())
    names = [name for name in run.case.checks if name in known]
    ctx = CheckContext(
        case_id=run.case.id,
        title=run.case.title,
        recording=recording,
        dialect=run.dialect,
        capabilities=frozenset(run.driver.capabilities),
        tolerances=dict(run.case.tolerances),
        expect=dict(run.case.expect),
        scenario=run.case.scenario,
    )
    failures = run_checks(ctx, names)
    return failures, dict(ctx.measurements), [n for n in run.case.checks if n not in known]


def broken(selected: Selected, error: Exception) -> CaseResult:
    """A case the harness itself could not run (or the driver factory raised)."""
    case = selected.case
    actual = f"the harness raised {type(error).__name__}: {error}"
    failure = harness_failure(case, "harness.error", "the case runs to its end", actual, 0.0)
    return CaseResult(case, selected.dialect, Verdict.FAIL, [failure])


def unimplemented(case: Case, dialect: str, reason: str) -> CaseResult:
    return CaseResult(case, dialect, Verdict.UNIMPLEMENTED, reason=reason)


async def run_case(
    selected: Selected,
    side: OpenAISide,
    make_driver: DriverFactory,
    deviations: KnownDeviations | None = None,
) -> CaseResult:
    """Run one case in one dialect and grade it."""
    case, dialect = selected.case, selected.dialect
    if case.unrunnable:
        return unimplemented(case, dialect, case.unrunnable)
    driver = make_driver()
    refused = driver.refusal(case, dialect) if isinstance(driver, ServiceClient) else None
    if refused:  # a connector: cases it cannot take part in (conformance.drivers.connector)
        return unimplemented(case, dialect, refused)
    lacking = sorted(case.needs - set(driver.capabilities))
    if lacking:
        return unimplemented(case, dialect, f"the client lacks: {', '.join(lacking)}")
    run = CaseRun(case, dialect, side, driver)
    try:
        await live(run)
        # Collecting and judging are CPU work: they wait until no real-time case is streaming
        # (their media pace is what the checks time) and then run off the loop.
        await side.quiet()
        recording = await asyncio.to_thread(collect, run)
    finally:
        side.forget(run.token)
    return await asyncio.to_thread(_graded, run, recording, deviations or KnownDeviations())


def _graded(run: CaseRun, recording: CaseRecording, deviations: KnownDeviations) -> CaseResult:
    checked, measurements, unavailable = judge(run, recording)
    end = run.live_until or time.monotonic()
    measurements[LAG_KEY] = run.side.lag.worst(run.origin, end)
    separate = isinstance(run.driver, SeparateProcess)
    if separate:
        measurements[WAIT_KEY] = run.cpu_wait.waited(run.origin, end)
    windows = [_absolute(run.origin, end, w) for w in lag_windows(run.failures + checked)]
    if windows:
        measurements[NEAR_KEY] = max(run.side.lag.worst(*window) for window in windows)
        if separate:
            measurements[WAIT_NEAR_KEY] = max(run.cpu_wait.waited(*window) for window in windows)
    failures = run.failures + checked
    case = run.case
    verdict = grade(
        (f.level for f in failures), strict_case=case.strict, informational=case.informational
    )
    verdict, reason = deviations.apply(verdict, case.id, case.node_id(run.dialect))
    return CaseResult(
        case,
        run.dialect,
        verdict,
        failures,
        reason,
        duration_ms=run.live_ms(),
        measurements=measurements,
        unavailable_checks=unavailable,
        recording=recording,
    )


def _absolute(origin: float, end: float, window: tuple[float, float] | None) -> tuple[float, float]:
    """A window of case time (ms) as monotonic seconds; None is the whole case."""
    if window is None:
        return origin, end
    return origin + window[0] / 1000, origin + window[1] / 1000


def warm_up(selection: Sequence[Selected]) -> None:
    """Work every case would otherwise do on the loop at its start, done before any streams:
    the caller's audio (synthesised, cached per scenario)."""
    for scenario in {id(s.case.scenario): s.case.scenario for s in selection}.values():
        if scenario.caller is not None:
            caller_audio(scenario)


async def run_cases(
    selection: Sequence[Selected],
    side: OpenAISide,
    make_driver: DriverFactory,
    *,
    deviations: KnownDeviations | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_result: Callable[[CaseResult], None] | None = None,
) -> list[CaseResult]:
    """Run every selected case, `concurrency` live at once, in one event loop; results in the
    order of `selection`. `on_result` hears of each as it finishes (progress).

    Ordering cases run first, then the real-time cases together: their media pace is what the
    checks time, so they do not share the loop with the start-up of a crowd of other clients."""
    side.slots = asyncio.Semaphore(concurrency)
    await asyncio.to_thread(warm_up, selection)

    async def attempt(selected: Selected) -> CaseResult:
        try:
            return await run_case(selected, side, make_driver, deviations)
        except Exception as error:  # a harness bug: this case fails, the others run
            return broken(selected, error)

    def report(result: CaseResult) -> CaseResult:
        if on_result is not None:
            on_result(result)
        return result

    async def one(selected: Selected) -> CaseResult:
        result = await attempt(selected)
        return result if timing_in_doubt(result) else report(result)

    done: dict[int, CaseResult] = {}
    for phase in ("ordering", "realtime"):
        chosen = longest_first([(i, s) for i, s in enumerate(selection) if s.case.timing == phase])
        results = await asyncio.gather(*(one(s) for _, s in chosen))
        done.update(zip((i for i, _ in chosen), results, strict=True))
    for i, result in done.items():  # conformance.rerun: alone, after the crowd
        if timing_in_doubt(result):
            done[i] = report(await _rerun_alone(selection[i], result, attempt))
    return [done[i] for i in range(len(selection))]


async def _rerun_alone(
    selected: Selected,
    result: CaseResult,
    attempt: Callable[[Selected], Awaitable[CaseResult]],
) -> CaseResult:
    """Run a case whose timing verdict the harness's lag spoiled again, up to MAX_RERUNS times."""
    for reruns in range(1, MAX_RERUNS + 1):
        result = await attempt(selected)
        result.measurements[RERUNS_KEY] = reruns
        if not timing_in_doubt(result):
            break
    return result
