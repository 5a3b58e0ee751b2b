"""The live part of one case run: a fresh driver through its stimulus under the case's time
limit, on the mock's side and (when the case has one) the virtual call, then closed.

`CaseRun` holds the run's state (its token on the shared mock, the call, the driver wire);
`live` takes one of the side's slots, starts the call, drives the steps and the end condition,
and always closes the driver. What stops it becomes a `harness.*` failure with its reason
(a step that raised, timeout, connection closed, a command client's or connector's process
that died), never a hung suite: every wait has a deadline. conformance.runner judges the
recording afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import zlib
from dataclasses import dataclass, field
from typing import Any

from realtime_conformance.conformance.call.virtual_call import VirtualCall
from realtime_conformance.conformance.case_defaults import Step, Wait
from realtime_conformance.conformance.cases import Case
from realtime_conformance.conformance.checks.registry import Failure, Level
from realtime_conformance.conformance.cpu_wait import CpuWait
from realtime_conformance.conformance.drivers.base import ClientDriver, Endpoints, SeparateProcess
from realtime_conformance.conformance.drivers.command import CommandDriver
from realtime_conformance.conformance.drivers.connector import ServiceClient
from realtime_conformance.conformance.drivers.methods import call_method, server_events
from realtime_conformance.conformance.harness import API_KEY, MODEL, OpenAISide
from realtime_conformance.conformance.harness_http import http_hints
from realtime_conformance.rtproto.scenario import caller_audio

POLL_S = 0.02  # how often waits look at the mock's records
CLOSE_S = 3.0  # how long the driver's close may take
FINISH_S = 2.0  # how long the mock's connections get to end after the driver closed
SETTLE_S = {"ordering": 0.3, "realtime": 1.0}  # late client events still belong to the case
PLAYOUT_IDLE_MS = 1500  # played out: 1 s of silence ends a media run (VoxEngine), then 0.5 s
PLAYOUT_POLL_S = 0.1


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
    cpu_wait: CpuWait = field(default_factory=CpuWait)  # a separate client's wait for a CPU

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
        _process_failed(run)
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


# A driver whose client runs as a process of its own, the failure it fails a case with when that
# process went wrong outside its steps, and what was expected of it.
PROCESS_FAILURES: tuple[tuple[type[CommandDriver] | type[ServiceClient], str, str], ...] = (
    (
        CommandDriver,
        "harness.process",
        "the client's process keeps to the line protocol until its close",
    ),
    (ServiceClient, "harness.service", "the connector's service runs until the call ends"),
)


def _process_failed(run: CaseRun) -> None:
    """A command client's process that died or wrote a bad line after its last step, or a
    connector's service that exited during the case, fails it (with the output's tail) even
    when the wires got what the case waited for."""
    for kind, check, expected in PROCESS_FAILURES:
        trouble = run.driver.trouble() if isinstance(run.driver, kind) else None
        if trouble:
            failure = harness_failure(run.case, check, expected, trouble, run.now_ms())
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


async def live(run: CaseRun) -> None:
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
        if isinstance(run.driver, SeparateProcess):
            watcher = asyncio.create_task(run.cpu_wait.watch(run.driver.process_group))
            stack.callback(watcher.cancel)
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
