"""The Chat Completions API, sans-I/O (shared/PROTOCOL.md §7): request validation and the
simulated model's chunks.

Entry point for the driver: `ChatService.create(body, now)` for `POST /v1/chat/completions`, a
ChatPlan whose `chunks` are the SSE stream (`rtproto.sse.encode_data` each when due, then
`rtproto.sse.DONE_FRAME` if `ends_with_done`) and whose `completion` (or `error`) is the JSON
answer; raises ApiError for an invalid body.
"""

from realtime_conformance.rtproto.server.chat.service import ChatService
from realtime_conformance.rtproto.server.chat.simulated_model import ChatPlan

__all__ = ["ChatPlan", "ChatService"]
