"""A client written from the scenario rules: it plays a scenario against the ScenarioPlayer by
sending, rule by rule, what each rule expects (and the caller's audio at the first `vad.turn`
rule), on a virtual clock. Used by the catalogue tests and by tests of scenario judgement."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from realtime_conformance.rtproto.scenario import Scenario
from realtime_conformance.rtproto.scenario.caller import CallerAudio, caller_audio
from realtime_conformance.rtproto.scenario.expressions import Expression, Resolver
from realtime_conformance.rtproto.scenario.matchers import MISSING, lookup
from realtime_conformance.rtproto.scenario.names import VAD_TURN
from realtime_conformance.rtproto.scenario.rule_events import client_event_for, expected_types
from realtime_conformance.rtproto.server.play import ScenarioPlayer
from realtime_conformance.rtproto.server.realtime.outbox import Outgoing
from tests.support.virtual_clock import BehaviourClock
from tests.support.virtual_clock import events as events_of

UNKNOWN_TYPE = "nope"  # what a rule without a `type` matcher gets (the p08 capture's bad event)
STEP_S = 0.1  # between two client events of the script


@dataclass
class Run:
    """One scenario played against a client that sends, rule by rule, what each rule expects."""

    player: ScenarioPlayer
    clock: BehaviourClock[ScenarioPlayer] = field(init=False)

    def __post_init__(self) -> None:
        self.clock = BehaviourClock(self.player)

    @property
    def now(self) -> float:
        return self.clock.now

    @property
    def timed(self) -> list[tuple[float, Outgoing]]:
        """Everything the player sent, with the virtual time it was sent at."""
        return self.clock.sent

    @property
    def sent(self) -> list[Outgoing]:
        return [item for _, item in self.clock.sent]

    def pump(self) -> None:
        """Send what comes due, deadline by deadline, until nothing is pending."""
        self.clock.run_out()

    def events(self) -> list[dict[str, Any]]:
        return events_of(self.clock.sent)

    def recall(self, expression: Expression) -> Any:
        """`${last.PATH}` as the client sees it: in the latest event it received that has it."""
        if expression.root != "last":
            return MISSING
        found = (lookup(event, expression.argument) for event in reversed(self.events()))
        return next((value for value in found if value is not MISSING), MISSING)

    def send(self, event: dict[str, Any]) -> None:
        self.clock.send(event, self.now + STEP_S)
        self.pump()

    def speak(self, audio: CallerAudio) -> None:
        """Append the caller's audio in real time: each chunk when its last sample is spoken."""
        start = self.now + STEP_S
        for chunk in audio.chunks:
            self.clock.send(chunk.append_event(), start + chunk.end_ms / 1000)
        self.pump()


def in_callers_format(scenario: Scenario, event: dict[str, Any]) -> dict[str, Any]:
    """A session.update says the input format the client appends the caller's audio in."""
    if scenario.caller is None or event.get("type") != "session.update":
        return event
    session = event.setdefault("session", {"type": "realtime"})
    session.setdefault("audio", {}).setdefault("input", {})["format"] = scenario.caller.fmt.ga()
    return event


def play(scenario: Scenario, make_player: type[ScenarioPlayer] = ScenarioPlayer) -> Run:
    """Rule by rule, what each expects; at the first `vad.turn` rule, the caller's audio (the
    turns it makes take the `vad.turn` rules). `make_player`: a ScenarioPlayer class (one that
    records a transcript, say)."""
    run = Run(make_player(scenario, seed=7))
    run.clock.start(0.0)
    run.pump()
    number, spoken = 0, False
    for rule in scenario.rules:
        if VAD_TURN in expected_types(rule):
            if not spoken:
                run.speak(caller_audio(scenario))
            spoken = True
            continue
        for _ in range(rule.limit or 1):
            event = in_callers_format(scenario, client_event_for(rule, Resolver(run.recall)))
            number += 1
            run.send({"type": UNKNOWN_TYPE, **event, "event_id": f"event_client_{number:04d}"})
    return run
