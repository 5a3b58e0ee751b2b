"""The driver over real sockets, with aiohttp's client: dialects, garbage, timing, isolation."""

from __future__ import annotations

import asyncio
import json

import aiohttp

from realtime_conformance.mockserver import ConnectionInfo, RunningServer
from tests.support.mock_behaviours import (
    BehaviourLog,
    aiohttp_client,
    next_event,
    run,
    serving,
)


def test_ga_connection_gets_session_created_and_answers() -> None:
    async def body() -> None:
        async with serving() as server, aiohttp_client(server) as ws:
            assert (await next_event(ws))["type"] == "session.created"
            await ws.send_json({"type": "session.update", "session": {"type": "realtime"}})
            assert (await next_event(ws))["type"] == "session.updated"
            assert ws.protocol is None  # `realtime` was not offered, so none is selected

    run(body())


def test_realtime_subprotocol_is_selected_when_offered() -> None:
    async def body() -> None:
        async with serving() as server:
            protocols = ("realtime", "openai-insecure-api-key.sk-browser-key-123456")
            async with aiohttp_client(server, headers={}, protocols=protocols) as ws:
                assert ws.protocol == "realtime"
                assert (await next_event(ws))["type"] == "session.created"

    run(body())


def test_beta_connection_is_translated_both_ways() -> None:
    async def body() -> None:
        log = BehaviourLog()
        async with (
            serving(behaviour_factory=log) as server,
            aiohttp_client(
                server, headers={"Authorization": "Bearer k", "openai-beta": "realtime=v1"}
            ) as ws,
        ):
            created = await next_event(ws)
            assert created["type"] == "session.created"
            assert "modalities" in created["session"]  # the flat beta session
            await ws.send_json({"type": "session.update", "session": {"voice": "marin"}})
            assert (await next_event(ws))["type"] == "session.updated"
            await ws.send_json({"type": "conversation.item.create", "item": {"type": "message"}})
            # GA sends item.added + item.done; beta has only item.created, and nothing for done
            assert (await next_event(ws))["type"] == "conversation.item.created"
            await ws.send_json({"type": "response.create"})
            assert (await next_event(ws))["type"] == "response.created"
        received = log.made[0].received
        assert log.made[0].info.dialect == "beta"
        assert received[0]["session"] == {
            "type": "realtime",
            "audio": {"output": {"voice": "marin"}},
        }

    run(body())


def test_beta_by_subprotocol() -> None:
    async def body() -> None:
        log = BehaviourLog()
        async with serving(behaviour_factory=log) as server:
            protocols = ("realtime", "openai-beta.realtime-v1")
            async with aiohttp_client(server, protocols=protocols) as ws:
                assert ws.protocol == "realtime"
                assert "modalities" in (await next_event(ws))["session"]
        assert log.made[0].info.dialect == "beta"

    run(body())


def test_garbage_gets_errors_and_the_connection_lives() -> None:
    async def body() -> None:
        async with serving() as server, aiohttp_client(server) as ws:
            await next_event(ws)
            await ws.send_str("not json")
            assert (await next_event(ws))["error"]["code"] == "invalid_json"
            await ws.send_bytes(bytes(64))
            binary = (await next_event(ws))["error"]
            assert (binary["code"], binary["message"]) == (
                "invalid_event",
                "Expected a text WebSocket message; binary frames are not supported.",
            )
            await ws.send_str("[1, 2]")
            assert (await next_event(ws))["error"]["code"] == "invalid_event"
            await ws.send_str('{"event_id": "evt_1"}')
            missing = (await next_event(ws))["error"]
            assert (missing["code"], missing["event_id"]) == ("invalid_event", "evt_1")
            await ws.send_json({"type": "session.update", "session": {"type": "realtime"}})
            assert (await next_event(ws))["type"] == "session.updated"

    run(body())


def test_due_events_are_sent_at_their_deadline_without_client_input() -> None:
    async def body() -> None:
        delay_s = 0.08
        async with (
            serving(behaviour_factory=BehaviourLog(response_delay_s=delay_s)) as server,
            aiohttp_client(server) as ws,
        ):
            await next_event(ws)
            await ws.send_json({"type": "response.create"})
            assert (await next_event(ws))["type"] == "response.created"
            assert (await next_event(ws))["type"] == "response.done"
            record = server.connections[0]
        await record.finished()
        times = {r["event"]["type"]: r["t_ms"] for r in record.recording.records() if "event" in r}
        # The behaviour schedules response.done `delay_s` after it receives response.create, which
        # the transcript records on arrival: never earlier than that (0.1 ms: t_ms rounding), and
        # not grossly late (500 ms: a loaded CI machine's scheduling delays, well below a stall).
        gap_ms = times["response.done"] - times["response.create"]
        assert delay_s * 1000 - 0.1 <= gap_ms < delay_s * 1000 + 500

    run(body())


def test_server_pings_arrive_with_a_four_byte_payload() -> None:
    async def body() -> None:
        async with (
            serving(ping_interval_s=0.02) as server,
            aiohttp_client(server, autoping=False) as ws,
        ):
            pings: list[bytes] = []
            while len(pings) < 3:
                message = await ws.receive()
                if message.type is aiohttp.WSMsgType.PING:
                    pings.append(message.data)
                    await ws.pong(message.data)
            assert all(len(payload) == 4 for payload in pings)
            assert len(set(pings)) == 3
            record = server.connections[0]
        await record.finished()
        metas = [r["meta"] for r in record.recording.records() if r["dir"] == "meta"]
        assert {"kind": "ping", "from": "server", "payload_bytes": 4} in metas

    run(body())


