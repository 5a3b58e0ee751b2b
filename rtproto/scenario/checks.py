"""What the JSON Schema cannot say about a scenario: event types exist (per the AsyncAPI
catalogue, never a list of our own), regexes compile, `${...}` expressions are well formed and
used where they have something to refer to.

Every check reads the raw data defensively: a file with schema errors still gets these checks on
its well-formed parts, so one run reports everything wrong with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from rtproto.scenario.diagnostics import Issue, Path, suggestion
from rtproto.scenario.expressions import expressions_in, strings_in
from rtproto.scenario.names import ga_event_names

FORMS = "${event.PATH}, ${last.PATH} or ${id:PREFIX}"


def _items(data: Any, key: str) -> list[Any]:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, list) else []


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def client_type(value: Any, path: Path) -> Iterator[Issue]:
    """`value` must be a GA client event type (what a rule or `ignore` can name)."""
    names = ga_event_names()
    if not isinstance(value, str) or value in names.client:
        return
    hint = suggestion(value, names.client)
    if value in names.server:
        message = f"{value!r} is a server event; rules match client events{hint}"
    else:
        message = f"unknown client event type {value!r}{hint}"
    yield Issue(path, message)


def server_type(value: Any, path: Path) -> Iterator[Issue]:
    names = ga_event_names()
    if not isinstance(value, str) or value in names.server:
        return
    if value in names.client:
        yield Issue(path, f"{value!r} is a client event; a reply sends server events")
        return
    hint = suggestion(value, names.server) or "; a raw step can send an event of any type"
    yield Issue(path, f"unknown server event type {value!r}{hint}")


def expressions(value: Any, path: Path, allowed: tuple[str, ...], where: str) -> Iterator[Issue]:
    """Each `${...}` in `value` is one of the forms, and one of the `allowed` roots."""
    for inner, text in strings_in(value):
        for body, expression in expressions_in(text):
            shown = "${" + body + "}"
            if expression is None:
                yield Issue((*path, *inner), f"unknown expression {shown!r} (expected {FORMS})")
            elif expression.root not in allowed:
                yield Issue((*path, *inner), f"{shown!r} cannot be used {where}")


def _matcher(path: Path, field: str, spec: Any) -> Iterator[Issue]:
    spec_map = _mapping(spec)
    values = [spec] if not isinstance(spec, dict) else [spec_map.get("eq")]
    values += list(spec_map.get("any_of") or []) if isinstance(spec_map.get("any_of"), list) else []
    if field == "type":
        for value in values:
            yield from client_type(value, path)
    if isinstance(spec_map.get("regex"), str):
        try:
            re.compile(spec_map["regex"])
        except re.error as error:
            yield Issue((*path, "regex"), f"invalid regex: {error}")
    where = "in a matcher (only ${last.PATH} is)"
    yield from expressions(spec, path, ("last",), where)


def _steps(steps: list[Any], path: Path, in_start: bool) -> Iterator[Issue]:
    roots = ("last", "id") if in_start else ("event", "last", "id")
    where = "in on_start: no client event has arrived" if in_start else ""
    for index, step in enumerate(steps):
        event = _mapping(step).get("event")
        if isinstance(event, dict):
            yield from server_type(event.get("type"), (*path, index, "event", "type"))
        yield from expressions(step, (*path, index), roots, where)


def _rules(data: Any) -> Iterator[Issue]:
    for index, rule in enumerate(_items(data, "expect")):
        path: Path = ("expect", index)
        for field, spec in _mapping(_mapping(rule).get("when")).items():
            yield from _matcher((*path, "when", field), field, spec)
        yield from _steps(_items(rule, "reply"), (*path, "reply"), in_start=False)


def _faults(data: Any) -> Iterator[Issue]:
    names = ga_event_names()
    for index, fault in enumerate(_items(data, "faults")):
        after = _mapping(fault).get("after")
        if isinstance(after, str) and after not in names.every:
            hint = suggestion(after, names.every)
            yield Issue(("faults", index, "after"), f"unknown event type {after!r}{hint}")


def semantic_issues(data: Any) -> Iterator[Issue]:
    """Everything wrong with `data` that the JSON Schema does not catch."""
    yield from _rules(data)
    yield from _steps(_items(data, "on_start"), ("on_start",), in_start=True)
    for index, event_type in enumerate(_items(data, "ignore")):
        yield from client_type(event_type, ("ignore", index))
    yield from _faults(data)
