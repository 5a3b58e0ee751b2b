"""The control API under /_mock/, for harnesses that run the server as a separate process.

GET    /_mock/health                          {"ok": true}
GET    /_mock/connections                     recent connections (a scenario's with the client
                                              judged from the transcript: scenario_summary, and
                                              its verdict: pass | fail; null without a scenario)
GET    /_mock/refused                         refused handshakes: after the upgrade (the API's
                                              error and close) and before it (HTTP 426)
GET    /_mock/connections/{id}/transcript     one connection's transcript, JSONL
GET    /_mock/scenarios                       the scenario catalogue
GET    /_mock/scenario                        the scenario new connections get (or null)
PUT    /_mock/scenario    {"id": "5.1.1"}     choose it (400 with suggestions if unknown)
DELETE /_mock/scenario                        back to the simulated model
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from realtime_conformance.mockserver.scenario_summary import scenario_summary
from realtime_conformance.mockserver.state import ConnectionRecord, MockState
from realtime_conformance.rtproto.api_errors import ApiError, parse_json_body

PREFIX = "/_mock"


def connection_summary(state: MockState, record: ConnectionRecord) -> dict[str, Any]:
    """What the control API says of one connection, with its verdict under a scenario."""
    summary = {**record.summary(), **scenario_summary(state, record)}
    return {**summary, "verdict": verdict(summary)}


def verdict(summary: dict[str, Any]) -> str | None:
    """`pass` when the client met the scenario (every rule with a count, nothing unexpected,
    no expression that found nothing), `fail` otherwise; None when no scenario played. While
    the connection is open it is the verdict so far."""
    if summary.get("scenario") is None:
        return None
    failed = summary.get("unmatched") or summary.get("unmet") or summary.get("problems")
    return "fail" if failed else "pass"


def add_routes(app: web.Application, state_key: web.AppKey[MockState]) -> None:
    async def health(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def connections(request: web.Request) -> web.Response:
        state = request.app[state_key]
        summaries = [connection_summary(state, record) for record in state.connections.values()]
        return web.json_response({"connections": summaries})

    async def refused(request: web.Request) -> web.Response:
        return web.json_response({"refused": request.app[state_key].refused_handshakes()})

    async def transcript(request: web.Request) -> web.Response:
        """One connection's transcript as JSONL, from memory (also when no file is written)."""
        record = request.app[state_key].connections.get(request.match_info["connection_id"])
        if record is None:
            raise web.HTTPNotFound(text="no such connection (or no longer kept)\n")
        if not request.app[state_key].options.transcripts_in_memory:
            where = record.recording.path or "nowhere (no --record directory)"
            raise web.HTTPNotFound(text=f"transcripts are not kept in memory; written to {where}\n")
        body = "".join(line + "\n" for line in record.recording.lines)
        return web.Response(text=body, content_type="application/x-ndjson")

    async def scenarios(request: web.Request) -> web.Response:
        return web.json_response({"scenarios": request.app[state_key].scenarios.summaries()})

    async def selected(request: web.Request) -> web.Response:
        return web.json_response({"id": request.app[state_key].selected_scenario})

    async def select(request: web.Request) -> web.Response:
        state = request.app[state_key]
        body = parse_json_body(await request.read())  # an ApiError 400 when it is no JSON object
        scenario_id = body.get("id")
        if not isinstance(scenario_id, str):
            raise ApiError(400, 'Expected {"id": "<scenario id>"}.', param="id")
        refusal = state.scenarios.unknown(scenario_id)
        if refusal is not None:
            return web.json_response(refusal.body(), status=400)
        state.select_scenario(scenario_id)
        return web.json_response({"id": scenario_id})

    async def deselect(request: web.Request) -> web.Response:
        request.app[state_key].select_scenario(None)
        return web.json_response({"id": None})

    app.router.add_get(f"{PREFIX}/scenarios", scenarios)
    app.router.add_get(f"{PREFIX}/scenario", selected)
    app.router.add_put(f"{PREFIX}/scenario", select)
    app.router.add_delete(f"{PREFIX}/scenario", deselect)
    app.router.add_get(f"{PREFIX}/health", health)
    app.router.add_get(f"{PREFIX}/connections", connections)
    app.router.add_get(f"{PREFIX}/refused", refused)
    app.router.add_get(f"{PREFIX}/connections/{{connection_id}}/transcript", transcript)
