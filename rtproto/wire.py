"""Facts of the wire that every API's streams share: how text is cut into deltas, how deltas are
padded, and the token limit the Realtime API reports. One home, so a check of the wire and every
simulated or scripted server agree on what the wire looks like.

Evidence is in shared/traces/ (2,491 padded deltas of Realtime and Responses) and
shared/PROTOCOL.md §2.
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Callable
from typing import Any

from realtime_conformance.rtproto.ids import RandomText

# Text deltas: a word with its leading whitespace and its contraction ("I'll"), a contraction
# after a typographic apostrophe on its own ("today", "\u2019s", as the Responses traces cut it),
# one punctuation mark with its leading whitespace, or trailing whitespace. The pieces join back
# to the text: "Hi there, friend!" -> "Hi", " there", ",", " friend", "!" (capture p08).
TEXT_PIECE = re.compile(r"\s*\w+(?:'\w+)*|\u2019\w+|\s*[^\w\s]|\s+")
# JSON arguments: words, whitespace, and runs of punctuation, as the recorded argument deltas
# are cut: '{"a":12,"op":"add"}' -> '{"', 'a', '":', '12', ',"', 'op', '":"', 'add', '"}'.
ARGUMENT_PIECE = re.compile(r"\w+|\s+|[^\w\s]+")

# Every recorded `obfuscation` pads its delta to a multiple of 16 characters (code points), and
# is empty when the delta already is one.
OBFUSCATION_BLOCK = 16
OBFUSCATION_ALPHABET = string.ascii_letters + string.digits

# `rate_limits.updated` in the GA captures: one `tokens` entry (no `requests` entry) with the
# limit of capture p08, `reset_seconds` the share of the minute window used (the beta trace:
# 1,510 of 40,000 used -> 2.265 s; p08: 284 of 15M -> 0.001 s).
TOKEN_LIMIT = 15_000_000
RATE_LIMIT_WINDOW_S = 60.0
AUDIO_MS_PER_TOKEN = 50  # sip-gateway trace: 147 audio tokens for about 7 s of speech


def text_pieces(text: str) -> list[str]:
    """`text` cut into delta-sized pieces that join back to it."""
    return TEXT_PIECE.findall(text)


def argument_pieces(arguments: str) -> list[str]:
    """JSON arguments cut into delta-sized pieces that join back to them."""
    return ARGUMENT_PIECE.findall(arguments)


def obfuscation_length(delta: str) -> int:
    return -len(delta) % OBFUSCATION_BLOCK


def obfuscation(delta: str, rng: random.Random | RandomText) -> str:
    """Random characters that pad `delta` to a multiple of 16, as the recorded deltas are.

    A `RandomText` of `OBFUSCATION_ALPHABET` (a generator of its own, drawn in batches) gives the
    same characters as a `random.Random` of the same seed, at a fraction of the cost."""
    if isinstance(rng, RandomText):
        return rng.take(obfuscation_length(delta))
    return "".join(rng.choices(OBFUSCATION_ALPHABET, k=obfuscation_length(delta)))


def obfuscator(rng: random.Random | RandomText) -> Callable[[str], str]:
    """`obfuscation(delta, rng)` as a function of the delta (the same draws), for a hot loop."""
    if isinstance(rng, RandomText):
        take = rng.take
        return lambda delta: take(-len(delta) % OBFUSCATION_BLOCK)
    return lambda delta: obfuscation(delta, rng)


def tokens_rate_limit(used: int, limit: int = TOKEN_LIMIT) -> dict[str, Any]:
    """The `tokens` entry of `rate_limits.updated` after `used` tokens."""
    return {
        "name": "tokens",
        "limit": limit,
        "remaining": max(limit - used, 0),
        "reset_seconds": round(RATE_LIMIT_WINDOW_S * used / limit, 3),
    }
