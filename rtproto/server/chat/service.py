"""What `POST /v1/chat/completions` answers, sans-I/O.

The HTTP driver parses the JSON body (rtproto.api_errors.parse_json_body), calls `create` with
the time, and writes either the plan's chunks as SSE (`rtproto.sse.encode_data` for each, at its
time, then `DONE_FRAME` when `ends_with_done`) or, without `stream`, `completion` as JSON (or
`error`'s status and body). An ApiError from `create` is the 4xx answer.
"""

from __future__ import annotations

from typing import Any

from realtime_conformance.rtproto.server.chat.request import parse_chat_request
from realtime_conformance.rtproto.server.chat.simulated_model import ChatModel, ChatPlan
from realtime_conformance.rtproto.server.pacing import Pacing
from realtime_conformance.rtproto.server.simulation import SeedSequence


class ChatService:
    def __init__(self, seed: int | str = 0, pacing: Pacing | None = None) -> None:
        self.seeds = SeedSequence(seed)
        self.model = ChatModel(pacing)

    def create(
        self, body: dict[str, Any], now: float, *, reply: str | None = None, fail: bool = False
    ) -> ChatPlan:
        request = parse_chat_request(body)
        sim = self.seeds.simulation_for(body)
        return self.model.plan(request, sim, created=int(now), reply=reply, fail=fail)
