"""Which channels a scenario exercises, and the catalogue's coverage table (channel x dialect).

A scenario exercises the client event types its rules expect (a `type` matcher: eq or any_of)
and the server event types it can send: its templates, expanded with a context whose client
event is built from the rule's matchers; its literal events; and the `error` that an error or
expire_session fault sends. Replies are expanded in rule order through one ConnectionState, so
`${last...}` finds what an earlier reply produced, as it does when the scenario plays.

That is the GA view. The beta view translates every event with rtproto.dialects.to_beta, whole
rather than by name, so GA bookkeeping with no beta counterpart (`conversation.item.done`, a
transcription session's `session.created`) drops out and a transcription session's
`session.update(d)` becomes `transcription_session.update(d)`.

A scenario with `vad:` exercises `input_audio_buffer.append` and what a VAD turn sends
(speech_started, speech_stopped, committed, the user item), before the reply of each `vad.turn`
rule; `vad.turn` itself is ours, not a channel.

`client_event_for` is also how a test writes a client that satisfies a scenario's rules.
"""

from __future__ import annotations

import copy
import itertools
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, partial
from typing import Any

from rtproto.catalogue import load_catalogue
from rtproto.dialects import to_beta
from rtproto.ids import IdFactory
from rtproto.scenario.expressions import Expression, Resolver
from rtproto.scenario.matchers import MISSING, Absent, AnyOf, Eq, FieldMatcher, Present, lookup
from rtproto.scenario.names import PSEUDO_TYPES, VAD_TURN
from rtproto.scenario.notes import DetectedTurn
from rtproto.scenario.spec import (
    ErrorFault,
    EventStep,
    ExpireSession,
    Rule,
    Scenario,
    Step,
    TemplateStep,
)
from rtproto.schema_store import SchemaStore
from rtproto.server.play.listener import started_steps, stopped_steps, turn_event
from rtproto.server.play.state import ConnectionState, TemplateContext
from rtproto.server.play.templates import expand

Event = dict[str, Any]
Resolve = Callable[[Any], Any]
DIALECTS = ("ga", "beta")
PRESENT_PLACEHOLDER = "x"  # a `present` field no example of the event type shows
SHORT_AUDIO_MS = 20
APPEND = "input_audio_buffer.append"
VAD_TURN_MS = 1000  # where the sample VAD turn ends: its value does not change any type


# --- a client event that satisfies a rule --------------------------------------------------


@cache
def _store() -> SchemaStore:
    return SchemaStore()


@cache
def _examples(event_type: str) -> tuple[Event, ...]:
    """The `examples` of a GA client event's schema file (none for an unknown type)."""
    spec = load_catalogue().lookup("realtime", event_type, "ga")
    if spec is None or spec.direction != "client":
        return ()
    return tuple(_store().schema(spec.schema_path).get("examples", ()))


def _wanted(matcher: FieldMatcher, resolve: Resolve) -> Any:
    """The value an eq / any_of matcher asks for (MISSING for the other kinds)."""
    if isinstance(matcher.matcher, Eq):
        return resolve(matcher.matcher.value)
    if isinstance(matcher.matcher, AnyOf):
        return resolve(matcher.matcher.values[0])
    return MISSING


def _fit(example: Event, wanted: list[tuple[str, Any]]) -> int:
    """How well an example agrees with the values asked for: +1 per match, -1 per conflict."""
    score = 0
    for path, value in wanted:
        found = lookup(example, path)
        if found is not MISSING:
            score += 1 if found == value else -1
    return score


def _slot(node: Any, key: str) -> tuple[Any, Any]:
    """(container, key) for one step of a path: a list index when the node is a list."""
    if isinstance(node, list):
        index = int(key) if key.isdigit() else len(node)
        node.extend([None] * (index + 1 - len(node)))
        return node, index
    return node, key


def _put(event: Event, path: str, value: Any) -> None:
    """Set the value at a dotted path, making the objects and lists on the way."""
    keys = path.split(".")
    node: Any = event
    for key, following in itertools.pairwise(keys):
        container, slot = _slot(node, key)
        current = container[slot] if isinstance(container, list) else container.get(slot)
        if not isinstance(current, dict | list):
            container[slot] = [] if following.isdigit() else {}
        node = container[slot]
    container, slot = _slot(node, keys[-1])
    container[slot] = value


