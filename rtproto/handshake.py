"""The Realtime WebSocket handshake as pure functions of the request (shared/PROTOCOL.md §1).

The one home of the handshake rules: the mock decides upgrades with them, the transcript reader
tells a recording's dialect with them, and the reference client builds its requests from them.

The real API upgrades every well-formed request first (101) and only then judges it: a bad key,
a bad model or a retired dialect is answered with one `error` event and a close frame with an
application close code (3000 for auth, 4000 for the request). So the decision here is never
"refuse the upgrade" but "which subprotocol, which dialect, and which rejection, if any".
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import unquote_plus

from realtime_conformance.rtproto.events import RealtimeError

Dialect = Literal["ga", "beta"]

BROWSER_SUBPROTOCOL = "realtime"  # browsers abort unless the server selects it
KEY_SUBPROTOCOL_PREFIX = "openai-insecure-api-key."
BETA_SUBPROTOCOL = "openai-beta.realtime-v1"
BETA_HEADER_VALUE = "realtime=v1"
AZURE_DEPLOYMENT_PATHS = frozenset({"/openai/realtime"})
REDACTED = "<redacted>"
# The headers a transcript or log may show as sent: none carries a secret. Every other header's
# value is replaced (Cookie, api-key, Proxy-Authorization, OpenAI-Organization, a vendor's own).
ALLOWED_HEADERS = frozenset(
    {
        "accept",
        "accept-encoding",
        "accept-language",
        "cache-control",
        "connection",
        "content-encoding",
        "content-length",
        "content-type",
        "host",
        "idempotency-key",
        "openai-beta",
        "origin",
        "pragma",
        "sec-websocket-extensions",
        "sec-websocket-key",
        "sec-websocket-version",
        "transfer-encoding",
        "upgrade",
        "user-agent",
        "x-mock-scenario",
    }
)
ALLOWED_HEADER_PREFIXES = ("x-stainless-",)  # the openai SDKs' platform and retry headers
AUTH_SCHEMES = frozenset({"bearer", "basic"})
# Query parameters shown as sent; any other's value is replaced (Azure's `api-key` may be one).
ALLOWED_QUERY_PARAMETERS = frozenset(
    {
        "api-version",
        "call_id",
        "deployment",
        "include",
        "include_obfuscation",
        "intent",
        "model",
        "scenario",
        "starting_after",
        "stream",
    }
)
MAX_HEADER_VALUE_CHARS = 512
# Glob patterns (fnmatch) of the model names the real API accepts in realtime mode.
DEFAULT_SUPPORTED_MODELS = (
    "gpt-realtime*",
    "gpt-4o-realtime-preview*",
    "gpt-4o-mini-realtime-preview*",
)

AUTH_CLOSE_CODE = 3000
REQUEST_CLOSE_CODE = 4000
INVALID_REQUEST = "invalid_request_error"
MISSING_AUTH_MESSAGE = "Missing bearer or basic authentication in header"
API_KEYS_URL = "https://platform.openai.com/account/api-keys"
MISSING_MODEL_MESSAGE = (
    "You must provide a model parameter, for example "
    "wss://api.openai.com/v1/realtime?model=gpt-realtime-1.5"
)
# Made up: the capture of this rejection (p07c/p08b) gives the code and close, not the message.
BETA_RETIRED_MESSAGE = (
    "The Realtime API beta shape is no longer supported. Remove the 'OpenAI-Beta: realtime=v1' "
    "header and use the GA interface."
)


@dataclass(frozen=True)
class HandshakeRequest:
    """The parts of an upgrade request the handshake looks at."""

    path: str
    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)  # names as sent, one value each

    @classmethod
    def from_pairs(
        cls, path: str, query: Mapping[str, str], header_pairs: Iterable[tuple[str, str]]
    ) -> HandshakeRequest:
        """Repeated headers (several Sec-WebSocket-Protocol lines) are joined with ", "."""
        headers: dict[str, str] = {}
        names: dict[str, str] = {}
        for name, value in header_pairs:
            first = names.setdefault(name.lower(), name)
            headers[first] = f"{headers[first]}, {value}" if first in headers else value
        return cls(path, dict(query), headers)

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)

    @property
    def subprotocols(self) -> list[str]:
        """The offered subprotocols, in the client's order."""
        offered = self.header("Sec-WebSocket-Protocol") or ""
        return [item.strip() for item in offered.split(",") if item.strip()]


