"""What a Responses or Chat case leaves out, derived from its scenario (`api: responses|chat`).

The stimulus is one streamed request: `configure` sets the request defaults (the model, and the
tools the scenario's replies call), `send_text` asks one question and returns when the client
has finished with the answer (resumed, retried, or reported as an error). Its checks: every
request body valid against the API, the server stream's grammar, the scenario's rules met, and
what the scenario's faults call for: a cut Responses stream resumed with `starting_after`, a
rate-limited request retried after its `retry-after`.
"""

from __future__ import annotations

from typing import Any

from realtime_conformance.rtproto.scenario.spec import AbortConnection, Drop, Scenario

HTTP_TIMEOUT_S = 10.0
HTTP_MODELS = {"responses": "gpt-5", "chat": "gpt-4o"}
STREAM_CHECKS = {"responses": "order.responses_stream", "chat": "order.chat_stream"}
HTTP_USER_TEXT = "Hello, what can you tell me?"


def http_checks(scenario: Scenario, rate_limited: bool) -> tuple[str, ...]:
    checks: tuple[str, ...] = ("payload.http_requests", "scenario.rules", "http.reports_outcome")
    if not scenario.faults:  # a fault breaks the server stream's grammar on purpose
        checks += (STREAM_CHECKS[scenario.api],)
    cut = any(isinstance(f.action, Drop | AbortConnection) for f in scenario.faults)
    if cut and scenario.api == "responses":
        checks += ("resilience.resumes_stream",)
    if rate_limited:
        checks += ("resilience.retry_after",)
    return checks


def http_case(
    scenario: Scenario,
) -> tuple[tuple[tuple[str, Any], ...], frozenset[str], tuple[str, ...]]:
    """The steps (action, argument), needs and checks of a Responses or Chat case (its end:
    the scenario's rules met, or every exchange over; conformance.case_defaults.derive)."""
    block = scenario.case
    rate_limited = bool(block and block.expect.get("rate_limited"))
    steps = (("configure", {"model": HTTP_MODELS[scenario.api]}), ("send_text", HTTP_USER_TEXT))
    return steps, frozenset({scenario.api}), http_checks(scenario, rate_limited)
