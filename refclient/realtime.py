"""The reference Realtime client: `create_realtime_api_client` and `RealtimeAPIClient`, the
VoxEngine `OpenAI.RealtimeAPIClient` in Python (methods in snake_case).

An aiohttp pump around rtproto.client.ClientProtocol: frames in -> (beta: to_ga) -> protocol
-> intents carried out (send, play, stop playout and truncate) -> listeners. Every client event
is checked against schemas/ before it is sent (refclient.outgoing). Listeners get the client
and the GA-shaped event, so both dialects raise the same `RealtimeAPIEvents` constants.
"""

from __future__ import annotations

import secrets
import ssl as ssl_module
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from realtime_conformance.refclient import outgoing
from realtime_conformance.refclient.endpoint import DEFAULT_BASE_URL, DEFAULT_MODEL
from realtime_conformance.refclient.events import RealtimeAPIEvents
from realtime_conformance.refclient.listeners import Handler
from realtime_conformance.refclient.media.base import MediaUnit, PlayedAudio
from realtime_conformance.refclient.media_link import BridgeFactory, MediaLink
from realtime_conformance.refclient.realtime_connection import RealtimeConnection
from realtime_conformance.refclient.realtime_options import ClientClosedError, RealtimeOptions
from realtime_conformance.refclient.reconnect import ReconnectPolicy
from realtime_conformance.rtproto.client import ClientProtocol, PlayAudio
from realtime_conformance.rtproto.handshake import Dialect

CloseCallback = Callable[[dict[str, Any]], Any]


class RealtimeAPIClient(RealtimeConnection):
    """One Realtime session (and its reconnects). Make it with `create_realtime_api_client`."""

    def __init__(self, options: RealtimeOptions, protocol: ClientProtocol | None = None) -> None:
        client_id = "realtime_client_" + secrets.token_hex(8)
        protocol = protocol or ClientProtocol()
        protocol.tool_outputs.update(options.tool_outputs)
        super().__init__(options, protocol, client_id)
        self.media = MediaLink(self, options.bridge_factory)

    # -- identity and listeners ---------------------------------------------------------------

    def id(self) -> str:
        return self.client_id

    def web_socket_id(self) -> str | None:
        """The current WebSocket connection's id (a new one after a reconnect)."""
        return self.connection_id

    def add_event_listener(self, event: Any, handler: Handler) -> None:
        """Call `handler(client, data)` on `event` (a RealtimeAPIEvents / Events constant or
        an event name). Raises TypeError for a handler that is not callable."""
        self.listeners.add(event, handler)

    def remove_event_listener(self, event: Any, handler: Handler | None = None) -> None:
        self.listeners.remove(event, handler)

    # -- client events ------------------------------------------------------------------------

    async def session_update(self, parameters: Mapping[str, Any]) -> None:
        await self.send_event("session.update", parameters)

    async def response_create(self, parameters: Mapping[str, Any] | None = None) -> None:
        """Queued (not sent) while a response is active; sent after its `response.done`."""
        await self.send_event("response.create", parameters)

    async def response_cancel(self, parameters: Mapping[str, Any] | None = None) -> None:
        await self.send_event("response.cancel", parameters)

    async def conversation_item_create(self, parameters: Mapping[str, Any]) -> None:
        await self.send_event("conversation.item.create", parameters)

    async def conversation_item_delete(self, parameters: Mapping[str, Any]) -> None:
        await self.send_event("conversation.item.delete", parameters)

    async def conversation_item_retrieve(self, parameters: Mapping[str, Any]) -> None:
        await self.send_event("conversation.item.retrieve", parameters)

    async def conversation_item_truncate(self, parameters: Mapping[str, Any]) -> None:
        await self.send_event("conversation.item.truncate", parameters)

    async def input_audio_buffer_append(self, parameters: Mapping[str, Any] | bytes) -> None:
        """Append caller audio: `{"audio": base64}` or the raw bytes (input format)."""
        if isinstance(parameters, bytes | bytearray):
            parameters = {"audio": outgoing.base64_text(bytes(parameters))}
        await self.send_event("input_audio_buffer.append", parameters)

    async def input_audio_buffer_commit(self, parameters: Mapping[str, Any] | None = None) -> None:
        await self.send_event("input_audio_buffer.commit", parameters)

    async def input_audio_buffer_clear(self, parameters: Mapping[str, Any] | None = None) -> None:
        await self.send_event("input_audio_buffer.clear", parameters)

    # -- media --------------------------------------------------------------------------------

    def play(self, intent: PlayAudio) -> None:
        self.media.play(intent)

    def stop_playout(self) -> list[PlayedAudio]:
        return self.media.clear()

    async def send_media_to(
        self, media_unit: MediaUnit, parameters: Mapping[str, Any] | None = None
    ) -> None:
        """Bridge the call: model audio plays into `media_unit` in real time, the caller's
        audio is appended to the session's input buffer."""
        self.ensure_open()
        await self.media.start(media_unit, parameters or {})

    async def stop_media_to(self, media_unit: MediaUnit) -> None:
        await self.media.stop(media_unit)

    async def clear_media_buffer(self, parameters: Mapping[str, Any] | None = None) -> None:
        """Stop playout at once; items cut short are truncated at what was played."""
        await self.run_intents(self.protocol.stop_playout("clear_media_buffer"))

    # -- tools --------------------------------------------------------------------------------

    def set_tool_outputs(self, outputs: Mapping[str, str]) -> None:
        """Answer future calls of these functions (name -> output) on the client's own."""
        self.protocol.tool_outputs.update(outputs)

    async def close(self) -> None:
        """Close the media bridge and the connection. Safe to call twice."""
        await self.media.close()
        await self.shutdown()


async def create_realtime_api_client(
    *,
    api_key: str,
    model: str = DEFAULT_MODEL,
    base_url: str = DEFAULT_BASE_URL,
    dialect: Dialect = "ga",
    on_web_socket_close: CloseCallback | None = None,
    statistics: bool = False,
    trace: bool | str | Path = False,
    privacy: bool = False,
    reconnect: ReconnectPolicy | None = None,
    tool_outputs: Mapping[str, str] | None = None,
    bridge_factory: BridgeFactory | None = None,
    ssl: ssl_module.SSLContext | None = None,
    protocol: ClientProtocol | None = None,
    connect_timeout_s: float = 10.0,
) -> RealtimeAPIClient:
    """Connect and return the client once the WebSocket is open.

    `trace`: True writes `realtime-trace-<client id>.jsonl` in the working directory; a path
    writes there. `statistics`: count frames, bytes, audio and latencies (`statistics()`).
    `privacy`: redact audio and text from the trace and the logs. `reconnect`: see
    refclient.reconnect (default: a drop closes the client). `protocol`: a ClientProtocol
    subclass instance (other rules; the conformance suite's broken clients).
    """
    options = RealtimeOptions(
        api_key=api_key,
        model=model,
        base_url=base_url,
        dialect=dialect,
        on_web_socket_close=on_web_socket_close,
        statistics=statistics,
        trace=trace,
        privacy=privacy,
        reconnect=reconnect,
        tool_outputs=dict(tool_outputs or {}),
        bridge_factory=bridge_factory,
        ssl=ssl,
        connect_timeout_s=connect_timeout_s,
    )
    client = RealtimeAPIClient(options, protocol)
    try:
        await client.open()
    except BaseException:
        await client.abandon()
        raise
    return client


__all__ = [
    "ClientClosedError",
    "RealtimeAPIClient",
    "RealtimeAPIEvents",
    "ReconnectPolicy",
    "create_realtime_api_client",
]
