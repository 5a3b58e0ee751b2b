"""Deliberately broken variants of the reference Responses and Chat clients: each is the
reference driver with one HTTP habit changed, so the suite can show that the 9.x cases catch
it. `--client conformance.clients.broken_http:NAME` loads one; `BROKEN_HTTP` lists them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from conformance.drivers.reference import ReferenceDriver
from refclient.driver_http import HttpTurns, Reports

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


def _with(turns: Callable[[], HttpTurns], name: str) -> Callable[[], ReferenceDriver]:
    return lambda: ReferenceDriver(name=f"broken:{name}", http=turns)


never_retries = _with(lambda: HttpTurns(max_retries=0), "never_retries")
ignores_retry_after = _with(HammeringTurns, "ignores_retry_after")
never_resumes = _with(lambda: HttpTurns(resume_attempts=0), "never_resumes")
silent_on_failure = _with(SilentTurns, "silent_on_failure")

BROKEN_HTTP: dict[str, tuple[Callable[[], ReferenceDriver], str]] = {
    "never_retries": (never_retries, "gives up on a 429 instead of retrying"),
    "ignores_retry_after": (ignores_retry_after, "retries a 429 at once, ignoring retry-after"),
    "never_resumes": (never_resumes, "does not resume a cut Responses stream"),
    "silent_on_failure": (silent_on_failure, "reports no error for a failed or cut answer"),
}
