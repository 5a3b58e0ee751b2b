"""The reference driver through the conformance runner: it passes text, tool and fault cases in
both dialects. (That a broken variant fails the check made for its bug, both dialects, is
tests/test_conformance_detection.py's, for every variant.)"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from realtime_conformance.conformance.cases import load_cases, select
from realtime_conformance.conformance.drivers.base import ClientDriver
from realtime_conformance.conformance.drivers.reference import ReferenceDriver, reference
from realtime_conformance.conformance.harness import openai_side
from realtime_conformance.conformance.runner import CaseResult, run_cases

BOUND_S = 60.0


def run_selected(patterns: list[str], make_driver: Callable[[], ClientDriver]) -> list[CaseResult]:
    selection = select(load_cases(), patterns, dialect="both")

    async def body() -> list[CaseResult]:
        async with openai_side() as side:
            return await run_cases(selection, side, make_driver, concurrency=4)

    return asyncio.run(asyncio.wait_for(body(), BOUND_S))


def test_the_reference_driver_passes_text_tool_and_fault_cases() -> None:
    results = run_selected(["5.1.1", "6.1.1", "7.2.1", "8.2.2", "8.5.1"], reference)
    verdicts = {(r.case.id, r.dialect): r.verdict.name for r in results}
    failures = [str(f) for r in results for f in r.failures]
    assert set(verdicts.values()) == {"PASS"}, failures
    assert len(verdicts) == 10


def test_the_driver_offers_what_the_reference_client_does() -> None:
    driver = reference()
    assert isinstance(driver, ReferenceDriver) and isinstance(driver, ClientDriver)
    assert {"text", "tools", "audio", "telephony", "truncation"} <= driver.capabilities
