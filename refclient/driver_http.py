"""The reference driver's HTTP part: a Responses or Chat case's steps through the reference
Responses (SSE or WebSocket mode) and Chat clients.

`configure` sets request defaults (model, tools, instructions, ...); `send_text` makes one
streamed request and returns when the client is done with it: answered, resumed, retried, or
failed (the client's error event). The client's own events that a check may judge are reported:
its error events (`ResponsesAPIError`, `ResponseError`, `ChatCompletionsAPIError`) and its
`ConnectorInformation` (resumed, retrying). Requests carry the case's `x-mock-scenario` header.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from realtime_conformance.refclient.chat import (
    ChatCompletionsAPIClient,
    create_chat_completions_api_client,
)
from realtime_conformance.refclient.events import ChatCompletionsAPIEvents as Chat
from realtime_conformance.refclient.events import ResponsesAPIEvents as Responses
from realtime_conformance.refclient.http_retry import DEFAULT_MAX_RETRIES
from realtime_conformance.refclient.responses import (
    ResponsesAPIClient,
    Transport,
    create_responses_api_client,
)

HTTP_APIS = ("responses", "chat")
RUN_HEADER = "x-mock-scenario"
REPORTED: dict[str, tuple[tuple[str, str], ...]] = {  # the client's events a check may judge
    "responses": (
        (Responses.ResponsesAPIError, "ResponsesAPIError"),
        (Responses.ResponseError, "ResponseError"),
        (Responses.ConnectorInformation, "ConnectorInformation"),
    ),
    "chat": (
        (Chat.ChatCompletionsAPIError, "ChatCompletionsAPIError"),
        (Chat.ConnectorInformation, "ConnectorInformation"),
    ),
}


class Reports(Protocol):
    def report(self, name: str, data: Mapping[str, Any] | None = None) -> None: ...


def http_api(endpoints: Any) -> str | None:
    """The HTTP API a case's endpoints name (`extra["api"]`), None for a Realtime case."""
    api = (getattr(endpoints, "extra", None) or {}).get("api")
    return api if api in HTTP_APIS else None


class HttpTurns:
    """One HTTP client for one case, with its request defaults."""

    def __init__(self, max_retries: int = DEFAULT_MAX_RETRIES, resume_attempts: int = 3) -> None:
        self.max_retries = max_retries
        self.resume_attempts = resume_attempts
        self.client: ResponsesAPIClient | ChatCompletionsAPIClient | None = None
        self.defaults: dict[str, Any] = {}

    async def start(self, endpoints: Any, api: str, reports: Reports) -> None:
        extra = endpoints.extra or {}
        common: dict[str, Any] = {
            "api_key": endpoints.api_key,
            "base_url": endpoints.http_base_url,
            "max_retries": self.max_retries,
            "extra_headers": {RUN_HEADER: extra[RUN_HEADER]} if extra.get(RUN_HEADER) else {},
        }
        if api == "chat":
            self.client = await create_chat_completions_api_client(**common)
        else:
            transport: Transport = "websocket" if extra.get("transport") == "websocket" else "sse"
            self.client = await create_responses_api_client(
                **common, transport=transport, resume_attempts=self.resume_attempts
            )
        for event, name in REPORTED[api]:
            self.client.add_event_listener(event, _reporter(reports, name))

    def configure(self, defaults: Mapping[str, Any]) -> None:
        self.defaults.update(defaults)

    async def send_text(self, text: str) -> None:
        client = self.client
        if isinstance(client, ChatCompletionsAPIClient):
            message = {"role": "user", "content": text}
            await client.create_chat_completions({**self.defaults, "messages": [message]})
        elif isinstance(client, ResponsesAPIClient):
            await client.create_responses({**self.defaults, "input": text})

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()


def _reporter(reports: Reports, name: str) -> Callable[[Any, Any], None]:
    def report(_client: Any, data: Any) -> None:
        reports.report(name, data if isinstance(data, dict) else {"data": data})

    return report