@dataclass(frozen=True)
class HandshakePolicy:
    """What a server accepts; the defaults accept what the real API accepts."""

    api_keys: Set[str] | None = None  # None: any non-empty key
    supported_models: tuple[str, ...] = DEFAULT_SUPPORTED_MODELS
    retired_beta: bool = False  # True: beta gets `beta_api_shape_disabled`, as in 2026


@dataclass(frozen=True)
class Rejection:
    """Why a connection is refused after the upgrade: the `error` to send and the close."""

    error: RealtimeError
    close_code: int
    close_reason: str


@dataclass(frozen=True)
class Handshake:
    """What the handshake decided."""

    dialect: Dialect
    subprotocol: str | None
    model: str | None
    intent: str | None
    call_id: str | None
    rejection: Rejection | None


def select_subprotocol(offered: list[str]) -> str | None:
    return BROWSER_SUBPROTOCOL if BROWSER_SUBPROTOCOL in offered else None


def asks_for_beta_by_header(value: str) -> bool:
    """`OpenAI-Beta` is a comma-separated list (`realtime=v1, assistants=v2`): beta when one of
    its items is `realtime=v1`, in any case and spacing (openai-node 7 sends it lowercase)."""
    items = ("".join(item.split()).lower() for item in value.split(","))
    return BETA_HEADER_VALUE in items


def dialect_of(request: HandshakeRequest) -> Dialect:
    """Beta when asked for by header or by subprotocol; a subprotocol is a token, so it must be
    `openai-beta.realtime-v1` exactly (`openai-beta.realtime-v1x` is another protocol)."""
    if asks_for_beta_by_header(request.header("OpenAI-Beta") or ""):
        return "beta"
    return "beta" if BETA_SUBPROTOCOL in request.subprotocols else "ga"


def presented_key(request: HandshakeRequest) -> str | None:
    """The API key the client sent: Bearer header, browser subprotocol, or Azure `api-key`."""
    scheme, _, value = (request.header("Authorization") or "").strip().partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    for protocol in request.subprotocols:
        if protocol.startswith(KEY_SUBPROTOCOL_PREFIX) and len(protocol) > len(
            KEY_SUBPROTOCOL_PREFIX
        ):
            return protocol[len(KEY_SUBPROTOCOL_PREFIX) :]
    api_key = (request.header("api-key") or "").strip()
    return api_key or None


def mask_key(key: str) -> str:
    """The key as the real error message shows it: 8 characters, `***…`, the last 4.

    The capture (p10) shows that shape for a full-length key; how the real API masks a short key
    is not recorded, so a short key shows only its first 3 characters.
    """
    if len(key) >= 16:
        return f"{key[:8]}***…{key[-4:]}"
    return f"{key[:3]}***…"


def auth_rejection(key: str | None, accepted: Set[str] | None) -> Rejection | None:
    if key is None:
        error = RealtimeError(None, MISSING_AUTH_MESSAGE)
        return Rejection(error, AUTH_CLOSE_CODE, INVALID_REQUEST)
    if accepted is None or key in accepted:
        return None
    message = (
        f"Incorrect API key provided: {mask_key(key)}. You can find your API key at {API_KEYS_URL}."
    )
    error = RealtimeError("invalid_api_key", message)
    return Rejection(error, AUTH_CLOSE_CODE, f"{INVALID_REQUEST}.invalid_api_key")


def request_rejection(code: str, message: str) -> Rejection:
    return Rejection(RealtimeError(code, message), REQUEST_CLOSE_CODE, f"{INVALID_REQUEST}.{code}")


