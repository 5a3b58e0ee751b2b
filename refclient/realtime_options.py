"""The Realtime client's options (create_realtime_api_client's parameters) and its errors."""

from __future__ import annotations

import ssl as ssl_module
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from realtime_conformance.refclient.errors import ClientClosedError
from realtime_conformance.refclient.reconnect import ReconnectPolicy
from realtime_conformance.rtproto.handshake import Dialect

__all__ = ["ClientClosedError", "RealtimeOptions"]  # the error is re-exported where it was

if TYPE_CHECKING:
    from realtime_conformance.refclient.media_link import BridgeFactory


@dataclass
class RealtimeOptions:
    api_key: str
    model: str
    base_url: str
    dialect: Dialect = "ga"
    on_web_socket_close: Callable[[dict[str, Any]], Any] | None = None
    statistics: bool = False
    trace: bool | str | Path = False
    privacy: bool = False
    reconnect: ReconnectPolicy | None = None
    tool_outputs: dict[str, str] = field(default_factory=dict)
    bridge_factory: BridgeFactory | None = None
    ssl: ssl_module.SSLContext | None = None
    connect_timeout_s: float = 10.0  # the upgrade, from the TCP connect to the 101
