"""rtproto.wire against the recordings, and one response builder for scripted and simulated turns.

The padding rule, the argument cut and the `rate_limits.updated` entry are read off the traces;
a scripted text response and the simulated model's must match each other event for event
(types and key order), since both are built by `realtime.response_events.ResponseEvents`.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from realtime_conformance.rtproto import wire
from realtime_conformance.rtproto.ids import IdFactory
from realtime_conformance.rtproto.server.play.state import ConnectionState, TemplateContext
from realtime_conformance.rtproto.server.play.templates import expand
from realtime_conformance.rtproto.server.realtime.timing import Timing
from tests.support.engine import EngineDriver, collapse, session_update, trace, user_text
from tests.support.shared import require_shared

P08 = "capture-2026-09-18-p08-text-session-with-errors.jsonl"
ARGUMENTS_TRACE = ("responses", "vercel-ai-openai-reasoning-encrypted-content.1.stream1of4.jsonl")
RESPONSE_CREATE = {"type": "response.create", "event_id": "event_client_1"}


def recorded_events(path: Path) -> list[dict[str, Any]]:
    events = []
    for text in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(text)
        event = record.get("event", record) if "dir" in record else record
        if isinstance(event, dict):
            events.append(event)
    return events


def padded_deltas() -> list[tuple[str, str]]:
    root = require_shared("traces")
    return [
        (event["delta"], event["obfuscation"])
        for path in sorted(root.rglob("*.jsonl"))
        for event in recorded_events(path)
        if isinstance(event.get("delta"), str) and event.get("obfuscation", "ELIDED") != "ELIDED"
    ]


def test_every_recorded_padding_follows_the_rule() -> None:
    deltas = padded_deltas()
    assert len(deltas) > 2000
    assert [len(padding) for _, padding in deltas] == [
        wire.obfuscation_length(delta) for delta, _ in deltas
    ]


@pytest.mark.parametrize("delta", ["", "Hi", "x" * 16, "’s", "a" * 37])
def test_padding_fills_a_block_of_sixteen(delta: str) -> None:
    padding = wire.obfuscation(delta, random.Random(1))
    assert (len(delta) + len(padding)) % 16 == 0 and len(padding) < 16
    assert padding.isalnum() or padding == ""


def test_recorded_argument_deltas_are_argument_pieces() -> None:
    path = require_shared("traces", *ARGUMENTS_TRACE)
    deltas = [
        e["delta"]
        for e in recorded_events(path)
        if e.get("type") == "response.function_call_arguments.delta"
    ]
    assert deltas and wire.argument_pieces("".join(deltas)) == deltas


def test_text_pieces_are_the_recorded_deltas_of_p08() -> None:
    assert wire.text_pieces("Hi there, friend!") == ["Hi", " there", ",", " friend", "!"]
    for text in ("I'll go", "  spaced  out  ", "¿Qué tal?\n", ""):
        assert "".join(wire.text_pieces(text)) == text
    assert wire.text_pieces("I'll go") == ["I'll", " go"]
    assert wire.text_pieces("today\u2019s") == ["today", "\u2019s"]  # as the Responses traces


def test_the_rate_limit_entry_is_the_recorded_one() -> None:
    recorded = next(e["rate_limits"] for _, e in trace(P08) if e["type"] == "rate_limits.updated")
    used = wire.TOKEN_LIMIT - recorded[0]["remaining"]
    assert [wire.tokens_rate_limit(used)] == recorded


def scripted_text_response() -> list[dict[str, Any]]:
    ctx = TemplateContext(ConnectionState(IdFactory(1), random.Random(1)), RESPONSE_CREATE)
    return expand("text_response", ctx, {"text": "Hi there, friend!"})


def simulated_text_response() -> list[dict[str, Any]]:
    driver = EngineDriver(timing=Timing.instant())
    driver.send(session_update(output_modalities=["text"]))
    driver.send(user_text("Say hi there friend"))
    driver.settle()
    start = len(driver.events)
    driver.send({"type": "response.create"})
    driver.settle()
    return driver.events[start:]


def test_a_scripted_and_a_simulated_text_response_are_built_alike() -> None:
    scripted, simulated = scripted_text_response(), simulated_text_response()
    p08 = collapse(
        [e["type"] for d, e in trace(P08) if d == "server" and e["type"].startswith("response.")]
    )
    assert collapse([e["type"] for e in scripted]) == collapse([e["type"] for e in simulated])
    assert [t for t in collapse([e["type"] for e in scripted]) if t.startswith("response.")] == (
        p08[: p08.index("response.done") + 1]
    )
    firsts = {e["type"]: e for e in simulated}
    for event in scripted:
        ours = firsts[event["type"]]
        assert list(event) == list(ours), event["type"]
        for key in ("item", "part", "response"):
            if isinstance(event.get(key), dict):
                assert list(event[key]) == list(ours[key]), (event["type"], key)
