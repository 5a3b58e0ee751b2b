"""What the Chat Completions and Responses clients share: the HTTP endpoint, listeners, trace,
statistics, and reading a Server-Sent Events answer (rtproto.sse) with aiohttp.

Failures never hang and never raise out of a stream: an HTTP error answer (the API's
`{"error": {...}}` with its status), a refused connection or a dropped one become an
`HttpStreamError` that the client turns into its error event. Only misuse raises to the caller:
a closed client (`ClientClosedError`), arguments that are not a request body (`TypeError`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import ssl as ssl_module
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import aiohttp

from realtime_conformance.refclient.endpoint import DEFAULT_BASE_URL
from realtime_conformance.refclient.http_retry import DEFAULT_MAX_RETRIES, retry_delay_s
from realtime_conformance.refclient.http_trace import HttpTrace
from realtime_conformance.refclient.listeners import EventListeners, Handler
from realtime_conformance.refclient.realtime_options import ClientClosedError
from realtime_conformance.refclient.statistics import Statistics, summary
from realtime_conformance.rtproto.sse import SseMessage, SseParser

log = logging.getLogger("refclient")
READ_CHUNK_BYTES = 64 * 1024
DEFAULT_IDLE_TIMEOUT_S = 300.0


@dataclass
class HttpOptions:
    """The factories' common parameters (the seed's WebSocketBasedClientParameters + apiKey,
    baseUrl, project)."""

    api_key: str
    base_url: str = DEFAULT_BASE_URL
    project: str | None = None
    statistics: bool = False
    trace: bool | str | Path = False
    privacy: bool = False
    ssl: ssl_module.SSLContext | None = None
    # The longest silence tolerated while connecting or reading (a stalled server is a cut
    # stream, never a hang). Generous: a reasoning model may think for a while between events.
    idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S
    # Retries of a refused request (429, 5xx), as the official SDK: refclient.http_retry.
    max_retries: int = DEFAULT_MAX_RETRIES
    extra_headers: Mapping[str, str] = field(default_factory=dict)  # sent with every request

    def timeout(self) -> aiohttp.ClientTimeout:
        return aiohttp.ClientTimeout(
            total=None, sock_connect=self.idle_timeout_s, sock_read=self.idle_timeout_s
        )


class HttpStreamError(Exception):
    """A request that failed: `data` is what the error event carries (`status`, and the API's
    `error` object or one describing the local failure)."""

    def __init__(self, status: int | None, error: Any) -> None:
        super().__init__(f"{status}: {error}")
        self.data = {"status": status, "error": error}


def api_url(base_url: str, path: str, query: Mapping[str, str] | None = None) -> str:
    """`base_url` may be a host root or an API root ending in `/v1`; `path` follows `/v1`."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"base_url must be http(s), not {base_url!r}")
    root = parts.path.rstrip("/")
    root = root if root.endswith("/v1") else root + "/v1"
    return urlunsplit((parts.scheme, parts.netloc, root + path, urlencode(query or {}), ""))


def request_headers(api_key: str, project: str | None) -> dict[str, str]:
    if not api_key:
        raise ValueError("api_key is required")
    headers = {"Authorization": f"Bearer {api_key}"}
    if project:
        headers["OpenAI-Project"] = project
    return headers


@dataclass
class Latencies:
    """Per call: request sent -> first event, and -> first text (or arguments) delta, in ms
    (a resumed stream's events count for the call it resumes)."""

    first_event_ms: list[float] = field(default_factory=list)
    first_delta_ms: list[float] = field(default_factory=list)
    _started: float | None = None
    _event_pending: bool = False
    _delta_pending: bool = False

    def begin(self) -> None:
        self._started, self._event_pending, self._delta_pending = time.monotonic(), True, True

    def event(self, is_delta: bool = False) -> None:
        if self._started is None:
            return
        elapsed_ms = (time.monotonic() - self._started) * 1000
        if self._event_pending:
            self._event_pending = False
            self.first_event_ms.append(elapsed_ms)
        if is_delta and self._delta_pending:
            self._delta_pending = False
            self.first_delta_ms.append(elapsed_ms)

    def as_dict(self) -> dict[str, Any]:
        return {
            "first_event_latency": summary(self.first_event_ms),
            "first_delta_latency": summary(self.first_delta_ms),
        }


