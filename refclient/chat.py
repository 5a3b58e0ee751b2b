"""The reference Chat Completions client: `create_chat_completions_api_client` and
`ChatCompletionsAPIClient`, the VoxEngine `OpenAI.ChatCompletionsAPIClient` in Python.

`create_chat_completions(parameters)` streams `POST /v1/chat/completions` (Server-Sent Events)
and raises, for each chunk, `Chunk` and the events the official helper derives from it
(refclient.chat_accumulator). Every failure is an event, never a hang: an HTTP error answer or a
refused connection -> `ChatCompletionsAPIError` with `{status, error}`; a mid-stream
`{"error": ...}` -> `ChatCompletionsAPIError` with `{status: 200, error}`; a stream cut before
`[DONE]` -> `ChatCompletionsAPIError` with error type `stream_cut`; a frame that is not a chunk ->
`Unknown`. Calls run one at a time (the stored context is built in order).
"""

from __future__ import annotations

import asyncio
import ssl as ssl_module
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from realtime_conformance.refclient.chat_accumulator import ChatStreamAccumulator, FinishReasonError
from realtime_conformance.refclient.chat_context import (
    DEFAULT_SUMMARY_MODEL,
    DEFAULT_SUMMARY_PROMPT,
    ChatContext,
)
from realtime_conformance.refclient.endpoint import DEFAULT_BASE_URL
from realtime_conformance.refclient.events import ChatCompletionsAPIEvents
from realtime_conformance.refclient.http_retry import DEFAULT_MAX_RETRIES
from realtime_conformance.refclient.http_stream import (
    DEFAULT_IDLE_TIMEOUT_S,
    HttpOptions,
    HttpStreamClient,
    HttpStreamError,
    local_error,
)
from realtime_conformance.rtproto.sse import SseMessage

CHAT_PATH = "/chat/completions"
CHUNK_OBJECT = "chat.completion.chunk"
Chat = ChatCompletionsAPIEvents
DELTAS = (Chat.ContentDelta, Chat.RefusalDelta, Chat.FunctionToolCallArgumentsDelta)


class ChatCompletionsAPIClient(HttpStreamClient):
    """Make it with `create_chat_completions_api_client`."""

    kind = "chat"
    error_event = Chat.ChatCompletionsAPIError
    info_event = Chat.ConnectorInformation

    def __init__(self, options: HttpOptions, context: ChatContext | None = None) -> None:
        super().__init__(options)
        self.context = context
        self._turns = asyncio.Lock()

    def web_socket_id(self) -> str | None:
        """The Chat Completions API has no WebSocket: always None."""
        return None

    async def create_chat_completions(self, parameters: Mapping[str, Any]) -> dict[str, Any] | None:
        """Stream one completion; returns the accumulated `chat.completion` (None when it
        failed, which an error event has told). `stream` is always true."""
        if not isinstance(parameters, Mapping):
            raise TypeError(f"parameters must be a mapping (the request body), not {parameters!r}")
        self.ensure_open()
        async with self._turns:
            given = list(parameters.get("messages") or [])
            body = {**parameters, "stream": True}
            if self.context is not None:
                body["messages"] = self.context.request_messages(given)
            completion = await self._stream_completion(body)
            if self.context is not None and completion is not None:
                self.context.record(given, first_choice_message(completion))
                await self._summarize(self.context)
            return completion

    async def _stream_completion(self, body: dict[str, Any]) -> dict[str, Any] | None:
        accumulator, finished = ChatStreamAccumulator(body.get("tools")), False
        self.latencies.begin()
        try:
            async for message, event in self.stream("POST", CHAT_PATH, body):
                if message.is_done:
                    finished = True
                    break
                if not self._on_message(accumulator, message, event):
                    return None
        except HttpStreamError as error:
            self._failed(error.data)
            return None
        if not finished:
            self._failed({"status": 200, "error": local_error("stream_cut", "no [DONE]")})
            return None
        return accumulator.snapshot

    def _on_message(
        self, accumulator: ChatStreamAccumulator, message: SseMessage, event: Any
    ) -> bool:
        """Raise what one message says; False when the stream has failed."""
        if isinstance(event, dict) and "error" in event and "object" not in event:
            self._failed({"status": 200, "error": event["error"]})
            return False
        if not isinstance(event, dict) or event.get("object") != CHUNK_OBJECT:
            self.emit(Chat.Unknown, event if event is not None else {"data": message.data})
            return True
        try:
            derived = accumulator.handle_chunk(event)
        except (FinishReasonError, ValueError, KeyError, IndexError, TypeError) as error:
            self._failed({"status": 200, "error": local_error("malformed_stream", error)})
            return False
        self.latencies.event(any(name in DELTAS for name, _ in derived))
        for name, data in derived:
            self.emit(name, data)
        return True

    def _failed(self, data: dict[str, Any]) -> None:
        if not self.closed:  # a close() mid-stream is the application's doing, not an error
            self.emit(Chat.ChatCompletionsAPIError, data)

    async def _summarize(self, context: ChatContext) -> None:
        body = context.summary_body()
        if body is None:
            return
        try:
            summary = context.summarized(await self.post_json(CHAT_PATH, body))
        except HttpStreamError as error:
            self._failed({**error.data, "summary": True})
            return
        if summary is not None:
            self.emit(Chat.ConnectorInformation, {"kind": "summary_updated", "summary": summary})


def first_choice_message(completion: dict[str, Any]) -> dict[str, Any] | None:
    choices = [c for c in completion.get("choices") or [] if isinstance(c, dict)]
    return next((c.get("message") for c in choices if c.get("index") == 0), None)


async def create_chat_completions_api_client(
    *,
    api_key: str,
    base_url: str = DEFAULT_BASE_URL,
    project: str | None = None,
    store_context: bool = False,
    summary_model: str | None = DEFAULT_SUMMARY_MODEL,
    summary_prompt: str | None = None,
    statistics: bool = False,
    trace: bool | str | Path = False,
    privacy: bool = False,
    ssl: ssl_module.SSLContext | None = None,
    idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S,
    max_retries: int = DEFAULT_MAX_RETRIES,
    extra_headers: Mapping[str, str] | None = None,
) -> ChatCompletionsAPIClient:
    """A Chat Completions client (seed 001 `createChatCompletionsAPIClient`).

    `store_context`: keep the conversation across calls, as a running summary made by
    `summary_model` with `summary_prompt` (refclient.chat_context). `trace`: True writes
    `chat-trace-<client id>.jsonl` in the working directory, a path writes there (the
    transcript format). `statistics`: frames, bytes, latencies (`statistics()`). `privacy`:
    redact text from the trace and logs. `project`: the `OpenAI-Project` header.
    `idle_timeout_s`: the longest silence tolerated while connecting or reading; a stalled
    stream then ends with `ChatCompletionsAPIError`. `max_retries`: a refused request (429, 5xx)
    is retried as the official SDK does (refclient.http_retry); `extra_headers`: sent with
    every request.
    """
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
    context = None
    if store_context:
        context = ChatContext(summary_model, summary_prompt or DEFAULT_SUMMARY_PROMPT)
    return ChatCompletionsAPIClient(options, context)


__all__ = [
    "ChatCompletionsAPIClient",
    "ChatCompletionsAPIEvents",
    "create_chat_completions_api_client",
]
