"""What the JSON Schema cannot say about a scenario: event types exist in its api (per the
AsyncAPI catalogue, never a list of our own), regexes compile, `${...}` expressions are well
formed and used where they have something to refer to, and the keys, templates and faults that
only a Realtime connection has are not used in a Responses or Chat scenario.

Every check reads the raw data defensively: a file with schema errors still gets these checks on
its well-formed parts, so one run reports everything wrong with it. Replay files are checked by
the loader, which knows where the scenario file is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from realtime_conformance.rtproto.catalogue import Api
from realtime_conformance.rtproto.scenario.diagnostics import Issue, Path, suggestion
from realtime_conformance.rtproto.scenario.expressions import expressions_in, strings_in
from realtime_conformance.rtproto.scenario.lint_caller import caller_issues
from realtime_conformance.rtproto.scenario.names import (
    APIS,
    PSEUDO_TYPES,
    REQUEST_TYPES,
    TEMPLATE_NAMES,
    event_names,
)

FORMS = "${event.PATH}, ${last.PATH} or ${id:PREFIX}"
REALTIME_ONLY_KEYS = {
    "dialects": "an HTTP API has one dialect",
    "on_start": "an HTTP stream starts with its request: answer it in expect",
    "ignore": "every request is answered: match it with a rule",
    "caller": "it is audio a client appends to a Realtime session",
    "vad": "it detects turns in a Realtime session's input audio",
    "expect_vad": "it judges a Realtime session's VAD turns",
}


def _items(data: Any, key: str) -> list[Any]:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, list) else []


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def scenario_api(data: Any) -> Api | None:
    """The scenario's api (realtime when not given); None when it names no api we know."""
    value = _mapping(data).get("api", "realtime")
    return next((api for api in APIS if api == value), None)


def client_type(value: Any, path: Path, api: Api = "realtime") -> Iterator[Issue]:
    """`value` must be a client event type of `api` (what a rule or `ignore` can name)."""
    names = event_names(api)
    if not isinstance(value, str) or value in names.client:
        return
    if api == "realtime" and value in PSEUDO_TYPES:
        return  # caller_checks says when it can happen
    known = (*names.client, *PSEUDO_TYPES) if api == "realtime" else names.client
    hint = suggestion(value, known)
    if value in names.server:
        message = f"{value!r} is a server event; rules match client events{hint}"
    else:
        message = f"unknown client event type {value!r}{hint}"
        if api in REQUEST_TYPES and not hint:
            message += f"; api {api} sees each request as a {REQUEST_TYPES[api]} event"
    yield Issue(path, message)


def server_type(value: Any, path: Path, api: Api = "realtime") -> Iterator[Issue]:
    names = event_names(api)
    if not isinstance(value, str) or value in names.server:
        return
    if value in names.client:
        yield Issue(path, f"{value!r} is a client event; a reply sends server events")
        return
    hint = suggestion(value, names.server) or "; a raw step can send an event of any type"
    if api != "realtime" and value in event_names("realtime").server:
        yield Issue(path, f"{value!r} is a Realtime event, not a {api} one{hint}")
        return
    kinds = {"realtime": "server event type", "chat": "Chat chunk object"}
    kind = kinds.get(api, f"{api} server event type")
    yield Issue(path, f"unknown {kind} {value!r}{hint}")


def _literal_event(event: dict[str, Any], path: Path, api: Api) -> Iterator[Issue]:
    """A literal event names its type (Chat: a chunk's `object`, or an `error` chunk)."""
    if api != "chat":
        if "type" not in event:
            yield Issue(path, "missing required key 'type'")
        yield from server_type(event.get("type"), (*path, "type"), api)
    elif "type" in event:
        message = "a Chat chunk has no 'type'; it is named by object: chat.completion.chunk"
        yield Issue((*path, "type"), message, on_key=True)
    else:
        yield from server_type(event.get("object"), (*path, "object"), api)


def expressions(value: Any, path: Path, allowed: tuple[str, ...], where: str) -> Iterator[Issue]:
    """Each `${...}` in `value` is one of the forms, and one of the `allowed` roots."""
    for inner, text in strings_in(value):
        for body, expression in expressions_in(text):
            shown = "${" + body + "}"
            if expression is None:
                yield Issue((*path, *inner), f"unknown expression {shown!r} (expected {FORMS})")
            elif expression.root not in allowed:
                yield Issue((*path, *inner), f"{shown!r} cannot be used {where}")


