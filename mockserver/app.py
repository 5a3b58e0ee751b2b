"""The aiohttp application: Realtime routes, the control API, and a server to run it in."""

from __future__ import annotations

import asyncio
import gc
import logging
import shutil
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from realtime_conformance.mockserver import control, guard, handshake, http_apis
from realtime_conformance.mockserver.connection import ConnectionPump
from realtime_conformance.mockserver.options import ConnectionInfo, ServerOptions
from realtime_conformance.mockserver.recorder import Recording
from realtime_conformance.mockserver.state import STATE, ConnectionRecord, InvalidEvent, MockState
from realtime_conformance.mockserver.tls import SelfSignedCertificate, make_self_signed_certificate
from realtime_conformance.mockserver.warm import warm_up
from realtime_conformance.rtproto.api_errors import ApiError
from realtime_conformance.rtproto.events import EventBuilder
from realtime_conformance.rtproto.handshake import (
    Handshake,
    HandshakeRequest,
    Rejection,
    redacted_headers,
    redacted_query_string,
)
from realtime_conformance.rtproto.ids import IdFactory

log = logging.getLogger(__name__)

REALTIME_PATHS = ("/v1/realtime", "/openai/v1/realtime", "/openai/realtime")
CONNECTION_ID_HEADER = "x-mock-connection-id"
SHUTDOWN_TIMEOUT_S = 2.0
# UNVERIFIED: this mock's wording for a plain GET of the WebSocket endpoint.
UPGRADE_REQUIRED = "This endpoint only accepts WebSocket connections: send an Upgrade request."


def create_app(options: ServerOptions, state: MockState | None = None) -> web.Application:
    middleware = guard.make_middleware(lambda request: request.app[STATE].options)
    app = web.Application(client_max_size=options.max_body_bytes, middlewares=[middleware])
    app[STATE] = state or MockState(options)
    for path in REALTIME_PATHS:
        app.router.add_get(path, realtime_handler)
    control.add_routes(app, STATE)
    http_apis.add_routes(app)
    app.on_shutdown.append(_close_live_connections)
    if options.record_dir is not None:
        options.record_dir.mkdir(parents=True, exist_ok=True)
    return app


def _connection_info(
    hs_request: HandshakeRequest, decision: Handshake, connection_id: str, seed: int
) -> ConnectionInfo:
    return ConnectionInfo(
        connection_id=connection_id,
        dialect=decision.dialect,
        model=decision.model,
        intent=decision.intent,
        call_id=decision.call_id,
        path=hs_request.path,
        query=dict(hs_request.query),
        headers=redacted_headers(hs_request),
        seed=seed,
    )


def _handshake_request(request: web.Request) -> HandshakeRequest:
    return HandshakeRequest.from_pairs(request.path, dict(request.query), request.headers.items())


