"""The mock OpenAI Realtime server: an aiohttp driver around the sans-I/O behaviours of rtproto.

Everything protocol-shaped (what to answer, when) lives in `rtproto.server.realtime`; this package
only
accepts WebSocket connections, authenticates them, pumps frames between the socket and a
`Behaviour`, and records every frame. Entry points: `running_server(options)` for tests and
harnesses, `python -m realtime_conformance.mockserver` on the command line.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from realtime_conformance.mockserver.app import RunningServer, create_app, running_server
    from realtime_conformance.mockserver.options import ConnectionInfo, ServerOptions

# Loaded on first use (PEP 562): `realtime-conformance --help` imports mockserver.cli, and that
# should not cost aiohttp and the simulated model.
_HOMES = {
    "RunningServer": "realtime_conformance.mockserver.app",
    "create_app": "realtime_conformance.mockserver.app",
    "running_server": "realtime_conformance.mockserver.app",
    "ConnectionInfo": "realtime_conformance.mockserver.options",
    "ServerOptions": "realtime_conformance.mockserver.options",
}

__all__ = ["ConnectionInfo", "RunningServer", "ServerOptions", "create_app", "running_server"]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
