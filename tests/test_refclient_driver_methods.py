"""The `call_method` step: the suite fills in `${last...}` from the server's events and the
reference client sends the event through its own method (checked, ruled, translated); cases
whose stimulus only a client method makes (delete, retrieve, commit, clear, out-of-band
response.create, an item with no response) now run and pass in both dialects."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from realtime_conformance.conformance.cases import load_cases, select
from realtime_conformance.conformance.drivers.base import DriverError, method_event
from realtime_conformance.conformance.drivers.methods import method_call, resolve
from realtime_conformance.conformance.drivers.reference import reference
from realtime_conformance.conformance.harness import openai_side
from realtime_conformance.conformance.runner import CaseResult, run_cases
from realtime_conformance.rtproto.client.methods import CLIENT_METHODS

BOUND_S = 60.0
EVENTS = [
    {"type": "conversation.item.added", "item": {"id": "item_1"}},
    {"type": "conversation.item.done", "item": {"id": "item_2"}},
    {"type": "response.done", "response": {"output": [{"id": "item_3"}]}},
]


def test_last_paths_resolve_to_the_latest_server_event_that_has_them() -> None:
    args = {"item_id": "${last.item.id}", "other": "${last.response.output.0.id}", "n": 3}
    resolved, missing = resolve(args, EVENTS)
    assert resolved == {"item_id": "item_2", "other": "item_3", "n": 3} and missing == []
    _, missing = resolve({"item_id": "${last.nothing.here}"}, EVENTS)
    assert missing == ["${last.nothing.here}"]


def test_a_method_outside_the_clients_list_is_refused_before_the_client_sees_it() -> None:
    assert method_event("conversation_item_delete") == "conversation.item.delete"
    assert set(CLIENT_METHODS) >= {"response_create", "input_audio_buffer_commit"}
    with pytest.raises(DriverError, match="no client method 'close'"):
        method_call({"name": "close"})
    with pytest.raises(DriverError, match="args must be an object"):
        method_call({"name": "response_create", "args": [1]})
    assert method_call({"name": "response_create"}) == ("response_create", {})


def _run(patterns: list[str]) -> list[CaseResult]:
    selection = select(load_cases(), patterns, dialect="both")

    async def body() -> list[CaseResult]:
        async with openai_side() as side:
            return await run_cases(selection, side, reference, concurrency=8)

    return asyncio.run(asyncio.wait_for(body(), BOUND_S))


def _client_events(result: CaseResult) -> list[dict[str, Any]]:
    assert result.recording is not None
    return [e.event for e in result.recording.client_events() if e.event]


def test_the_reference_client_passes_cases_driven_through_its_methods() -> None:
    results = _run(["1.1.2", "3.1.3", "4.1.2", "4.1.4", "5.2.1"])
    verdicts = {r.node_id: r.verdict.name for r in results}
    assert set(verdicts.values()) == {"PASS"}, [str(f) for r in results for f in r.failures]
    assert len(verdicts) == 10
    for result in (r for r in results if r.case.id == "4.1.2"):
        assert result.recording is not None
        added = [
            e.event["item"]["id"]
            for e in result.recording.server_events()
            if e.event
            and e.event.get("type") in ("conversation.item.added", "conversation.item.created")
        ]
        (delete,) = [e for e in _client_events(result) if e["type"] == "conversation.item.delete"]
        assert delete["item_id"] == added[0]  # the id the server gave, filled in by the suite
        (step,) = result.recording.driver_steps("call_method")[1:]
        assert step.meta is not None and step.meta["args"]["args"] == {"item_id": added[0]}
    steps = [
        entry.meta["args"]["name"]
        for r in results
        if r.case.id == "3.1.3" and r.dialect == "ga" and r.recording is not None
        for entry in r.recording.driver_steps()
        if entry.meta and entry.meta["action"] == "call_method"
    ]
    assert steps == ["input_audio_buffer_clear", "input_audio_buffer_commit", "response_create"]
