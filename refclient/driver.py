"""The reference client as a driver of the conformance suite (conformance.drivers.base), in
both of its forms: in process (`ReferenceDriver`, what conformance.drivers.reference hands the
suite) and by command, `python -m realtime_conformance.refclient.driver`, for a suite that
runs clients as child processes.

Every step is one call of refclient.realtime's RealtimeAPIClient; the correct behaviour (tool
outputs answered once then one `response.create`, barge-in, one response at a time) is the
client's own (rtproto.client), so a broken variant is this driver with another protocol
(`ReferenceDriver(protocol_factory=...)`, conformance/clients/broken.py).

The command form reads one JSON object per line on stdin and answers each on stdout:

    {"id": 1, "method": "start", "params": {"realtime_url": "ws://...", "api_key": "sk-...",
                                             "dialect": "ga", "model": "gpt-realtime",
                                             "media_url": null, "media_format": "twilio"}}
    {"id": 1, "ok": true}
    {"id": 2, "method": "send_text", "params": {"text": "Hello"}}
    {"id": 2, "ok": false, "error": "DriverStepError: ..."}

Methods and their params: start (the Endpoints fields; a Responses or Chat case's include
http_base_url and extra), configure {"session"}, send_text
{"text"}, set_tool_outputs {"outputs"}, call_method {"name", "args"} (one of the client's event
methods, rtproto.client.methods, with its parameters), stream_call, cancel, close (then the
process exits).
The first line out is `{"driver": NAME, "capabilities": [...]}`; the client's own events come
as `{"report": NAME, "data": {...}}` lines between replies. The suite's side:
conformance.drivers.command (`--client-cmd`); every line: schemas/driver/ and
docs/reference/driver-interface.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from collections.abc import AsyncIterable, AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO, cast

from realtime_conformance.refclient.driver_http import HttpTurns, http_api
from realtime_conformance.refclient.events import Events
from realtime_conformance.refclient.media.base import MediaUnit
from realtime_conformance.refclient.realtime import RealtimeAPIClient, create_realtime_api_client
from realtime_conformance.rtproto.client import ClientProtocol
from realtime_conformance.rtproto.client.methods import CLIENT_METHODS

log = logging.getLogger(__name__)
REPORTED = (Events.WebSocketMediaStarted, Events.WebSocketMediaEnded)


class DriverStepError(RuntimeError):
    """A step the reference client cannot take (the suite records it as the step's FAIL)."""


class Reports(Protocol):
    def report(self, name: str, data: Mapping[str, Any] | None = None) -> None: ...


@dataclass(frozen=True)
class CallEndpoints:
    """The Endpoints fields the reference client uses (the command form's `start` params)."""

    realtime_url: str
    api_key: str
    dialect: str = "ga"
    model: str = "gpt-realtime"
    media_url: str | None = None
    media_format: str = "twilio"
    http_base_url: str = ""  # Responses and Chat cases (refclient.driver_http)
    extra: Mapping[str, str] = field(default_factory=dict)


def dial_unit(url: str, media_format: str) -> MediaUnit:
    """The media unit that dials the virtual call (Twilio Media Streams or raw PCM16)."""
    # Imported here: the sockets pull in the telephony codecs only for cases that stream a call.
    from realtime_conformance.refclient.media.sockets import Pcm16SocketUnit, TwilioUnit  # noqa: PLC0415

    unit = TwilioUnit(url) if media_format == "twilio" else Pcm16SocketUnit(url)
    return cast(MediaUnit, unit)  # mypy finds the sockets' attributes wider than the Protocol's


class ReferenceDriver:
    """One reference client per case."""

    name = "reference"
    capabilities = frozenset(
        {"text", "audio", "telephony", "tools", "truncation", "methods", "responses", "chat"}
    )

    def __init__(
        self,
        protocol_factory: Callable[[], ClientProtocol] | None = None,
        name: str = "reference",
        http: Callable[[], HttpTurns] | None = None,
    ) -> None:
        self.name = name
        self.protocol_factory = protocol_factory or ClientProtocol
        self.http_factory = http or HttpTurns  # Responses and Chat cases (refclient.driver_http)
        self.http: HttpTurns | None = None
        self.client: RealtimeAPIClient | None = None
        self.endpoints: Any = None  # conformance.drivers.base.Endpoints, or CallEndpoints
        self.reports: Reports | None = None
        self.unit: MediaUnit | None = None

    async def start(self, endpoints: Any, reports: Reports) -> None:
        self.endpoints, self.reports = endpoints, reports
        if (api := http_api(endpoints)) is not None:
            self.http = self.http_factory()
            await self.http.start(endpoints, api, reports)
            return
        self.client = await create_realtime_api_client(
            api_key=endpoints.api_key,
            model=endpoints.model,
            base_url=endpoints.realtime_url,
            dialect=endpoints.dialect,
            protocol=self.protocol_factory(),
        )
        for name in REPORTED:
            self.client.add_event_listener(name, self._report(name))

    def _report(self, name: Events) -> Callable[[Any, Any], None]:
        """Report each media event as the bridge raises it (one per run of model audio)."""

        def report(_client: Any, data: Any) -> None:
            if self.reports is not None:
                self.reports.report(name.name, data if isinstance(data, dict) else {})

        return report

    def _client(self) -> RealtimeAPIClient:
        if self.client is None:
            raise DriverStepError("the reference client is not started")
        return self.client

    async def configure(self, session: Mapping[str, Any]) -> None:
        if self.http is not None:  # request defaults: model, tools, instructions...
            self.http.configure(session)
            return
        await self._client().session_update({"session": {"type": "realtime", **session}})

    async def send_text(self, text: str) -> None:
        if self.http is not None:  # one streamed request, until the client is done with it
            await self.http.send_text(text)
            return
        item = {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": text}],
        }
        client = self._client()
        await client.conversation_item_create({"item": item})
        await client.response_create()

    async def set_tool_outputs(self, outputs: Mapping[str, str]) -> None:
        self._client().set_tool_outputs(outputs)

    async def call_method(self, name: str, args: Mapping[str, Any]) -> None:
        """Call the client's event method `name` (rtproto.client.methods: conversation_item_delete,
        input_audio_buffer_commit, ...) with its parameters: the client checks, rules (a
        response.create while one is active is queued) and translates for its dialect."""
        if name not in CLIENT_METHODS:
            raise DriverStepError(f"the reference client has no event method {name!r}")
        await getattr(self._client(), name)(dict(args))

    async def cancel(self) -> None:
        """Send `response.cancel` (naming the active response when the client knows it): even
        when the client thinks nothing is active, since a cancel may race a response's end."""
        client = self._client()
        active = client.protocol.state.response
        await client.response_cancel({"response_id": active.id} if active and active.id else None)

    async def stream_call(self) -> None:
        endpoints = self.endpoints
        if endpoints is None or not endpoints.media_url:
            raise DriverStepError("this case gives no media URL to dial")
        self.unit = dial_unit(endpoints.media_url, endpoints.media_format)
        await self._client().send_media_to(self.unit)

    async def close(self) -> None:
        if self.http is not None:
            with contextlib.suppress(Exception):
                await self.http.close()
        if self.client is not None:
            with contextlib.suppress(Exception):
                await self.client.close()
        if self.unit is not None:
            with contextlib.suppress(Exception):
                await self.unit.close()


# -- the command form -------------------------------------------------------------------------

START_FIELDS = frozenset(CallEndpoints.__dataclass_fields__)


def write_line(out: TextIO, value: Mapping[str, Any]) -> None:
    out.write(json.dumps(value, separators=(",", ":"), default=str) + "\n")
    out.flush()


class LineReports:
    """Reports as `{"report": NAME, "data": {...}}` lines."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def report(self, name: str, data: Mapping[str, Any] | None = None) -> None:
        write_line(self.out, {"report": name, "data": dict(data or {})})


async def perform(
    driver: ReferenceDriver, reports: Reports, method: str, params: Mapping[str, Any]
) -> None:
    """One command: the driver call it names, with its params."""
    if method == "start":
        known = {key: value for key, value in params.items() if key in START_FIELDS}
        await driver.start(CallEndpoints(**known), reports)
    elif method == "configure":
        await driver.configure(params.get("session") or {})
    elif method == "send_text":
        await driver.send_text(str(params["text"]))
    elif method == "set_tool_outputs":
        await driver.set_tool_outputs(dict(params.get("outputs") or {}))
    elif method == "call_method":
        await driver.call_method(str(params.get("name")), params.get("args") or {})
    elif method in ("stream_call", "cancel", "close"):
        await getattr(driver, method)()
    else:
        raise DriverStepError(f"unknown method {method!r}")


def _parse(line: str) -> tuple[Any, str, Mapping[str, Any]]:
    command = json.loads(line)
    if not isinstance(command, dict) or not isinstance(command.get("method"), str):
        raise ValueError('expected {"id": ..., "method": "...", "params": {...}}')
    params = command.get("params") or {}
    if not isinstance(params, dict):
        raise ValueError("params must be an object")
    return command.get("id"), command["method"], params


async def serve(
    lines: AsyncIterable[str], out: TextIO, driver: ReferenceDriver | None = None
) -> None:
    """Answer command lines from the async iterator `lines` until `close` or the end of input
    (which closes the client too)."""
    driver = driver or ReferenceDriver()
    reports = LineReports(out)
    write_line(out, {"driver": driver.name, "capabilities": sorted(driver.capabilities)})
    async for line in lines:
        if not line.strip():
            continue
        try:
            command_id, method, params = _parse(line)
        except ValueError as error:
            write_line(out, {"id": None, "ok": False, "error": f"bad command line: {error}"})
            continue
        try:
            await perform(driver, reports, method, params)
            write_line(out, {"id": command_id, "ok": True})
        except Exception as error:
            write_line(
                out, {"id": command_id, "ok": False, "error": f"{type(error).__name__}: {error}"}
            )
        if method == "close":
            return
    await driver.close()


async def stdin_lines() -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        yield line.decode("utf-8", "replace")


def main() -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    asyncio.run(serve(stdin_lines(), sys.stdout))
    return 0


if __name__ == "__main__":
    sys.exit(main())
