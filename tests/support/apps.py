"""In-process stand-ins for the HTTP routes, so the official SDK can talk to the simulated models
without a socket: each turns an httpx2 request into a service call and the answer into a
response, the way the aiohttp routes will (pacing aside: every event is sent at once)."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx2

from realtime_conformance.rtproto.api_errors import ApiError, parse_json_body
from realtime_conformance.rtproto.server.chat.service import ChatService
from realtime_conformance.rtproto.server.responses.service import ResponsesService
from realtime_conformance.rtproto.server.responses.store import StoredResponse
from tests.support.streams import (
    chat_frames,
    error_response,
    json_response,
    responses_frames,
    sse_response,
)

NOW = 1_771_375_110.0


@dataclass
class ResponsesApp:
    service: ResponsesService
    now: float = NOW
    created: list[StoredResponse] = field(default_factory=list)

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        try:
            return self._route(request)
        except ApiError as error:
            return error_response(error)

    def _route(self, request: httpx2.Request) -> httpx2.Response:
        path = request.url.path.removeprefix("/v1")
        if request.method == "POST" and path == "/responses":
            body = parse_json_body(request.content)
            stored = self.service.create(body, self.now)
            self.created.append(stored)
            if body.get("stream"):
                return sse_response(responses_frames(p.event for p in stored.plan.events))
            return json_response(stored.first_answer())
        if request.method == "GET" and path.startswith("/responses/"):
            response_id = path.removeprefix("/responses/")
            if request.url.params.get("stream") == "true":
                after = request.url.params.get("starting_after")
                events = self.service.resume(response_id, int(after) if after else None, self.now)
                return sse_response(responses_frames(p.event for p in events))
            return json_response(self.service.retrieve(response_id, self.now))
        return httpx2.Response(404, json={"error": {"message": "no route"}})


@dataclass
class ChatApp:
    service: ChatService
    now: float = NOW

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        try:
            body = parse_json_body(request.content)
            plan = self.service.create(body, self.now)
        except ApiError as error:
            return error_response(error)
        if body.get("stream"):
            chunks = [p.event for p in plan.chunks]
            return sse_response(chat_frames(chunks, done=plan.ends_with_done))
        if plan.error is not None:
            return error_response(plan.error)
        return json_response(plan.completion)
