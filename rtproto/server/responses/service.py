"""The Responses endpoints' logic, sans-I/O: what `POST /v1/responses` and
`GET /v1/responses/{id}` answer. The HTTP driver parses the body, calls these with the time, and
writes what comes back (SSE frames via rtproto.sse, or JSON); an ApiError becomes its status and
body.

Determinism: each request's Simulation is seeded from the service seed, the body, and how many
identical bodies came before, so a fresh service fed the same requests streams the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from realtime_conformance.rtproto.api_errors import ApiError
from realtime_conformance.rtproto.server.responses.request import (
    CreateRequest,
    parse_create_request,
)
from realtime_conformance.rtproto.server.responses.simulated_model import (
    ResponsePlan,
    SimulatedModel,
)
from realtime_conformance.rtproto.server.responses.store import (
    ResponseStore,
    StoredResponse,
    previous_not_found,
)
from realtime_conformance.rtproto.server.responses.stream import Pacing, PlannedEvent
from realtime_conformance.rtproto.server.simulation import SeedSequence, Simulation

# previous_response_id -> the stored response, or None: where a caller looks responses up first
# (the WebSocket mode's connection-local cache holds responses even with `store: false`)
Lookup = Callable[[str], StoredResponse | None]


def call_ids(items: list[dict[str, Any]], kind: str) -> set[str]:
    return {str(item.get("call_id")) for item in items if item.get("type") == kind}


def check_tool_outputs(request: CreateRequest, context: list[dict[str, Any]]) -> None:
    """A tool output must answer a call of the conversation (wording from public issues)."""
    items = [*context, *request.input_items]
    for output_kind, call_kind in (
        ("function_call_output", "function_call"),
        ("custom_tool_call_output", "custom_tool_call"),
    ):
        unanswered = call_ids(request.input_items, output_kind) - call_ids(items, call_kind)
        if unanswered:
            call_id = sorted(unanswered)[0]
            message = f"No tool call found for function call output with call_id {call_id}."
            raise ApiError(400, message, param="input")


class ResponsesService:
    """Creates, stores and retrieves simulated responses."""

    def __init__(
        self, seed: int | str = 0, pacing: Pacing | None = None, store: ResponseStore | None = None
    ) -> None:
        self.seeds = SeedSequence(seed)
        self.model = SimulatedModel(pacing)
        self.store = store if store is not None else ResponseStore()

    def simulation_for(self, body: dict[str, Any]) -> Simulation:
        return self.seeds.simulation_for(body)

    def create(
        self,
        body: dict[str, Any],
        now: float,
        *,
        lookup: Lookup | None = None,
        websocket: bool = False,
        reply: str | None = None,
        generate: bool = True,
        fail: bool = False,
    ) -> StoredResponse:
        """Validate, answer and (with `store`) keep a response; raises ApiError when invalid.

        `reply` and `fail` let a scenario script the answer (see SimulatedModel.plan).
        """
        request = parse_create_request(body, websocket=websocket)
        context = self.context_for(request, lookup)
        check_tool_outputs(request, context)
        sim = self.simulation_for(body)
        plan = self.model.plan(
            request,
            sim,
            created_at=int(now),
            context=context,
            reply=reply,
            generate=generate,
            fail=fail,
        )
        stored = StoredResponse(plan, now, tuple(context))
        if request.store:
            self.store.add(stored)
        return stored

    def context_for(
        self, request: CreateRequest, lookup: Lookup | None = None
    ) -> list[dict[str, Any]]:
        previous_id = request.previous_response_id
        if previous_id is None:
            return []
        previous = (lookup(previous_id) if lookup else None) or self.store.get(previous_id)
        if previous is None:
            raise previous_not_found(previous_id)
        return previous.conversation()

    def retrieve(self, response_id: str, now: float) -> dict[str, Any]:
        """`GET /v1/responses/{id}`: the Response as it is at `now`."""
        return self.store.find(response_id).response_at(now)

    def resume(
        self, response_id: str, starting_after: int | None, now: float
    ) -> list[PlannedEvent]:
        """`GET /v1/responses/{id}?stream=true&starting_after=N`: the stream's events after N."""
        after = -1 if starting_after is None else starting_after
        return self.store.find(response_id).events_after(after, now)

    def plan_of(self, response_id: str) -> ResponsePlan:
        return self.store.find(response_id).plan