def requested_model(request: HandshakeRequest) -> str | None:
    """The `model` parameter, or on Azure's path the `deployment` (named by the user)."""
    name = "deployment" if request.path in AZURE_DEPLOYMENT_PATHS else "model"
    return request.query.get(name) or None


def model_rejection(request: HandshakeRequest, supported: Iterable[str]) -> Rejection | None:
    """Missing or unsupported model; transcription sessions and call joins need none."""
    model = requested_model(request)
    if request.query.get("intent") == "transcription" or request.query.get("call_id"):
        return None
    if model is None:
        return request_rejection("missing_model", MISSING_MODEL_MESSAGE)
    if request.path in AZURE_DEPLOYMENT_PATHS:
        return None  # deployment names are the user's own: any name is served
    if any(fnmatch.fnmatchcase(model, pattern) for pattern in supported):
        return None
    return request_rejection("invalid_model", f'Model "{model}" is not supported in realtime mode.')


def evaluate(request: HandshakeRequest, policy: HandshakePolicy = HandshakePolicy()) -> Handshake:
    """Decide a handshake. Checked in order: key, retired beta, model."""
    dialect = dialect_of(request)
    rejection = auth_rejection(presented_key(request), policy.api_keys)
    if rejection is None and dialect == "beta" and policy.retired_beta:
        rejection = request_rejection("beta_api_shape_disabled", BETA_RETIRED_MESSAGE)
    if rejection is None:
        rejection = model_rejection(request, policy.supported_models)
    return Handshake(
        dialect=dialect,
        subprotocol=select_subprotocol(request.subprotocols),
        model=requested_model(request),
        intent=request.query.get("intent") or None,
        call_id=request.query.get("call_id") or None,
        rejection=rejection,
    )


def _redact_protocols(value: str) -> str:
    items = [item.strip() for item in value.split(",")]
    return ", ".join(
        KEY_SUBPROTOCOL_PREFIX + REDACTED if item.startswith(KEY_SUBPROTOCOL_PREFIX) else item
        for item in items
    )


def _auth_scheme_only(value: str) -> str:
    """`Bearer <redacted>`: the scheme is kept when it is a known one, since a value without a
    scheme may be the key itself."""
    scheme = value.strip().partition(" ")[0]
    return f"{scheme} {REDACTED}" if scheme.lower() in AUTH_SCHEMES else REDACTED


def redact_header(name: str, value: str) -> str:
    """A header value fit for a transcript or a log: an allow-list, not a deny-list. Headers
    that carry no secret are kept (values cut at MAX_HEADER_VALUE_CHARS); the credential
    headers keep their shape without the secret; any other header's value is replaced."""
    lowered = name.lower()
    if lowered in ("authorization", "proxy-authorization"):
        return _auth_scheme_only(value)
    if lowered == "sec-websocket-protocol":
        value = _redact_protocols(value)
    elif lowered not in ALLOWED_HEADERS and not lowered.startswith(ALLOWED_HEADER_PREFIXES):
        return REDACTED
    if len(value) > MAX_HEADER_VALUE_CHARS:
        return f"{value[:MAX_HEADER_VALUE_CHARS]}... ({len(value)} characters)"
    return value


def redacted_header_map(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Headers (name, value) as a transcript records them: every value through redact_header."""
    return {name: redact_header(name, value) for name, value in pairs}


def redacted_headers(request: HandshakeRequest) -> dict[str, str]:
    return redacted_header_map(request.headers.items())


def redacted_query_string(query_string: str) -> str:
    """A raw query string fit for a transcript: allowed parameters kept as spelled, the value of
    any other replaced (its name kept, so a check can still see that it was sent)."""
    parts = []
    for part in query_string.split("&") if query_string else []:
        name = part.partition("=")[0]
        allowed = unquote_plus(name).lower() in ALLOWED_QUERY_PARAMETERS
        parts.append(part if allowed else f"{name}={REDACTED}")
    return "&".join(parts)
