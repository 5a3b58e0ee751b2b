"""Which channels a scenario exercises, and the catalogue's coverage table (channel x dialect).

A scenario exercises the client event types its rules expect (a `type` matcher: eq or any_of)
and the server event types it can send: its templates, expanded with a context whose client
event is built from the rule's matchers; its literal events; and the `error` that an error or
expire_session fault sends. Replies are expanded in rule order through one ConnectionState, so
`${last...}` finds what an earlier reply produced, as it does when the scenario plays.

Steps are expanded through rtproto.scenario.steps, the one dispatch the player uses too, so a new
kind of step cannot go uncounted.

That is the GA view. The beta view translates every event with rtproto.dialects.to_beta, whole
rather than by name, so GA bookkeeping with no beta counterpart (`conversation.item.done`, a
transcription session's `session.created`) drops out and a transcription session's
`session.update(d)` becomes `transcription_session.update(d)`.

A scenario with `vad:` exercises `input_audio_buffer.append` and what a VAD turn sends
(speech_started, speech_stopped, committed, the user item), before the reply of each `vad.turn`
rule; `vad.turn` itself is ours, not a channel.

The client events come from rtproto.scenario.rule_events (`client_event_for`, `expected_types`).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from realtime_conformance.rtproto.catalogue import load_catalogue
from realtime_conformance.rtproto.dialects import to_beta
from realtime_conformance.rtproto.ids import IdFactory
from realtime_conformance.rtproto.scenario.expressions import Resolver
from realtime_conformance.rtproto.scenario.names import PSEUDO_TYPES, VAD_TURN
from realtime_conformance.rtproto.scenario.notes import DetectedTurn
from realtime_conformance.rtproto.scenario.rule_events import client_event_for, expected_types
from realtime_conformance.rtproto.scenario.spec import (
    ErrorFault,
    EventStep,
    ExpireSession,
    RawStep,
    ReplayStep,
    Scenario,
    SimulateStep,
    Step,
    TemplateStep,
    WaitStep,
)
from realtime_conformance.rtproto.scenario.steps import expand_step, reply_resolver
from realtime_conformance.rtproto.server.play.listener import (
    started_steps,
    stopped_steps,
    turn_event,
)
from realtime_conformance.rtproto.server.play.state import ConnectionState, TemplateContext
from realtime_conformance.rtproto.server.play.templates import expand

Event = dict[str, Any]
Resolve = Callable[[Any], Any]
DIALECTS = ("ga", "beta")
SHORT_AUDIO_MS = 20
APPEND = "input_audio_buffer.append"
VAD_TURN_MS = 1000  # where the sample VAD turn ends: its value does not change any type


# --- what a scenario exercises -------------------------------------------------------------


@dataclass(frozen=True)
class Exercised:
    """The event types a scenario exercises in one dialect."""

    client: frozenset[str]
    server: frozenset[str]

    @property
    def every(self) -> frozenset[str]:
        return self.client | self.server


@dataclass(frozen=True)
class ScenarioCoverage:
    scenario: Scenario
    by_dialect: dict[str, Exercised]  # only the dialects the scenario plays in


def _without_nulls(params: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in params.items() if value is not None}


def _short_audio(params: dict[str, Any]) -> dict[str, Any]:
    """Audio cut to one short chunk: which events a template sends does not depend on the
    length of its audio, and synthesizing the audio is most of the time coverage takes."""
    duration = params.get("duration_ms")
    if isinstance(duration, int) and duration > SHORT_AUDIO_MS:
        return {**params, "duration_ms": SHORT_AUDIO_MS}
    return params


class CoverageSteps:
    """The events each kind of step sends, as far as their types go (rtproto.scenario.steps.
    StepHandlers: a new kind of step must say what it sends here too)."""

    def __init__(self, ctx: TemplateContext, resolve: Resolver) -> None:
        self.ctx, self.resolve = ctx, resolve

    def template(self, step: TemplateStep) -> list[Event]:
        params = _short_audio(self.resolve(step.params))
        try:
            return expand(step.name, self.ctx, params)
        except (TypeError, ValueError, KeyError):
            # an expression that found nothing statically: the types do not depend on it
            return expand(step.name, self.ctx, _without_nulls(params))

    def event(self, step: EventStep) -> list[Event]:
        return [self.resolve(step.event)]

    def raw(self, step: RawStep) -> list[Event]:
        return []  # a frame as written (malformed on purpose): no event of the catalogue

    def wait(self, step: WaitStep) -> list[Event]:
        return []

    def replay(self, step: ReplayStep) -> list[Event]:
        return [replayed.event for replayed in step.recording.events]

    def simulate(self, step: SimulateStep) -> list[Event]:
        return []  # Responses and Chat only: the table lists the Realtime channels


def _reply_events(
    state: ConnectionState, steps: Iterable[Step], event: Event | None
) -> list[Event]:
    handlers = CoverageSteps(
        TemplateContext(state, event), reply_resolver(event, state.recall, state.ids.new)
    )
    sent = []
    for step in steps:
        for produced in expand_step(step, handlers):
            state.observe(produced)
            sent.append(produced)
    return sent


def _vad_turn(state: ConnectionState, event: Event) -> tuple[list[Event], Event]:
    """What a VAD turn sends, and its `vad.turn` event with what `event` (a rule's) asks for."""
    turn = DetectedTurn(state.ids.new("item"), 0, VAD_TURN_MS)
    steps = (*started_steps(0, turn.item_id), *stopped_steps(turn))
    return _reply_events(state, steps, None), {**turn_event(1, turn), **event}


def _ga_events(scenario: Scenario) -> tuple[list[Event], list[Event]]:
    """(client events, server events) of the scenario, GA-shaped, reply by reply. With `vad:`
    the client appends audio and each `vad.turn` rule's reply follows a VAD turn's events."""
    state = ConnectionState(IdFactory(0), random.Random(0))
    server = _reply_events(state, scenario.on_start, None)
    client: list[Event] = [{"type": APPEND}] if scenario.vad or scenario.caller else []
    for rule in scenario.rules:
        event = client_event_for(rule, reply_resolver(None, state.recall, state.ids.new))
        types = expected_types(rule)
        if VAD_TURN in types and scenario.vad:
            heard, event = _vad_turn(state, event)
            server += heard
        client += [{**event, "type": t} for t in types if t not in PSEUDO_TYPES]
        server += _reply_events(state, rule.reply, event)
    if scenario.vad and not any(VAD_TURN in expected_types(r) for r in scenario.rules):
        server += _vad_turn(state, {})[0]
    for fault in scenario.faults:
        if isinstance(fault.action, ErrorFault | ExpireSession):
            server.append({"type": "error"})
    return client, server


def _types(events: Iterable[Event]) -> frozenset[str]:
    return frozenset(str(event.get("type")) for event in events)


def _beta(events: Iterable[Event]) -> list[Event]:
    return [translated for event in events for translated in to_beta(event)]


def scenario_coverage(scenario: Scenario) -> ScenarioCoverage:
    client, server = _ga_events(scenario)
    views = {
        "ga": Exercised(_types(client), _types(server)),
        "beta": Exercised(_types(_beta(client)), _types(_beta(server))),
    }
    return ScenarioCoverage(scenario, {d: views[d] for d in scenario.dialects if d in views})


# --- the table -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CoverageTable:
    """For every Realtime channel and dialect: the ids of the scenarios that exercise it."""

    channels: tuple[str, ...]
    cells: dict[tuple[str, str], tuple[str, ...]]  # only (channel, dialect) pairs that exist
    scenarios: tuple[ScenarioCoverage, ...] = ()  # what each scenario exercises

    def ids(self, channel: str, dialect: str) -> tuple[str, ...] | None:
        """The scenario ids; None when the channel does not exist in that dialect."""
        return self.cells.get((channel, dialect))

    def uncovered(self) -> list[tuple[str, str]]:
        return [key for key, ids in self.cells.items() if not ids]


def plays_realtime(scenario: Scenario) -> bool:
    """A Realtime scenario (the catalogue may also hold scenarios of the HTTP APIs)."""
    return getattr(scenario, "api", "realtime") == "realtime"


def coverage_table(scenarios: Iterable[Scenario]) -> CoverageTable:
    """The table for the Realtime scenarios among `scenarios`."""
    catalogue = load_catalogue()
    channels = tuple(catalogue.channel_names("realtime"))
    covered = tuple(scenario_coverage(s) for s in scenarios if plays_realtime(s))
    cells: dict[tuple[str, str], tuple[str, ...]] = {}
    for channel in channels:
        for dialect in DIALECTS:
            if dialect in catalogue.dialects_of("realtime", channel):
                cells[channel, dialect] = tuple(
                    entry.scenario.id
                    for entry in covered
                    if dialect in entry.by_dialect and channel in entry.by_dialect[dialect].every
                )
    return CoverageTable(channels, cells, covered)
