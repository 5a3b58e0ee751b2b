"""The runner's schedule: which cases take the slots first (conformance.schedule)."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from realtime_conformance.conformance.case_defaults import Step, Wait
from realtime_conformance.conformance.cases import Case, Selected, load_cases
from realtime_conformance.conformance.drivers.base import ClientReports, Endpoints
from realtime_conformance.conformance.harness import openai_side
from realtime_conformance.conformance.runner import run_cases
from realtime_conformance.conformance.schedule import expected_ms, longest_first
from tests.support import fake_driver

BOUND_S = 60.0


def case(case_id: str, **changes: Any) -> Case:
    found = next(c for c in load_cases() if c.id == case_id)
    return dataclasses.replace(found, **changes)


def test_the_expected_length_is_the_waits_and_the_replies_audio() -> None:
    assert expected_ms(case("5.4.3")) == 8000 + 1000  # the caller's script, then the answer
    assert expected_ms(case("6.1.2")) == 3000 + 2800  # the default call, the spoken answer
    assert expected_ms(case("3.1.1")) == 3000 + 2400


def test_longest_expected_first_then_longest_time_limit_then_the_selection_order() -> None:
    quiet = {"steps": (), "until": Wait()}  # nothing expected: the time limit decides
    chosen = [
        (0, Selected(case("1.1.1", timeout_s=10.0, **quiet), "ga")),
        (1, Selected(case("3.1.1"), "ga")),
        (2, Selected(case("1.1.2", timeout_s=30.0, **quiet), "ga")),
        (3, Selected(case("6.1.2"), "ga")),  # the same time limit as 3.1.1, longer audio
        (4, Selected(case("4.1.1", timeout_s=10.0, **quiet), "ga")),
    ]
    assert [i for i, _ in longest_first(chosen)] == [3, 1, 2, 0, 4]


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
