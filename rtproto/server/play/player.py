"""`ScenarioPlayer`: plays a Realtime scenario as the server's side of one connection.

It implements the `Behaviour` protocol (rtproto/server/realtime/behaviour.py), sans-I/O: the driver
hands it client events with the time and sends what `due(now)` returns.

- Each client event is matched against the rules (rtproto.server.play.rulebook): first match wins,
  `times` and `ordered` are honoured.
- Replies and faults go out through the connection's ReplySender (rtproto.server.play.sender):
  replies serialized, `delay_ms` after their event and `pace_ms` apart; faults at a time or after
  the nth event of a type.
- With `vad:`, appends go to the VAD instead of the rules (rtproto.server.play.listener): its
  events are sent like a reply to the append that completed the decision, and each committed
  turn is offered to the rules as a `vad.turn` pseudo event (unmatched is fine: not every turn
  needs an answer).

The player judges nothing. What it saw that the wire does not show goes out as `Note`s, which
the driver records as meta lines and never sends (rtproto.scenario.notes): the scenario's id, the
rule that took each client event, a client event no rule took with every rule's description
(with `answer_unmatched` also answered with an `error` event), each VAD decision. The checks
judge the transcript (conformance.checks.scenario_rules).

Responses and Chat scenarios are played per HTTP request by rtproto.server.play.http instead.
"""

from __future__ import annotations

from typing import Any

from realtime_conformance.rtproto.events import RealtimeError
from realtime_conformance.rtproto.ids import IdFactory, RandomText
from realtime_conformance.rtproto.scenario.notes import Meta, rule_note, scenario_note
from realtime_conformance.rtproto.scenario.spec import Rule, Scenario
from realtime_conformance.rtproto.server.play.listener import VadListener
from realtime_conformance.rtproto.server.play.rulebook import RuleBook, Unmatched
from realtime_conformance.rtproto.server.play.send_queue import SendQueue
from realtime_conformance.rtproto.server.play.sender import ReplySender
from realtime_conformance.rtproto.server.play.state import (
    DEFAULT_EPOCH_S,
    DEFAULT_MODEL,
    ConnectionState,
)
from realtime_conformance.rtproto.server.realtime.outbox import Note, Outgoing

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
                "with realtime_conformance.rtproto.scenario.HttpScenario"
            )
        self.scenario = scenario
        self.answer_unmatched = answer_unmatched
        noise = RandomText(f"obfuscation-{seed}")  # = random.Random's, cheaper
        vad = scenario.vad.turn_detection() if scenario.vad else None
        self.state = ConnectionState(
            IdFactory(seed), noise, model=model, epoch_s=epoch_s, turn_detection=vad
        )
        self.rules = RuleBook(scenario, self._recall)
        self.sender = ReplySender(scenario, self.state)
        self.listener = VadListener(scenario.vad, self.state) if scenario.vad else None
        self.frame_errors: list[RealtimeError] = []
        self._notes: list[tuple[float, Note]] = []

    @property
    def queue(self) -> SendQueue:
        return self.sender.queue

    @property
    def problems(self) -> list[str]:
        """Expressions that found nothing, with the rule (or on_start) they were in."""
        return self.sender.problems

    # --- Behaviour --------------------------------------------------------------------------

    def start(self, now: float) -> None:
        self._note(scenario_note(self.scenario.id, "realtime"), now)
        if self.listener is not None:
            self._note(self.listener.format_note(), now)
        self.sender.arm(now)
        pace = self.scenario.pace_ms
        self.sender.reply(
            self.scenario.on_start, None, now, delay_ms=0, pace_ms=pace, where="on_start"
        )

    def on_client_event(self, event: Event, now: float) -> None:
        if self.queue.closed:
            return
        self.sender.received(event, now)
        if self.listener is not None and event.get("type") == "input_audio_buffer.append":
            self._listen(event, now)
            return
        if str(event.get("type")) in self.scenario.ignore:
            return
        rule = self.rules.take(event, now)
        if rule is None:
            self._note(self.rules.unmatched[-1].note(), now)
            self._answer_unmatched(event, now)
            return
        self._note(rule_note(rule.index, event.get("type")), now)
        self._reply(rule, event, now)

    def on_frame_error(self, error: RealtimeError, now: float) -> None:
        """Answer as the real server does: an `error` event, the session stays open."""
        self.frame_errors.append(error)
        self.sender.send_now([self.state.builder.error(error)], now)

    def on_client_closed(self, now: float) -> None:
        self.queue.close()

    def due(self, now: float) -> list[Outgoing]:
        """Notes first (taken when their client event came), then what the queue has due."""
        if not self._notes:
            return self.queue.due(now)
        taken = [note for at, note in self._notes if at <= now]
        del self._notes[: len(taken)]
        return [*taken, *self.queue.due(now)]

    def next_deadline(self) -> float | None:
        queued = self.queue.next_deadline()
        if not self._notes:
            return queued
        noted = self._notes[0][0]
        return noted if queued is None else min(noted, queued)

    # --- what the harness reads -------------------------------------------------------------

    def expectations(self) -> tuple[str, ...]:
        """Every rule's description, with where it stands now."""
        return self.rules.expectations()

    def _recall(self, path: str) -> Any:
        """`${last.PATH}` in a rule's `when`: over every event scheduled so far, as when
        replies were built whole (the lazy one is built first)."""
        self.sender.queue.settle()
        return self.state.recall(path)

    def _note(self, meta: Meta, now: float) -> None:
        self._notes.append((now, Note(meta)))

    def _reply(self, rule: Rule, event: Event, now: float) -> None:
        delay = self.scenario.delay_ms if rule.delay_ms is None else rule.delay_ms
        pace = self.scenario.pace_ms if rule.pace_ms is None else rule.pace_ms
        self.sender.reply(rule.reply, event, now, delay_ms=delay, pace_ms=pace, where=rule.label)

    def _listen(self, event: Event, now: float) -> None:
        """An append through the VAD: its events as a reply, each committed turn to the rules."""
        assert self.listener is not None
        self.sender.queue.settle()  # the VAD reads the session and draws ids after the reply
        try:
            heard = self.listener.append(event)
        except RealtimeError as error:
            error.event_id = _event_id(event)
            self.sender.send_now([self.state.builder.error(error)], now)
            return
        delay, pace = self.scenario.delay_ms, self.scenario.pace_ms
        for decision in heard:
            self._note(decision.note, now)
            self.sender.reply(decision.steps, None, now, delay_ms=delay, pace_ms=pace, where="vad")
            if decision.turn is not None:
                rule = self.rules.take(decision.turn, now, required=False)
                if rule is not None:
                    self._note(rule_note(rule.index, decision.turn["type"]), now)
                    self._reply(rule, decision.turn, now)

    def _answer_unmatched(self, event: Event, now: float) -> None:
        if self.answer_unmatched:
            message = f"Scenario {self.scenario.id}: {self.rules.unmatched[-1]}."
            error = RealtimeError(UNMATCHED_CODE, message, event_id=_event_id(event))
            self.sender.send_now([self.state.builder.error(error)], now)


def _event_id(event: Event) -> str | None:
    value = event.get("event_id")
    return value if isinstance(value, str) else None