def _matcher(path: Path, field: str, spec: Any, api: Api) -> Iterator[Issue]:
    spec_map = _mapping(spec)
    values = [spec] if not isinstance(spec, dict) else [spec_map.get("eq")]
    values += list(spec_map.get("any_of") or []) if isinstance(spec_map.get("any_of"), list) else []
    if field == "type":
        for value in values:
            yield from client_type(value, path, api)
    if isinstance(spec_map.get("regex"), str):
        try:
            re.compile(spec_map["regex"])
        except re.error as error:
            yield Issue((*path, "regex"), f"invalid regex: {error}")
    where = "in a matcher (only ${last.PATH} is)"
    yield from expressions(spec, path, ("last",), where)


def _template_of(step: Any) -> str | None:
    """The template a step names (as a bare name or with parameters), if it names one."""
    if isinstance(step, str):
        return step if step in TEMPLATE_NAMES else None
    keys = list(_mapping(step))
    return keys[0] if len(keys) == 1 and keys[0] in TEMPLATE_NAMES else None


def _steps(steps: list[Any], path: Path, in_start: bool, api: Api) -> Iterator[Issue]:
    roots = ("last", "id") if in_start else ("event", "last", "id")
    where = "in on_start: no client event has arrived" if in_start else ""
    for index, step in enumerate(steps):
        template = _template_of(step)
        if template is not None and api != "realtime":
            message = (
                f"template {template!r} builds Realtime events; api {api} replies with literal "
                "events ({event: {...}}), raw data frames ({raw: ...}), replays ({replay: ...}) "
                "or the simulated model ({simulate: {text: ...}})"
            )
            yield Issue((*path, index), message)
        if "simulate" in _mapping(step) and api == "realtime":
            message = (
                "simulate applies to api responses and chat; a Realtime reply uses the "
                "templates (text_response, audio_response, function_call_response, ...)"
            )
            yield Issue((*path, index, "simulate"), message, on_key=True)
        event = _mapping(step).get("event")
        if isinstance(event, dict):
            yield from _literal_event(event, (*path, index, "event"), api)
        yield from expressions(step, (*path, index), roots, where)


def _rules(data: Any, api: Api) -> Iterator[Issue]:
    for index, rule in enumerate(_items(data, "expect")):
        path: Path = ("expect", index)
        for field, spec in _mapping(_mapping(rule).get("when")).items():
            yield from _matcher((*path, "when", field), field, spec, api)
        yield from _steps(_items(rule, "reply"), (*path, "reply"), in_start=False, api=api)


def _http_fault(fault: dict[str, Any], path: Path, api: Api) -> Iterator[Issue]:
    """The faults that only a Realtime connection has."""
    if fault.get("error") == "rate_limit":
        message = (
            f"error: rate_limit is a Realtime error event; api {api} streams server_error only "
            "(its rate limit is an HTTP 429 before any stream)"
        )
        yield Issue((*path, "error"), message)
    if "expire_session" in fault:
        message = f"expire_session ends a Realtime session; api {api} has none"
        yield Issue((*path, "expire_session"), message, on_key=True)
    for key in ("code", "reason"):
        if key in _mapping(fault.get("drop")):
            message = f"a close {key} is WebSocket's; an HTTP stream just ends: write drop: {{}}"
            yield Issue((*path, "drop", key), message, on_key=True)


def _faults(data: Any, api: Api) -> Iterator[Issue]:
    names = event_names(api)
    for index, fault in enumerate(_items(data, "faults")):
        after = _mapping(fault).get("after")
        if isinstance(after, str) and after not in names.every:
            hint = suggestion(after, names.every)
            yield Issue(("faults", index, "after"), f"unknown event type {after!r}{hint}")
        if api != "realtime":
            yield from _http_fault(_mapping(fault), ("faults", index), api)


def _realtime_only(data: Any, api: Api) -> Iterator[Issue]:
    for key, reason in REALTIME_ONLY_KEYS.items():
        if key in _mapping(data):
            message = f"{key!r} applies to api realtime only ({reason})"
            yield Issue((key,), message, on_key=True)


def semantic_issues(data: Any) -> Iterator[Issue]:
    """Everything wrong with `data` that the JSON Schema does not catch."""
    api = scenario_api(data)
    if api is None:
        return  # the schema reports the unknown api; every other check depends on it
    if api != "realtime":
        yield from _realtime_only(data, api)
    yield from _rules(data, api)
    yield from _steps(_items(data, "on_start"), ("on_start",), in_start=True, api=api)
    for index, event_type in enumerate(_items(data, "ignore")):
        yield from client_type(event_type, ("ignore", index), api)
    yield from _faults(data, api)
    if api == "realtime":
        yield from caller_issues(data)
