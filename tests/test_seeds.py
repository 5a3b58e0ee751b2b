"""Seeds you can see (issue 14): a fresh seed per server unless one is given; the seed in the
ready line and in each transcript; the same seed gives the same ids."""

from __future__ import annotations

import json
from typing import Any

from mockserver.app import running_server
from mockserver.cli import ready_line
from mockserver.options import ServerOptions
from tests.support.mock_behaviours import aiohttp_client, next_event, run

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
