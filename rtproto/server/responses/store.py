"""Stored responses: `previous_response_id` chains and `GET /v1/responses/{id}` (also resumed
streams, `?stream=true&starting_after=N`).

A stored response keeps its whole planned stream and when it started, so a retrieval at any time
sees the response as it then is (a background response goes queued → in_progress → completed),
and a resumed stream gets the events after sequence number N: those already due at once, the
rest when they fall due (the recorded resumption starts at `sequence_number` N+1 with no
`response.created`). Its conversation (the chain's items, then this turn's input and output) is
what a response continuing it builds on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from realtime_conformance.rtproto.api_errors import ApiError
from realtime_conformance.rtproto.server.responses.simulated_model import ResponsePlan
from realtime_conformance.rtproto.server.responses.stream import PlannedEvent


@dataclass(frozen=True)
class StoredResponse:
    plan: ResponsePlan
    started_at: float  # when the request arrived (the caller's clock, seconds)
    context: tuple[dict[str, Any], ...]  # the chain's items before this turn

    @property
    def id(self) -> str:
        return self.plan.response_id

    def conversation(self) -> list[dict[str, Any]]:
        """Every item of the chain up to and including this response's output."""
        return [*self.context, *self.plan.items()]

    def response_at(self, now: float) -> dict[str, Any]:
        return self.plan.response_at(now - self.started_at)

    def first_answer(self) -> dict[str, Any]:
        """The non-streaming answer: the final Response, or the queued one in background mode."""
        if self.plan.request.background:
            created: dict[str, Any] = self.plan.events[0].event["response"]
            return created
        return self.plan.final

    def events_after(self, starting_after: int, now: float) -> list[PlannedEvent]:
        """The events after `starting_after`, timed from `now` (already due ones at 0)."""
        elapsed = now - self.started_at
        return [
            PlannedEvent(max(0.0, round(planned.at - elapsed, 6)), planned.event)
            for planned in self.plan.events
            if planned.event["sequence_number"] > starting_after
        ]


def not_found(response_id: str) -> ApiError:
    """Retrieving an unknown response (wording UNVERIFIED)."""
    return ApiError(404, f"Response with id '{response_id}' not found.", param="response_id")


def previous_not_found(response_id: str, status: int = 404) -> ApiError:
    return ApiError(
        status,
        f"Previous response with id '{response_id}' not found.",
        param="previous_response_id",
        code="previous_response_not_found",
    )


class ResponseStore:
    """Responses created with `store: true` (the default), by id."""

    def __init__(self) -> None:
        self._responses: dict[str, StoredResponse] = {}

    def __len__(self) -> int:
        return len(self._responses)

    def __contains__(self, response_id: object) -> bool:
        return response_id in self._responses

    def add(self, stored: StoredResponse) -> None:
        self._responses[stored.id] = stored

    def get(self, response_id: str) -> StoredResponse | None:
        return self._responses.get(response_id)

    def find(self, response_id: str) -> StoredResponse:
        stored = self._responses.get(response_id)
        if stored is None:
            raise not_found(response_id)
        return stored

    def delete(self, response_id: str) -> dict[str, Any]:
        self.find(response_id)
        del self._responses[response_id]
        return {"id": response_id, "object": "response.deleted", "deleted": True}