class HttpStreamClient:
    """Listeners, trace, statistics and the HTTP session of one client."""

    kind = "http"
    error_event: StrEnum
    info_event: StrEnum
    retry_delay = staticmethod(retry_delay_s)  # the SDK's retry rule (replaceable in tests)

    def __init__(self, options: HttpOptions) -> None:
        request_headers(options.api_key, options.project)  # refuse a missing key at once
        api_url(options.base_url, "/")  # and a base URL that is not HTTP
        self.options = options
        self._id = f"{self.kind}_client_{secrets.token_hex(8)}"
        self.listeners = EventListeners(self._handler_failed)
        self.stats = Statistics() if options.statistics else None
        self.latencies = Latencies()
        self.trace: HttpTrace | None = None
        if (path := self._trace_path()) is not None:
            self.trace = HttpTrace(path, options.privacy)
        self._http: aiohttp.ClientSession | None = aiohttp.ClientSession()
        self._answers: set[aiohttp.ClientResponse] = set()  # being read: close() ends them
        self.closed = False

    # -- the seed's methods ---------------------------------------------------------------------

    def id(self) -> str:
        return self._id

    def add_event_listener(self, event: StrEnum | str, handler: Handler) -> None:
        """Call `handler(client, data)` on `event` (a constant or an event name). A handler
        that is not callable is refused at once (TypeError)."""
        self.listeners.add(event, handler)

    def remove_event_listener(self, event: StrEnum | str, handler: Handler | None = None) -> None:
        """Remove `handler`, or every handler of `event` when none is given."""
        self.listeners.remove(event, handler)

    def statistics(self) -> dict[str, Any] | None:
        """Frames and bytes both ways and latencies (None unless `statistics=True`)."""
        if self.stats is None:
            return None
        return {**self.stats.as_dict(), **self.latencies.as_dict()}

    @property
    def trace_path(self) -> Path | None:
        return self.trace.path if self.trace else None

    async def close(self) -> None:
        """End the client: a stream being read stops; later calls raise ClientClosedError."""
        self.closed = True
        for answer in list(self._answers):
            answer.close()  # the reader sees the end of its stream, and stops
        http, self._http = self._http, None
        if http is not None:
            await http.close()
        if self.trace is not None:
            self.trace.finish()

    # -- plumbing -------------------------------------------------------------------------------

    def ensure_open(self) -> aiohttp.ClientSession:
        if self.closed or self._http is None:
            raise ClientClosedError(f"the {self.kind} client {self._id} is closed")
        return self._http

    def emit(self, name: StrEnum | str, data: Any) -> None:
        self.listeners.emit(name, self, data)

    def _handler_failed(self, name: str, error: BaseException) -> None:
        log.error("a handler of %s raised %r", name, error)
        if name != self.info_event:
            self.emit(
                self.info_event, {"kind": "handler_error", "event": name, "error": repr(error)}
            )

    def _trace_path(self) -> Path | None:
        trace = self.options.trace
        if trace is False or trace is None:
            return None
        if trace is True:
            return Path.cwd() / f"{self.kind}-trace-{self._id}.jsonl"
        return Path(trace)

    def headers(self) -> dict[str, str]:
        return {**request_headers(self.options.api_key, self.options.project),
                **self.options.extra_headers}  # fmt: skip

    def _sent(self, method: str, url: str, body: Any) -> None:
        if self.trace:
            self.trace.request(method, url, self.headers(), body)
        if self.stats:
            self.stats.frame("client", len(json.dumps(body).encode()) if body is not None else 0)

    async def stream(
        self, method: str, path: str, body: Any = None, query: Mapping[str, str] | None = None
    ) -> AsyncIterator[tuple[SseMessage, Any]]:
        """Each message of a Server-Sent Events answer with its parsed JSON (None when it is
        not JSON). A refused request (429, 5xx) is retried as the official SDK retries it
        (refclient.http_retry), each retry reported as ConnectorInformation `{kind:
        "retrying", status, retry_in_s}`. Raises HttpStreamError for an error answer or a
        failed connection."""
        retries = 0
        while True:
            refused = await self._refused_or_streamed(method, path, body, query)
            if isinstance(refused, AsyncIterator):
                async for item in refused:
                    yield item
                return
            error, headers = refused
            status = error.data["status"]
            delay = self.retry_delay(status, headers, retries, self.options.max_retries)
            if delay is None:
                raise error
            retries += 1
            self.emit(self.info_event, {"kind": "retrying", "status": status,
                                        "retry_in_s": round(delay, 3)})  # fmt: skip
            await asyncio.sleep(delay)

    async def _refused_or_streamed(
        self, method: str, path: str, body: Any, query: Mapping[str, str] | None
    ) -> tuple[HttpStreamError, Mapping[str, str]] | AsyncIterator[tuple[SseMessage, Any]]:
        """An error answer with its headers, or the answer's messages (read lazily)."""
        http, url = self.ensure_open(), api_url(self.options.base_url, path, query)
        headers = {**self.headers(), "Accept": "text/event-stream"}
        self._sent(method, url, body)
        try:
            context = http.request(
                method,
                url,
                json=body,
                headers=headers,
                ssl=self.options.ssl or True,
                timeout=self.options.timeout(),
            )
            answer = await context.__aenter__()
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            raise HttpStreamError(None, local_error("connection_error", error)) from error
        if answer.status >= 400 or "event-stream" not in answer.content_type:
            try:
                return await self._error_answer(answer), dict(answer.headers)
            except (aiohttp.ClientError, OSError, TimeoutError) as error:
                raise HttpStreamError(None, local_error("connection_error", error)) from error
            finally:
                await context.__aexit__(None, None, None)
        return self._streamed(context, answer)

    async def _streamed(
        self, context: Any, answer: aiohttp.ClientResponse
    ) -> AsyncIterator[tuple[SseMessage, Any]]:
        """The messages of an answer that began (a failure now is a cut stream)."""
        self._answers.add(answer)
        try:
            async for message, event in self._messages(answer):
                yield message, event
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            raise HttpStreamError(None, local_error("stream_cut", error)) from error
        finally:
            self._answers.discard(answer)
            await context.__aexit__(None, None, None)

    async def _messages(
        self, answer: aiohttp.ClientResponse
    ) -> AsyncIterator[tuple[SseMessage, Any]]:
        parser = SseParser()
        while chunk := await answer.content.read(READ_CHUNK_BYTES):
            for message in parser.feed(chunk):
                yield message, self._received(message)
        for message in parser.close():
            yield message, self._received(message)

    def _received(self, message: SseMessage) -> Any:
        try:
            event = None if message.is_done else message.json()
        except ValueError:
            event = None
        if self.trace:
            self.trace.sse(message, event)
        if self.stats:
            self.stats.frame("server", len(message.data.encode()))
        return event

    async def _error_answer(self, answer: aiohttp.ClientResponse) -> HttpStreamError:
        text = await answer.text()
        try:
            body = json.loads(text)
        except ValueError:
            body = {"error": {"type": "invalid_response", "message": text[:500]}}
        if self.trace:
            self.trace.response(answer.status, body)
        error = body.get("error", body) if isinstance(body, dict) else body
        return HttpStreamError(answer.status, error)

    async def post_json(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """A non-streaming request's JSON answer (raises HttpStreamError as `stream` does)."""
        http, url = self.ensure_open(), api_url(self.options.base_url, path)
        self._sent("POST", url, body)
        try:
            async with http.post(
                url,
                json=body,
                headers=self.headers(),
                ssl=self.options.ssl or True,
                timeout=self.options.timeout(),
            ) as answer:
                if answer.status >= 400:
                    raise await self._error_answer(answer)
                result: dict[str, Any] = await answer.json(content_type=None)
        except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as error:
            raise HttpStreamError(None, local_error("connection_error", error)) from error
        if self.trace:
            self.trace.response(answer.status, result)
        if self.stats:
            self.stats.frame("server", len(json.dumps(result).encode()))
        return result


def local_error(kind: str, error: BaseException | str) -> dict[str, Any]:
    """An `error` object for a failure the API did not word (connection, cut stream)."""
    message = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    return {"type": kind, "code": None, "message": message, "param": None}
