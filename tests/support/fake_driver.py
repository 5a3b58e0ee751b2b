"""A small text-only client under test, for tests of the runner, the plugin and the CLI.

`correct()` does what the text cases ask: session.update, a user item then response.create,
function outputs answered before the follow-up response.create. `never_responds()` forgets the
response.create (so any case waiting for an answer fails with a timeout naming the unmet rule);
`crashes_on_send()` raises in send_text (a step that raises). Each factory is what `--client
tests.support.fake_driver:correct` loads.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Mapping
from typing import Any

import aiohttp

from realtime_conformance.conformance.drivers.base import ClientReports, DriverError, Endpoints
from realtime_conformance.rtproto.dialects import to_beta

BETA_HEADERS = {"OpenAI-Beta": "realtime=v1"}


class FakeTextDriver:
    name = "fake-text"
    capabilities = frozenset({"text", "tools"})

    def __init__(self, *, respond: bool = True, crash_on_send: bool = False) -> None:
        self.respond = respond
        self.crash_on_send = crash_on_send
        self.tool_outputs: dict[str, str] = {}
        self._http: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._dialect = "ga"
        self._numbers = iter(range(1, 1_000_000))

    async def start(self, endpoints: Endpoints, reports: ClientReports) -> None:
        self._dialect = endpoints.dialect
        headers = {"Authorization": f"Bearer {endpoints.api_key}"}
        if endpoints.dialect == "beta":
            headers |= BETA_HEADERS
        self._http = aiohttp.ClientSession()
        self._ws = await self._http.ws_connect(endpoints.realtime_url, headers=headers)
        self._reader = asyncio.create_task(self._read(reports))

    async def _read(self, reports: ClientReports) -> None:
        assert self._ws is not None
        async for message in self._ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            with contextlib.suppress(ValueError):
                event = json.loads(message.data)
                if event.get("type") == "response.done":
                    await self._answer_calls(event)
        reports.report("Closed", {"code": self._ws.close_code})

    async def _answer_calls(self, done: Mapping[str, Any]) -> None:
        calls = [
            item
            for item in done.get("response", {}).get("output", [])
            if item.get("type") == "function_call" and item.get("name") in self.tool_outputs
        ]
        for item in calls:
            output = self.tool_outputs[item["name"]]
            await self._send(
                {
                    "type": "conversation.item.create",
                    "item": {
                        "type": "function_call_output",
                        "call_id": item["call_id"],
                        "output": output,
                    },
                }
            )
        if calls:
            await self._send({"type": "response.create"})

    async def _send(self, event: dict[str, Any]) -> None:
        if self._ws is None or self._ws.closed:
            raise DriverError("the connection is closed")
        event = {"event_id": f"evt_fake{next(self._numbers):06d}", **event}
        for sent in to_beta(event) if self._dialect == "beta" else [event]:
            await self._ws.send_str(json.dumps(sent))

    async def configure(self, session: Mapping[str, Any]) -> None:
        await self._send({"type": "session.update", "session": dict(session)})

    async def send_text(self, text: str) -> None:
        if self.crash_on_send:
            raise DriverError("this client cannot send text today")
        item = {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": text}],
        }
        await self._send({"type": "conversation.item.create", "item": item})
        if self.respond:
            await self._send({"type": "response.create"})

    async def stream_call(self) -> None:
        raise DriverError("no telephony in the fake driver")

    async def set_tool_outputs(self, outputs: Mapping[str, str]) -> None:
        self.tool_outputs.update(outputs)

    async def cancel(self) -> None:
        await self._send({"type": "response.cancel"})

    async def call_method(self, name: str, args: Mapping[str, Any]) -> None:
        raise DriverError(f"this fake client has no event methods ({name})")

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._reader, 2.0)
        if self._http is not None:
            await self._http.close()


def correct() -> FakeTextDriver:
    return FakeTextDriver()


def never_responds() -> FakeTextDriver:
    return FakeTextDriver(respond=False)


def crashes_on_send() -> FakeTextDriver:
    return FakeTextDriver(crash_on_send=True)