async def realtime_handler(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    options = state.options
    hs_request = _handshake_request(request)
    decision = handshake.evaluate(hs_request, options)
    ws = web.WebSocketResponse(
        protocols=[decision.subprotocol] if decision.subprotocol else [],
        compress=True,  # permessage-deflate when the client offers it
        max_msg_size=options.max_message_bytes,
        timeout=options.close_timeout_s,
    )
    if not ws.can_prepare(request).ok:
        state.refuse(request.path, 426, "not a WebSocket upgrade")
        return guard.error_response(ApiError(426, UPGRADE_REQUIRED), {"Upgrade": "websocket"})
    info = _connection_info(hs_request, decision, state.new_connection_id(), state.seed)
    rejection = decision.rejection or _scenario_rejection(state, info)
    record = state.open_connection(info, _rejection_label(rejection))
    record.rejection_message = rejection.error.message if rejection else None
    ws.headers[CONNECTION_ID_HEADER] = info.connection_id
    try:
        await ws.prepare(request)
        _record_handshake_meta(record, request, ws)
        if rejection is not None:
            await _reject(request, ws, record, rejection, state)
        else:
            await _serve(request, ws, record, state)
    finally:
        state.close_connection(record)
    return ws


def _scenario_rejection(state: MockState, info: ConnectionInfo) -> Rejection | None:
    """The mock's own `scenario` parameter refused as the real API refuses a bad `model`: after
    the upgrade, so that the reason reaches SDK users (who see only "HTTP 400" otherwise)."""
    refusal = state.scenario_refusal(info)
    return None if refusal is None else refusal.rejection()


def _rejection_label(rejection: Rejection | None) -> str | None:
    """The refused handshake's error code (the close reason when the code is null)."""
    if rejection is None:
        return None
    return rejection.error.code or rejection.close_reason


def _record_handshake_meta(
    record: ConnectionRecord, request: web.Request, ws: web.WebSocketResponse
) -> None:
    info = record.info
    record.recording.meta(
        record.recording.started_at,
        {
            "kind": "handshake",
            "http_status": 101,
            "path": request.path,
            "query": redacted_query_string(request.query_string),
            "request_headers": dict(info.headers),
            "subprotocol": ws.ws_protocol,
            "dialect": info.dialect,
            "connection_id": info.connection_id,
            "compression": bool(ws.compress),
            "seed": info.seed,  # `serve --seed N` replays this connection's ids and text
        },
    )


def _pump_for(
    request: web.Request, ws: web.WebSocketResponse, record: ConnectionRecord, state: MockState
) -> ConnectionPump:
    return ConnectionPump(
        request,
        ws,
        lambda: state.make_behaviour(record),
        record.info.dialect,
        record.recording,
        check_event=state.event_check(record.connection_id, record.info.dialect),
    )


async def _serve(
    request: web.Request, ws: web.WebSocketResponse, record: ConnectionRecord, state: MockState
) -> None:
    pump = _pump_for(request, ws, record, state)
    state.live.add(pump)
    try:
        await pump.run(state.options.ping_interval_s)
    finally:
        state.live.discard(pump)


async def _reject(
    request: web.Request,
    ws: web.WebSocketResponse,
    record: ConnectionRecord,
    rejection: Rejection,
    state: MockState,
) -> None:
    """The real API's refusal: one `error` event, then a close with an application code."""
    pump = _pump_for(request, ws, record, state)
    event = EventBuilder(IdFactory()).error(rejection.error)
    await pump.refuse(event, rejection.close_code, rejection.close_reason)


async def _close_live_connections(app: web.Application) -> None:
    """Close every open connection with 1001, all at once (each waits for its client's reply)."""
    pumps = list(app[STATE].live)
    results = await asyncio.gather(*(pump.shut_down() for pump in pumps), return_exceptions=True)
    for pump, result in zip(pumps, results, strict=True):
        if isinstance(result, Exception):
            log.error("closing %s on shutdown failed: %r", pump.recording.connection_id, result)


def settle_heap() -> None:
    """For a server process that runs for long: what start-up made (catalogue, schemas, imports)
    lives as long as the process, so it is moved out of the garbage collector's reach; full
    collections then no longer pause every session for 40-65 ms (bench/README.md). Not done by
    `running_server` itself, which tests start by the hundred in one process.

    The collection after the freeze resets the collector's count of long-lived objects (else
    still the whole start-up heap): full collections are due when a quarter as many again have
    been promoted, so with the stale count closed sessions (kept alive by reference cycles such
    as Faker's) piled up by the hundred before one ran (bench/bench_soak.py)."""
    gc.collect()
    gc.freeze()
    gc.collect()


def url_host(host: str) -> str:
    """The host as a client should write it in a URL (a wildcard address means this machine)."""
    if host in ("", "0.0.0.0", "::"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


@dataclass
class RunningServer:
    """A mock server listening on a port: where it is and what it has seen."""

    state: MockState
    host: str
    port: int
    tls: SelfSignedCertificate | None = None

    @property
    def url(self) -> str:
        """The base URL for SDK clients (`websocket_base_url`): they append `/realtime`."""
        return f"{'wss' if self.tls else 'ws'}://{url_host(self.host)}:{self.port}/v1"

    @property
    def http_url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{url_host(self.host)}:{self.port}"

    @property
    def cert_path(self) -> Path | None:
        return self.tls.cert_path if self.tls else None

    @property
    def connections(self) -> list[ConnectionRecord]:
        return list(self.state.connections.values())

    @property
    def recordings(self) -> dict[str, Recording]:
        return {key: record.recording for key, record in self.state.connections.items()}

    @property
    def invalid_events(self) -> list[InvalidEvent]:
        return self.state.invalid_events

    def client_ssl_context(self) -> ssl.SSLContext | None:
        """An SSL context that trusts this server's certificate (None without TLS)."""
        return ssl.create_default_context(cafile=str(self.tls.cert_path)) if self.tls else None


def _server_ssl_context(certificate: SelfSignedCertificate) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate.cert_path, certificate.key_path)
    return context


@asynccontextmanager
async def running_server(options: ServerOptions | None = None) -> AsyncIterator[RunningServer]:
    """Serve until the block ends; then close every connection (1001) and stop."""
    options = options or ServerOptions()
    certificate = make_self_signed_certificate() if options.tls else None
    state = MockState(options)
    state.cert_path = str(certificate.cert_path) if certificate else None
    runner = guard.GuardedAppRunner(
        create_app(options, state),
        shutdown_timeout=SHUTDOWN_TIMEOUT_S,
        access_log=None,
        keepalive_timeout=options.header_timeout_s,  # also closes a connection stuck in headers
    )
    await runner.setup()
    try:
        ssl_context = _server_ssl_context(certificate) if certificate else None
        site = web.TCPSite(runner, options.host, options.port, ssl_context=ssl_context)
        await site.start()
        port = int(runner.addresses[0][1])
        warm_up(state)  # before anyone is told the server is ready (mockserver.warm)
        yield RunningServer(state, options.host, port, certificate)
    finally:
        await runner.cleanup()
        if certificate is not None:
            shutil.rmtree(certificate.directory, ignore_errors=True)
