"""The ordering cases in a child process beside the real-time ones (conformance.split_run)."""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest

from realtime_conformance.conformance import split_run
from realtime_conformance.conformance.case_defaults import Step, Timing, Wait
from realtime_conformance.conformance.cases import Case, Selected, load_cases
from realtime_conformance.conformance.drivers.base import ClientReports, Endpoints
from realtime_conformance.conformance.drivers.connector import ConnectorFactory
from realtime_conformance.conformance.runner import CaseResult
from realtime_conformance.conformance.split_run import ChildFailed, run_split, separable
from realtime_conformance.conformance.verdicts import Verdict
from tests.support import fake_driver

T = TypeVar("T")
BOUND_S = 90.0
PARENT_ENV = "SPLIT_RUN_TEST_PARENT"


class PidDriver(fake_driver.FakeTextDriver):
    """Reports the process it runs in (module level: the child unpickles it by name)."""

    async def start(self, endpoints: Endpoints, reports: ClientReports) -> None:
        reports.report("Process", {"pid": os.getpid()})
        await super().start(endpoints, reports)


def dies_in_a_child() -> fake_driver.FakeTextDriver:
    """A factory that works in the test's process and kills any other one."""
    if os.environ.get(PARENT_ENV) != str(os.getpid()):
        os._exit(3)
    return fake_driver.FakeTextDriver()


def run(body: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(asyncio.wait_for(body, BOUND_S))


def case(case_id: str, timing: Timing, timeout_s: float = 10.0) -> Case:
    found = next(c for c in load_cases() if c.id == case_id)
    steps = (Step("configure", {"type": "realtime"}),)
    return dataclasses.replace(
        found,
        steps=steps,
        until=Wait(),
        needs=frozenset(),
        timing=timing,
        checks=(),
        timeout_s=timeout_s,
    )


SELECTION = [
    Selected(case("1.1.1", "ordering"), "ga"),
    Selected(case("5.1.1", "realtime"), "ga"),
    Selected(case("4.1.1", "ordering", timeout_s=5.0), "ga"),  # the shortest: warms up here
    Selected(case("1.1.2", "ordering"), "beta"),
]


@pytest.fixture(autouse=True)
def one_warming_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(split_run, "WARMING_CASES", 1)


def pid_of(result: CaseResult) -> int:
    assert result.recording is not None
    (report,) = result.recording.reports("Process")
    assert report.meta is not None
    return int(report.meta["data"]["pid"])


def test_ordering_cases_run_in_another_process_and_results_keep_the_selection_order() -> None:
    heard: list[str] = []
    results = run(run_split(SELECTION, PidDriver, None, 4, lambda r: heard.append(r.node_id)))
    assert [r.node_id for r in results] == [s.node_id for s in SELECTION]
    assert sorted(heard) == sorted(s.node_id for s in SELECTION)  # each once, as it ended
    assert all(r.verdict is Verdict.PASS for r in results), [r.failures for r in results]
    ordering, realtime, warming, other = (pid_of(r) for r in results)
    assert realtime == warming == os.getpid()
    assert ordering == other != os.getpid()


def test_one_slot_a_fixed_port_a_local_factory_or_one_kind_of_case_stay_in_this_process() -> None:
    def local_factory() -> PidDriver:  # does not pickle
        return PidDriver()

    assert separable(SELECTION, PidDriver, 4, 0)
    assert not separable(SELECTION, PidDriver, 1, 0)
    assert not separable(SELECTION, PidDriver, 4, 8123)
    assert not separable(SELECTION, local_factory, 4, 0)
    assert not separable(SELECTION[:1], PidDriver, 4, 0)
    connector = ConnectorFactory.__new__(ConnectorFactory)  # any connector, its spec aside
    assert not separable(SELECTION, connector, 4, 0)
    results = run(run_split(SELECTION, PidDriver, None, 1))
    assert {pid_of(r) for r in results} == {os.getpid()}


def test_a_child_that_dies_fails_its_cases_and_the_others_are_judged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(PARENT_ENV, str(os.getpid()))
    results = run(run_split(SELECTION, dies_in_a_child, None, 4))
    first, realtime, warming, last = results
    assert realtime.verdict is warming.verdict is Verdict.PASS, realtime.failures
    for failed in (first, last):
        assert failed.verdict is Verdict.FAIL
        (failure,) = failed.failures
        assert failure.check == "harness.error"
        assert ChildFailed.__name__ in failure.actual and "status 3" in failure.actual