def test_a_failing_behaviour_closes_only_its_connection() -> None:
    async def body() -> None:
        async with serving() as server, aiohttp_client(server) as healthy:
            await next_event(healthy)
            async with aiohttp_client(server) as doomed:
                await next_event(doomed)
                await doomed.send_json({"type": "test.crash"})
                closing = await doomed.receive()
                assert (closing.type, closing.data) == (aiohttp.WSMsgType.CLOSE, 1011)
            await healthy.send_json({"type": "session.update", "session": {"type": "realtime"}})
            assert (await next_event(healthy))["type"] == "session.updated"
            async with aiohttp_client(server) as fresh:
                assert (await next_event(fresh))["type"] == "session.created"
            failed = server.connections[1].recording.records()
            assert any(r.get("meta", {}).get("kind") == "internal_error" for r in failed)

    run(body())


def test_a_failing_behaviour_factory_closes_with_1011() -> None:
    def broken_factory(info: ConnectionInfo) -> BehaviourLog:
        raise ValueError("no behaviour for you")

    async def body() -> None:
        async with (
            serving(behaviour_factory=broken_factory) as server,
            aiohttp_client(server) as ws,
        ):
            closing = await ws.receive()
            assert (closing.type, closing.data) == (aiohttp.WSMsgType.CLOSE, 1011)

    run(body())


def test_behaviour_close_sends_its_code_and_reason() -> None:
    async def body() -> None:
        async with serving() as server, aiohttp_client(server) as ws:
            await next_event(ws)
            await ws.send_json({"type": "test.close", "code": 4321, "reason": "bye now"})
            closing = await ws.receive()
            assert (closing.type, closing.data, closing.extra) == (
                aiohttp.WSMsgType.CLOSE,
                4321,
                "bye now",
            )

    run(body())


def test_raw_frames_are_sent_as_given() -> None:
    async def body() -> None:
        async with serving() as server, aiohttp_client(server) as ws:
            await next_event(ws)
            await ws.send_json({"type": "test.raw", "data": '{"type": "made.up"'})
            assert (await ws.receive()).data == '{"type": "made.up"'
            await ws.send_json({"type": "test.raw", "size": 5})
            message = await ws.receive()
            assert (message.type, message.data) == (aiohttp.WSMsgType.BINARY, bytes(5))

    run(body())


def test_client_close_reaches_the_behaviour() -> None:
    async def body() -> None:
        log = BehaviourLog()
        async with serving(behaviour_factory=log) as server:
            async with aiohttp_client(server) as ws:
                await next_event(ws)
                await ws.close(code=4000, message=b"done here")
            record = await server.connections[0].finished()
        assert log.made[0].closed_at is not None
        closes = [r["meta"] for r in record.recording.records() if r["dir"] == "meta"][1:]
        assert closes[0] == {"kind": "close", "from": "client", "code": 4000, "reason": "done here"}
        assert closes[1]["from"] == "server"

    run(body())


def test_many_connections_at_once_are_independent() -> None:
    async def one(server: RunningServer) -> str:
        async with aiohttp_client(server) as ws:
            await next_event(ws)
            await ws.send_json({"type": "session.update", "session": {"type": "realtime"}})
            return str((await next_event(ws))["type"])

    async def body() -> None:
        async with serving() as server:
            answers = await asyncio.gather(*(one(server) for _ in range(20)))
            assert answers == ["session.updated"] * 20
            assert len({record.connection_id for record in server.connections}) == 20

    run(body())


def test_control_api_reports_health_and_connections() -> None:
    async def body() -> None:
        async with serving() as server:
            async with aiohttp_client(server) as ws:
                await next_event(ws)
            record = await server.connections[0].finished()
            async with aiohttp.ClientSession(server.http_url) as http:
                async with http.get("/_mock/health") as response:
                    assert await response.json() == {"ok": True}
                async with http.get("/_mock/connections") as response:
                    listed = (await response.json())["connections"]
                async with http.get(f"/_mock/connections/{record.connection_id}/transcript") as r:
                    lines = (await r.text()).splitlines()
                async with http.get("/v1/realtime?model=gpt-realtime") as response:
                    assert response.status == 426  # a plain GET is no upgrade
        assert listed[0]["id"] == record.connection_id
        assert (listed[0]["open"], listed[0]["dialect"], listed[0]["transcript"]) == (
            False,
            "ga",
            None,
        )
        assert [json.loads(line) for line in lines] == record.recording.records()

    run(body())


def test_stopping_the_server_closes_open_connections_with_1001() -> None:
    async def body() -> None:
        async with aiohttp.ClientSession() as session:
            async with serving() as server:
                url = f"{server.url}/realtime?model=gpt-realtime"
                ws = await session.ws_connect(url, headers={"Authorization": "Bearer k"})
                await next_event(ws)
                closing = asyncio.create_task(ws.receive())  # reads, so the close is answered
                record = server.connections[0]
            message = await closing
            assert (message.type, message.data) == (aiohttp.WSMsgType.CLOSE, 1001)
            assert record.done.is_set()
            last_server_close = [
                r["meta"] for r in record.recording.records() if r["dir"] == "meta"
            ][-2]
            assert last_server_close == {
                "kind": "close", "from": "server", "code": 1001, "reason": "server shutting down"
            }  # fmt: skip

    run(body())
