"""`ScenarioPlayer`: plays a Realtime scenario as the server's side of one connection.

It implements the `Behaviour` protocol (rtproto/realtime/behaviour.py), sans-I/O: the driver
hands it client events with the time and sends what `due(now)` returns.

- Each client event is matched against the rules (rtproto.scenario.rulebook): first match wins,
  `times` and `ordered` are honoured.
- Replies and faults go out through the connection's Outlet (rtproto.scenario.outlet): replies
  serialized, `delay_ms` after their event and `pace_ms` apart; faults at a time or after the
  nth event of a type.
- A client event no rule takes is recorded in `unmatched` with every rule's description (and,
  with `answer_unmatched`, answered with an `error` event).

Responses and Chat scenarios are played per HTTP request by rtproto.scenario.http instead.
"""

from __future__ import annotations

import random
from typing import Any

from rtproto.events import RealtimeError
from rtproto.ids import IdFactory
from rtproto.realtime.outbox import Outgoing
from rtproto.scenario.model import Scenario
from rtproto.scenario.outlet import Outlet
from rtproto.scenario.rulebook import RuleBook, Unmatched
from rtproto.scenario.state import DEFAULT_EPOCH_S, DEFAULT_MODEL, ConnectionState
from rtproto.scenario.wire import Wire

Event = dict[str, Any]
UNMATCHED_CODE = "mock_unexpected_event"  # not a real API code: only the mock sends it

__all__ = ["UNMATCHED_CODE", "ScenarioPlayer", "Unmatched"]


class ScenarioPlayer:
    def __init__(
        self,
        scenario: Scenario,
        seed: int = 0,
        *,
        answer_unmatched: bool = False,
        model: str = DEFAULT_MODEL,
        epoch_s: int = DEFAULT_EPOCH_S,
    ) -> None:
        if scenario.api != "realtime":
            raise ValueError(
                f"scenario {scenario.id} is for api {scenario.api}: play it per HTTP request "
                "with rtproto.scenario.HttpScenario"
            )
        self.scenario = scenario
        self.answer_unmatched = answer_unmatched
        noise = random.Random(f"obfuscation-{seed}")
        self.state = ConnectionState(IdFactory(seed), noise, model=model, epoch_s=epoch_s)
        self.rules = RuleBook(scenario, self.state.recall)
        self.outlet = Outlet(scenario, self.state)
        self.frame_errors: list[RealtimeError] = []

    @property
    def wire(self) -> Wire:
        return self.outlet.wire

    @property
    def unmatched(self) -> list[Unmatched]:
        return self.rules.unmatched

    @property
    def problems(self) -> list[str]:
        """Expressions that found nothing, with the rule (or on_start) they were in."""
        return self.outlet.problems

    # --- Behaviour --------------------------------------------------------------------------

    def start(self, now: float) -> None:
        self.outlet.arm(now)
        pace = self.scenario.pace_ms
        self.outlet.reply(
            self.scenario.on_start, None, now, delay_ms=0, pace_ms=pace, where="on_start"
        )

    def on_client_event(self, event: Event, now: float) -> None:
        if self.wire.closed:
            return
        self.outlet.received(event, now)
        if str(event.get("type")) in self.scenario.ignore:
            return
        rule = self.rules.take(event, now)
        if rule is None:
            self._answer_unmatched(event, now)
            return
        delay = self.scenario.delay_ms if rule.delay_ms is None else rule.delay_ms
        pace = self.scenario.pace_ms if rule.pace_ms is None else rule.pace_ms
        self.outlet.reply(rule.reply, event, now, delay_ms=delay, pace_ms=pace, where=rule.label)

    def on_frame_error(self, error: RealtimeError, now: float) -> None:
        """Answer as the real server does: an `error` event, the session stays open."""
        self.frame_errors.append(error)
        self.outlet.send_now([self.state.builder.error(error)], now)

    def on_client_closed(self, now: float) -> None:
        self.wire.close()

    def due(self, now: float) -> list[Outgoing]:
        return self.wire.due(now)

    def next_deadline(self) -> float | None:
        return self.wire.next_deadline()

    # --- what the harness reads -------------------------------------------------------------

    def unmet(self) -> list[str]:
        """Rules with a finite `times` that matched fewer events than that."""
        return self.rules.unmet()

    def expectations(self) -> tuple[str, ...]:
        """Every rule's description, with where it stands now."""
        return self.rules.expectations()

    def _answer_unmatched(self, event: Event, now: float) -> None:
        if self.answer_unmatched:
            message = f"Scenario {self.scenario.id}: {self.unmatched[-1]}."
            error = RealtimeError(UNMATCHED_CODE, message, event_id=_event_id(event))
            self.outlet.send_now([self.state.builder.error(error)], now)


def _event_id(event: Event) -> str | None:
    value = event.get("event_id")
    return value if isinstance(value, str) else None
