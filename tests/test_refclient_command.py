"""The reference driver's command form (`python -m realtime_conformance.refclient.driver`): JSON
lines in, one reply per command, reports in between; a text turn against the mock, in process
and as a child."""

from __future__ import annotations

import asyncio
import io
import json
import sys
from collections.abc import AsyncIterator
from typing import Any

from realtime_conformance.mockserver import RunningServer
from realtime_conformance.refclient.driver import serve
from tests.support.refclient import KEY, client_events, mock, run


def command(number: int, method: str, **params: Any) -> str:
    return json.dumps({"id": number, "method": method, "params": params}) + "\n"


def start(server: RunningServer, dialect: str = "ga") -> str:
    url = f"{server.url}/realtime?model=gpt-realtime"
    return command(
        1,
        "start",
        realtime_url=url,
        api_key=KEY,
        dialect=dialect,
        model="gpt-realtime",
        http_base_url="ignored",
        extra={},
    )


async def answered(server: RunningServer) -> None:
    """Until the mock has sent a response.done."""
    while True:
        records = server.connections[0].recording.records() if server.connections else []
        if any(r.get("event", {}).get("type") == "response.done" for r in records):
            return
        await asyncio.sleep(0.01)


def test_commands_in_process_with_replies_for_bad_lines() -> None:
    out = io.StringIO()

    async def body() -> RunningServer:
        async with mock() as server:

            async def lines() -> AsyncIterator[str]:
                yield start(server, "beta")
                yield "not json\n"
                yield command(2, "dance")
                yield command(3, "configure", session={"output_modalities": ["text"]})
                yield command(4, "send_text", text="Hello")
                await answered(server)
                yield command(5, "call_method", name="input_audio_buffer_clear", args={})
                yield command(6, "call_method", name="output_audio_buffer_clear", args={})
                yield command(7, "close")

            await asyncio.wait_for(serve(lines(), out), 10)
            await server.connections[0].finished()
            return server

    server = run(body())
    replies = [json.loads(line) for line in out.getvalue().splitlines()]
    assert replies[0] == {"driver": "reference", "capabilities": sorted(replies[0]["capabilities"])}
    assert replies[1] == {"id": 1, "ok": True}
    assert replies[2]["ok"] is False and "bad command line" in replies[2]["error"]
    assert replies[3] == {"id": 2, "ok": False, "error": "DriverStepError: unknown method 'dance'"}
    assert [r["ok"] for r in replies[4:]] == [True, True, True, False, True]
    assert "no event method 'output_audio_buffer_clear'" in replies[7]["error"]
    sent = [e["type"] for e in client_events(server)]
    assert sent == [
        "session.update",
        "conversation.item.create",
        "response.create",
        "input_audio_buffer.clear",
    ]


def test_python_m_refclient_driver_runs_a_text_turn() -> None:
    async def body() -> tuple[list[dict[str, Any]], int]:
        async with mock() as server:
            child = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "realtime_conformance.refclient.driver",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
            assert child.stdin is not None and child.stdout is not None
            replies: list[dict[str, Any]] = []

            async def ask(line: str) -> None:
                assert child.stdin is not None and child.stdout is not None
                child.stdin.write(line.encode())
                await child.stdin.drain()
                while "id" not in (reply := json.loads(await child.stdout.readline())):
                    replies.append(reply)
                replies.append(reply)

            await ask(start(server))
            await ask(command(2, "configure", session={"output_modalities": ["text"]}))
            await ask(command(3, "send_text", text="Hello"))
            await answered(server)
            await ask(command(4, "close"))
            return replies, await child.wait()

    replies, code = run(body())
    assert code == 0
    assert [r.get("ok") for r in replies if "id" in r] == [True, True, True, True]
