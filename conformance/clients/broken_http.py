"""Deliberately broken variants of the reference Responses and Chat clients: each is the
reference driver with one HTTP habit changed, so the suite can show that the 9.x cases catch
it. `--client conformance.clients.broken_http:NAME` loads one; `BROKEN_HTTP` lists them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from realtime_conformance.conformance.drivers.reference import ReferenceDriver
from realtime_conformance.refclient.driver_http import HttpTurns, Reports

HAMMER_DELAY_S = 0.05  # "retries" at once, whatever retry-after says


def _hammer(
    status: int, headers: Mapping[str, str], retries: int, max_retries: int
) -> float | None:
    return HAMMER_DELAY_S if status == 429 and retries < max_retries else None


class HammeringTurns(HttpTurns):
    """Retries a 429 at once, ignoring its retry-after."""

    async def start(self, endpoints: Any, api: str, reports: Reports) -> None:
        await super().start(endpoints, api, reports)
        assert self.client is not None
        self.client.retry_delay = _hammer  # type: ignore[assignment]


class QuietReports:
    """Passes on the client's reports but its error events: an application never told."""

    def __init__(self, reports: Reports) -> None:
        self.reports = reports

    def report(self, name: str, data: Mapping[str, Any] | None = None) -> None:
        if not name.endswith("Error"):
            self.reports.report(name, data)


class SilentTurns(HttpTurns):
    """Takes a failed or cut answer as if it had completed: no error event."""

    async def start(self, endpoints: Any, api: str, reports: Reports) -> None:
        await super().start(endpoints, api, QuietReports(reports))


TEXT_AND_CALLS = frozenset(  # all a naive Responses client was written for
    {
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.output_item.done",
        "response.content_part.added",
        "response.content_part.done",
        "response.output_text.delta",
        "response.output_text.done",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.completed",
        "response.failed",
        "error",
    }
)


def _unfamiliar(event: Any) -> str | None:
    """What a naive client chokes on: a Responses event type beyond text and function calls,
    a Chat chunk with a refusal or a choice other than the first."""
    if not isinstance(event, dict):
        return None
    if "sequence_number" in event and event.get("type") not in TEXT_AND_CALLS:
        return f"unexpected event {event.get('type')}"
    for choice in event.get("choices") or []:
        if choice.get("index") != 0 or (choice.get("delta") or {}).get("refusal"):
            return "unexpected chunk"
    return None


class StrictTurns(HttpTurns):
    """Fails the answer on an event family it was not written for (its own error event)."""

    async def start(self, endpoints: Any, api: str, reports: Reports) -> None:
        await super().start(endpoints, api, reports)
        client: Any = self.client
        if api == "responses":
            handle = client.handle

            def strict_handle(accumulator: Any, event: Any, text: str) -> bool:
                if (problem := _unfamiliar(event)) is not None:
                    client.failed({"status": 200, "error": {"type": "stream_state",
                                                            "message": problem}})  # fmt: skip
                    return False
                return bool(handle(accumulator, event, text))

            client.handle = strict_handle
        else:
            on_message = client._on_message

            def strict_message(accumulator: Any, message: Any, event: Any) -> bool:
                if (problem := _unfamiliar(event)) is not None:
                    client._failed({"status": 200, "error": {"type": "malformed_stream",
                                                             "message": problem}})  # fmt: skip
                    return False
                return bool(on_message(accumulator, message, event))

            client._on_message = strict_message


def _with(turns: Callable[[], HttpTurns], name: str) -> Callable[[], ReferenceDriver]:
    return lambda: ReferenceDriver(name=f"broken:{name}", http=turns)


never_retries = _with(lambda: HttpTurns(max_retries=0), "never_retries")
ignores_retry_after = _with(HammeringTurns, "ignores_retry_after")
never_resumes = _with(lambda: HttpTurns(resume_attempts=0), "never_resumes")
silent_on_failure = _with(SilentTurns, "silent_on_failure")
dies_on_unfamiliar_events = _with(StrictTurns, "dies_on_unfamiliar_events")

BROKEN_HTTP: dict[str, tuple[Callable[[], ReferenceDriver], str]] = {
    "never_retries": (never_retries, "gives up on a 429 instead of retrying"),
    "ignores_retry_after": (ignores_retry_after, "retries a 429 at once, ignoring retry-after"),
    "never_resumes": (never_resumes, "does not resume a cut Responses stream"),
    "silent_on_failure": (silent_on_failure, "reports no error for a failed or cut answer"),
    "dies_on_unfamiliar_events": (
        dies_on_unfamiliar_events,
        "fails on event families beyond text and function calls (reasoning, tools, refusals, n>1)",
    ),
}
