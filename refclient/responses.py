"""The reference Responses client: `create_responses_api_client` and `ResponsesAPIClient`, the
VoxEngine `OpenAI.ResponsesAPIClient` in Python.

`create_responses(parameters)` runs one response and raises its events as they arrive
(refclient.responses_accumulator: provider types map 1:1 to `ResponsesAPIEvents`, unknown ->
`Unknown`). Two transports:

- `"sse"` (default): `POST /v1/responses` with `stream: true`. A stream cut before its terminal
  event (`response.completed | failed | incomplete`) is resumed where it stopped with
  `GET /v1/responses/{id}?stream=true&starting_after=N`, N the last `sequence_number` received
  (up to `resume_attempts` times, each reported as `ConnectorInformation`
  `{kind: "resumed", response_id, starting_after}`): a new request would generate and bill the
  answer again. Before `response.created` there is nothing to resume: the cut is an error.
- `"websocket"`: the Responses WebSocket mode, `GET /v1/responses` upgraded; each call sends
  `{"type": "response.create", ...parameters}` (without `stream` and `background`, which the
  mode refuses). A dropped socket ends the response with an error (the mode cannot resume);
  the next call opens a new socket.

Failures are events, never hangs: an HTTP error answer or a refused connection ->
`ResponsesAPIError` `{status, error}`; the server's `error` event -> `ResponseError` as sent;
a stream that breaks the helper's rules -> `ResponsesAPIError` (type `stream_state`).
`store_context`: each call continues the last completed response (`previous_response_id`), or,
when the call says `store: false` (nothing kept server-side), resends the kept input and output
items. Calls run one at a time.
"""

from __future__ import annotations

import asyncio
import copy
import ssl as ssl_module
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from realtime_conformance.refclient.endpoint import DEFAULT_BASE_URL
from realtime_conformance.refclient.events import ResponsesAPIEvents
from realtime_conformance.refclient.http_retry import DEFAULT_MAX_RETRIES
from realtime_conformance.refclient.http_stream import (
    DEFAULT_IDLE_TIMEOUT_S,
    HttpOptions,
    HttpStreamClient,
    HttpStreamError,
    local_error,
)
from realtime_conformance.refclient.responses_accumulator import (
    ResponseStreamAccumulator,
    StreamStateError,
)
from realtime_conformance.refclient.responses_socket import ResponsesSocket

Responses = ResponsesAPIEvents
Transport = Literal["sse", "websocket"]
RESPONSES_PATH = "/responses"
DELTA_TYPES = ("response.output_text.delta", "response.function_call_arguments.delta")


class ResponsesContext:
    """What `store_context` keeps: the last completed response, and (for `store: false`
    calls) the conversation's items."""

    def __init__(self) -> None:
        self.previous_response_id: str | None = None
        self.items: list[Any] = []

    def body(self, parameters: Mapping[str, Any]) -> dict[str, Any]:
        body = dict(parameters)
        if body.get("store") is False:
            body["input"] = [*copy.deepcopy(self.items), *input_items(body.get("input"))]
        elif self.previous_response_id and not body.get("conversation"):
            body.setdefault("previous_response_id", self.previous_response_id)
        return body

    def record(self, parameters: Mapping[str, Any], response: dict[str, Any]) -> None:
        if parameters.get("store") is False:
            self.items += input_items(parameters.get("input"))
            self.items += copy.deepcopy(response.get("output") or [])
        else:
            self.previous_response_id = response.get("id")


