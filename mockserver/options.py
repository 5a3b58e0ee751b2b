"""How a mock server is configured, and what a behaviour is told about its connection."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Set
from dataclasses import dataclass, field
from pathlib import Path

from realtime_conformance.fixtures import SCENARIOS_ROOT
from realtime_conformance.rtproto.handshake import DEFAULT_SUPPORTED_MODELS, Dialect
from realtime_conformance.rtproto.server.pacing import Pacing
from realtime_conformance.rtproto.server.ratelimit import RateLimits
from realtime_conformance.rtproto.server.realtime.behaviour import Behaviour
from realtime_conformance.rtproto.server.realtime.session import (
    RealtimeSession,
    SessionLimits,
    SessionOptions,
)
from realtime_conformance.rtproto.server.realtime.timing import AudioDelivery, Timing

__all__ = [  # Dialect is re-exported (its home is rtproto.handshake)
    "BehaviourFactory",
    "ConnectionInfo",
    "Dialect",
    "ServerOptions",
    "SimulatedModel",
]


@dataclass(frozen=True)
class ConnectionInfo:
    """What the handshake established, handed to the behaviour factory."""

    connection_id: str
    dialect: Dialect
    model: str | None  # the `model` query parameter, or the Azure `deployment`
    intent: str | None = None  # "transcription" for transcription sessions
    call_id: str | None = None  # joins a SIP/WebRTC call
    path: str = "/v1/realtime"
    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)  # secrets redacted
    seed: int = 0  # the server's seed: with the connection's number, it seeds ids and text


BehaviourFactory = Callable[[ConnectionInfo], Behaviour]


@dataclass(frozen=True)
class SimulatedModel:
    """The simulated model's settings; called with a connection, it makes that connection's
    session (it is the default `BehaviourFactory`)."""

    timing: Timing = field(default_factory=Timing.realistic)
    session_limit_s: float = 3600.0  # the real API's 60 minutes, then `session_expired`
    audio_delivery: AudioDelivery = field(default_factory=AudioDelivery.burst)
    vad_frame_ms: int = 10  # 32: the grid the real server's VAD events fall on
    transcription_fails: bool = False

    def __call__(self, info: ConnectionInfo) -> Behaviour:
        options = SessionOptions(
            model=info.model or SessionOptions.model,
            seed=f"{info.seed}:{info.connection_id.rsplit('-', 1)[0]}",  # seed:conn-0003
            timing=self.timing,
            intent="transcription" if info.intent == "transcription" else "realtime",
            limits=SessionLimits(max_duration_s=self.session_limit_s),
            created_at=int(time.time()),  # rtproto reads no clock: `expires_at` counts from here
            audio_delivery=self.audio_delivery,
            vad_frame_ms=self.vad_frame_ms,
            transcription_fails=self.transcription_fails,
        )
        return RealtimeSession(options)


@dataclass
class ServerOptions:
    """Everything a mock server needs to know; the defaults serve what the real API serves."""

    host: str = "127.0.0.1"
    port: int = 0  # 0: any free port (read the chosen one from the running server)
    tls: bool = False  # serve wss:// with a self-signed certificate made at start
    api_keys: Set[str] | None = None  # None: any non-empty key is accepted
    supported_models: tuple[str, ...] = DEFAULT_SUPPORTED_MODELS
    retired_beta: bool = False  # True: beta handshakes get `beta_api_shape_disabled`, as in 2026
    ping_interval_s: float | None = 20.0  # server PINGs, as the real API sends; None: none
    record_dir: Path | None = None  # one `<connection-id>.jsonl` per connection
    validate_events: bool = False  # test mode: validate every server event as it is sent
    behaviour_factory: BehaviourFactory = field(default_factory=SimulatedModel)  # no scenario
    scenario: str | None = None  # a scenario id for every connection (else the query's, if any)
    scenarios_dir: Path = SCENARIOS_ROOT
    # The user's scenario files and directories, alongside the catalogue (same id: theirs wins).
    extra_scenarios: tuple[Path, ...] = ()
    # Seeds every connection's ids and text, and the Responses and Chat models (requests are
    # seeded from it and the body). None: a fresh seed per server (MockState.seed says which),
    # so two servers never hand out the same ids; give one to replay a run exactly.
    seed: int | None = None
    http_pacing: Pacing = field(default_factory=Pacing)  # how long Responses/Chat streams take
    rate_limits: RateLimits | None = None  # None: never 429; else x-ratelimit-* headers and 429s
    # Limits (mockserver.guard). The real API documents 15 MiB of audio per append (20 MiB once
    # base64'd); its frame and body limits are not published: these defaults are UNVERIFIED.
    max_message_bytes: int = 32 * 1024 * 1024  # a bigger WebSocket frame is closed with 1009
    max_body_bytes: int = 32 * 1024 * 1024  # a bigger HTTP body gets an API-shaped 413
    max_connections: int = 1000  # requests and WebSocket connections at once; then 429
    header_timeout_s: float = 60.0  # a connection that sends no complete request is closed
    connections_kept: int = 1000  # records of recent connections kept (each with its transcript)
    transcript_cap_bytes: int = 16 * 1024 * 1024  # per in-memory transcript, then a meta line
    # False: transcripts only go to record_dir (if any), for long soaks: an audio call's
    # transcript grows by ~90 KB a second in memory otherwise.
    transcripts_in_memory: bool = True
    close_timeout_s: float = 5.0  # how long a server-initiated close waits for the reply

    def __post_init__(self) -> None:
        if self.api_keys is not None:
            self.api_keys = frozenset(self.api_keys)
        if self.record_dir is not None:
            self.record_dir = Path(self.record_dir)
