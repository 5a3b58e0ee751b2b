"""`ScenarioPlayer`: plays a Realtime scenario as the server's side of one connection.

It implements the `Behaviour` protocol (rtproto/server/realtime/behaviour.py), sans-I/O: the driver
hands it client events with the time and sends what `due(now)` returns.

- Each client event is matched against the rules (rtproto.server.play.rulebook): first match wins,
  `times` and `ordered` are honoured.
- Replies and faults go out through the connection's ReplySender (rtproto.server.play.sender):
replies
  serialized, `delay_ms` after their event and `pace_ms` apart; faults at a time or after the
  nth event of a type.
- A client event no rule takes is recorded in `unmatched` with every rule's description (and,
  with `answer_unmatched`, answered with an `error` event).
- With `vad:`, appends go to the VAD instead of the rules (rtproto.server.play.listener): its
  events are sent like a reply to the append that completed the decision, and each committed
  turn is offered to the rules as a `vad.turn` pseudo event (unmatched is fine: not every turn
  needs an answer). `vad_verdicts()` judges the detected turns against `expect_vad`.

Responses and Chat scenarios are played per HTTP request by rtproto.server.play.http instead.
"""

from __future__ import annotations

import random
from typing import Any

from rtproto.events import RealtimeError
from rtproto.ids import IdFactory
from rtproto.scenario.caller import caller_audio
from rtproto.scenario.spec import ExpectedTurn, Rule, Scenario
from rtproto.scenario.verdicts import VadVerdict, judge_turns
from rtproto.server.play.listener import VadListener
from rtproto.server.play.rulebook import RuleBook, Unmatched
from rtproto.server.play.send_queue import SendQueue
from rtproto.server.play.sender import ReplySender
from rtproto.server.play.state import DEFAULT_EPOCH_S, DEFAULT_MODEL, ConnectionState
from rtproto.server.realtime.outbox import Outgoing

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
        vad = scenario.vad.turn_detection() if scenario.vad else None
        self.state = ConnectionState(
            IdFactory(seed), noise, model=model, epoch_s=epoch_s, turn_detection=vad
        )
        self.rules = RuleBook(scenario, self.state.recall)
        self.sender = ReplySender(scenario, self.state)
        self.listener = VadListener(scenario.vad, self.state) if scenario.vad else None
        self.frame_errors: list[RealtimeError] = []

    @property
    def queue(self) -> SendQueue:
        return self.sender.queue

    @property
    def unmatched(self) -> list[Unmatched]:
        return self.rules.unmatched

    @property
    def problems(self) -> list[str]:
        """Expressions that found nothing, with the rule (or on_start) they were in."""
        return self.sender.problems

    # --- Behaviour --------------------------------------------------------------------------

    def start(self, now: float) -> None:
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
            self._answer_unmatched(event, now)
            return
        self._reply(rule, event, now)

    def on_frame_error(self, error: RealtimeError, now: float) -> None:
        """Answer as the real server does: an `error` event, the session stays open."""
        self.frame_errors.append(error)
        self.sender.send_now([self.state.builder.error(error)], now)

    def on_client_closed(self, now: float) -> None:
        self.queue.close()

    def due(self, now: float) -> list[Outgoing]:
        return self.queue.due(now)

    def next_deadline(self) -> float | None:
        return self.queue.next_deadline()

    # --- what the harness reads -------------------------------------------------------------

    def unmet(self) -> list[str]:
        """Rules with a finite `times` that matched fewer events than that, then the VAD turns
        of `expect_vad` not met (as the verdicts word them)."""
        failed = [str(verdict) for verdict in self.vad_verdicts() if not verdict.met]
        return self.rules.unmet() + failed + (self._format_note() if failed else [])

    def vad_verdicts(self) -> list[VadVerdict]:
        """`expect_vad` judged on the turns detected so far ([] without expect_vad)."""
        expectation = self.scenario.expect_vad
        if expectation is None or self.listener is None:
            return []
        listener = self.listener
        expected = self.expected_turns()
        return judge_turns(expected, listener.turns, expectation.tolerance_ms, listener.audio_ms)

    def expected_turns(self) -> tuple[ExpectedTurn, ...]:
        """The turns `expect_vad` expects: listed, or (auto) those of the caller's audio."""
        expectation = self.scenario.expect_vad
        if expectation is None:
            return ()
        if isinstance(expectation.turns, tuple):
            return expectation.turns
        return caller_audio(self.scenario).expected  # AUTO

    def expectations(self) -> tuple[str, ...]:
        """Every rule's description, with where it stands now."""
        return self.rules.expectations()

    def _format_note(self) -> list[str]:
        """Audio decoded in another format than the caller's reads as noise: say so."""
        caller, listener = self.scenario.caller, self.listener
        if caller is None or listener is None or listener.buffer.fmt == caller.fmt:
            return []
        heard, spoken = listener.buffer.fmt.beta_name, caller.fmt.beta_name
        return [
            f"the session's input audio format is {heard} but the caller's audio is {spoken}: "
            f"the VAD decoded the client's appends as {heard}"
        ]

    def _reply(self, rule: Rule, event: Event, now: float) -> None:
        delay = self.scenario.delay_ms if rule.delay_ms is None else rule.delay_ms
        pace = self.scenario.pace_ms if rule.pace_ms is None else rule.pace_ms
        self.sender.reply(rule.reply, event, now, delay_ms=delay, pace_ms=pace, where=rule.label)

    def _listen(self, event: Event, now: float) -> None:
        """An append through the VAD: its events as a reply, each committed turn to the rules."""
        assert self.listener is not None
        try:
            heard = self.listener.append(event)
        except RealtimeError as error:
            error.event_id = _event_id(event)
            self.sender.send_now([self.state.builder.error(error)], now)
            return
        delay, pace = self.scenario.delay_ms, self.scenario.pace_ms
        for decision in heard:
            self.sender.reply(decision.steps, None, now, delay_ms=delay, pace_ms=pace, where="vad")
            if decision.turn is not None:
                rule = self.rules.take(decision.turn, now, required=False)
                if rule is not None:
                    self._reply(rule, decision.turn, now)

    def _answer_unmatched(self, event: Event, now: float) -> None:
        if self.answer_unmatched:
            message = f"Scenario {self.scenario.id}: {self.unmatched[-1]}."
            error = RealtimeError(UNMATCHED_CODE, message, event_id=_event_id(event))
            self.sender.send_now([self.state.builder.error(error)], now)


def _event_id(event: Event) -> str | None:
    value = event.get("event_id")
    return value if isinstance(value, str) else None
