"""The runner's schedule: which cases take the slots first (conformance.runner.longest_first)."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from realtime_conformance.conformance.case_defaults import Step, Wait
from realtime_conformance.conformance.cases import Case, Selected, load_cases
from realtime_conformance.conformance.drivers.base import ClientReports, Endpoints
from realtime_conformance.conformance.harness import openai_side
from realtime_conformance.conformance.runner import longest_first, run_cases
from tests.support import fake_driver

BOUND_S = 60.0


def case(case_id: str, **changes: Any) -> Case:
    found = next(c for c in load_cases() if c.id == case_id)
    return dataclasses.replace(found, **changes)


def test_longest_time_limit_first_and_ties_in_the_selection_order() -> None:
    limits = {"1.1.1": 10.0, "1.1.2": 30.0, "4.1.1": 10.0, "5.1.1": 20.0}
    chosen = [(i, Selected(case(c, timeout_s=s), "ga")) for i, (c, s) in enumerate(limits.items())]
    ordered = [selected.case.id for _, selected in longest_first(chosen)]
    assert ordered == ["1.1.2", "5.1.1", "1.1.1", "4.1.1"]


def test_one_slot_runs_the_longest_limit_first_and_results_keep_the_selection_order() -> None:
    started: list[str] = []

    class Recorded(fake_driver.FakeTextDriver):
        async def start(self, endpoints: Endpoints, reports: ClientReports) -> None:
            started.append(endpoints.extra["case"])
            await super().start(endpoints, reports)

    limits = {"1.1.1": 12.0, "4.1.1": 14.0, "5.1.1": 13.0}
    configure = (Step("configure", {"type": "realtime"}),)
    selection = [
        Selected(case(c, timeout_s=s, steps=configure, until=Wait(), needs=frozenset()), "ga")
        for c, s in limits.items()
    ]

    async def body() -> list[Any]:
        async with openai_side() as side:
            return await run_cases(selection, side, Recorded, concurrency=1)

    results = asyncio.run(asyncio.wait_for(body(), BOUND_S))
    assert started == ["4.1.1", "5.1.1", "1.1.1"]
    assert [r.case.id for r in results] == list(limits)
    assert not [f for r in results for f in r.failures if f.concern == "harness"]
