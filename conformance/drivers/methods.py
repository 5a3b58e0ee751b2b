"""The suite's side of the `call_method` step: the application calling one of the client's
event methods (rtproto.client.methods) with the parameters a case states.

A case writes the parameters as the scenario's rule expects them, and may name values only the
server knows yet with the scenario language's `${last.PATH}` (`{"item_id": "${last.item.id}"}`:
that path in the latest server event which has it). The suite fills them in from the events
the mock has sent on the case's connections, as an application fills them in from the events
its client hands it, and then calls the driver. A value not there yet is waited for (the
server's answer to the step before may still be on its way); one that never comes fails the
step, naming it.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from realtime_conformance.conformance.drivers.base import ClientDriver, DriverError, method_event
from realtime_conformance.rtproto.scenario.expressions import Expression, Resolver
from realtime_conformance.rtproto.scenario.matchers import MISSING, lookup

RESOLVE_S = 5.0  # how long a `${last...}` may wait for the server event that carries it
POLL_S = 0.02
SERVER_LINE = '"dir":"server"'


def server_events(lines: Iterable[str]) -> list[dict[str, Any]]:
    """The server events of transcript lines (rtproto.transcript), in order."""
    events = []
    for line in lines:
        if SERVER_LINE in line and '"event"' in line:
            event = json.loads(line).get("event")
            if isinstance(event, dict):
                events.append(event)
    return events


def resolve(args: Any, events: Sequence[Mapping[str, Any]]) -> tuple[Any, list[str]]:
    """`args` with every `${last.PATH}` filled in from `events` (latest first), and the
    expressions that found nothing."""

    def recall(expression: Expression) -> Any:
        if expression.root != "last":
            return MISSING
        found = (lookup(dict(event), expression.argument) for event in reversed(events))
        return next((value for value in found if value is not MISSING), MISSING)

    resolver = Resolver(recall)
    resolved = resolver(args)
    return resolved, resolver.missing


def method_call(step_args: Any) -> tuple[str, dict[str, Any]]:
    """The (name, parameters) of a `call_method` step's args `{"name": ..., "args": {...}}`."""
    if not isinstance(step_args, Mapping) or not isinstance(step_args.get("name"), str):
        raise DriverError(f'call_method takes {{"name": ..., "args": {{...}}}}, not {step_args!r}')
    name = step_args["name"]
    method_event(name)  # a name outside the list fails here, before the client sees it
    params = step_args.get("args") or {}
    if not isinstance(params, Mapping):
        raise DriverError(f"call_method {name}: args must be an object, not {params!r}")
    return name, dict(params)


async def call_method(
    driver: ClientDriver, step_args: Any, sent: Callable[[], Sequence[Mapping[str, Any]]]
) -> dict[str, Any]:
    """Fill in the step's `${last...}` from `sent()` (the server events so far, waiting up to
    RESOLVE_S for them), call the driver, and return the parameters it was called with."""
    name, params = method_call(step_args)
    deadline = time.monotonic() + RESOLVE_S
    while True:
        resolved, missing = resolve(params, sent())
        if not missing:
            break
        if time.monotonic() >= deadline:
            raise DriverError(
                f"call_method {name}: the server sent no event with {', '.join(missing)}"
            )
        await asyncio.sleep(POLL_S)
    await driver.call_method(name, resolved)
    return dict(resolved)
