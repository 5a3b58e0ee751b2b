"""The default behaviour factory wires in the simulated model (rtproto.server.realtime.session): a
text turn in each dialect, every server event valid, the transcript clean for the schema check."""

from __future__ import annotations

from typing import Any

import pytest

from realtime_conformance.conformance.checks.schema import check_schema
from realtime_conformance.mockserver import ServerOptions, running_server
from realtime_conformance.rtproto.validation import EventValidator
from tests.support.mock_behaviours import aiohttp_client, auth_headers, next_event, run

USER_ITEM = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}
SESSION_UPDATES: dict[str, dict[str, Any]] = {
    "ga": {"type": "realtime", "output_modalities": ["text"]},
    "beta": {"modalities": ["text"]},
}


@pytest.mark.parametrize("dialect", ["ga", "beta"])
def test_the_simulated_model_answers_a_text_turn(dialect: str) -> None:
    headers = {**auth_headers(), **({"OpenAI-Beta": "realtime=v1"} if dialect == "beta" else {})}

    async def body() -> list[str]:
        async with running_server(
            ServerOptions(validate_events=True, ping_interval_s=None)
        ) as server:
            async with aiohttp_client(
                server, query="model=gpt-realtime-mini", headers=headers
            ) as ws:
                assert (await next_event(ws))["type"] == "session.created"
                await ws.send_json({"type": "session.update", "session": SESSION_UPDATES[dialect]})
                assert (await next_event(ws))["type"] == "session.updated"
                await ws.send_json({"type": "conversation.item.create", "item": USER_ITEM})
                await ws.send_json({"type": "response.create"})
                types: list[str] = []
                while not types or types[-1] != "response.done":
                    types.append((await next_event(ws))["type"])
            record = await server.connections[0].finished()
            assert not server.invalid_events, "\n".join(map(str, server.invalid_events))
        report = check_schema(record.recording.transcript(), EventValidator())
        assert report.ok and report.dialect == dialect, "\n".join(map(str, report.problems))
        return types

    types = run(body())
    assert "response.created" in types
    assert ("response.text.delta" if dialect == "beta" else "response.output_text.delta") in types