def input_items(value: Any) -> list[Any]:
    """A call's `input` as a list of items (a string is one user message)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [{"type": "message", "role": "user", "content": value}]
    return copy.deepcopy(list(value))


class ResponsesAPIClient(HttpStreamClient):
    """Make it with `create_responses_api_client`."""

    kind = "responses"
    error_event = Responses.ResponsesAPIError
    info_event = Responses.ConnectorInformation

    def __init__(
        self,
        options: HttpOptions,
        transport: Transport = "sse",
        store_context: bool = False,
        resume_attempts: int = 3,
    ) -> None:
        if transport not in ("sse", "websocket"):
            raise ValueError(f"transport must be 'sse' or 'websocket', not {transport!r}")
        super().__init__(options)
        self.transport = transport
        self.context = ResponsesContext() if store_context else None
        self.resume_attempts = resume_attempts
        self.socket = ResponsesSocket(self) if transport == "websocket" else None
        self._turns = asyncio.Lock()

    def web_socket_id(self) -> str | None:
        """The WebSocket mode's current connection id (None over SSE, or before the first)."""
        return self.socket.connection_id if self.socket else None

    async def create_responses(self, parameters: Mapping[str, Any]) -> dict[str, Any] | None:
        """Run one response; returns the final Response object of its terminal event (None
        when it failed before one, which an error event has told)."""
        if not isinstance(parameters, Mapping):
            raise TypeError(f"parameters must be a mapping (the request body), not {parameters!r}")
        self.ensure_open()
        async with self._turns:
            body = self.context.body(parameters) if self.context else dict(parameters)
            accumulator = ResponseStreamAccumulator()
            self.latencies.begin()
            if self.stats:  # the request is this API's response.create
                self.stats.client_event({"type": "response.create"}, time.monotonic())
            if self.socket is not None:
                await self.socket.run(body, accumulator)
            else:
                await self._run_sse(body, accumulator)
            response = final_response(accumulator)
            if self.context is not None and response is not None:
                self.context.record(parameters, response)
            return response

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()
        await super().close()

    # -- SSE ------------------------------------------------------------------------------------

    async def _run_sse(self, body: dict[str, Any], accumulator: ResponseStreamAccumulator) -> None:
        request: tuple[str, str, Any, dict[str, str] | None]
        request = ("POST", RESPONSES_PATH, {**body, "stream": True}, None)
        for attempt in range(self.resume_attempts + 1):
            cut = await self._read_sse(accumulator, *request)
            if cut is None or self.closed:  # over, or the application closed the client
                return
            response_id, after = accumulator.response_id, accumulator.last_sequence
            if response_id is None or after is None or attempt == self.resume_attempts:
                self.failed(cut)
                return
            query = {"stream": "true", "starting_after": str(after)}
            request = ("GET", f"{RESPONSES_PATH}/{response_id}", None, query)
            self.emit(
                Responses.ConnectorInformation,
                {"kind": "resumed", "response_id": response_id, "starting_after": after},
            )

    async def _read_sse(
        self,
        accumulator: ResponseStreamAccumulator,
        method: str,
        path: str,
        body: Any,
        query: dict[str, str] | None,
    ) -> dict[str, Any] | None:
        """Read one answer; None when the response is over (or failed for good), else why the
        stream was cut (it may be resumed)."""
        try:
            async for message, event in self.stream(method, path, body, query):
                if not self.handle(accumulator, event, message.data):
                    return None
        except HttpStreamError as error:
            if error.data["status"] is not None:  # an error answer, not a cut
                self.failed(error.data)
                return None
            return error.data
        return {"status": 200, "error": local_error("stream_cut", "no terminal event")}

    # -- shared by both transports ----------------------------------------------------------------

    def handle(self, accumulator: ResponseStreamAccumulator, event: Any, text: str) -> bool:
        """Raise what one server message says; False once the response is over."""
        if not isinstance(event, dict):
            self.emit(Responses.Unknown, {"data": text})
            return True
        if event.get("type") == "error" and accumulator.snapshot is None:
            self.emit(Responses.ResponseError, event)  # refused before it began
            return False
        try:
            derived = accumulator.handle_event(event)
        except StreamStateError as error:  # the helper's own words
            self.failed({"status": 200, "error": local_error("stream_state", str(error))})
            return False
        except (KeyError, TypeError, ValueError) as error:  # an event without its fields
            self.failed({"status": 200, "error": local_error("malformed_stream", error)})
            return False
        self.latencies.event(event.get("type") in DELTA_TYPES)
        if self.stats:
            self.stats.server_event(event, time.monotonic())
        for name, data in derived:
            self.emit(name, data)
        return accumulator.terminal is None

    def failed(self, data: dict[str, Any]) -> None:
        if not self.closed:  # a close() mid-stream is the application's doing
            self.emit(Responses.ResponsesAPIError, data)


def final_response(accumulator: ResponseStreamAccumulator) -> dict[str, Any] | None:
    terminal = accumulator.terminal
    response = terminal.get("response") if terminal else None
    return response if isinstance(response, dict) else None


async def create_responses_api_client(
    *,
    api_key: str,
    base_url: str = DEFAULT_BASE_URL,
    project: str | None = None,
    store_context: bool = False,
    transport: Transport = "sse",
    resume_attempts: int = 3,
    statistics: bool = False,
    trace: bool | str | Path = False,
    privacy: bool = False,
    ssl: ssl_module.SSLContext | None = None,
    idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S,
    max_retries: int = DEFAULT_MAX_RETRIES,
    extra_headers: Mapping[str, str] | None = None,
) -> ResponsesAPIClient:
    """A Responses client (seed 001 `createResponsesAPIClient`). `transport`: "sse" or
    "websocket" (the Responses WebSocket mode; the socket opens here). `trace`, `statistics`,
    `privacy`, `project`, `idle_timeout_s`: as for the Chat client (refclient.chat); a stream
    stalled longer than `idle_timeout_s` is a cut stream (resumed over SSE). `max_retries`: a
    refused request (429, 5xx) is retried as the official SDK does (refclient.http_retry);
    `extra_headers`: sent with every request."""
    options = HttpOptions(
        api_key,
        base_url,
        project,
        statistics,
        trace,
        privacy,
        ssl,
        idle_timeout_s,
        max_retries,
        dict(extra_headers or {}),
    )
    client = ResponsesAPIClient(options, transport, store_context, resume_attempts)
    if client.socket is not None:
        try:
            await client.socket.open()
        except BaseException:
            await client.close()
            raise
    return client


__all__ = ["ResponsesAPIClient", "ResponsesAPIEvents", "create_responses_api_client"]
