"""What stands between the network and the mock's handlers: every refusal in the API's error shape.

- `api_error_middleware`: aiohttp's own refusals (413 for a body over the limit, 405, 404) and any
  `ApiError` a handler raises become `{"error": {message, type, param, code}}`; a bug becomes an
  API-shaped 500 (logged with its traceback: that one is ours to fix). It also refuses
  connections beyond `ServerOptions.max_connections` (the control API is never refused).
- `QuietRequestHandler`: a request aiohttp cannot even parse (a 64 KB header, a bad request line)
  is answered in the API's shape too, and neither the answer nor the log repeats any of it:
  aiohttp's own answer and log quote the first ~90 bytes of the offending line, which may be a
  key. `GuardedAppRunner` serves with it.

A connection that never finishes its headers is closed after `ServerOptions.header_timeout_s`
(aiohttp's keep-alive timer, armed when a connection opens, closes a connection that has not
delivered a complete request by then).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_server import Server

from realtime_conformance.mockserver.options import ServerOptions
from realtime_conformance.rtproto.api_errors import ApiError

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
CONTROL_PREFIX = "/_mock/"
# This mock's wording (UNVERIFIED: no capture of these refusals from the real API).
STATUS_MESSAGES = {
    400: "We could not parse your request: it is not a well-formed HTTP request.",
    405: "Method not allowed for this endpoint.",
    413: "Request body too large: the limit is {limit} bytes.",
    431: "Request header fields too large.",
    500: "The server had an error while processing your request.",
}
TOO_MANY_CONNECTIONS = "Too many concurrent connections: the limit is {limit}."


def api_error(status: int, options: ServerOptions, text: str | None = None) -> ApiError:
    """The API-shaped error for an HTTP status aiohttp (or the mock) chose."""
    message = STATUS_MESSAGES.get(status) or (text or "").strip() or "The request was refused."
    if status == 413:
        message = message.format(limit=options.max_body_bytes)
    error_type = "server_error" if status >= 500 else "invalid_request_error"
    return ApiError(status, message, type=error_type)


def error_response(error: ApiError, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(
        error.body(), status=error.status, headers={**(headers or {}), **dict(error.headers)}
    )


def make_middleware(options_of: Callable[[web.Request], ServerOptions]) -> Any:
    """The middleware, reading the server's options from each request's application."""
    live = [0]  # requests and WebSocket connections being served now

    @web.middleware
    async def api_error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        options = options_of(request)
        control = request.path.startswith(CONTROL_PREFIX)
        if not control and live[0] >= options.max_connections:
            message = TOO_MANY_CONNECTIONS.format(limit=options.max_connections)
            return error_response(
                ApiError(429, message, type="requests", code="rate_limit_exceeded")
            )
        length = request.content_length
        if length is not None and length > options.max_body_bytes:  # refused before reading it
            return error_response(api_error(413, options))
        live[0] += 1
        try:
            return await _answered(request, handler, options)
        finally:
            live[0] -= 1

    return api_error_middleware


async def _answered(
    request: web.Request, handler: Handler, options: ServerOptions
) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as error:
        return error_response(error)
    except web.HTTPException as refusal:
        if refusal.status < 400:
            raise
        headers = {"Allow": refusal.headers["Allow"]} if "Allow" in refusal.headers else None
        return error_response(api_error(refusal.status, options, refusal.text), headers)
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        return error_response(api_error(500, options))


class QuietRequestHandler(RequestHandler):
    """aiohttp's connection handler, answering what it cannot parse without quoting it."""

    def handle_error(
        self,
        request: Any,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if status == 500:
            return super().handle_error(request, status, exc, message)  # a bug: traceback kept
        log.warning(
            "refused an unparsable request from %s: HTTP %d (%s)",
            request.remote,
            status,
            type(exc).__name__ if exc else "no detail",
        )
        if request.writer.output_size > 0:
            raise ConnectionError("an answer was already sent; the connection is dropped")
        error = ApiError(status, STATUS_MESSAGES.get(status, STATUS_MESSAGES[400]))
        response = error_response(error)
        response.force_close()
        return response


class QuietServer(Server):
    """aiohttp's protocol factory, making `QuietRequestHandler`s."""

    def __call__(self) -> RequestHandler:
        return QuietRequestHandler(self, loop=self._loop, **self._kwargs)


class GuardedAppRunner(web.AppRunner):
    """An AppRunner whose connections are handled by `QuietRequestHandler`."""

    async def _make_server(self) -> Server:
        server = await super()._make_server()
        server.__class__ = QuietServer  # same fields; only the handler class differs
        return server
