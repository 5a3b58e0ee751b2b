"""The trace of the HTTP clients (Chat, Responses): exchanges in the transcript format the mock
records them in (mockserver.http_common), so `realtime-conformance validate` reads it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from realtime_conformance.refclient.privacy import redact
from realtime_conformance.refclient.trace import TraceWriter
from realtime_conformance.rtproto.handshake import redacted_header_map
from realtime_conformance.rtproto.sse import SseMessage


class HttpTrace(TraceWriter):
    """The trace of HTTP exchanges, in the transcript format the mock records them in: the
    request as an `http_request` meta line, each streamed event (with its `sse_event` name),
    Chat's `[DONE]` marker, and an `http_response` meta line for a JSON answer."""

    def request(self, method: str, url: str, headers: dict[str, str], body: Any) -> None:
        parts = urlsplit(url)
        shown = redacted_header_map(headers.items())  # the one allow-list (rtproto.handshake)
        fields: dict[str, Any] = {"kind": "http_request", "method": method, "path": parts.path}
        fields |= {"query": parts.query, "request_headers": shown}
        fields["body"] = redact(body) if self.privacy else body
        self._write({"dir": "meta", "meta": fields})

    def sse(self, message: SseMessage, event: Any) -> None:
        """One message as received: Chat's `[DONE]` marker, an event, or a non-JSON frame."""
        if message.is_done:
            self._write({"dir": "server", "done": True})
        elif not isinstance(event, dict):
            self.text("server", message.data, None)
        else:
            record: dict[str, Any] = {
                "dir": "server",
                "event": redact(event) if self.privacy else event,
            }
            if message.event is not None:
                record["sse_event"] = message.event
            self._write(record)

    def response(self, status: int, body: Any) -> None:
        shown = redact(body) if self.privacy else body
        self._write(
            {"dir": "meta", "meta": {"kind": "http_response", "status": status, "body": shown}}
        )
