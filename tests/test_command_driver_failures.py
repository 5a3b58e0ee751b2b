"""Command clients that get the protocol wrong (tests/support/bad_command_client.py) each get
a FAIL that says what went wrong, with their stderr's tail, within the case's time limit; the
next case runs; no process, zombie or descriptor is left behind."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
import sys
from pathlib import Path

from realtime_conformance.conformance.cases import Case, Selected, load_cases
from realtime_conformance.conformance.drivers.command_client import CommandClient
from realtime_conformance.conformance.harness import openai_side
from realtime_conformance.conformance.runner import CaseResult, run_cases
from realtime_conformance.conformance.verdicts import Verdict

BAD = Path(__file__).resolve().parent / "support" / "bad_command_client.py"
STEP_S = 2.0  # the step limit these tests give (the default is 10 s)
TIMEOUT_S = 6.0  # the cases' time limit here (the catalogue's are 10 to 22 s)
BOUND_S = 60.0


def text_turn(timeout_s: float = TIMEOUT_S) -> Case:
    found = next(c for c in load_cases() if c.id == "5.1.1")
    return dataclasses.replace(found, timeout_s=timeout_s)


def client(mode: str, step_s: float = STEP_S) -> CommandClient:
    return CommandClient(f"{sys.executable} {BAD} {mode}", step_s=step_s, first_line_s=step_s)


async def run_client(factory: CommandClient, runs: int = 2) -> list[CaseResult]:
    """`runs` case runs one after the other (concurrency 1) on a mock of their own."""
    case = text_turn()
    selection = [Selected(case, "ga" if i % 2 == 0 else "beta") for i in range(runs)]
    async with openai_side() as side:
        return await run_cases(selection, side, factory, concurrency=1)


def run_mode(mode: str) -> CaseResult:
    (result,) = asyncio.run(asyncio.wait_for(run_client(client(mode), runs=1), BOUND_S))
    return result


def run_modes(*modes: str) -> dict[str, list[CaseResult]]:
    clients = [client(mode) for mode in modes]  # each probed once, as a run does up front

    async def body() -> list[list[CaseResult]]:
        return await asyncio.gather(*(run_client(factory) for factory in clients))

    return dict(zip(modes, asyncio.run(asyncio.wait_for(body(), BOUND_S)), strict=True))


def only_failure(result: CaseResult) -> str:
    assert result.verdict is Verdict.FAIL, result.verdict
    (failure,) = result.failures
    assert failure.level == "MUST"
    return failure.actual


def open_descriptors() -> int:
    return sum(1 for _ in Path("/proc/self/fd").iterdir())


def test_each_bad_client_fails_with_its_reason_and_the_next_case_still_runs() -> None:
    before = open_descriptors()
    results = run_modes("crash_at_start", "silent_at_start", "hang", "garbage", "wrong_id")
    for mode, runs in results.items():
        assert len(runs) == 2 and all(r.verdict is Verdict.FAIL for r in runs), mode
        assert all(r.duration_ms < TIMEOUT_S * 1000 for r in runs), mode  # within the limit
    crashed = only_failure(results["crash_at_start"][1])
    assert (
        "start raised DriverError: the client process exited with status 3 before its hello"
        in crashed
    )
    tail = crashed.split("the last 20 lines of its stderr:\n", 1)[1].splitlines()
    assert (
        tail[0] == "  | starting, step 11"
        and tail[-1] == "  | RuntimeError: no configuration found"
    )
    silent = only_failure(results["silent_at_start"][0])
    assert "start raised DriverError: no hello line within 2.0 s; its stderr was empty" in silent
    hung = only_failure(results["hang"][1])
    assert "raised DriverError: no reply to configure (id 2) within 2.0 s; its stderr was" in hung
    garbage = only_failure(results["garbage"][0])
    assert "not JSON: 'Connecting to the Realtime API... done'" in garbage
    wrong = only_failure(results["wrong_id"][1])
    assert "the client replied to id 101 while start (id 1) waited" in wrong
    assert open_descriptors() <= before
    assert children() == [], "every child was reaped: no zombie, nothing left running"


def test_a_client_that_dies_while_the_suite_waits_fails_with_its_exit_status() -> None:
    result = run_mode("dies_mid_case")
    assert result.verdict is Verdict.FAIL
    (failure,) = result.failures
    assert failure.check == "harness.timeout"
    assert "; meanwhile the client process exited with status 139" in failure.actual
    assert "  | Segmentation fault (pretend)" in failure.actual


def test_a_step_the_client_refuses_fails_with_its_words_and_no_process_trouble() -> None:
    result = run_mode("refuses")
    actual = only_failure(result)
    assert actual == "configure {'type': 'realtime'} raised DriverError: configure is not supported"


def test_a_hang_is_reported_before_the_case_limit_even_with_the_default_step_limit() -> None:
    async def body() -> list[CaseResult]:
        async with openai_side() as side:
            selection = [Selected(text_turn(timeout_s=4.0), "ga")]
            return await run_cases(selection, side, client("hang", step_s=10.0))

    (result,) = asyncio.run(asyncio.wait_for(body(), BOUND_S))
    (failure,) = result.failures
    assert failure.check == "harness.step"  # the driver's own report, not the runner's timeout
    limit = re.search(r"no reply to configure \(id 2\) within (\d+\.\d) s", failure.actual)
    assert limit is not None and float(limit.group(1)) <= 3.0  # 4 s less the 1 s margin
    assert result.duration_ms < 4000


def test_the_whole_process_group_is_killed() -> None:
    result = run_mode("grandchild")
    actual = only_failure(result)
    found = re.search(r"grandchild (\d+)", actual)
    assert found is not None, actual
    assert not running(int(found.group(1)))


def children() -> list[str]:
    """The processes whose parent is this one (zombies included), as `pid state`."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if int(fields[1]) == os.getpid():
            found.append(f"{stat.parent.name} {fields[0]}")
    return found


def running(pid: int) -> bool:
    """Whether the process exists and is no zombie."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


def test_a_stray_line_between_steps_fails_the_case_though_the_turn_completed() -> None:
    noisy = CommandClient(f"{sys.executable} -m tests.support.noisy_reference")

    async def body() -> list[CaseResult]:
        async with openai_side() as side:
            return await run_cases([Selected(text_turn(), "ga")], side, noisy)

    (result,) = asyncio.run(asyncio.wait_for(body(), BOUND_S))
    (failure,) = result.failures  # the wires are fine: only the line protocol failed
    assert failure.check == "harness.process"
    assert failure.actual.startswith("the client wrote a line that is not JSON: 'sent the text'")
