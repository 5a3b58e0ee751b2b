"""Where and how the reference client connects: the Realtime URL, headers and subprotocols.

The header value is the handshake fact the mock judges by (rtproto.handshake, its one home).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from realtime_conformance.rtproto.handshake import BETA_HEADER_VALUE, Dialect

DEFAULT_BASE_URL = "https://api.openai.com/"
DEFAULT_MODEL = "gpt-realtime"
WS_SCHEMES = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}


def realtime_url(base_url: str, model: str) -> str:
    """The WebSocket URL for `model`: `base_url` may be a host root, an API root ending in
    `/v1`, or a full `.../realtime` URL (its query kept; `model` added when absent)."""
    parts = urlsplit(base_url)
    scheme = WS_SCHEMES.get(parts.scheme)
    if scheme is None:
        raise ValueError(f"base_url must be http(s) or ws(s), not {base_url!r}")
    path = parts.path.rstrip("/")
    if not path.endswith("/realtime"):
        path = (path if path.endswith("/v1") else path + "/v1") + "/realtime"
    query = parse_qsl(parts.query, keep_blank_values=True)
    if not any(key == "model" for key, _ in query):
        query.append(("model", model))
    return urlunsplit((scheme, parts.netloc, path, urlencode(query), ""))


def handshake_headers(api_key: str, dialect: Dialect) -> dict[str, str]:
    """Bearer auth; beta adds `OpenAI-Beta: realtime=v1` (GA is the default dialect)."""
    if not api_key:
        raise ValueError("api_key is required")
    headers = {"Authorization": f"Bearer {api_key}"}
    if dialect == "beta":
        headers["OpenAI-Beta"] = BETA_HEADER_VALUE
    elif dialect != "ga":
        raise ValueError(f"dialect must be 'ga' or 'beta', not {dialect!r}")
    return headers
