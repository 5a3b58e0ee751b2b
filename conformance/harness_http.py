"""The HTTP side of a case run on the shared mock: Responses and Chat cases.

An HTTP request carries no run token in its URL (a client builds its URLs from a base URL), so
a case's requests name their run with the `x-mock-scenario` header, whose value is the run's
token: the harness registers the case's scenario under that id for the run, the mock plays it
for every request naming it (mockserver.http_scenarios), and records the header with the
exchange (rtproto.handshake's allow-list), which is how the run finds its exchanges. A client
under test sends the header from `Endpoints.extra` (`HTTP_RUN_HEADER`), as an SDK user passes
`default_headers`.

A case that asks for a rate-limited start (`case: expect: {rate_limited: true}`) gets its first
request refused with the mock's own 429 (`retry-after: 1`, `retry-after-ms: 1000`): the run's
player refuses while its request allowance (60 a minute, used up at the start) refills.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from realtime_conformance.mockserver.state import ConnectionRecord, MockState
from realtime_conformance.rtproto.scenario.spec import Scenario
from realtime_conformance.rtproto.server.play.http import HttpScenario, ScenarioStream
from realtime_conformance.rtproto.server.ratelimit import RateLimitPolicy, RateLimits

HTTP_RUN_HEADER = "x-mock-scenario"
RATE_LIMITED_RPM = 60  # one request a second: a refused request may retry after 1 s


class RateLimitedScenario(HttpScenario):
    """A run's player that refuses requests, with a 429, until its allowance refills."""

    def __init__(self, scenario: Scenario, seed: int, epoch_s: int) -> None:
        super().__init__(scenario, seed=seed, epoch_s=epoch_s)
        self.policy = RateLimitPolicy(RateLimits(requests_per_minute=RATE_LIMITED_RPM))
        self.exhausted = False

    def open(self, body: dict[str, Any], now: float) -> ScenarioStream:
        if not self.exhausted:  # at the first request: its 429 says exactly 1 s
            self.exhausted = True
            self.policy.exhaust(now)
        admission = self.policy.admit(now, 1, str(body.get("model", "")))
        if admission.error is not None:
            raise admission.error
        return super().open(body, now)


def register_http_run(
    state: MockState, token: str, scenario: Scenario, seed: int, expect: Mapping[str, Any]
) -> None:
    """Let the mock play `scenario` for the requests naming `token`."""
    played = replace(scenario, id=token)
    state.scenarios.add(played)
    if expect.get("rate_limited"):
        # The mock keeps one player per chosen scenario id: this run's is ours.
        state.add_http_player(RateLimitedScenario(played, seed, int(time.time())))


def forget_http_run(state: MockState, token: str) -> None:
    state.forget_scenario(token)


def of_http_run(record: ConnectionRecord, token: str) -> bool:
    """Whether an exchange (or a Responses WebSocket) named the run in its header."""
    headers = record.info.headers
    return any(
        name.lower() == HTTP_RUN_HEADER and value == token for name, value in headers.items()
    )


def http_hints(case: Any, token: str) -> dict[str, str]:
    """What an HTTP case tells its client in `Endpoints.extra`: the API (`api`), the header
    every request must carry (`x-mock-scenario`) and the Responses transport (`transport`:
    `sse`, or `websocket` when the case says `case: expect: {transport: websocket}`)."""
    api = case.scenario.api
    if api == "realtime":
        return {}
    transport = str(case.expect.get("transport", "sse"))
    return {"api": api, HTTP_RUN_HEADER: token, "transport": transport}
