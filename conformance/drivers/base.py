"""The driver interface: what the suite asks of a client under test, and nothing more.

A case's stimulus is a list of steps; each step is one call below. The suite never looks inside
the client: it judges only what crosses the two wires it stands on (the OpenAI side, recorded
by the mock, and the call side, recorded by the virtual call) plus what the client reports of
itself through `ClientReports` (the VoxEngine module's own events, e.g. WebSocketMediaStarted).

Three forms of the same interface:

- in-process: a Python object implementing `ClientDriver` (the reference client's driver is the
  default; `--client package.module:factory` loads a vendor's adapter: `factory()` returns one);
- command: the same calls as JSON lines on a child process's stdin, one reply line per command
  on its stdout, reports as `{"report": NAME, "data": {...}}` lines in between
  (conformance.drivers.command; schemas/driver/ describes every line both ways, and
  docs/reference/driver-interface.md the protocol);
- connector: a service the suite cannot drive; only `Endpoints` reach it (environment), and
  cases whose stimulus needs a driven client are UNIMPLEMENTED for it.

Every method may raise `DriverError` (or anything): the suite records it as a FAIL of the
step, with the message, and goes on with the next case.

Capabilities name what a client can take part in; a case needs some of them, and a client that
lacks one gets UNIMPLEMENTED for that case, not FAIL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from realtime_conformance.rtproto.client.methods import (
    CLIENT_METHODS,  # call_method's names (one home)
)

Dialect = Literal["ga", "beta"]
MediaFormat = Literal["twilio", "pcm16"]

# What a client can take part in. A case lists the ones it needs.
CAPABILITIES = frozenset(
    {
        "text",  # send a user text message and receive a text answer
        "audio",  # stream caller audio in and play model audio out
        "telephony",  # bridge a phone call: the Twilio Media Streams (or raw PCM16) media socket
        "tools",  # answer function calls
        "truncation",  # truncate the playing item on barge-in
        "transcription",  # input audio transcription sessions
        "reconnect",  # reconnect after a drop or session expiry
        "responses",  # the Responses API client
        "chat",  # the Chat Completions client
        "methods",  # call_method: the VoxEngine Realtime client's event methods, by name
    }
)


@dataclass(frozen=True)
class Endpoints:
    """Where the client under test connects, for one case."""

    realtime_url: str  # ws://127.0.0.1:PORT/v1/realtime?model=... (the mock; scenario in query)
    http_base_url: str  # http://127.0.0.1:PORT/v1 (Responses and Chat)
    api_key: str
    dialect: Dialect
    model: str
    media_url: str | None = None  # the virtual call's media WebSocket, when the client dials it
    media_format: MediaFormat = "twilio"
    # Per-case hints (scenario id, ...). A Responses or Chat case adds "api" ("responses" or
    # "chat"), "transport" ("sse" or "websocket": the Responses WebSocket mode) and
    # "x-mock-scenario": a header every HTTP request of the case MUST carry (it names the run;
    # with the openai SDK: `default_headers`). conformance.harness_http.
    extra: Mapping[str, str] = field(default_factory=dict)


@runtime_checkable
class ClientReports(Protocol):
    """Where a driver reports the client's own events, timestamped by the suite on arrival."""

    def report(self, name: str, data: Mapping[str, Any] | None = None) -> None: ...


class DriverError(Exception):
    """A step the client could not perform: the message goes into the FAIL as it is."""


def method_event(name: str) -> str:
    """The client event a `call_method` name sends; DriverError for a name not in the list."""
    event_type = CLIENT_METHODS.get(name)
    if event_type is None:
        raise DriverError(f"no client method {name!r} (known: {', '.join(CLIENT_METHODS)})")
    return event_type


@runtime_checkable
class ClientDriver(Protocol):
    """One client under test, for one case. The suite makes a fresh driver per case.

    Call order: `start`, then any steps, then `close` (always, even after a failure).
    Each step returns when the client has done it (sent the event, bridged the call), not when
    the server has answered; the suite waits on the wires itself.
    """

    name: str
    capabilities: frozenset[str]

    async def start(self, endpoints: Endpoints, reports: ClientReports) -> None:
        """Connect to the API (Realtime: open the WebSocket; HTTP clients: get ready)."""

    async def configure(self, session: Mapping[str, Any]) -> None:
        """Apply a session configuration (Realtime: one `session.update`, GA-shaped; the
        client translates for its dialect). For HTTP clients: request defaults."""

    async def send_text(self, text: str) -> None:
        """Say `text` as the user and ask for an answer (Realtime: a user message item, then
        `response.create`; Responses/Chat: one streamed request, returning when the client is
        done with it: answered, retried, resumed or failed). An HTTP client reports each of its
        error events as a report named `...Error` (check http.reports_outcome)."""

    async def stream_call(self) -> None:
        """Bridge the call: connect to `endpoints.media_url` (or accept the call) and from then
        on stream the caller's audio to the API and play the model's audio into the call."""

    async def set_tool_outputs(self, outputs: Mapping[str, str]) -> None:
        """Answer future calls of these functions (name -> output string) on its own."""

    async def cancel(self) -> None:
        """Cancel the active response, if any."""

    async def call_method(self, name: str, args: Mapping[str, Any]) -> None:
        """Call one of the client's event methods (`CLIENT_METHODS`: `conversation_item_delete`,
        `input_audio_buffer_commit`, ...) with its parameters as the method takes them: the
        GA client event's fields without `type` (`{"item_id": "item_..."}`), ids already filled
        in by the suite from what the server sent. The client builds, checks, translates for
        its dialect and sends the event itself, under its own rules (a correct client queues a
        `response.create` while a response is active): this is the application calling the
        client, not a raw send. Capability "methods"; a client may refuse an event its checks
        reject (raise DriverError)."""

    async def close(self) -> None:
        """Close everything the client opened. Must not raise after a failure."""


@runtime_checkable
class SeparateProcess(Protocol):
    """A client that runs outside the suite's process (a command client, a connector's
    service): the suite watches how long its processes wait for a CPU (conformance.cpu_wait)."""

    def process_group(self) -> int | None:
        """The process group of the client's processes while they run, else None."""
