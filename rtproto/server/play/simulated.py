"""The `simulate` step: the simulated model's own stream for the request, as a recording.

What the Realtime templates are to a Realtime scenario, this is to a Responses or Chat one: a
whole, valid stream shaped by the request (its tools, response format, `n`, logprobs...) from
the simulated models (rtproto.server.responses.simulated_model,
rtproto.server.chat.simulated_model), with the scenario's `text`
in place of the generated answer when given. The model's own timing becomes the events'
`t_ms`, so `timing: planned` keeps it and `timing: paced` uses pace_ms instead; a Chat stream
ends with `[DONE]` as the model ends it (not after a failure). An invalid request body raises
the ApiError the simulated model answers for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from realtime_conformance.rtproto.catalogue import Api
from realtime_conformance.rtproto.scenario.recording import Recording, ReplayedEvent
from realtime_conformance.rtproto.server.chat.request import parse_chat_request
from realtime_conformance.rtproto.server.chat.simulated_model import ChatModel
from realtime_conformance.rtproto.server.pacing import PlannedEvent
from realtime_conformance.rtproto.server.responses.request import parse_create_request
from realtime_conformance.rtproto.server.responses.simulated_model import SimulatedModel
from realtime_conformance.rtproto.server.simulation import Simulation, request_seed

Event = dict[str, Any]


def _recording(planned: Sequence[PlannedEvent], done: bool) -> Recording:
    events = tuple(ReplayedEvent(0, p.at * 1000, p.event) for p in planned)
    last = planned[-1].at * 1000 if events else 0.0
    return Recording(events, done=done, done_t_ms=last)


def simulated_stream(
    api: Api, request: Event, text: str | None, seed: str, created: int
) -> Recording:
    """The stream the simulated model of `api` plans for `request` (a pseudo client event)."""
    body = {key: value for key, value in request.items() if key != "type"}
    sim = Simulation(request_seed(seed, body))
    if api == "chat":
        chat = ChatModel().plan(parse_chat_request(body), sim, created=created, reply=text)
        return _recording(chat.chunks, chat.ends_with_done)
    plan = SimulatedModel().plan(parse_create_request(body), sim, created_at=created, reply=text)
    return _recording(plan.events, done=False)
