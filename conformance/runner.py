"""Run cases: the stimulus through a fresh driver, both wires recorded, the checks, a verdict.

Per case run: a token on the shared mock (conformance.harness), the virtual call when the case
streams one, a fresh driver; its steps with a time limit; the end condition; then every record
(the mock's connections rebased to the case start, the call, the driver's steps and reports)
into one CaseRecording, judged by the case's checks. What goes wrong on the way is a FAIL with
its reason (`harness.*` failures: a step that raised, timeout, connection closed), never a hung
suite: every wait has a deadline and the driver is always closed.

Many cases run at once in one event loop (`run_cases`, bounded), so the wall time of a set of
real-time cases stays close to its longest one.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import zlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from conformance.call.virtual_call import VirtualCall
from conformance.case_defaults import Step, Wait
from conformance.cases import Case, Selected
from conformance.checks.registry import (
    CheckContext,
    Failure,
    Level,
    load_all_checks,
    run_checks,
)
from conformance.drivers.base import ClientDriver, Endpoints
from conformance.drivers.command import CommandDriver
from conformance.drivers.connector import ServiceClient
from conformance.drivers.methods import call_method, server_events
from conformance.harness import API_KEY, MODEL, OpenAISide
from conformance.harness_http import http_hints
from conformance.recording import CaseRecording
from conformance.rerun import (
    LAG_KEY,
    MAX_RERUNS,
    NEAR_KEY,
    RERUNS_KEY,
    harness_was_late,
    lag_windows,
)
from conformance.run_options import DEFAULT_CONCURRENCY
from conformance.verdicts import KnownDeviations, Verdict, grade
from rtproto.scenario import caller_audio

DriverFactory = Callable[[], ClientDriver]
POLL_S = 0.02  # how often waits look at the mock's records
CLOSE_S = 3.0  # how long the driver's close may take
FINISH_S = 2.0  # how long the mock's connections get to end after the driver closed
SETTLE_S = {"ordering": 0.3, "realtime": 1.0}  # late client events still belong to the case
PLAYOUT_IDLE_MS = 1500  # played out: 1 s of silence ends a media run (VoxEngine), then 0.5 s
PLAYOUT_POLL_S = 0.1


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


class DriverLog:
    """The driver wire: steps the suite performed and the client's reports, timestamped."""

    def __init__(self, origin: float) -> None:
        self.origin = origin
        self.lines: list[dict[str, Any]] = []

    def _t_ms(self) -> float:
        return round((time.monotonic() - self.origin) * 1000, 1)

    def report(self, name: str, data: Any = None) -> None:  # ClientReports
        meta = {"kind": "report", "name": name, "data": dict(data or {})}
        self.lines.append({"t_ms": self._t_ms(), "wire": "driver", "dir": "meta", "meta": meta})

    def step(self, action: str, args: Any) -> dict[str, Any]:
        shown = args.describe() if isinstance(args, Wait) else args
        meta = {"kind": "step", "action": action, "args": shown, "error": None}
        self.lines.append({"t_ms": self._t_ms(), "wire": "driver", "dir": "meta", "meta": meta})
        return meta


def harness_failure(case: Case, check: str, expected: str, actual: str, at_ms: float) -> Failure:
    """A failure the runner itself sees (the client did not get through the stimulus)."""
    level: Level = "SHOULD" if case.strict else "MUST"
    return Failure(check, case.requirement, level, (expected,), actual, at_ms, concern="harness")


