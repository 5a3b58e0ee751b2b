"""The mock's side of the handshake: its `ServerOptions` read as a `HandshakePolicy`.

The rules themselves are pure protocol and live in `rtproto.handshake`.
"""

from __future__ import annotations

from realtime_conformance.mockserver.options import ServerOptions
from realtime_conformance.rtproto.handshake import (
    API_KEYS_URL,
    Handshake,
    HandshakePolicy,
    HandshakeRequest,
    mask_key,
)
from realtime_conformance.rtproto.handshake import evaluate as evaluate_with_policy

# API_KEYS_URL and mask_key are re-exported for mockserver.http_common; their home is rtproto.
__all__ = ["API_KEYS_URL", "evaluate", "mask_key", "policy_of"]


def policy_of(options: ServerOptions) -> HandshakePolicy:
    return HandshakePolicy(
        api_keys=options.api_keys,
        supported_models=options.supported_models,
        retired_beta=options.retired_beta,
    )


def evaluate(request: HandshakeRequest, options: ServerOptions) -> Handshake:
    """Decide a handshake as a mock configured with `options` does."""
    return evaluate_with_policy(request, policy_of(options))