def _drop(event: Event, path: str) -> None:
    parent_path, _, key = path.rpartition(".")
    parent = lookup(event, parent_path) if parent_path else event
    if isinstance(parent, dict):
        parent.pop(key, None)


def _present_value(event_type: str, path: str) -> Any:
    """A value for a `present` matcher: from an example that has the field, else a placeholder."""
    shown = (lookup(example, path) for example in _examples(event_type))
    return next((value for value in shown if value is not MISSING), PRESENT_PLACEHOLDER)


def client_event_for(rule: Rule, resolve: Resolve = lambda value: value) -> Event:
    """A client event that satisfies `rule`'s matchers (`resolve` fills in `${last...}`).

    It starts from the schema example of the event type that agrees best with the matchers,
    then sets what eq / any_of ask for, fills `present` fields and removes `absent` ones. A rule
    without a `type` matcher gets an event without a type. A `regex` is not synthesized: when
    the example's value does not match it, neither does the event.
    """
    wanted = [(m.path, _wanted(m, resolve)) for m in rule.when]
    wanted = [(path, value) for path, value in wanted if value is not MISSING]
    event_type = dict(wanted).get("type")
    examples = _examples(event_type) if isinstance(event_type, str) else ()
    best = max(examples, key=lambda example: _fit(example, wanted), default={})
    event = copy.deepcopy(best)
    for path, value in wanted:
        _put(event, path, copy.deepcopy(value))
    for matcher in rule.when:
        if isinstance(matcher.matcher, Present) and lookup(event, matcher.path) is MISSING:
            _put(event, matcher.path, _present_value(str(event_type), matcher.path))
        elif isinstance(matcher.matcher, Absent):
            _drop(event, matcher.path)
    return event


# --- what a scenario exercises -------------------------------------------------------------


def expected_types(rule: Rule) -> tuple[str, ...]:
    """The client event types a rule's `type` matcher names (eq: one; any_of: each)."""
    for matcher in rule.when:
        if matcher.path == "type" and isinstance(matcher.matcher, Eq):
            return (str(matcher.matcher.value),)
        if matcher.path == "type" and isinstance(matcher.matcher, AnyOf):
            return tuple(str(value) for value in matcher.matcher.values)
    return ()


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


def _lookup(
    state: ConnectionState, event: Event | None, ids: dict[str, str], expression: Expression
) -> Any:
    """What an expression stands for, as the player works it out (ids: the reply's own)."""
    if expression.root == "event":
        return lookup(event, expression.argument) if event is not None else MISSING
    if expression.root == "last":
        return state.recall(expression.argument)
    if expression.argument not in ids:
        ids[expression.argument] = state.ids.new(expression.argument)
    return ids[expression.argument]


def _without_nulls(params: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in params.items() if value is not None}


def _short_audio(params: dict[str, Any]) -> dict[str, Any]:
    """Audio cut to one short chunk: which events a template sends does not depend on the
    length of its audio, and synthesizing the audio is most of the time coverage takes."""
    duration = params.get("duration_ms")
    if isinstance(duration, int) and duration > SHORT_AUDIO_MS:
        return {**params, "duration_ms": SHORT_AUDIO_MS}
    return params


def _step_events(step: Step, ctx: TemplateContext, resolve: Resolver) -> list[Event]:
    if isinstance(step, EventStep):
        return [resolve(step.event)]
    recording = getattr(step, "recording", None)  # a replay step: the events it recorded
    if recording is not None:
        return [replayed.event for replayed in recording.events]
    if not isinstance(step, TemplateStep):
        return []  # raw frames and waits send no event
    params = _short_audio(resolve(step.params))
    try:
        return expand(step.name, ctx, params)
    except (TypeError, ValueError, KeyError):
        # a parameter whose expression found nothing statically: the types do not depend on it
        return expand(step.name, ctx, _without_nulls(params))


def _reply_events(
    state: ConnectionState, steps: Iterable[Step], event: Event | None
) -> list[Event]:
    ctx, sent = TemplateContext(state, event), []
    resolve = Resolver(partial(_lookup, state, event, {}))
    for step in steps:
        for produced in _step_events(step, ctx, resolve):
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
        event = client_event_for(rule, Resolver(partial(_lookup, state, None, {})))
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
