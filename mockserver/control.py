"""The control API under /_mock/, for harnesses that run the server as a separate process.

Scenario selection plugs in here: a route that picks a behaviour sets
`state.behaviour_factory` (the factory every new connection is built with), as tests do directly.
"""

from __future__ import annotations

from aiohttp import web

from mockserver.state import MockState

PREFIX = "/_mock"


def add_routes(app: web.Application, state_key: web.AppKey[MockState]) -> None:
    async def health(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def connections(request: web.Request) -> web.Response:
        state = request.app[state_key]
        return web.json_response(
            {"connections": [record.summary() for record in state.connections.values()]}
        )

    async def transcript(request: web.Request) -> web.Response:
        """One connection's transcript as JSONL, from memory (also when no file is written)."""
        record = request.app[state_key].connections.get(request.match_info["connection_id"])
        if record is None:
            raise web.HTTPNotFound(text="no such connection (or no longer kept)\n")
        body = "".join(line + "\n" for line in record.recording.lines)
        return web.Response(text=body, content_type="application/x-ndjson")

    app.router.add_get(f"{PREFIX}/health", health)
    app.router.add_get(f"{PREFIX}/connections", connections)
    app.router.add_get(f"{PREFIX}/connections/{{connection_id}}/transcript", transcript)
