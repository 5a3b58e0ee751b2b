"""The client events a scenario's rules expect: the types a rule names, and an event that
satisfies a rule (how coverage counts client channels, and how tests write a client from the
rules)."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from functools import cache
from typing import Any

from realtime_conformance.rtproto.catalogue import load_catalogue
from realtime_conformance.rtproto.scenario.matchers import (
    MISSING,
    Absent,
    AnyOf,
    Eq,
    FieldMatcher,
    Present,
    lookup,
)
from realtime_conformance.rtproto.scenario.spec import Rule
from realtime_conformance.rtproto.schema_store import SchemaStore

Event = dict[str, Any]
Resolve = Callable[[Any], Any]
PRESENT_PLACEHOLDER = "x"  # a `present` field no example of the event type shows


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


def expected_types(rule: Rule) -> tuple[str, ...]:
    """The client event types a rule's `type` matcher names (eq: one; any_of: each)."""
    for matcher in rule.when:
        if matcher.path == "type" and isinstance(matcher.matcher, Eq):
            return (str(matcher.matcher.value),)
        if matcher.path == "type" and isinstance(matcher.matcher, AnyOf):
            return tuple(str(value) for value in matcher.matcher.values)
    return ()
