"""The mock OpenAI Realtime server: an aiohttp driver around the sans-I/O behaviours of rtproto.

Everything protocol-shaped (what to answer, when) lives in `rtproto.server.realtime`; this package
only
accepts WebSocket connections, authenticates them, pumps frames between the socket and a
`Behaviour`, and records every frame. Entry points: `running_server(options)` for tests and
harnesses, `python -m mockserver` on the command line.
"""

from mockserver.app import RunningServer, create_app, running_server
from mockserver.options import ConnectionInfo, ServerOptions

__all__ = ["ConnectionInfo", "RunningServer", "ServerOptions", "create_app", "running_server"]
