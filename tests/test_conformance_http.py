"""The Responses and Chat cases (9.x): the reference client passes every one, each broken HTTP
variant (conformance/clients/broken_http.py) fails exactly the cases made for its habit, each
failure naming the broken MUST requirement, and the recordings hold the HTTP exchanges on the
case's clock. All runs share one mock and one event loop."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator, Callable

import pytest

from realtime_conformance.conformance.cases import Selected, load_cases, select
from realtime_conformance.conformance.clients import broken_http
from realtime_conformance.conformance.drivers.base import ClientDriver
from realtime_conformance.conformance.drivers.reference import reference
from realtime_conformance.conformance.harness import openai_side
from realtime_conformance.conformance.harness_http import http_hints
from realtime_conformance.conformance.runner import CaseResult, run_cases
from realtime_conformance.conformance.verdicts import Verdict
from realtime_conformance.refclient.driver import serve

BOUND_S = 60.0  # the slowest case waits 1 s for its retry-after; a run takes ~3 s
FAILED_ANSWERS = ("9.1.3", "9.1.4", "9.2.3", "9.2.4")  # cut, failed mid-stream, resume refused
EXPECTED: dict[str, dict[str, str]] = {  # variant -> case id -> the check naming its bug
    "never_retries": {"9.1.5": "resilience.retry_after", "9.2.5": "resilience.retry_after"},
    "ignores_retry_after": {"9.1.5": "resilience.retry_after", "9.2.5": "resilience.retry_after"},
    "never_resumes": {"9.1.3": "resilience.resumes_stream"},
    "silent_on_failure": dict.fromkeys(FAILED_ANSWERS, "http.reports_outcome"),
    "dies_on_unfamiliar_events": dict.fromkeys(("9.1.7", "9.2.6"), "http.reports_outcome"),
}


def _http_cases() -> list[Selected]:
    return select(load_cases(), ["9.*"])


async def _run_all() -> dict[str, list[CaseResult]]:
    selection = _http_cases()
    makers: dict[str, Callable[[], ClientDriver]] = {"reference": reference}
    makers |= {name: broken_http.BROKEN_HTTP[name][0] for name in EXPECTED}
    async with openai_side() as side:
        results = await asyncio.gather(
            *(run_cases(selection, side, make, concurrency=16) for make in makers.values())
        )
    return dict(zip(makers, results, strict=True))


@pytest.fixture(scope="module")
def by_client() -> dict[str, list[CaseResult]]:
    return asyncio.run(asyncio.wait_for(_run_all(), BOUND_S))


def test_the_http_cases_cover_both_apis_every_fault_and_the_websocket_mode() -> None:
    cases = {s.case.id: s.case for s in _http_cases()}
    assert {case.scenario.api for case in cases.values()} == {"responses", "chat"}
    assert all(case.level == "MUST" and "MUST" in case.requirement for case in cases.values())
    checks = {check for case in cases.values() for check in case.checks}
    assert {"resilience.retry_after", "resilience.resumes_stream", "http.reports_outcome"} <= checks
    assert cases["9.1.6"].expect["transport"] == "websocket"


def test_the_reference_client_passes_every_http_case(
    by_client: dict[str, list[CaseResult]],
) -> None:
    results = by_client["reference"]
    assert len(results) == len(_http_cases())
    failing = {r.node_id: [f"{f.check}: {f.actual}" for f in r.failures] for r in results
               if r.verdict is not Verdict.PASS}  # fmt: skip
    assert not failing


@pytest.mark.parametrize("variant", sorted(EXPECTED))
def test_each_broken_http_client_fails_exactly_its_cases(
    by_client: dict[str, list[CaseResult]], variant: str
) -> None:
    expected = EXPECTED[variant]
    failed = {r.case.id: r for r in by_client[variant] if r.verdict is not Verdict.PASS}
    assert set(failed) == set(expected), {
        k: [f.check for f in r.failures] for k, r in failed.items()
    }
    for case_id, check in expected.items():
        named = [f for f in failed[case_id].failures if f.check == check]
        assert named and all(f.level == "MUST" and "MUST" in f.requirement for f in named)
        assert failed[case_id].verdict is Verdict.FAIL


def _recorded(by_client: dict[str, list[CaseResult]], case_id: str) -> CaseResult:
    result = next(r for r in by_client["reference"] if r.case.id == case_id)
    assert result.recording is not None
    return result


def test_the_recordings_hold_the_exchanges_on_the_case_clock(
    by_client: dict[str, list[CaseResult]],
) -> None:
    """The rate-limited case: the 429, then the retry a second later, after the send_text step;
    the resumed case: the GET with starting_after; the WebSocket case: the upgrade's request."""
    limited = _recorded(by_client, "9.1.5").recording
    assert limited is not None
    step = next(e for e in limited.on("driver") if (e.meta or {}).get("action") == "send_text")
    requests = limited.openai_meta("http_request")
    answers = [e for e in limited.openai_meta("http_response") if e.meta["status"] == 429]  # type: ignore[index]
    assert len(requests) == 2 and len(answers) == 1
    assert (step.t_ms or 0) < (requests[0].t_ms or 0) <= (answers[0].t_ms or 0)
    assert 1000 <= (requests[1].t_ms or 0) - (answers[0].t_ms or 0) < 3000
    resumed = _recorded(by_client, "9.1.3").recording
    assert resumed is not None
    get = resumed.openai_meta("http_request")[-1].meta or {}
    assert get["method"] == "GET" and "starting_after=" in get["query"]
    socket = _recorded(by_client, "9.1.6").recording
    assert socket is not None
    assert [e.meta["path"] for e in socket.openai_meta("http_request")] == ["/v1/responses"]  # type: ignore[index]
    assert any(e.type == "response.completed" for e in socket.server_events())


def test_the_command_form_drives_an_http_case() -> None:
    """`python -m realtime_conformance.refclient.driver`'s lines: start with http_base_url and
    extra, configure the model, one streamed Chat request on the run's scenario."""

    async def body() -> tuple[list[dict[str, object]], int]:
        case = next(c for c in load_cases() if c.id == "9.2.1")
        async with openai_side() as side:
            token = side.new_run(case.scenario, None, 1)
            start = {
                "realtime_url": "ws://unused",
                "api_key": "sk-test",
                "http_base_url": side.http_base_url,
                "extra": http_hints(case, token),
            }
            commands = [
                {"id": 1, "method": "start", "params": start},
                {"id": 2, "method": "configure", "params": {"session": {"model": "gpt-4o"}}},
                {"id": 3, "method": "send_text", "params": {"text": "Hello"}},
                {"id": 4, "method": "close"},
            ]

            async def lines() -> AsyncIterator[str]:
                for command in commands:
                    yield json.dumps(command)

            out = io.StringIO()
            await serve(lines(), out)
            return [json.loads(line) for line in out.getvalue().splitlines()], len(
                side.connections(token)
            )

    replies, exchanges = asyncio.run(body())
    assert "chat" in replies[0]["capabilities"]  # type: ignore[operator]
    assert [r for r in replies if "report" in r] == []  # no error event
    assert [r.get("ok") for r in replies if "id" in r] == [True] * 4
    assert exchanges == 1
