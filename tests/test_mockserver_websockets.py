"""The driver seen from the `websockets` library (as the openai SDK uses it): refused handshakes
compared with the real captures, permessage-deflate, Azure's path, aborted connections."""

from __future__ import annotations

import json
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from realtime_conformance.mockserver.handshake import mask_key
from tests.support.mock_behaviours import KEY, auth_headers, run, serving
from tests.support.shared import require_shared


def capture(name: str) -> list[dict[str, Any]]:
    path = require_shared("traces", "realtime-ga", f"capture-2026-09-18-{name}.jsonl")
    return [json.loads(line) for line in path.read_text().splitlines()]


async def refusal(
    url: str, headers: dict[str, str]
) -> tuple[int, dict[str, Any], ConnectionClosed]:
    """Status of the upgrade, the one event sent, and how the server closed."""
    async with connect(url, additional_headers=headers) as ws:
        status = ws.response.status_code if ws.response else 0
        event = json.loads(await ws.recv())
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    return status, event, closed.value


def assert_matches_capture(name: str, event: dict[str, Any], closed: ConnectionClosed) -> None:
    """Same frames as the real API: one `error` (its stated fields equal), then the close."""
    records = capture(name)
    expected = next(r["event"] for r in records if r["dir"] == "server")
    close = next(r["meta"] for r in records if r.get("meta", {}).get("kind") == "close")
    assert event["type"] == "error" and event["event_id"].startswith("event_")
    for field, value in expected["error"].items():
        if field == "message":
            assert event["error"][field].startswith(
                value.replace("<KEY8>***…AAAA", mask_key(KEY)).rstrip("…")
            )
        else:
            assert event["error"][field] == value, field
    assert closed.rcvd is not None
    assert (closed.rcvd.code, closed.rcvd.reason) == (close["code"], close["reason"])


REFUSALS = [
    ("p10-bad-api-key", "model=gpt-realtime", {"api_keys": {"sk-only-good-key"}}, auth_headers()),
    ("p10b-no-authorization", "model=gpt-realtime", {}, {}),
    ("p11-unknown-model", "model=gpt-nope", {}, auth_headers()),
    ("p11b-missing-model", "", {}, auth_headers()),
    ("p08b-beta-header-rejected-realtime", "model=gpt-realtime-mini", {"retired_beta": True},
     {**auth_headers(), "OpenAI-Beta": "realtime=v1"}),
    ("p07c-beta-header-rejected-transcription", "intent=transcription", {"retired_beta": True},
     {**auth_headers(), "OpenAI-Beta": "realtime=v1"}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "query", "options", "headers"), REFUSALS, ids=[r[0] for r in REFUSALS]
)
def test_refusals_upgrade_then_error_then_close_like_the_real_api(
    name: str, query: str, options: dict[str, Any], headers: dict[str, str]
) -> None:
    async def body() -> None:
        async with serving(**options) as server:
            status, event, closed = await refusal(f"{server.url}/realtime?{query}", headers)
            record = await server.connections[0].finished()
        assert status == 101
        assert_matches_capture(name, event, closed)
        kinds = [r.get("meta", {}).get("kind") or r["dir"] for r in record.recording.records()]
        assert kinds == ["handshake", "server", "close", "close"]  # close, then the client's reply

    run(body())


async def first_event(ws: ClientConnection) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(await ws.recv())
    return event


@pytest.mark.parametrize("compression", ["deflate", None])
def test_permessage_deflate_is_negotiated_only_when_offered(compression: str | None) -> None:
    async def body() -> None:
        async with serving() as server:
            url = f"{server.url}/realtime?model=gpt-realtime"
            async with connect(
                url, additional_headers=auth_headers(), compression=compression
            ) as ws:
                assert ws.response is not None
                extensions = ws.response.headers.get("Sec-WebSocket-Extensions") or ""
                assert ("permessage-deflate" in extensions) == (compression == "deflate")
                assert (await first_event(ws))["type"] == "session.created"
                await ws.send(
                    json.dumps({"type": "session.update", "session": {"type": "realtime"}})
                )
                assert (await first_event(ws))["type"] == "session.updated"
            record = await server.connections[0].finished()
        handshake = record.recording.records()[0]["meta"]
        assert handshake["compression"] == (compression == "deflate")

    run(body())


def test_azure_path_with_api_key_header() -> None:
    async def body() -> None:
        async with serving(api_keys={"azure-key"}) as server:
            query = "api-version=2025-04-01-preview&deployment=my-bot"
            url = f"{server.http_url.replace('http', 'ws')}/openai/realtime?{query}"
            async with connect(url, additional_headers={"api-key": "azure-key"}) as ws:
                assert (await first_event(ws))["type"] == "session.created"
            info = (await server.connections[0].finished()).info
        assert (info.model, info.path, info.headers["api-key"]) == (
            "my-bot",
            "/openai/realtime",
            "<redacted>",
        )

    run(body())


def test_abort_drops_the_connection_without_a_close_frame() -> None:
    async def body() -> None:
        async with serving() as server:
            url = f"{server.url}/realtime?model=gpt-realtime"
            async with connect(url, additional_headers=auth_headers()) as ws:
                await first_event(ws)
                await ws.send(json.dumps({"type": "test.abort"}))
                with pytest.raises(ConnectionClosed) as closed:
                    await ws.recv()
            assert closed.value.rcvd is None
            record = await server.connections[0].finished()
        assert record.recording.records()[-1]["meta"] == {"kind": "abort", "from": "server"}

    run(body())


def test_the_connection_id_is_in_the_upgrade_response() -> None:
    async def body() -> None:
        async with serving() as server:
            url = f"{server.url}/realtime?model=gpt-realtime"
            async with connect(url, additional_headers=auth_headers()) as ws:
                assert ws.response is not None
                announced = ws.response.headers["x-mock-connection-id"]
        assert announced == server.connections[0].connection_id

    run(body())
