"""The simulated Responses model: a request in, the whole timed stream of its response out.

`SimulatedModel.plan` writes every event of the response (rtproto.server.responses.choice says
what it answers), each stamped with when it is due, as the events are read (LazyEvents: a stream
builds each event as it goes out); the terminal event's Response object is also the
non-streaming answer. Lifecycle: `response.created` → (`response.queued`, background) →
`response.in_progress` → output items → exactly one of `response.completed`,
`response.incomplete`, `response.failed` (after an `error` event).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from realtime_conformance.rtproto.server.lazy_events import LazyEvents
from realtime_conformance.rtproto.server.responses.choice import Decision, decide
from realtime_conformance.rtproto.server.responses.composer import Composer, Written
from realtime_conformance.rtproto.server.responses.objects import (
    count_input_tokens,
    response_object,
    usage_object,
)
from realtime_conformance.rtproto.server.responses.request import CreateRequest
from realtime_conformance.rtproto.server.responses.stream import (
    Output,
    Pacing,
    PlannedEvent,
    Steps,
    StreamWriter,
    written,
)
from realtime_conformance.rtproto.server.simulation import Simulation

SERVER_ERROR = "The server had an error while processing your request. Sorry about that!"
TERMINAL_EVENTS = ("response.completed", "response.incomplete", "response.failed")


@dataclass(frozen=True)
class ResponsePlan:
    """One response: its request, id, and every event of its stream with when it is due."""

    request: CreateRequest
    response_id: str
    created_at: int
    events: Sequence[PlannedEvent]  # LazyEvents as planned: built as they are read

    @property
    def final(self) -> dict[str, Any]:
        """The terminal Response object (also the non-streaming answer)."""
        terminal = next(p for p in reversed(self.events) if p.event["type"] in TERMINAL_EVENTS)
        response: dict[str, Any] = terminal.event["response"]
        return response

    @property
    def status(self) -> str:
        return str(self.final["status"])

    @property
    def duration(self) -> float:
        return self.events[-1].at

    def items(self) -> list[dict[str, Any]]:
        """This turn's conversation items: the request's input, then the response's output."""
        return [*self.request.input_items, *self.final["output"]]

    def response_at(self, elapsed: float) -> dict[str, Any]:
        """The Response object as a retrieval `elapsed` seconds after the request would see it."""
        latest = self.events[0].event["response"]
        for planned in self.events:
            if planned.at > elapsed:
                break
            latest = planned.event.get("response", latest)
        return dict(latest)


class SimulatedModel:
    """Answers requests deterministically: the same Simulation seed, the same stream."""

    def __init__(self, pacing: Pacing | None = None) -> None:
        self.pacing = pacing or Pacing()

    def plan(
        self,
        request: CreateRequest,
        sim: Simulation,
        *,
        created_at: int,
        context: Sequence[dict[str, Any]] = (),
        reply: str | None = None,
        generate: bool = True,
        fail: bool = False,
    ) -> ResponsePlan:
        """The response to `request`, given the earlier turns' items (`context`).

        `reply` replaces the generated text of the final message; `fail` makes it fail whatever
        the input says; `generate=False` (WebSocket mode's warm-up) completes with no output.
        """
        writer = StreamWriter(sim, self.pacing, obfuscate=request.obfuscate)
        response_id = sim.hex_id("resp")
        base = partial(response_object, request, response_id=response_id, created_at=created_at)
        decision = Decision("fail") if fail else decide(request)
        decision = decision if generate else Decision("nothing")
        steps = _response(writer, base, decision, Composer(Output(writer), request, context, reply))
        return ResponsePlan(request, response_id, created_at, LazyEvents(written(steps, writer)))


def _response(
    writer: StreamWriter, base: partial[dict[str, Any]], decision: Decision, composer: Composer
) -> Steps:
    """Every event of the response, from `response.created` to its terminal event, written as
    they are taken (the response's Simulation is its own: nothing else draws from it)."""
    _start(writer, base, composer.request.background)
    if decision.kind == "fail":
        _fail(writer, base)
        return
    result = yield from composer.write(decision)
    request, out = composer.request, composer.out
    tokens = count_input_tokens(request.instructions, [*composer.context, *request.input_items])
    _end(writer, base, out, result, tokens)


def _start(writer: StreamWriter, base: partial[dict[str, Any]], background: bool) -> None:
    writer.emit("response.created", response=base(status="queued" if background else "in_progress"))
    if background:
        writer.emit("response.queued", response=base(status="queued"))
        writer.wait(writer.pacing.queue_s)
    writer.emit("response.in_progress", response=base(status="in_progress"))
    writer.wait(writer.pacing.first_output_s)


def _end(
    writer: StreamWriter,
    base: partial[dict[str, Any]],
    out: Output,
    written: Written,
    input_tokens: int,
) -> None:
    """The terminal event: `response.completed`, or `response.incomplete` when cut short."""
    output_tokens = out.tokens + written.reasoning_tokens
    usage = usage_object(input_tokens, output_tokens, written.reasoning_tokens)
    if written.incomplete:
        response = base(status="incomplete", output=out.items, usage=usage,
                        incomplete_reason="max_output_tokens")  # fmt: skip
        writer.emit("response.incomplete", response=response)
        return
    ended = base.keywords["created_at"] + max(1, math.ceil(writer.clock))
    response = base(status="completed", output=out.items, usage=usage, completed_at=ended)
    writer.emit("response.completed", response=response)


def _fail(writer: StreamWriter, base: partial[dict[str, Any]]) -> None:
    """The wire's nested `error` plus the SDK's flat fields, so both readings accept it."""
    details = {
        "type": "server_error",
        "code": "server_error",
        "message": SERVER_ERROR,
        "param": None,
    }
    writer.emit("error", error=details, code="server_error", message=SERVER_ERROR, param=None)
    error = {"code": "server_error", "message": SERVER_ERROR}
    writer.emit("response.failed", response=base(status="failed", error=error))
