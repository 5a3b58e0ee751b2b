"""The reference client as an in-process driver: the default client under test.

Every step is one call of refclient.realtime's RealtimeAPIClient; the correct behaviour (tool
outputs answered once then one `response.create`, barge-in, one response at a time) is the
client's own (rtproto.client), so a broken variant is this driver with another protocol
(`ReferenceDriver(protocol_factory=...)`, conformance/clients/broken.py).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Mapping
from typing import Any, cast

from conformance.drivers.base import ClientReports, DriverError, Endpoints
from refclient.events import Events
from refclient.media.base import MediaUnit
from refclient.realtime import RealtimeAPIClient, create_realtime_api_client
from rtproto.client import ClientProtocol

log = logging.getLogger(__name__)
REPORTED = (Events.WebSocketMediaStarted, Events.WebSocketMediaEnded)


def dial_unit(url: str, media_format: str) -> MediaUnit:
    """The media unit that dials the virtual call (Twilio Media Streams or raw PCM16)."""
    # Imported here: the sockets pull in the telephony codecs only for cases that stream a call.
    from refclient.media.sockets import Pcm16SocketUnit, TwilioUnit  # noqa: PLC0415

    unit = TwilioUnit(url) if media_format == "twilio" else Pcm16SocketUnit(url)
    return cast(MediaUnit, unit)  # mypy finds the sockets' attributes wider than the Protocol's


class ReferenceDriver:
    """One reference client per case."""

    name = "reference"
    capabilities = frozenset({"text", "audio", "telephony", "tools", "truncation"})

    def __init__(
        self, protocol_factory: Callable[[], ClientProtocol] | None = None, name: str = "reference"
    ) -> None:
        self.name = name
        self.protocol_factory = protocol_factory or ClientProtocol
        self.client: RealtimeAPIClient | None = None
        self.endpoints: Endpoints | None = None
        self.reports: ClientReports | None = None
        self.unit: MediaUnit | None = None

    async def start(self, endpoints: Endpoints, reports: ClientReports) -> None:
        self.endpoints, self.reports = endpoints, reports
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
            raise DriverError("the reference client is not started")
        return self.client

    async def configure(self, session: Mapping[str, Any]) -> None:
        await self._client().session_update({"session": {"type": "realtime", **session}})

    async def send_text(self, text: str) -> None:
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

    async def cancel(self) -> None:
        """Send `response.cancel` (naming the active response when the client knows it): even
        when the client thinks nothing is active, since a cancel may race a response's end."""
        client = self._client()
        active = client.protocol.state.response
        await client.response_cancel({"response_id": active.id} if active and active.id else None)

    async def stream_call(self) -> None:
        endpoints = self.endpoints
        if endpoints is None or not endpoints.media_url:
            raise DriverError("this case gives no media URL to dial")
        self.unit = dial_unit(endpoints.media_url, endpoints.media_format)
        await self._client().send_media_to(self.unit)

    async def close(self) -> None:
        if self.client is not None:
            with contextlib.suppress(Exception):
                await self.client.close()
        if self.unit is not None:
            with contextlib.suppress(Exception):
                await self.unit.close()


def reference() -> ReferenceDriver:
    """What `--client conformance.drivers.reference:reference` loads (the default)."""
    return ReferenceDriver()
