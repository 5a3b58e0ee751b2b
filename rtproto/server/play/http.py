"""Responses and Chat Completions scenarios, played per HTTP request, sans-I/O.

One `HttpScenario` plays one scenario for as long as the driver keeps it selected: its rules'
`times` and `ordered`, `unmatched` and `${last...}` carry over from request to request, so a
scenario can script a conversation turn by turn. Each request gets its own `ScenarioStream`:

    scenario = HttpScenario(load_scenario(path), seed=1)
    stream = scenario.open(body, now)     # the parsed JSON body of POST /v1/responses or
                                          # /v1/chat/completions; raises UnmatchedRequest (an
                                          # ApiError, 400) when no rule takes it: record its
                                          # `notes`, then answer that error instead
    while not stream.finished:            # sleep until stream.next_deadline(), then
        for item in stream.due(now): ...  # write each item (see below)

What comes out, in order, per item:

- `Note(meta)`: first, what the player noted of the request (rtproto.scenario.notes: the
  scenario and the request's number, the rule that took it): a meta line for the transcript,
  never sent.
- `Send(event)`: one SSE message; Responses `event: <type>` + `data: <json>`, Chat `data: <json>`
  (a Chat `{"error": {...}}` chunk too).
- `SendRaw(text)`: one `data: <text>` line as written: a malformed frame, a raw step, and
  Chat's end marker `SendRaw("[DONE]")`, which the stream sends itself (a Chat reply ends with
  it unless it replays a transcript, which ends as recorded, simulates, which ends as the model
  does, or sends a raw `[DONE]` itself).
- `Close`: the stream is over: end the body. It comes last in every stream: after the reply, or
  where a `drop` (or an error) fault cut it short. Its code and reason mean nothing over HTTP.
- `Abort`: the stream is over: drop the connection mid-body.

`finished` turns true once a Close or Abort went out; if the client goes away first, call
`client_closed()`. `next_deadline()` is None only when the stream is finished.
"""

from __future__ import annotations

from typing import Any

from realtime_conformance.rtproto.api_errors import ApiError
from realtime_conformance.rtproto.ids import IdFactory, RandomText
from realtime_conformance.rtproto.scenario.names import HTTP_APIS, request_event
from realtime_conformance.rtproto.scenario.notes import rule_note, scenario_note
from realtime_conformance.rtproto.scenario.spec import (
    RawStep,
    ReplayStep,
    Rule,
    Scenario,
    SimulateStep,
    Step,
)
from realtime_conformance.rtproto.server.play.faults import END_OF_STREAM
from realtime_conformance.rtproto.server.play.player import UNMATCHED_CODE
from realtime_conformance.rtproto.server.play.rulebook import RuleBook
from realtime_conformance.rtproto.server.play.sender import ReplySender
from realtime_conformance.rtproto.server.play.state import DEFAULT_EPOCH_S, ConnectionState
from realtime_conformance.rtproto.server.realtime.outbox import Note, Outgoing, SendRaw
from realtime_conformance.rtproto.sse import DONE

Event = dict[str, Any]
DEFAULT_HTTP_MODEL = "gpt-4o"  # for made-up chunk heads when a request names no model


def _sends_its_own_done(steps: tuple[Step, ...]) -> bool:
    """A replay ends as recorded and the simulated model as it ends its streams."""
    return any(
        isinstance(step, ReplayStep | SimulateStep)
        or (isinstance(step, RawStep) and step.text == DONE)
        for step in steps
    )


class UnmatchedRequest(ApiError):
    """No rule takes the request: the 400 to answer, and the notes to record before it."""

    def __init__(self, message: str, notes: list[Note]) -> None:
        super().__init__(400, message, code=UNMATCHED_CODE)
        self.notes = notes


class ScenarioStream:
    """The server's side of one HTTP request under a scenario."""

    def __init__(
        self, sender: ReplySender, request: Event, rule: Rule, notes: list[Note], opened_at: float
    ) -> None:
        self.sender = sender
        self.request = request  # the pseudo client event the rules saw
        self.rule = rule
        self._notes = notes  # due at once: the request's, taken when it came
        self._opened_at = opened_at

    @property
    def finished(self) -> bool:
        """Whether the stream is over: a Close or Abort went out (or the client left)."""
        return self.sender.queue.closed

    @property
    def problems(self) -> list[str]:
        return self.sender.problems

    def due(self, now: float) -> list[Outgoing]:
        notes, self._notes = self._notes, []
        return [*notes, *self.sender.queue.due(now)]

    def next_deadline(self) -> float | None:
        return self._opened_at if self._notes else self.sender.queue.next_deadline()

    def client_closed(self) -> None:
        self.sender.queue.close()


class HttpScenario:
    def __init__(
        self,
        scenario: Scenario,
        seed: int = 0,
        *,
        model: str = DEFAULT_HTTP_MODEL,
        epoch_s: int = DEFAULT_EPOCH_S,
    ) -> None:
        if scenario.api not in HTTP_APIS:
            raise ValueError(
                f"scenario {scenario.id} is for api {scenario.api}: play it per connection "
                "with realtime_conformance.rtproto.scenario.ScenarioPlayer"
            )
        self.scenario = scenario
        noise = RandomText(f"obfuscation-{seed}")  # = random.Random's, cheaper
        self.state = ConnectionState(IdFactory(seed), noise, model=model, epoch_s=epoch_s)
        self.rules = RuleBook(scenario, self.state.recall)
        self.requests = 0

    def expectations(self) -> tuple[str, ...]:
        return self.rules.expectations()

    def open(self, body: dict[str, Any], now: float) -> ScenarioStream:
        """The stream that answers one request; UnmatchedRequest (400) when no rule takes it."""
        self.requests += 1
        request = request_event(self.scenario.api, body)
        sender = ReplySender(self.scenario, self.state, request)
        sender.arm(now)
        sender.received(request, now)
        rule = self.rules.take(request, now)
        notes = [Note(scenario_note(self.scenario.id, self.scenario.api, self.requests))]
        if rule is None:
            unmatched = self.rules.unmatched[-1]
            message = f"Scenario {self.scenario.id}: {unmatched}."
            raise UnmatchedRequest(message, [*notes, Note(unmatched.note())])
        notes.append(Note(rule_note(rule.index, request["type"])))
        delay = self.scenario.delay_ms if rule.delay_ms is None else rule.delay_ms
        pace = self.scenario.pace_ms if rule.pace_ms is None else rule.pace_ms
        where = f"request {self.requests}, {rule.label}"
        last = sender.reply_whole(
            rule.reply, request, now, delay_ms=delay, pace_ms=pace, where=where
        )
        if self.scenario.api == "chat" and not _sends_its_own_done(rule.reply):
            sender.queue.schedule(last, SendRaw(DONE))
        sender.queue.schedule(last, END_OF_STREAM)
        return ScenarioStream(sender, request, rule, notes, now)