@dataclass
class CaseRun:
    """The live state of one case run."""

    case: Case
    dialect: str
    side: OpenAISide
    driver: ClientDriver
    origin: float = field(default_factory=time.monotonic)
    token: str = ""
    call: VirtualCall | None = None
    log: DriverLog = field(init=False)
    failures: list[Failure] = field(default_factory=list)
    current: str = "start"
    live_until: float | None = None  # when the live part ended (monotonic)

    def __post_init__(self) -> None:
        self.log = DriverLog(self.origin)
        seed = zlib.crc32(self.case.node_id(self.dialect).encode()) % 10_000
        played = self.case.played()
        self.token = self.side.new_run(played, self.case.simulated, seed, self.case.expect)

    def now_ms(self) -> float:
        return round((time.monotonic() - self.origin) * 1000, 1)

    def live_ms(self) -> float:
        """How long the case was live (start to closed): its duration, without the wait to be
        judged and the judging."""
        end = self.live_until or time.monotonic()
        return round((end - self.origin) * 1000, 1)

    def endpoints(self) -> Endpoints:
        scenario = None if self.case.simulated is not None else self.case.id
        return Endpoints(
            realtime_url=self.side.realtime_url(self.token),
            http_base_url=self.side.http_base_url,
            api_key=API_KEY,
            dialect=self.dialect,  # type: ignore[arg-type]
            model=MODEL,
            media_url=self.call.url if self.call else None,
            media_format=self.case.media,  # type: ignore[arg-type]
            extra={
                "case": self.case.id,
                "scenario": scenario or "",
                "timeout_s": f"{self.case.timeout_s:g}",  # a command driver's step limits
                **http_hints(self.case, self.token),
            },
        )

    def reached(self, wait: Wait, since: float) -> bool:
        """Whether the end condition holds; `closed` ends any wait."""
        if wait.closed and self.side.closed(self.token):
            return True
        if wait.event and self.side.server_events(self.token, wait.event) < wait.count:
            return False
        if wait.rules_met and not self.side.rules_met(self.token, self.case.scenario):
            return False
        if wait.rules and any(
            r.index in wait.rules for r in self.side.unmet_rules(self.token, self.case.scenario)
        ):
            return False
        return not (
            wait.ms is not None and not wait.event and time.monotonic() - since < wait.ms / 1000
        )

    def sent_events(self) -> list[dict[str, Any]]:
        """The server events the mock has sent on the run's connections so far."""
        return [
            e for c in self.side.connections(self.token) for e in server_events(c.recording.lines)
        ]

    async def wait(self, wait: Wait) -> None:
        since = time.monotonic()
        while not self.reached(wait, since):
            await asyncio.sleep(POLL_S)
        if wait.event and wait.ms:
            await asyncio.sleep(wait.ms / 1000)

    async def perform(self, step: Step) -> None:
        self.current = step.describe()
        meta = self.log.step(step.action, step.args)
        try:
            if step.action == "call_method":  # the driver line shows the ids filled in
                resolved = await call_method(self.driver, step.args, self.sent_events)
                meta["args"] = {**step.args, "args": resolved}
            else:
                await self._call(step)
        except Exception as error:
            meta["error"] = f"{type(error).__name__}: {error}"
            raise

    async def _call(self, step: Step) -> None:
        action, args = step.action, step.args
        if action == "wait":
            await self.wait(args)
        elif action == "configure":
            await self.driver.configure(args or {"type": "realtime"})
        elif action == "send_text":
            await self.driver.send_text(str(args))
        elif action == "stream_call":
            await self.driver.stream_call()
        elif action == "set_tool_outputs":
            await self.driver.set_tool_outputs(dict(args or {}))
        elif action == "cancel":
            await self.driver.cancel()
        elif action == "close":
            await self.driver.close()
        else:
            raise ValueError(f"unknown step {action!r}")


async def _stimulate(run: CaseRun, limit: asyncio.Timeout) -> None:
    """Start, the steps, the end condition: the part of a case that has a time limit. A
    connector's service start-up (bounded by the driver) is added to the limit: the case's
    time counts from a listening service, as it does from a ready in-process client."""
    case = run.case
    run.current = "start"
    meta = run.log.step("start", {"dialect": run.dialect})
    started = time.monotonic()
    try:
        await run.driver.start(run.endpoints(), run.log)
    except Exception as error:
        meta["error"] = f"{type(error).__name__}: {error}"
        raise
    if isinstance(run.driver, ServiceClient) and (deadline := limit.when()) is not None:
        limit.reschedule(deadline + time.monotonic() - started)
    for step in case.steps:
        await run.perform(step)
    run.current = f"the end condition ({case.until.describe()})"
    await run.wait(case.until)
    await asyncio.sleep(SETTLE_S[case.timing])
    if run.call is not None:
        run.current = "the call's playout to finish (no response open, nothing left to play)"
        while not run.side.closed(run.token) and not _played_out(run):
            await asyncio.sleep(PLAYOUT_POLL_S)


def _played_out(run: CaseRun) -> bool:
    """No response is open and the caller has heard everything the client sent: a real-time
    case ends when its last answer has been played, not while it still plays."""
    side, token = run.side, run.token
    if side.server_events(token, "response.created") > side.server_events(token, "response.done"):
        return False
    assert run.call is not None
    last_end = max((frame.end_ms for frame in run.call.playout().frames), default=0.0)
    return run.now_ms() - last_end >= PLAYOUT_IDLE_MS


