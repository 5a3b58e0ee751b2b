"""How a mock server is configured, and what a behaviour is told about its connection."""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Mapping, Set
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, cast

from fixtures import SCENARIOS_ROOT
from rtproto.pacing import Pacing
from rtproto.ratelimit import RateLimits
from rtproto.realtime.behaviour import Behaviour

Dialect = Literal["ga", "beta"]

# Glob patterns (fnmatch) of the model names the real API accepts in realtime mode.
DEFAULT_SUPPORTED_MODELS = (
    "gpt-realtime*",
    "gpt-4o-realtime-preview*",
    "gpt-4o-mini-realtime-preview*",
)
SIMULATED_MODEL_MODULE = "rtproto.realtime.session"


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


BehaviourFactory = Callable[[ConnectionInfo], Behaviour]


def default_behaviour_factory(info: ConnectionInfo) -> Behaviour:
    """The simulated model (`rtproto.realtime.session.RealtimeSession`), imported on first use.

    Imported lazily so that the driver does not depend on the module at import time; this is
    where the driver's ConnectionInfo meets the session's settings. rtproto reads no clock, so
    the wall clock for `expires_at` is passed from here.
    """
    module = importlib.import_module(SIMULATED_MODEL_MODULE)
    seed = info.connection_id.rsplit("-", 1)[0]  # "conn-0003": the same on every run
    settings: dict[str, object] = {"seed": seed, "created_at": int(time.time())}
    if info.model:
        settings["model"] = info.model
    if info.intent == "transcription":
        settings["intent"] = "transcription"
    session = module.RealtimeSession(module.SessionOptions(**settings))
    return cast(Behaviour, session)


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
    behaviour_factory: BehaviourFactory = default_behaviour_factory  # when no scenario is chosen
    scenario: str | None = None  # a scenario id for every connection (else the query's, if any)
    scenarios_dir: Path = SCENARIOS_ROOT
    seed: int = 0  # seeds the Responses and Chat models (requests are seeded from it and the body)
    http_pacing: Pacing = field(default_factory=Pacing)  # how long Responses/Chat streams take
    rate_limits: RateLimits | None = None  # None: never 429; else x-ratelimit-* headers and 429s
    max_message_bytes: int = 32 * 1024 * 1024  # above the real 15 MiB append limit, base64'd
    connections_kept: int = 1000  # recent connections (with in-memory transcripts) kept
    close_timeout_s: float = 5.0  # how long a server-initiated close waits for the reply

    def __post_init__(self) -> None:
        if self.api_keys is not None:
            self.api_keys = frozenset(self.api_keys)
        if self.record_dir is not None:
            self.record_dir = Path(self.record_dir)
