"""Seeds you can see (issue 14): a fresh seed per server unless one is given; the seed in the
ready line and in each transcript; the same seed gives the same ids."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from realtime_conformance.mockserver.app import running_server
from realtime_conformance.mockserver.cli import ready_line
from realtime_conformance.mockserver.options import ServerOptions
from tests.support.mock_behaviours import aiohttp_client, next_event, run

WALL_CLOCK_FIELDS = ("created_at", "expires_at")
Ids = tuple[str, str, int]  # session id, a response's id, the server's seed


async def first_ids(seed: int | None) -> Ids:
    """The session id and the first response's id a fresh server hands out."""
    options = ServerOptions(seed=seed, ping_interval_s=None)
    async with running_server(options) as server:
        async with aiohttp_client(server) as ws:
            created = await next_event(ws)
            await ws.send_json({"type": "response.create"})
            response = await next_event(ws)
            while response["type"] != "response.created":
                response = await next_event(ws)
        [record] = server.connections
        await record.finished()
        handshake = json.loads(record.recording.lines[0])["meta"]
        assert handshake["kind"] == "handshake" and handshake["seed"] == server.state.seed
        assert f"seed={server.state.seed}" in ready_line(server)
        return created["session"]["id"], response["response"]["id"], server.state.seed


def test_two_fresh_servers_hand_out_different_ids() -> None:
    async def body() -> tuple[Ids, Ids]:
        return await first_ids(None), await first_ids(None)

    (session_a, response_a, seed_a), (session_b, response_b, seed_b) = run(body())
    assert seed_a != seed_b  # one chance in a million of a clash
    assert session_a != session_b and response_a != response_b


def test_the_same_seed_gives_the_same_ids() -> None:
    async def body() -> tuple[Ids, Ids, Ids]:
        return await first_ids(4242), await first_ids(4242), await first_ids(4243)

    first, again, other = run(body())
    assert first == again and first[2] == 4242
    assert other[0] != first[0]


def test_http_exchanges_record_the_seed() -> None:
    async def body() -> dict[str, Any]:
        import aiohttp

        async with running_server(ServerOptions(seed=7)) as server:
            async with aiohttp.ClientSession() as session:
                url = f"{server.http_url}/v1/responses"
                payload = {"model": "gpt-4.1", "input": "hi"}
                headers = {"Authorization": "Bearer sk-test"}
                async with session.post(url, json=payload, headers=headers) as answer:
                    assert answer.status == 200
            [record] = server.connections
            await record.finished()
            meta: dict[str, Any] = json.loads(record.recording.lines[0])["meta"]
            return meta

    meta = run(body())
    assert meta["kind"] == "http_request" and meta["seed"] == 7


def server_events_of_a_run(seed: int) -> list[dict[str, Any]]:
    """The server events of one case run by the reference client, on a mock seeded `seed`."""
    from realtime_conformance.conformance.suite import plan, run_selection

    chosen = plan(None, ["4.1.1"], strict=False, dialect="ga")
    [result] = asyncio.run(run_selection(chosen.selection, chosen.factory, seed=seed))
    assert result.recording is not None
    return [without_clock(entry.event) for entry in result.recording.server_events()]


def without_clock(value: Any) -> Any:
    """The value without the wall-clock fields (`created_at`, `expires_at`), which no seed sets."""
    if isinstance(value, dict):
        return {k: without_clock(v) for k, v in value.items() if k not in WALL_CLOCK_FIELDS}
    if isinstance(value, list):
        return [without_clock(item) for item in value]
    return value


def test_run_seed_replays_a_run() -> None:
    first, again, other = (server_events_of_a_run(seed) for seed in (11, 11, 12))
    assert first and first == again
    assert [event.get("event_id") for event in other] != [event.get("event_id") for event in first]