async def _drive(run: CaseRun) -> None:
    """The stimulus under the case's time limit; what stops it becomes a failure."""
    case = run.case
    try:
        async with asyncio.timeout(case.timeout_s) as limit:
            await _stimulate(run, limit)
        _client_died(run)
        _service_died(run)
    except TimeoutError:
        unmet = _unmet(run)
        actual = f"timeout after {case.timeout_s:g} s, waiting for {run.current}" + unmet
        actual += _trouble(run.driver)
        expected = f"the case reaches its end within {case.timeout_s:g} s"
        run.failures.append(
            harness_failure(case, "harness.timeout", expected, actual, run.now_ms())
        )
    except Exception as error:
        actual = f"{run.current} raised {type(error).__name__}: {error}"
        if run.side.closed(run.token):
            actual += " (connection closed)"
        expected = f"the client performs {run.current}"
        run.failures.append(harness_failure(case, "harness.step", expected, actual, run.now_ms()))


def _trouble(driver: ClientDriver) -> str:
    """What a driver knows went wrong outside its steps (a command client's process died
    while the suite waited on the wires: conformance.drivers.command)."""
    trouble = getattr(driver, "trouble", None)
    text = trouble() if callable(trouble) else None
    return f"; meanwhile {text}" if text else ""


def _service_died(run: CaseRun) -> None:
    """A connector's service that exited during the case fails it, with its output's tail."""
    trouble = run.driver.trouble() if isinstance(run.driver, ServiceClient) else None
    if trouble:
        expected = "the connector's service runs until the call ends"
        failure = harness_failure(run.case, "harness.service", expected, trouble, run.now_ms())
        run.failures.append(failure)


def _client_died(run: CaseRun) -> None:
    """A command client whose process died, or wrote a bad line, after its last step fails the
    case even when the wires got what the case waited for: it must keep to the line protocol
    until its `close` (conformance.drivers.command)."""
    trouble = run.driver.trouble() if isinstance(run.driver, CommandDriver) else None
    if trouble:
        expected = "the client's process keeps to the line protocol until its close"
        failure = harness_failure(run.case, "harness.process", expected, trouble, run.now_ms())
        run.failures.append(failure)


def _unmet(run: CaseRun) -> str:
    if not run.side.connections(run.token):
        return "; the client never connected" + run.side.unclaimed_note()
    unmet = run.side.unmet_rules(run.token, run.case.scenario)
    if not unmet or run.case.simulated is not None:
        return ""
    return "; the scenario still expected: " + "; ".join(rule.describe() for rule in unmet)


async def _close(run: CaseRun) -> None:
    with contextlib.suppress(Exception):
        await asyncio.wait_for(run.driver.close(), CLOSE_S)
    if run.call is not None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(run.call.hang_up(), CLOSE_S)
    await run.side.finished(run.token, FINISH_S)


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


async def _live(run: CaseRun) -> None:
    """The live part of a case: the call, the stimulus, closing. It holds one of the side's
    slots; judging holds none, so a case waiting to be judged keeps no other from starting."""
    case = run.case
    async with (
        run.side.slots,
        run.side.streaming(case.timing == "realtime"),
        contextlib.AsyncExitStack() as stack,
    ):
        # The case starts when it has its slot (with one slot, the cases before it ran first).
        run.origin = run.log.origin = time.monotonic()
        dialled = isinstance(run.driver, ServiceClient)  # a connector: the call dials it
        if case.uses_call or dialled:
            caller = caller_audio(case.scenario) if case.scenario.caller else None
            call = VirtualCall(format=case.media, caller=caller, clock_origin=run.origin)  # type: ignore[arg-type]
            run.call = await stack.enter_async_context(call)
            if isinstance(run.driver, ServiceClient):
                run.driver.attach_call(run.call)
                stack.enter_context(run.side.claiming(run.token))
        await _drive(run)
        await _close(run)
    run.live_until = time.monotonic()


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
        await _live(run)
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
    windows = lag_windows(run.failures + checked)
    if windows:
        measurements[NEAR_KEY] = max(
            run.side.lag.worst(*_absolute(run.origin, end, window)) for window in windows
        )
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
        return result if harness_was_late(result) else report(result)

    done: dict[int, CaseResult] = {}
    for phase in ("ordering", "realtime"):
        chosen = [(i, s) for i, s in enumerate(selection) if s.case.timing == phase]
        results = await asyncio.gather(*(one(s) for _, s in chosen))
        done.update(zip((i for i, _ in chosen), results, strict=True))
    for i, result in done.items():  # conformance.rerun: alone, after the crowd
        if harness_was_late(result):
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
        if not harness_was_late(result):
            break
    return result
